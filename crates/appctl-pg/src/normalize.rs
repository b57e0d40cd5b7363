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

use crate::inspect::{self, InspectError};
use appctl_schema::diff::{Change, diff};
use appctl_schema::model::Database;
use appctl_schema::{plan, render};

use crate::banks::Banks;
use crate::bookkeeping::Bookkeeping;

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
    /// Never shown: the caller normalises without banks then.
    #[error("the banked normalisation differs from the server's")]
    Banks,
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
    normalize_cached(conn, desired, prelude, &Cache::default()).await
}

/// [`normalize_after`], reusing the tables the last deploy normalised from identical input (see
/// [`Cache`]): only new or changed tables go through the scratch schema, so planning a small change
/// to a large schema costs about one inspection.
pub async fn normalize_cached(
    conn: &mut PgConnection,
    desired: &Database,
    prelude: &[String],
    cache: &Cache,
) -> Result<Database, NormalizeError> {
    let context = cache_context(conn, desired).await?;
    let mut hits = std::collections::BTreeMap::new();
    let mut misses = desired.clone();
    misses.tables.clear();
    for (name, table) in &desired.tables {
        match cache.get(name, &table_key(&context, table)) {
            Some(cached) => {
                hits.insert(name.clone(), cached.clone());
            }
            None => {
                // Foreign keys need no normalising (names and columns are as written) and would need
                // their targets in the scratch schema: taken from the desired state instead.
                let mut table = table.clone();
                table.foreign_keys.clear();
                misses.tables.insert(name.clone(), table);
            }
        }
    }
    if hits.is_empty() {
        return normalize_full(conn, desired, prelude).await;
    }
    let mut normalized =
        if misses.tables.is_empty() && misses.storage_policies.is_empty() && prelude.is_empty() {
            let mut all_cached = desired.clone();
            all_cached.tables.clear();
            all_cached
        } else {
            match normalize_full(conn, &misses, prelude).await {
                Ok(partial) => partial,
                // A changed table's policy or check may refer to an unchanged one, which is not in the
                // scratch schema: do the whole thing.
                Err(_) => return normalize_full(conn, desired, prelude).await,
            }
        };
    for (name, table) in &mut normalized.tables {
        if let Some(wanted) = desired.tables.get(name) {
            table.foreign_keys = wanted.foreign_keys.clone();
        }
    }
    normalized.tables.extend(hits);
    normalized.extensions = desired.extensions.clone();
    carry_over(desired, &mut normalized);
    Ok(normalized)
}

async fn normalize_full(
    conn: &mut PgConnection,
    desired: &Database,
    prelude: &[String],
) -> Result<Database, NormalizeError> {
    // Through banks where that is exact; anything amiss there (an error in the file among them) is
    // done again table by table, which says what the server says.
    if let Some(banks) = Banks::pack(desired)
        && let Ok(normalized) = normalize_in_scratch(conn, desired, prelude, Some(&banks)).await
    {
        return Ok(normalized);
    }
    normalize_in_scratch(conn, desired, prelude, None).await
}

async fn normalize_in_scratch(
    conn: &mut PgConnection,
    desired: &Database,
    prelude: &[String],
    banks: Option<&Banks>,
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
        result = build_and_inspect(&mut tx, desired, &scratch, banks).await;
    }
    tx.rollback().await?;
    let mut normalized = result?;
    // Extensions are database-wide: the scratch inspection sees every installed one.
    normalized.extensions = desired.extensions.clone();
    carry_over(desired, &mut normalized);
    Ok(normalized)
}

/// Tables as the last deploy normalised them, each with the key of the input it came from. Stored in
/// `appctl.normalized` by the deploy that applied them; a table whose desired form, enums,
/// extensions, schema and server version are unchanged is not sent through the server again.
#[derive(Debug, Clone, Default)]
pub struct Cache {
    entries: std::collections::HashMap<String, (String, appctl_schema::model::Table)>,
}

impl Cache {
    fn get(&self, table: &str, key: &str) -> Option<&appctl_schema::model::Table> {
        self.entries
            .get(table)
            .filter(|(stored, _)| stored == key)
            .map(|(_, table)| table)
    }

    /// The cache of `schema`, empty when there is none (or it cannot be read: it is only a cache).
    pub async fn load(conn: &mut PgConnection, schema: &str) -> Cache {
        let mut cache = Cache::default();
        for row in Bookkeeping::on(conn).normalized(schema).await {
            if let Ok(table) = serde_json::from_str(&row.state) {
                cache.entries.insert(row.table, (row.key, table));
            }
        }
        cache
    }
}

/// What every table's normalisation depends on besides the table itself.
async fn cache_context(
    conn: &mut PgConnection,
    desired: &Database,
) -> Result<String, NormalizeError> {
    let version: String = sqlx::query_scalar("SELECT current_setting('server_version_num')")
        .fetch_one(&mut *conn)
        .await?;
    let context = serde_json::json!({
        "format": 1,
        "appctl": env!("CARGO_PKG_VERSION"),
        "server": version,
        "schema": desired.schema,
        "extensions": desired.extensions,
        "enums": desired.enums,
    });
    Ok(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        context.to_string().as_bytes(),
    )))
}

