//! The exact encoding of Postgres values in the archive's row files (JSON Lines), both ways.
//!
//! Export reads each table with `COPY ... TO STDOUT` (text format: every value is its type's output
//! function, so the server does the least work) and turns each line into one JSON object; import turns
//! each JSON object back into a `COPY ... FROM STDIN` text line. Both directions are pure functions of
//! the column's [`Encoding`], which the manifest records per column, so a reader needs no catalog.
//!
//! | encoding | Postgres types | JSON |
//! |---|---|---|
//! | `bool` | boolean | `true` / `false` |
//! | `number` | smallint, integer, oid, real, double precision | a number as Postgres prints it (`NaN`, `Infinity`, `-Infinity` as strings) |
//! | `string` | everything else: text, varchar, bigint, numeric, uuid, enums, dates and times, intervals, ... | the type's text output as a string: bigint and numeric keep every digit, timestamptz keeps its offset |
//! | `bytea` | bytea | standard base64 with padding |
//! | `json` | jsonb | the document itself |
//! | `vector` | pgvector's vector, halfvec | an array of numbers |
//! | `array` | arrays of the above | nested JSON arrays; elements encoded as their element type |
//!
//! SQL NULL is an absent key: `{"a":1}` has `b` NULL. So a jsonb document that is JSON `null` (written
//! `"b":null`) and SQL NULL stay apart, and `""` is the empty string, never NULL.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// How one column's values are written in the row files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Bool,
    Number,
    String,
    Bytea,
    Json,
    Vector,
    /// An array; the element's encoding.
    Array(Box<Encoding>),
}

impl Encoding {
    /// The encoding of a column from its type as the catalog names it: `typname` of the type (of the
    /// element for arrays, of the base type for domains) and whether it is an array.
    pub fn of(type_name: &str, is_array: bool) -> Encoding {
        let scalar = match type_name {
            "bool" => Encoding::Bool,
            "int2" | "int4" | "oid" | "float4" | "float8" => Encoding::Number,
            "bytea" => Encoding::Bytea,
            "jsonb" => Encoding::Json,
            "vector" | "halfvec" => Encoding::Vector,
            // `json` keeps its text exactly (whitespace, key order, duplicate keys): a string.
            _ => Encoding::String,
        };
        if is_array {
            Encoding::Array(Box::new(scalar))
        } else {
            scalar
        }
    }
}

/// A row that cannot be converted, with what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EncodeError(pub String);

fn err<T>(message: impl Into<String>) -> Result<T, EncodeError> {
    Err(EncodeError(message.into()))
}

/// The JSON object keys of `columns`, pre-rendered: `"name":`.
pub fn keys(columns: &[String]) -> Vec<String> {
    columns
        .iter()
        .map(|c| {
            format!(
                "{}:",
                serde_json::to_string(c).expect("a string serialises")
            )
        })
        .collect()
}

/// Appends the JSON object for one `COPY TO` text line (without its newline) to `out`, followed by
/// `\n`. `keys` from [`keys`], one per column, in the COPY column order.
pub fn copy_line_to_json(
    line: &[u8],
    keys: &[String],
    encodings: &[Encoding],
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let line = std::str::from_utf8(line).map_err(|_| EncodeError("a row is not UTF-8".into()))?;
    let mut fields = line.split('\t');
    out.push(b'{');
    let mut first = true;
    let mut field = String::new();
    for (index, (key, encoding)) in keys.iter().zip(encodings).enumerate() {
        let Some(raw) = fields.next() else {
            return err(format!(
                "a row has {index} fields, expected {}",
                encodings.len()
            ));
        };
        if raw == "\\N" {
            continue;
        }
        field.clear();
        unescape_copy(raw, &mut field)?;
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(key.as_bytes());
        value_to_json(&field, encoding, out)?;
    }
    if fields.next().is_some() {
        return err(format!("a row has more than {} fields", encodings.len()));
    }
    out.extend_from_slice(b"}\n");
    Ok(())
}

