//! Errors as values, in PostgREST's JSON shape (`code`, `message`, `details`, `hint`) with the HTTP
//! status PostgREST answers with. postgrest-js reads exactly these four fields into `error`, so an
//! answer in any other shape reaches the user as `{}`.
//!
//! Two sources: errors this crate raises before anything runs (`PGRST1xx` parse errors,
//! `PGRST2xx` schema cache misses, `42703` unknown columns, as PostgREST raises them), and errors
//! Postgres raises while a statement runs, which the server turns into an [`ApiError`] with
//! [`ApiError::from_postgres`] (the SQLSTATE → status table of PostgREST's errors reference).

use serde::Serialize;

/// An error answer: the status and the JSON body PostgREST would send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiError {
    /// The HTTP status (not part of the body).
    #[serde(skip)]
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Text for most errors; PGRST201 (ambiguous embedding) gives an array of the candidates.
    pub details: Option<Box<serde_json::Value>>,
    pub hint: Option<String>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.status, self.code, self.message)?;
        match self.details.as_deref() {
            Some(serde_json::Value::String(details)) => write!(f, "; {details}")?,
            Some(details) => write!(f, "; {details}")?,
            None => {}
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            details: None,
            hint: None,
        }
    }

    pub fn with_details(mut self, details: impl Into<serde_json::Value>) -> Self {
        self.details = Some(Box::new(details.into()));
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The body as JSON text, `null` for an absent `details` or `hint` as PostgREST writes them.
    pub fn body(&self) -> String {
        serde_json::to_string(self).expect("an ApiError serializes")
    }

    /// PGRST100: a query string parameter does not parse (`select`, a filter, `order`, ...).
    /// PostgREST's message names the parameter; `details` says where it failed.
    pub fn parse(what: &str, details: impl Into<String>) -> Self {
        ApiError::new(
            400,
            "PGRST100",
            format!("\"failed to parse {what} parameter\""),
        )
        .with_details(details.into())
    }

    /// PGRST102: the body is not valid JSON or not of the expected shape.
    pub fn invalid_body(message: impl Into<String>) -> Self {
        ApiError::new(400, "PGRST102", message)
    }

    /// PGRST103: a `Range` header or `limit`/`offset` that cannot be satisfied.
    pub fn invalid_range(message: impl Into<String>) -> Self {
        ApiError::new(416, "PGRST103", message)
    }

    /// PGRST108: a filter or order on an embedded resource that `select` does not embed.
    pub fn not_embedded(path: &str) -> Self {
        ApiError::new(
            400,
            "PGRST108",
            format!("'{path}' is not an embedded resource in this request"),
        )
        .with_hint(format!(
            "Verify that '{path}' is included in the 'select' query parameter."
        ))
    }

    /// PGRST116: `Accept: application/vnd.pgrst.object+json` and not exactly one row.
    pub fn not_singular(rows: u64) -> Self {
        ApiError::new(
            406,
            "PGRST116",
            "Cannot coerce the result to a single JSON object",
        )
        .with_details(format!("The result contains {rows} rows"))
    }

    /// PGRST118: `order=rel(col)` where `rel` is not a to-one embed.
    pub fn order_not_to_one(parent: &str, rel: &str) -> Self {
        ApiError::new(
            400,
            "PGRST118",
            format!("A related order on '{rel}' is not possible",),
        )
        .with_details(format!(
            "'{parent}' and '{rel}' do not form a many-to-one or one-to-one relationship"
        ))
    }

    /// PGRST120: an embedded resource itself filtered with anything but `is.null` / `not.is.null`.
    pub fn embed_filter_not_null(path: &str) -> Self {
        ApiError::new(
            400,
            "PGRST120",
            format!("Bad operator on the '{path}' embedded resource"),
        )
        .with_details("Only is null or not is null filters are allowed on embedded resources")
    }

    /// PGRST122: `Prefer: handling=strict` and a preference this server does not honour.
    pub fn invalid_preferences(invalid: &[String]) -> Self {
        ApiError::new(
            400,
            "PGRST122",
            "Invalid preferences given with handling=strict",
        )
        .with_details(format!("Invalid preferences: {}", invalid.join(", ")))
    }

    /// PGRST200: no foreign key relates the two resources.
    pub fn no_relationship(schema: &str, parent: &str, target: &str, hint: Option<&str>) -> Self {
        let hinted = match hint {
            Some(h) => format!("'{target}!{h}'"),
            None => format!("'{target}'"),
        };
        ApiError::new(
            400,
            "PGRST200",
            format!(
                "Could not find a relationship between '{parent}' and '{target}' in the schema cache"
            ),
        )
        .with_details(format!(
            "Searched for a foreign key relationship between '{parent}' and {hinted} in the schema '{schema}', but no matches were found."
        ))
    }

    /// PGRST202: no function of that name accepts those arguments.
    pub fn no_function(schema: &str, name: &str, args: &[String]) -> Self {
        ApiError::new(
            404,
            "PGRST202",
            format!(
                "Could not find the function {schema}.{name}({}) in the schema cache",
                args.join(", ")
            ),
        )
        .with_hint(
            "If a new function was created in the database with this name and parameters, try reloading the schema cache.",
        )
    }

    /// PGRST203: several overloads accept the same named arguments.
    pub fn ambiguous_function(schema: &str, name: &str, candidates: &[String]) -> Self {
        ApiError::new(
            300,
            "PGRST203",
            format!("Could not choose the best candidate function between: {}", candidates.iter().map(|c| format!("{schema}.{name}({c})")).collect::<Vec<_>>().join(", ")),
        )
        .with_hint("Try renaming the parameters or the function itself in the database so function overloading can be resolved")
    }

    /// PGRST204: a column named by `columns=`, `on_conflict=` or the body is not in the table.
    pub fn no_column_in_cache(table: &str, column: &str) -> Self {
        ApiError::new(
            400,
            "PGRST204",
            format!("Could not find the '{column}' column of '{table}' in the schema cache"),
        )
    }

    /// PGRST205: the path names no table or view of the exposed schema.
    pub fn no_table(schema: &str, table: &str) -> Self {
        ApiError::new(
            404,
            "PGRST205",
            format!("Could not find the table '{schema}.{table}' in the schema cache"),
        )
    }

    /// 42703 as Postgres raises it for a column that does not exist (PostgREST lets Postgres
    /// raise it; this crate raises it before anything runs, with the same shape and status).
    pub fn undefined_column(table: &str, column: &str) -> Self {
        ApiError::new(
            400,
            "42703",
            format!("column {table}.{column} does not exist"),
        )
    }

    /// An error Postgres raised while a statement ran, with PostgREST's status for its SQLSTATE.
    /// `authenticated`: whether the request carried a valid JWT (42501 is 403 then, 401 for anon).
    pub fn from_postgres(
        sqlstate: &str,
        message: impl Into<String>,
        details: Option<String>,
        hint: Option<String>,
        authenticated: bool,
    ) -> Self {
        ApiError {
            status: status_for_sqlstate(sqlstate, authenticated),
            code: sqlstate.to_string(),
            message: message.into(),
            details: details.map(|d| Box::new(serde_json::Value::String(d))),
            hint,
        }
    }
}

