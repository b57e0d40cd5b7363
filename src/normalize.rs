//! Desired state → catalog spelling, by letting Postgres itself do it.
//!
//! Postgres rewrites what it is given: `now()` stays `now()`, but `'draft'` as a default becomes
//! `'draft'::document_status`, `tokens >= 0` becomes `CHECK ((tokens >= 0))`, index and policy
//! predicates are re-printed. Comparing YAML strings with catalog strings would plan the same change
//! forever (psqldef's bug). So the desired state is created in a scratch schema inside a transaction,
//! inspected there with the same code that inspects the real schema, and the transaction is rolled
//! back: nothing is left behind, and both sides of the diff are spelled by the same server.
//! A mistake in an expression surfaces here, before any plan is shown.

use sqlx::{Connection, PgConnection};

use crate::diff::{Change, diff};
use crate::inspect::{self, InspectError};
use crate::model::Database;
use crate::{plan, render};

#[derive(Debug, thiserror::Error)]
pub enum NormalizeError {
    #[error("{object}: {message}\n  in: {sql}")]
    Statement {
        object: String,
        sql: String,
        message: String,
    },
    #[error(transparent)]
    Inspect(#[from] InspectError),
    #[error("database error while checking the project against the server: {0}")]
    Database(#[from] sqlx::Error),
}

/// Creates `desired` in a scratch schema and returns it as inspected there, reported under
/// `desired.schema`. Declared renames and online flags, which the catalog does not hold, are carried
/// over from `desired`.
pub async fn normalize(
    conn: &mut PgConnection,
    desired: &Database,
) -> Result<Database, NormalizeError> {
    normalize_after(conn, desired, &[]).await
}

/// [`normalize`], after running `prelude` in the same rolled-back transaction (`plan --bootstrap`
/// shows the plan as it will be once the platform objects exist).
pub async fn normalize_after(
    conn: &mut PgConnection,
    desired: &Database,
    prelude: &[String],
) -> Result<Database, NormalizeError> {
    let scratch = format!(
        "appctl_scratch_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let mut tx = conn.begin().await?;
    let mut result = Ok(Database::default());
    for sql in prelude {
        if let Err(error) = sqlx::raw_sql(sql).execute(&mut *tx).await {
            result = Err(NormalizeError::Statement {
                object: "bootstrap".into(),
                sql: sql.clone(),
                message: database_message(&error),
            });
            break;
        }
    }
    if result.is_ok() {
        result = build_and_inspect(&mut tx, desired, &scratch).await;
    }
    tx.rollback().await?;
    let mut normalized = result?;
    carry_over(desired, &mut normalized);
    Ok(normalized)
}

async fn build_and_inspect(
    conn: &mut PgConnection,
    desired: &Database,
    scratch: &str,
) -> Result<Database, NormalizeError> {
    sqlx::raw_sql(&format!("CREATE SCHEMA {}", render::ident(scratch)))
        .execute(&mut *conn)
        .await?;
    inspect::set_local_search_path(conn, scratch).await?;

    let mut copy = in_schema(desired, scratch);
    // Bucket rows are plain values; bucket policies are normalised on a copy of storage.objects below.
    copy.buckets.clear();
    copy.storage_policies.clear();
    copy.functions.clear();
    let empty = Database::default();
    // Created in plan order. Extensions are database-wide: `IF NOT EXISTS` creates only the missing
    // ones, inside this transaction, so they vanish with it.
    let creation = plan::plan(diff(&copy, &empty), &copy, &empty, false);
    for step in &creation.steps {
        for sql in &step.sql {
            if let Err(error) = sqlx::raw_sql(sql).execute(&mut *conn).await {
                return Err(NormalizeError::Statement {
                    object: describe(&step.change),
                    sql: sql.clone(),
                    message: with_platform_hint(database_message(&error)),
                });
            }
        }
    }
    let mut normalized = inspect::inspection_as(conn, scratch, &desired.schema)
        .await?
        .database;
    normalized.buckets = desired.buckets.clone();
    normalized.functions = desired.functions.clone();
    normalized.storage_policies = normalize_storage_policies(conn, desired, scratch).await?;
    Ok(normalized)
}

/// Bucket policies, created on a scratch copy of `storage.objects` (same columns) and read back: the
/// real table is not touched, not even locked.
async fn normalize_storage_policies(
    conn: &mut PgConnection,
    desired: &Database,
    scratch: &str,
) -> Result<Vec<crate::model::Policy>, NormalizeError> {
    if desired.storage_policies.is_empty() {
        return Ok(Vec::new());
    }
    let storage_copy = format!("{scratch}_storage");
    let setup = format!(
        "CREATE SCHEMA {schema}; CREATE TABLE {schema}.\"objects\" (LIKE \"storage\".\"objects\")",
        schema = render::ident(&storage_copy)
    );
    if let Err(error) = sqlx::raw_sql(&setup).execute(&mut *conn).await {
        return Err(NormalizeError::Statement {
            object: "buckets".into(),
            sql: setup,
            message: with_platform_hint(database_message(&error)),
        });
    }
    for policy in &desired.storage_policies {
        let change = Change::CreateStoragePolicy {
            policy: policy.clone(),
        };
        let sql = render::statements(&change, scratch, false)
            .concat()
            .replacen(
                "ON \"storage\".\"objects\"",
                &format!("ON {}.\"objects\"", render::ident(&storage_copy)),
                1,
            );
        if let Err(error) = sqlx::raw_sql(&sql).execute(&mut *conn).await {
            return Err(NormalizeError::Statement {
                object: format!("bucket policy `{}`", policy.name),
                sql,
                message: with_platform_hint(database_message(&error)),
            });
        }
    }
    let relation = format!("{}.\"objects\"", render::ident(&storage_copy));
    Ok(inspect::policies_of(conn, &desired.schema, &relation).await?)
}

/// The desired state moved to `schema`, foreign keys within it following.
fn in_schema(desired: &Database, schema: &str) -> Database {
    let mut copy = desired.clone();
    copy.schema = schema.to_string();
    for table in copy.tables.values_mut() {
        for fk in &mut table.foreign_keys {
            if fk.ref_schema == desired.schema {
                fk.ref_schema = schema.to_string();
            }
        }
    }
    copy
}

fn carry_over(desired: &Database, normalized: &mut Database) {
    for (name, table) in &desired.tables {
        let Some(target) = normalized.tables.get_mut(name) else {
            continue;
        };
        target.renamed_from = table.renamed_from.clone();
        for column in &table.columns {
            if let Some(c) = target.columns.iter_mut().find(|c| c.name == column.name) {
                c.renamed_from = column.renamed_from.clone();
            }
        }
        for index in &table.indexes {
            if let Some(i) = target.indexes.iter_mut().find(|i| i.name == index.name) {
                i.renamed_from = index.renamed_from.clone();
                i.online = index.online;
            }
        }
    }
}

/// What a creation change is about, in the words of the project file.
fn describe(change: &Change) -> String {
    match change {
        Change::CreateExtension { name } => format!("extension `{name}`"),
        Change::CreateEnum { r#enum } => format!("enum `{}`", r#enum.name),
        Change::CreateTable { table, .. } => format!("table `{}`", table.name),
        Change::AddForeignKey { table, foreign_key } => {
            format!("table `{table}`: foreign key `{}`", foreign_key.name)
        }
        Change::CreateIndex { table, index } => format!("table `{table}`: index `{}`", index.name),
        Change::CreatePolicy { table, policy } => {
            format!("table `{table}`: policy `{}`", policy.name)
        }
        Change::SetTableComment { table, .. } => format!("table `{table}`: comment"),
        Change::SetColumnComment { table, column, .. } => {
            format!("table `{table}`: comment of column `{column}`")
        }
        Change::Grant { table, role, .. } => format!("table `{table}`: grant to `{role}`"),
        other => format!("{other:?}"),
    }
}

/// Missing roles or `auth` helpers mean a plain Postgres that was never bootstrapped: say how.
fn with_platform_hint(message: String) -> String {
    let platform = [
        "\"anon\"",
        "\"authenticated\"",
        "\"service_role\"",
        "auth.",
        "storage.",
    ]
    .iter()
    .any(|needle| message.contains(needle));
    if platform && (message.contains("does not exist") || message.contains("no schema")) {
        format!(
            "{message}\n  hint: this database lacks the platform roles or auth helpers; run `appctl deploy --bootstrap` once (`appctl plan --bootstrap` previews it)"
        )
    } else {
        message
    }
}

/// The server's message with its detail and hint, as a person needs it.
pub fn database_message(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => {
            let mut message = db.message().to_string();
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                if let Some(detail) = pg.detail() {
                    message.push_str(&format!(" ({detail})"));
                }
                if let Some(hint) = pg.hint() {
                    message.push_str(&format!("; hint: {hint}"));
                }
            }
            message
        }
        other => other.to_string(),
    }
}