/// One value's text output to its JSON form.
fn value_to_json(text: &str, encoding: &Encoding, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    match encoding {
        Encoding::Bool => out.extend_from_slice(match text {
            "t" => b"true",
            "f" => b"false",
            other => return err(format!("`{other}` is not a boolean")),
        }),
        Encoding::Number => match text {
            "NaN" | "Infinity" | "-Infinity" => json_string(text, out),
            _ => out.extend_from_slice(text.as_bytes()),
        },
        Encoding::String => json_string(text, out),
        Encoding::Bytea => {
            let Some(hex_digits) = text.strip_prefix("\\x") else {
                return err("a bytea value is not in hex format (set bytea_output = 'hex')");
            };
            let bytes = hex::decode(hex_digits)
                .map_err(|e| EncodeError(format!("a bytea value is not valid hex: {e}")))?;
            out.push(b'"');
            out.extend_from_slice(BASE64.encode(bytes).as_bytes());
            out.push(b'"');
        }
        // jsonb output is one line of valid JSON; pgvector prints `[1,2.5,3]`.
        Encoding::Json | Encoding::Vector => out.extend_from_slice(text.as_bytes()),
        Encoding::Array(element) => {
            if !text.starts_with('{') {
                // Explicit bounds (`[2:3]={...}`): kept as the literal, which import passes through.
                json_string(text, out);
                return Ok(());
            }
            let mut parser = ArrayParser {
                text: text.as_bytes(),
                at: 0,
            };
            parser.array(element, out)?;
            if parser.at != text.len() {
                return err(format!("unexpected text after the array `{text}`"));
            }
        }
    }
    Ok(())
}

fn json_string(text: &str, out: &mut Vec<u8>) {
    serde_json::to_writer(&mut *out, text).expect("writing to a Vec cannot fail");
}

/// Parses Postgres's array output (`{1,2,NULL}`, `{"a b","c\"d"}`, `{{1,2},{3,4}}`).
struct ArrayParser<'a> {
    text: &'a [u8],
    at: usize,
}

impl ArrayParser<'_> {
    fn array(&mut self, element: &Encoding, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if self.text.get(self.at) != Some(&b'{') {
            return err("an array does not start with `{`");
        }
        self.at += 1;
        out.push(b'[');
        if self.text.get(self.at) == Some(&b'}') {
            self.at += 1;
            out.push(b']');
            return Ok(());
        }
        let mut first = true;
        loop {
            if !first {
                out.push(b',');
            }
            first = false;
            match self.text.get(self.at) {
                Some(b'{') => self.array(element, out)?,
                Some(b'"') => {
                    let value = self.quoted()?;
                    value_to_json(&value, element, out)?;
                }
                Some(_) => {
                    let start = self.at;
                    while let Some(&c) = self.text.get(self.at) {
                        if c == b',' || c == b'}' {
                            break;
                        }
                        self.at += 1;
                    }
                    let value = std::str::from_utf8(&self.text[start..self.at])
                        .map_err(|_| EncodeError("an array element is not UTF-8".into()))?;
                    if value == "NULL" {
                        out.extend_from_slice(b"null");
                    } else {
                        value_to_json(value, element, out)?;
                    }
                }
                None => return err("an array ends early"),
            }
            match self.text.get(self.at) {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    out.push(b']');
                    return Ok(());
                }
                _ => return err("an array element is not followed by `,` or `}`"),
            }
        }
    }

    fn quoted(&mut self) -> Result<String, EncodeError> {
        self.at += 1; // the opening quote
        let mut bytes = Vec::new();
        loop {
            match self.text.get(self.at) {
                Some(b'\\') => {
                    let Some(&c) = self.text.get(self.at + 1) else {
                        return err("an array element ends in a backslash");
                    };
                    bytes.push(c);
                    self.at += 2;
                }
                Some(b'"') => {
                    self.at += 1;
                    break;
                }
                Some(&c) => {
                    bytes.push(c);
                    self.at += 1;
                }
                None => return err("an array element has no closing quote"),
            }
        }
        String::from_utf8(bytes).map_err(|_| EncodeError("an array element is not UTF-8".into()))
    }
}

