//! `Accept: text/csv` answers: the JSON body the statement made, as CSV.
//!
//! PostgREST builds CSV in SQL from each row's record text; here the rows are the JSON answer, so
//! values read as in JSON (`true`/`false` where PostgREST writes `t`/`f`, timestamps in JSON's
//! ISO form, arrays and objects as JSON text). The layout is PostgREST's: a header of column names,
//! then one line per row, lines ended by `\n` with no final one. Fields are quoted as RFC 4180
//! says (`"` doubled) when they hold a comma, quote, line break or surrounding space, and an empty
//! string is `""` so it differs from NULL (an empty field).

use serde_json::Value;

use crate::ApiError;

/// The CSV for a JSON answer: an array of objects (one line each), one object (one line), or a
/// scalar (the one field, no header).
pub fn from_json(body: &str) -> Result<String, ApiError> {
    let value: Value = serde_json::from_str(body).map_err(|e| {
        ApiError::new(500, "PGRST000", "The answer cannot be written as CSV")
            .with_details(e.to_string())
    })?;
    let rows: Vec<&serde_json::Map<String, Value>> = match &value {
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_object().ok_or(()))
            .collect::<Result<_, _>>()
            .map_err(|()| {
                ApiError::new(406, "PGRST107", "Only rows can be answered as text/csv")
            })?,
        Value::Object(row) => vec![row],
        scalar => return Ok(field(scalar)),
    };
    // Columns from the first row, as PostgREST; every row of one answer has the same ones.
    let columns: Vec<&String> = rows.first().map(|r| r.keys().collect()).unwrap_or_default();
    let mut out = columns
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    let lines: Vec<String> = rows
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|c| row.get(c.as_str()).map_or(String::new(), field))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    out.push_str(&lines.join("\n"));
    Ok(out)
}

fn field(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => quote(s),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => quote(&other.to_string()),
    }
}

fn quote(text: &str) -> String {
    let needs = text.is_empty()
        || text.contains([',', '"', '\n', '\r'])
        || text.starts_with(' ')
        || text.ends_with(' ');
    if needs {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_header_and_quoting() {
        let csv = from_json(
            r#"[{"id":1,"title":"plain","note":null,"ok":true,"tags":["a","b"]},
                {"id":2,"title":"a, \"quoted\"\nline","note":"","ok":false,"tags":[]}]"#,
        )
        .unwrap();
        assert_eq!(
            csv,
            "id,title,note,ok,tags\n\
             1,plain,,true,\"[\"\"a\"\",\"\"b\"\"]\"\n\
             2,\"a, \"\"quoted\"\"\nline\",\"\",false,[]"
        );
    }

    #[test]
    fn empty_object_and_scalar() {
        assert_eq!(from_json("[]").unwrap(), "\n");
        assert_eq!(from_json(r#"{"a":1}"#).unwrap(), "a\n1");
        assert_eq!(from_json("42").unwrap(), "42");
        assert_eq!(from_json("[1,2]").unwrap_err().code, "PGRST107");
    }
}