fn table_key(context: &str, table: &appctl_schema::model::Table) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    hasher.update(context.as_bytes());
    hasher.update(serde_json::to_vec(table).expect("a table serializes"));
    hex::encode(hasher.finalize())
}

/// Records the normalised form of each desired table, inside the deploy's transaction.
pub async fn store_cache(
    conn: &mut PgConnection,
    desired: &Database,
    normalized: &Database,
) -> Result<(), NormalizeError> {
    let context = cache_context(conn, desired).await?;
    let mut names = Vec::new();
    let mut keys = Vec::new();
    let mut states = Vec::new();
    for (name, table) in &desired.tables {
        let Some(done) = normalized.tables.get(name) else {
            continue;
        };
        let mut done = done.clone();
        done.renamed_from = None;
        names.push(name.clone());
        keys.push(table_key(&context, table));
        states.push(serde_json::to_value(&done).expect("a table serializes"));
    }
    Bookkeeping::on(conn)
        .store_normalized(&desired.schema, names, keys, states)
        .await?;
    Ok(())
}

async fn build_and_inspect(
    conn: &mut PgConnection,
    desired: &Database,
    scratch: &str,
    banks: Option<&Banks>,
) -> Result<Database, NormalizeError> {
    sqlx::raw_sql(&format!(
        "CREATE SCHEMA {}",
        appctl_schema::quote::ident(scratch)
    ))
    .execute(&mut *conn)
    .await?;
    inspect::set_local_search_path(conn, scratch).await?;

    let mut copy = in_schema(desired, scratch);
    // Bucket rows are plain values; bucket policies are normalised on a copy of storage.objects below.
    copy.buckets.clear();
    copy.storage_policies.clear();
    copy.functions.clear();
    if let Some(banks) = banks {
        banks.apply(&mut copy);
    }
    let empty = Database::default();
    // Created in plan order. Extensions are database-wide: `IF NOT EXISTS` creates only the missing
    // ones, inside this transaction, so they vanish with it.
    let creation = plan::plan(diff(&copy, &empty), &copy, &empty, false);
    run_batched(conn, &creation.steps).await?;
    let mut normalized = inspect::inspection_as(conn, scratch, &desired.schema)
        .await?
        .database;
    if let Some(banks) = banks {
        let names = banks.member_names();
        let quoted: Vec<String> = sqlx::query_scalar(
            "SELECT quote_ident(n) FROM unnest($1::text[]) WITH ORDINALITY AS u(n, i) ORDER BY i",
        )
        .bind(&names)
        .fetch_all(&mut *conn)
        .await?;
        let quoted = names.into_iter().zip(quoted).collect();
        banks
            .unpack(desired, &mut normalized, &quoted)
            .map_err(|()| NormalizeError::Banks)?;
    }
    normalized.buckets = desired.buckets.clone();
    normalized.functions = desired.functions.clone();
    normalized.storage_policies = normalize_storage_policies(conn, desired, scratch).await?;
    Ok(normalized)
}

/// Runs every statement in one round trip (under a savepoint); only when that fails are they run
/// again one by one, to say which object is at fault.
async fn run_batched(conn: &mut PgConnection, steps: &[plan::Step]) -> Result<(), NormalizeError> {
    let script: String = steps
        .iter()
        .flat_map(|s| s.sql.iter())
        .map(|sql| format!("{sql};\n"))
        .collect();
    let mut savepoint = conn.begin().await?;
    if sqlx::raw_sql(&script)
        .execute(&mut *savepoint)
        .await
        .is_ok()
    {
        savepoint.commit().await?;
        return Ok(());
    }
    savepoint.rollback().await?;
    for step in steps {
        for sql in &step.sql {
            if let Err(error) = sqlx::raw_sql(sql).execute(&mut *conn).await {
                return Err(NormalizeError::Statement {
                    object: appctl_schema::changes::subject(&step.change),
                    sql: sql.clone(),
                    message: with_platform_hint(database_message(&error)),
                });
            }
        }
    }
    Ok(())
}

/// Bucket policies, created on a scratch copy of `storage.objects` (same columns) and read back: the
/// real table is not touched, not even locked.
async fn normalize_storage_policies(
    conn: &mut PgConnection,
    desired: &Database,
    scratch: &str,
) -> Result<Vec<appctl_schema::model::Policy>, NormalizeError> {
    if desired.storage_policies.is_empty() {
        return Ok(Vec::new());
    }
    let storage_copy = format!("{scratch}_storage");
    let setup = format!(
        "CREATE SCHEMA {schema}; CREATE TABLE {schema}.\"objects\" (LIKE \"storage\".\"objects\")",
        schema = appctl_schema::quote::ident(&storage_copy)
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
                &format!(
                    "ON {}.\"objects\"",
                    appctl_schema::quote::ident(&storage_copy)
                ),
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
    let relation = format!("{}.\"objects\"", appctl_schema::quote::ident(&storage_copy));
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

/// Missing roles or `auth` helpers mean a plain Postgres that was never bootstrapped: say how.
fn with_platform_hint(message: String) -> String {
    let platform = [
        "\"anon\"",
        "\"authenticated\"",
        "\"service_role\"",
        "auth.",
        "storage.",
        "\"auth\"",
        "\"storage\"",
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