/// Undoes COPY's text-format escapes (`\\`, `\t`, `\n`, `\r`, `\b`, `\f`, `\v`, octal and `\x`).
pub fn unescape_copy(raw: &str, out: &mut String) -> Result<(), EncodeError> {
    if !raw.contains('\\') {
        out.push_str(raw);
        return Ok(());
    }
    let bytes = raw.as_bytes();
    let mut buf = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c != b'\\' {
            buf.push(c);
            i += 1;
            continue;
        }
        let Some(&next) = bytes.get(i + 1) else {
            return err("a field ends in a lone backslash");
        };
        i += 2;
        match next {
            b'b' => buf.push(8),
            b'f' => buf.push(12),
            b'n' => buf.push(b'\n'),
            b'r' => buf.push(b'\r'),
            b't' => buf.push(b'\t'),
            b'v' => buf.push(11),
            b'0'..=b'7' => {
                let mut value = u32::from(next - b'0');
                for _ in 0..2 {
                    match bytes.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                buf.push((value & 0xff) as u8);
            }
            b'x' => {
                let mut value = 0u32;
                let mut digits = 0;
                while digits < 2 {
                    match bytes.get(i).and_then(|d| char::from(*d).to_digit(16)) {
                        Some(d) => {
                            value = value * 16 + d;
                            i += 1;
                            digits += 1;
                        }
                        None => break,
                    }
                }
                if digits == 0 {
                    buf.push(b'x');
                } else {
                    buf.push(value as u8);
                }
            }
            other => buf.push(other),
        }
    }
    out.push_str(
        std::str::from_utf8(&buf).map_err(|_| EncodeError("a field is not UTF-8".into()))?,
    );
    Ok(())
}

/// Appends `text` to a COPY text-format line, escaping what COPY treats specially.
pub fn escape_copy(text: &str, out: &mut Vec<u8>) {
    if !text
        .bytes()
        .any(|b| matches!(b, b'\\' | b'\n' | b'\r' | b'\t'))
    {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    for b in text.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            other => out.push(other),
        }
    }
}

/// Appends the `COPY FROM` text line (with its newline) for one JSON row object to `out`. `columns`
/// are the COPY column order; a key that is not a column is an error, an absent key is NULL.
pub fn json_to_copy_line(
    line: &str,
    columns: &[String],
    encodings: &[Encoding],
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let object: Vec<(std::borrow::Cow<'_, str>, &RawValue)> = parse_object(line)?;
    for (key, _) in &object {
        if !columns.iter().any(|c| c == key) {
            return err(format!("the row has a key `{key}` that is not a column"));
        }
    }
    for (index, (column, encoding)) in columns.iter().zip(encodings).enumerate() {
        if index > 0 {
            out.push(b'\t');
        }
        match object.iter().find(|(key, _)| key == column) {
            None => out.extend_from_slice(b"\\N"),
            Some((_, raw)) => write_copy_value(raw, encoding, out)
                .map_err(|e| EncodeError(format!("column `{column}`: {e}")))?,
        }
    }
    out.push(b'\n');
    Ok(())
}

pub(crate) fn parse_object(
    line: &str,
) -> Result<Vec<(std::borrow::Cow<'_, str>, &RawValue)>, EncodeError> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = Vec<(std::borrow::Cow<'de, str>, &'de RawValue)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut entries = Vec::new();
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                let value: &'de RawValue = map.next_value()?;
                entries.push((key, value));
            }
            Ok(entries)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(line);
    let entries = serde::Deserializer::deserialize_map(&mut deserializer, Visitor)
        .map_err(|e| EncodeError(format!("not a JSON object: {e}")))?;
    deserializer
        .end()
        .map_err(|e| EncodeError(format!("text after the JSON object: {e}")))?;
    Ok(entries)
}

