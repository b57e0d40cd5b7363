//! The values every stage shares, each parsed one way: sizes, index columns, runtimes, the gateway's
//! address. The file is checked with these parsers and the later stages read values with them, so
//! what validation accepted is what runs.

use std::net::SocketAddr;

use anyhow::bail;

use super::file::{Runtime, Size};

/// Postgres truncates longer names silently; appctl refuses them instead.
pub const MAX_IDENTIFIER_BYTES: usize = 63;

/// The roles whose table privileges appctl reads and writes (Supabase's API roles); grants to any
/// other role are left alone.
pub const MANAGED_ROLES: [&str; 3] = ["anon", "authenticated", "service_role"];

/// Schemas that belong to the platform (Supabase's services and extensions, appctl's bookkeeping):
/// never a project's schema, so never planned, pulled or deployed wholesale. Their project-owned
/// parts have their own keys (`buckets:` for rows of `storage.buckets` and their policies).
pub const PLATFORM_SCHEMAS: [&str; 15] = [
    "auth",
    "storage",
    "realtime",
    "extensions",
    "vault",
    "graphql",
    "graphql_public",
    "pgsodium",
    "pgsodium_masks",
    "supabase_functions",
    "supabase_migrations",
    "net",
    "pgbouncer",
    "cron",
    "appctl",
];

/// Why a platform schema is not a project schema, and what to do instead.
pub fn platform_schema_problem(schema: &str) -> Option<(String, &'static str)> {
    PLATFORM_SCHEMAS.contains(&schema).then(|| {
        (
            format!("schema `{schema}` belongs to the platform: appctl never manages it wholesale"),
            "keep the project's tables in their own schema (`public` by default); buckets and their policies go under `buckets:`",
        )
    })
}

/// `created_at desc nulls last` → `created_at`.
pub fn parse_index_column(entry: &str) -> Result<&str, String> {
    let (column, rest) = split_index_column(entry)?;
    let rest: Vec<String> = rest.split_whitespace().map(str::to_lowercase).collect();
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    let valid = matches!(
        rest.as_slice(),
        [] | ["asc"]
            | ["desc"]
            | ["nulls", "first" | "last"]
            | ["asc" | "desc", "nulls", "first" | "last"]
    );
    if valid {
        Ok(column)
    } else {
        Err(format!("`{entry}` is not a column with an optional order"))
    }
}

/// An index entry's column (or parenthesised expression, `(lower(email))`) and what follows it.
fn split_index_column(entry: &str) -> Result<(&str, &str), String> {
    let entry = entry.trim_start();
    if !entry.starts_with('(') {
        let end = entry.find(char::is_whitespace).unwrap_or(entry.len());
        if end == 0 {
            return Err("an index column is empty".to_string());
        }
        return Ok(entry.split_at(end));
    }
    // The matching parenthesis, outside quoted strings and identifiers.
    let (mut depth, mut quote) = (0usize, None::<char>);
    for (i, ch) in entry.char_indices() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(ch),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 {
                    return Ok(entry.split_at(i + 1));
                }
            }
            _ => {}
        }
    }
    Err(format!("`{entry}` opens a parenthesis it does not close"))
}

/// An index entry that is an expression in parentheses rather than a column name.
pub fn is_index_expression(column: &str) -> bool {
    column.starts_with('(')
}

/// `10MiB`, `512 KB`, `1GiB`, `100` (bytes).
pub fn parse_size(text: &str) -> Option<u64> {
    text.trim()
        .parse::<bytesize::ByteSize>()
        .ok()
        .map(|size| size.as_u64())
}

/// A size as the file spells it, in bytes; `None` when it is not a size (validation said so).
pub fn size_bytes(size: &Size) -> Option<u64> {
    match size {
        Size::Bytes(bytes) => Some(*bytes),
        Size::Text(text) => parse_size(text),
    }
}

impl Runtime {
    /// Every runtime a function may name, in the order they are listed.
    pub const ALL: [Runtime; 4] = [
        Runtime::Node20,
        Runtime::Node22,
        Runtime::Python312,
        Runtime::Deno2,
    ];

    /// The name the file uses, which is also the runtime image's name.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Node20 => "node-20",
            Runtime::Node22 => "node-22",
            Runtime::Python312 => "python-3.12",
            Runtime::Deno2 => "deno-2",
        }
    }

    /// The runtime the file calls `name`.
    pub fn from_name(name: &str) -> Option<Runtime> {
        Runtime::ALL
            .into_iter()
            .find(|runtime| runtime.name() == name)
    }
}

/// A gateway address: `ADDRESS:PORT`, or `PORT` alone (on loopback).
pub fn parse_gateway(text: &str) -> anyhow::Result<SocketAddr> {
    let with_address = if text.bytes().all(|b| b.is_ascii_digit()) {
        format!("127.0.0.1:{text}")
    } else {
        text.to_string()
    };
    let address: SocketAddr = with_address.parse().map_err(|_| {
        anyhow::anyhow!(
            "`{text}` is not ADDRESS:PORT or PORT, e.g. `127.0.0.1:54321` or `0.0.0.0:8000`"
        )
    })?;
    if address.port() == 0 {
        bail!("port 0 is not a port the gateway can be reached on");
    }
    Ok(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_index_columns() {
        assert_eq!(parse_index_column("created_at desc"), Ok("created_at"));
        assert_eq!(parse_index_column("a ASC NULLS LAST"), Ok("a"));
        assert!(parse_index_column("a sideways").is_err());
        assert_eq!(
            parse_index_column("(lower(email)) desc nulls last"),
            Ok("(lower(email))")
        );
        assert_eq!(
            parse_index_column("((data ->> 'a)b'))"),
            Ok("((data ->> 'a)b'))")
        );
        assert!(parse_index_column("(lower(email)").is_err());
    }

    #[test]
    fn parses_sizes() {
        assert_eq!(parse_size("10MiB"), Some(10 * 1024 * 1024));
        assert_eq!(parse_size("512KB"), Some(512_000));
        assert_eq!(parse_size("100"), Some(100));
        assert_eq!(parse_size("ten megs"), None);
    }
}

/// The password of `url` when it logs in as `user` (percent-decoded), else `None`.
pub fn password_of(url: &str, user: &str) -> Result<Option<String>, String> {
    let url = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    if url.username() != user {
        return Ok(None);
    }
    let Some(password) = url.password() else {
        return Ok(None);
    };
    percent_encoding::percent_decode_str(password)
        .decode_utf8()
        .map(|p| Some(p.into_owned()))
        .map_err(|_| "its password is not UTF-8".to_string())
}

#[cfg(test)]
mod password_tests {
    use super::password_of;

    #[test]
    fn the_password_of_a_url_for_its_user_only() {
        assert_eq!(
            password_of(
                "postgres://authenticator:p%40ss@db.internal:5432/app",
                "authenticator"
            ),
            Ok(Some("p@ss".to_string()))
        );
        assert_eq!(
            password_of("postgres://postgres:x@h/app", "authenticator"),
            Ok(None)
        );
        assert_eq!(
            password_of("postgres://authenticator@h/app", "authenticator"),
            Ok(None)
        );
        assert!(password_of("not a url", "authenticator").is_err());
    }
}