/// PostgREST's table from SQLSTATE to HTTP status (docs: references/errors, "HTTP Status Codes"),
/// plus its `PTxyz` convention: a function that raises SQLSTATE `PT402` answers 402.
pub fn status_for_sqlstate(sqlstate: &str, authenticated: bool) -> u16 {
    if let Some(status) = sqlstate
        .strip_prefix("PT")
        .filter(|s| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (100..=599).contains(s))
    {
        return status;
    }
    match sqlstate {
        "23503" | "23505" => return 409,
        "25006" => return 405,
        "53400" => return 500,
        "P0001" => return 400,
        "42883" | "42P01" => return 404,
        "42P17" => return 500,
        "42501" => return if authenticated { 403 } else { 401 },
        _ => {}
    }
    let class = sqlstate.get(..2).unwrap_or("");
    match class {
        "08" => 503,
        "09" => 500,
        "0L" | "0P" => 403,
        "25" => 500,
        "28" => 403,
        "2D" | "38" | "39" | "3B" | "40" => 500,
        "53" => 503,
        "54" | "55" | "57" | "58" | "F0" | "HV" | "P0" | "XX" => 500,
        _ => 400,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_map_to_postgrest_statuses() {
        let cases = [
            ("42501", false, 401),
            ("42501", true, 403),
            ("23505", true, 409),
            ("23503", true, 409),
            ("22P02", true, 400),
            ("P0001", true, 400),
            ("P0002", true, 500),
            ("42883", true, 404),
            ("42P01", true, 404),
            ("42P17", true, 500),
            ("08006", true, 503),
            ("53400", true, 500),
            ("53300", true, 503),
            ("25006", true, 405),
            ("25001", true, 500),
            ("28000", true, 403),
            ("0P000", true, 403),
            ("40001", true, 500),
            ("57014", true, 500),
            ("XX000", true, 500),
            ("23502", true, 400),
            ("42703", true, 400),
            ("PT402", true, 402),
            ("PT999", true, 400),
            ("PTabc", true, 400),
            ("", true, 400),
        ];
        for (state, authenticated, status) in cases {
            assert_eq!(
                status_for_sqlstate(state, authenticated),
                status,
                "{state} (authenticated: {authenticated})"
            );
        }
    }

    #[test]
    fn body_has_postgrest_fields_with_nulls() {
        let error = ApiError::no_table("public", "nope");
        assert_eq!(error.status, 404);
        assert_eq!(
            error.body(),
            r#"{"code":"PGRST205","message":"Could not find the table 'public.nope' in the schema cache","details":null,"hint":null}"#
        );
        let from_pg = ApiError::from_postgres(
            "23505",
            "duplicate key value violates unique constraint \"threads_pkey\"",
            Some("Key (id)=(1) already exists.".into()),
            None,
            true,
        );
        assert_eq!(from_pg.status, 409);
        assert!(
            from_pg
                .body()
                .contains(r#""details":"Key (id)=(1) already exists.""#)
        );
    }
}