/// One JSON value straight into a COPY line (the common cases without an intermediate string).
fn write_copy_value(
    raw: &RawValue,
    encoding: &Encoding,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let text = raw.get();
    match encoding {
        Encoding::Json => escape_copy(text, out),
        Encoding::String if text.starts_with('"') => write_string_content(text, out)?,
        Encoding::Number if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
            out.extend_from_slice(text.as_bytes())
        }
        Encoding::Bool => out.push(match text {
            "true" => b't',
            "false" => b'f',
            _ => return err(format!("expected true or false, found {text}")),
        }),
        _ => {
            let mut value = String::new();
            json_to_text(raw, encoding, &mut value)?;
            escape_copy(&value, out);
        }
    }
    Ok(())
}

/// The content of a JSON string literal, COPY-escaped. Without a backslash a JSON string holds no
/// control character and nothing to escape, so its bytes go as they are.
fn write_string_content(literal: &str, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let inner = &literal[1..literal.len().saturating_sub(1).max(1)];
    if !inner.contains('\\') {
        out.extend_from_slice(inner.as_bytes());
        return Ok(());
    }
    let value: String = serde_json::from_str(literal)
        .map_err(|_| EncodeError(format!("expected a string, found {literal}")))?;
    escape_copy(&value, out);
    Ok(())
}

/// One JSON value back to the text input of its Postgres type.
fn json_to_text(raw: &RawValue, encoding: &Encoding, out: &mut String) -> Result<(), EncodeError> {
    let text = raw.get();
    match encoding {
        Encoding::Json => out.push_str(text),
        Encoding::Vector => {
            if !text.starts_with('[') {
                return err("a vector is not an array of numbers");
            }
            out.push_str(text);
        }
        Encoding::Bool => match text {
            "true" => out.push('t'),
            "false" => out.push('f'),
            _ => return err(format!("expected true or false, found {text}")),
        },
        Encoding::Number => {
            if text.starts_with('"') {
                out.push_str(&string_of(raw)?);
            } else if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
                out.push_str(text);
            } else {
                return err(format!("expected a number, found {text}"));
            }
        }
        Encoding::String => {
            if !text.starts_with('"') {
                return err(format!("expected a string, found {text}"));
            }
            out.push_str(&string_of(raw)?);
        }
        Encoding::Bytea => {
            let encoded = string_of(raw)?;
            let bytes = BASE64
                .decode(encoded.as_bytes())
                .map_err(|e| EncodeError(format!("bytea is not base64: {e}")))?;
            out.push_str("\\x");
            out.push_str(&hex::encode(bytes));
        }
        Encoding::Array(element) => {
            if text.starts_with('"') {
                // An array literal with explicit bounds, kept as written by Postgres.
                out.push_str(&string_of(raw)?);
            } else {
                let value: serde_json::Value = serde_json::from_str(text)
                    .map_err(|e| EncodeError(format!("not JSON: {e}")))?;
                array_literal(&value, element, out)?;
            }
        }
    }
    Ok(())
}

fn string_of(raw: &RawValue) -> Result<String, EncodeError> {
    serde_json::from_str::<String>(raw.get())
        .map_err(|_| EncodeError(format!("expected a string, found {}", raw.get())))
}

