//! Connecting to Postgres: sessions named for who holds a lock, URLs redacted wherever they are
//! printed, and who is acting.

use sqlx::{Connection, PgConnection};

use crate::deploy::DeployError;
use crate::normalize::database_message;

/// `postgres://user:***@host/db`: a URL fit to print.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_string(),
    };
    let path = match path.split_once("password=") {
        Some((before, after)) => {
            let end = after.find('&').unwrap_or(after.len());
            format!("{before}password=***{}", &after[end..])
        }
        None => path.to_string(),
    };
    format!("{scheme}://{authority}{path}")
}

/// Connects, naming the session so other deploys (and DBAs) can see who holds the lock.
pub async fn connect(url: &str, application_name: &str) -> Result<PgConnection, DeployError> {
    use sqlx::postgres::PgConnectOptions;
    let options: PgConnectOptions = url.parse().map_err(|e: sqlx::Error| DeployError::Connect {
        url: redact_url(url),
        message: e.to_string(),
    })?;
    let options = options.application_name(application_name);
    PgConnection::connect_with(&options)
        .await
        .map_err(|e| DeployError::Connect {
            url: redact_url(url),
            message: database_message(&e),
        })
}

/// Who is deploying: `APPCTL_ACTOR`, else `user@host`.
pub fn actor() -> String {
    if let Ok(actor) = std::env::var("APPCTL_ACTOR")
        && !actor.is_empty()
    {
        return actor;
    }
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_url("postgres://h/db?user=u&password=secret&sslmode=require"),
            "postgres://h/db?user=u&password=***&sslmode=require"
        );
    }
}
