//! Quoting for SQL text: every identifier and literal appctl writes into a statement goes through
//! here. Values a user sends at run time are bind parameters, never quoted text.

/// `"name"`, with embedded quotes doubled. Always quoted: reserved words, upper case, spaces and
/// unicode all survive.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `"schema"."name"`.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

/// `'text'`, with embedded quotes doubled (standard_conforming_strings is on since Postgres 9.1).
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