/// A JSON array as a Postgres array literal (`{"a","b",NULL}`), elements quoted.
fn array_literal(
    value: &serde_json::Value,
    element: &Encoding,
    out: &mut String,
) -> Result<(), EncodeError> {
    let serde_json::Value::Array(items) = value else {
        return err(format!("expected an array, found {value}"));
    };
    out.push('{');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match item {
            serde_json::Value::Null => out.push_str("NULL"),
            serde_json::Value::Array(_)
                if !matches!(element, Encoding::Json | Encoding::Vector) =>
            {
                array_literal(item, element, out)?
            }
            other => {
                let raw = serde_json::value::to_raw_value(other)
                    .map_err(|e| EncodeError(e.to_string()))?;
                let mut text = String::new();
                json_to_text(&raw, element, &mut text)?;
                out.push('"');
                for c in text.chars() {
                    if c == '"' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            }
        }
    }
    out.push('}');
    Ok(())
}

/// One row's share of a table's order-independent digest: the first 16 bytes of the sha256 of its
/// JSON line (newline included). A table's digest is the wrapping sum of its rows' shares, so it
/// does not depend on the order rows are read in, and a duplicated or missing row changes it.
pub fn row_digest(line: &[u8]) -> u128 {
    use sha2::Digest as _;
    let hash = sha2::Sha256::digest(line);
    let mut first = [0u8; 16];
    first.copy_from_slice(&hash[..16]);
    u128::from_be_bytes(first)
}

/// A table digest as written in the manifest.
pub fn digest_hex(digest: u128) -> String {
    format!("{digest:032x}")
}

/// A short description of an encoding, for docs and messages: `array of string`.
pub fn describe(encoding: &Encoding) -> String {
    let mut out = String::new();
    let mut current = encoding;
    while let Encoding::Array(inner) = current {
        out.push_str("array of ");
        current = inner;
    }
    let _ = write!(out, "{current:?}");
    out.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_json(fields: &[&str], encodings: &[Encoding]) -> String {
        let names: Vec<String> = (0..fields.len()).map(|i| format!("c{i}")).collect();
        let mut out = Vec::new();
        copy_line_to_json(
            fields.join("\t").as_bytes(),
            &keys(&names),
            encodings,
            &mut out,
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    fn back(json: &str, n: usize, encodings: &[Encoding]) -> String {
        let names: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
        let mut out = Vec::new();
        json_to_copy_line(json.trim_end(), &names, encodings, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn round_trip(fields: &[&str], encodings: &[Encoding], expected_json: &str) {
        let json = to_json(fields, encodings);
        assert_eq!(json.trim_end(), expected_json);
        assert_eq!(
            back(&json, fields.len(), encodings),
            fields.join("\t") + "\n"
        );
    }

    #[test]
    fn scalars_are_exact() {
        use Encoding::*;
        round_trip(
            &[
                "t",
                "42",
                "-9223372036854775808",
                "12345678901234567890.000000000000000001",
            ],
            &[Bool, Number, String, String],
            r#"{"c0":true,"c1":42,"c2":"-9223372036854775808","c3":"12345678901234567890.000000000000000001"}"#,
        );
        round_trip(
            &[
                "NaN",
                "-Infinity",
                "1e+300",
                "2024-02-29 23:59:59.123456+05:30",
            ],
            &[Number, Number, Number, String],
            r#"{"c0":"NaN","c1":"-Infinity","c2":1e+300,"c3":"2024-02-29 23:59:59.123456+05:30"}"#,
        );
    }

    #[test]
    fn null_is_an_absent_key_and_empty_is_empty() {
        use Encoding::*;
        round_trip(&["\\N", "", "\\N"], &[String, String, Json], r#"{"c1":""}"#);
        // A jsonb document that is JSON null is not SQL NULL.
        round_trip(&["null", "\\N"], &[Json, Json], r#"{"c0":null}"#);
    }

    #[test]
    fn text_keeps_tabs_newlines_backslashes_and_unicode() {
        round_trip(
            &["a\\tb\\nc\\\\d\\re – 日本語 🎉 \"q\""],
            &[Encoding::String],
            r#"{"c0":"a\tb\nc\\d\re – 日本語 🎉 \"q\""}"#,
        );
    }

    #[test]
    fn bytea_is_base64() {
        round_trip(
            &["\\\\x00ff10", "\\\\x"],
            &[Encoding::Bytea, Encoding::Bytea],
            r#"{"c0":"AP8Q","c1":""}"#,
        );
    }

    #[test]
    fn json_and_vectors_are_embedded() {
        round_trip(
            &[
                r#"{"a": [1, 2.50, "x\\\\ny"], "b": null}"#,
                "[1,-2.5,3e-05]",
            ],
            &[Encoding::Json, Encoding::Vector],
            r#"{"c0":{"a": [1, 2.50, "x\\ny"], "b": null},"c1":[1,-2.5,3e-05]}"#,
        );
    }

    #[test]
    fn arrays_nest_and_keep_nulls_and_quotes() {
        let text = Encoding::Array(Box::new(Encoding::String));
        let int = Encoding::Array(Box::new(Encoding::Number));
        let json = to_json(
            &[
                r#"{a,"b c","d\\"e","f\\\\g",NULL,"NULL",""}"#,
                "{{1,2},{3,NULL}}",
                "{}",
            ],
            &[text.clone(), int.clone(), int.clone()],
        );
        assert_eq!(
            json.trim_end(),
            r#"{"c0":["a","b c","d\"e","f\\g",null,"NULL",""],"c1":[[1,2],[3,null]],"c2":[]}"#
        );
        // Import writes every element quoted; Postgres reads both forms the same.
        assert_eq!(
            back(&json, 3, &[text, int.clone(), int]),
            "{\"a\",\"b c\",\"d\\\\\"e\",\"f\\\\\\\\g\",NULL,\"NULL\",\"\"}\t{{\"1\",\"2\"},{\"3\",NULL}}\t{}\n"
        );
    }

    #[test]
    fn arrays_with_bounds_travel_as_their_literal() {
        round_trip(
            &["[0:1]={1,2}"],
            &[Encoding::Array(Box::new(Encoding::Number))],
            r#"{"c0":"[0:1]={1,2}"}"#,
        );
    }

    #[test]
    fn bad_rows_are_errors_not_panics() {
        let names = vec!["a".to_string()];
        let mut out = Vec::new();
        for line in ["", "[1]", "{\"b\":1}", "{\"a\":1} x", "{\"a\":true}"] {
            assert!(
                json_to_copy_line(line, &names, &[Encoding::String], &mut out).is_err(),
                "{line}"
            );
        }
        assert!(
            json_to_copy_line("{\"a\":\"%%%\"}", &names, &[Encoding::Bytea], &mut out).is_err()
        );
        assert!(copy_line_to_json(b"x\ty", &keys(&names), &[Encoding::String], &mut out).is_err());
    }

    #[test]
    fn table_digests_ignore_order_but_not_duplicates() {
        let rows = [b"{\"a\":1}\n".as_slice(), b"{\"a\":2}\n", b"{}\n"];
        let sum = |lines: &[&[u8]]| {
            lines
                .iter()
                .fold(0u128, |d, l| d.wrapping_add(row_digest(l)))
        };
        let forward = sum(&rows);
        assert_eq!(forward, sum(&[rows[2], rows[0], rows[1]]));
        assert_ne!(forward, sum(&[rows[0], rows[1], rows[2], rows[2]]));
        assert_ne!(forward, sum(&rows[..2]));
        assert_eq!(digest_hex(1).len(), 32);
    }

    #[test]
    fn encodings_from_catalog_names() {
        assert_eq!(Encoding::of("int8", false), Encoding::String);
        assert_eq!(Encoding::of("numeric", false), Encoding::String);
        assert_eq!(Encoding::of("json", false), Encoding::String);
        assert_eq!(Encoding::of("jsonb", false), Encoding::Json);
        assert_eq!(
            Encoding::of("text", true),
            Encoding::Array(Box::new(Encoding::String))
        );
        assert_eq!(describe(&Encoding::of("bytea", true)), "array of bytea");
    }
}
