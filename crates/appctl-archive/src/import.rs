//! `appctl import`: verify, create the schema through the plan engine, load every row in one
//! transaction, restore sequences, re-count.
//!
//! Resumability: the schema is deployed (and committed) first, like `appctl deploy`; all rows then load
//! in ONE transaction. An import killed at any point (SIGKILL included) leaves either the schema
//! without rows or everything: Postgres rolls the transaction back when the connection drops. A rerun
//! finds the schema equal to the archive's (an empty plan) and empty tables, and loads again: no
//! duplicates, no progress record to trust. The price is that a killed import starts its rows over.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use sha2::{Digest as _, Sha256};
use sqlx::{Connection as _, PgConnection};

use super::binary::{self, BinaryType};
pub use super::conflict::OnConflict;
use super::encode::{self, Encoding};
use super::manifest::{TableEntry, TableRole};
use super::progress::{ArchiveReporter, Counter, RowTotal};
use super::session::SESSION_SQL;
use super::tarball;
use super::verify::{self, Verified};
use appctl_pg::deploy::{self, DeployListener, DeployOptions};
use appctl_schema::plan::Plan;
use appctl_schema::quote::{ident, literal, qualified};

/// The auth service's per-instance tables that reference `auth.users`: never archived, emptied
/// when `--on-conflict replace` replaces the users.
const AUTH_SESSION_TABLES: &[&str] = &["refresh_tokens", "sessions"];

/// Bytes of COPY data sent to the server at a time.
const SEND_BYTES: usize = 1 << 20;
/// Converted row files waiting to be sent (each about 8 MiB).
const QUEUE: usize = 1;

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub database_url: String,
    pub on_conflict: OnConflict,
    pub dry_run: bool,
    /// Where progress goes.
    pub reporter: Arc<dyn ArchiveReporter>,
    /// After loading, read every table back and compare its rows' digest with the archive's.
    pub checksum: bool,
    /// The target's S3 storage, for the archive's files.
    pub storage: Option<crate::s3::S3Config>,
    /// Leave the files and `storage.objects` out.
    pub no_files: bool,
}

/// The target's schema differs from the archive's and the target is not empty: import stops.
#[derive(Debug, thiserror::Error)]
#[error(
    "the target's schema `{schema}` differs from the archive's project file ({} change(s)); import only into an empty schema or one whose plan is empty: extract the project file (`tar -xf ARCHIVE project/appctl.yaml`, through `zstd -d` first) and review it with `appctl plan`",
    .plan.steps.len()
)]
pub struct TargetDiffers {
    pub schema: String,
    pub plan: Plan,
}

#[derive(Debug, Clone)]
pub struct ImportReport {
    pub verified: Verified,
    /// The schema changes applied (or, with `dry_run`, that would be).
    pub plan: Plan,
    pub tables: Vec<TableReport>,
    pub dry_run: bool,
    /// Where the time went: (phase, seconds).
    pub timings: Vec<(&'static str, f64)>,
    /// What happens (or, with `dry_run`, would happen) to the archive's files; `None` without files.
    pub files_plan: Option<super::files::ImportPlan>,
    /// What was done on S3.
    pub files: Option<super::files::FilesReport>,
}

/// One table's import (`appctl import --json` prints it as it is).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableReport {
    pub table: String,
    /// Rows in the archive.
    pub archived: u64,
    /// Rows in the target before the import.
    pub before: i64,
    /// Rows written (inserted, or inserted + updated with upsert; new ones only for history).
    pub written: u64,
    /// Rows in the target after the import.
    pub after: i64,
    /// Rows sent with `COPY`'s binary format (the rest went as text; see [`binary`]).
    pub rows_binary: u64,
}

struct Yes;

impl DeployListener for Yes {
    fn waiting_for_lock(&mut self, _holder: &str) {}
    fn confirm(&mut self, _plan: &Plan) -> bool {
        true
    }
    fn step_done(&mut self, _step: &appctl_schema::plan::Step) {}
}

/// How one table's rows go in.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Load {
    /// `COPY` straight into the table.
    Direct,
    /// `COPY` into a temporary table, then `INSERT ... SELECT` with this suffix.
    Staged { staging: String, insert: String },
}

struct Target {
    entry: TableEntry,
    load: Load,
    before: i64,
    written: u64,
    rows_binary: u64,
    bar: Box<dyn Counter>,
}

/// Imports the archive at `path`.
pub async fn import(path: &Path, options: &ImportOptions) -> anyhow::Result<ImportReport> {
    let mut clock = std::time::Instant::now();
    let mut timings = Vec::new();
    let mut lap = |name: &'static str, timings: &mut Vec<(&'static str, f64)>| {
        timings.push((name, clock.elapsed().as_secs_f64()));
        clock = std::time::Instant::now();
    };
    let mut verified = verify::verify(path)?;
    lap("verify", &mut timings);
    // Storage files: checked against the target's buckets before any write (reads only).
    let files_plan = super::files::prepare_import(
        &mut verified.manifest,
        options.storage.as_ref(),
        options.no_files,
        options.on_conflict,
    )
    .await?;
    let file: appctl_project::file::ProjectFile =
        serde_yaml_ng::from_str(&verified.project_file)
            .context("the archived project file (project/appctl.yaml) cannot be read")?;
    let desired = appctl_schema::lower::lower(&file);
    let schema = desired.schema.clone();
    let mut conn = deploy::connect(&options.database_url, "appctl import").await?;
    sqlx::raw_sql(SESSION_SQL).execute(&mut conn).await?;

    let actual = appctl_pg::inspect::inspect(&mut conn, &schema)
        .await
        .map_err(deploy::DeployError::from)?;
    // The archived project file is inspected, so it names no functions; their records and packages
    // travel as rows (appctl.functions, appctl.function_packages). The plan leaves the target's
    // records as they are.
    let mut desired = desired;
    desired.functions = actual.functions.clone();
    // An empty schema gets the deploy straight away (its plan is made there, once).
    if !actual.tables.is_empty() || options.dry_run {
        let plan = deploy::make_plan_with(&mut conn, &desired, false, true).await?;
        if !actual.tables.is_empty() && !plan.is_empty() {
            return Err(TargetDiffers { schema, plan }.into());
        }
        if options.dry_run {
            return dry_run(&mut conn, verified, plan, files_plan).await;
        }
    }
    let deploy_options = DeployOptions {
        bootstrap: true,
        ..DeployOptions::default()
    };
    let outcome = deploy::deploy(&mut conn, &desired, None, &deploy_options, &mut Yes)
        .await
        .context("cannot create the archive's schema in the target")?;
    lap("schema", &mut timings);

    let mut tx = conn.begin().await?;
    sqlx::raw_sql("SET LOCAL statement_timeout = 0")
        .execute(&mut *tx)
        .await?;
    let mut targets = Vec::new();
    for (index, entry) in verified.manifest.tables.iter().enumerate() {
        check_table(&mut tx, entry).await?;
        let before = count(&mut tx, entry).await?;
        let load = plan_load(entry, options.on_conflict, index)?;
        if let Load::Staged { staging, .. } = &load {
            sqlx::raw_sql(&format!(
                "CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA",
                ident(staging),
                super::catalog::column_list(entry),
                qualified(&entry.schema, &entry.name)
            ))
            .execute(&mut *tx)
            .await?;
        }
        let bar = options
            .reporter
            .table_rows(&entry.label(), RowTotal::Exact(entry.rows));
        targets.push(Target {
            entry: entry.clone(),
            load,
            before,
            written: 0,
            rows_binary: 0,
            bar,
        });
    }
    if options.on_conflict == OnConflict::Replace {
        let names: Vec<String> = targets
            .iter()
            .filter(|t| t.entry.role != TableRole::History && matches!(t.load, Load::Direct))
            .map(|t| qualified(&t.entry.schema, &t.entry.name))
            .collect();
        let mut names = names;
        // Sessions belong to the instance, not the archive: replacing the users ends them (they
        // reference `auth.users`, so the users could not be emptied otherwise).
        if names.iter().any(|n| n == &qualified("auth", "users")) {
            for table in AUTH_SESSION_TABLES {
                let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
                    .bind(format!("auth.{table}"))
                    .fetch_one(&mut *tx)
                    .await?;
                if exists {
                    names.push(qualified("auth", table));
                }
            }
        }
        if !names.is_empty() {
            sqlx::raw_sql(&format!("TRUNCATE {}", names.join(", ")))
                .execute(&mut *tx)
                .await
                .context("--on-conflict replace cannot empty the archived tables (a table left out of the archive may reference them; add it, or use --on-conflict upsert)")?;
        }
    }
    // Load first, then build indexes and validate foreign keys once each.
    let deferred = drop_deferrable(&mut tx, &targets, options.on_conflict).await?;
    lap("prepare", &mut timings);
    let waited = load_rows(path, &verified, &mut tx, &mut targets).await?;
    lap("rows", &mut timings);
    timings.push(("of which waiting for the archive", waited.as_secs_f64()));
    for statement in &deferred {
        if let Err(error) = sqlx::raw_sql(statement).execute(&mut *tx).await {
            let duplicate = error
                .as_database_error()
                .and_then(|e| e.code())
                .is_some_and(|code| code == "23505");
            let message = appctl_pg::normalize::database_message(&error);
            if duplicate {
                bail!(
                    "the archive holds two rows with the same key ({message}); the import was rolled back"
                );
            }
            bail!(
                "after loading the rows, `{statement}` failed: {message}; the import was rolled back"
            );
        }
    }
    // After the keys: the largest key is then read from an index, not by scanning the table.
    restore_sequences(&mut tx, &targets).await?;
    lap("indexes and keys", &mut timings);
    let mut tables = Vec::new();
    let mut problems = Vec::new();
    for target in &targets {
        let after = count(&mut tx, &target.entry).await?;
        let archived = target.entry.rows as i64;
        let buckets = target.entry.role == TableRole::Storage && target.entry.name == "buckets";
        let expected = match (options.on_conflict, target.entry.role, &target.load) {
            (_, TableRole::History, _) => None,
            // Always upserted (the deploy wrote the declared buckets): at least the archive's rows.
            _ if buckets => None,
            (OnConflict::Replace, _, Load::Direct) => Some(archived),
            (_, _, Load::Direct) => Some(target.before + archived),
            (OnConflict::Skip, _, Load::Staged { .. }) => {
                Some(target.before + target.written as i64)
            }
            _ => None,
        };
        if let Some(expected) = expected
            && after != expected
        {
            problems.push(format!(
                "{} holds {after} rows after the import, expected {expected}",
                target.entry.label()
            ));
        }
        if after < archived && target.entry.role != TableRole::History {
            problems.push(format!(
                "{} holds {after} rows, fewer than the archive's {archived}",
                target.entry.label()
            ));
        }
        let loaded_alone = target.before == 0 || options.on_conflict == OnConflict::Replace;
        if options.checksum
            && loaded_alone
            && target.load == Load::Direct
            && let Some(expected) = &target.entry.rows_digest
        {
            let actual = read_back_digest(&mut tx, &target.entry).await?;
            if &actual != expected {
                problems.push(format!(
                    "{} reads back with digest {actual}, the archive's is {expected}",
                    target.entry.label()
                ));
            }
        }
        tables.push(TableReport {
            table: target.entry.label(),
            archived: target.entry.rows,
            before: target.before,
            written: target.written,
            after,
            rows_binary: target.rows_binary,
        });
    }
    if !problems.is_empty() {
        bail!(
            "the import was rolled back: the target does not hold what the archive holds:\n  - {}",
            problems.join("\n  - ")
        );
    }
    lap("counts", &mut timings);
    // Files go in while the rows' transaction is open: if they fail, no row is committed.
    let files = match (&files_plan, &options.storage) {
        (Some(plan), Some(storage)) => {
            let bar = options.reporter.file_bytes(Some(plan.upload_bytes()));
            let report = super::files::apply(path, storage, plan, bar.as_ref()).await?;
            bar.finish();
            lap("files", &mut timings);
            Some(report)
        }
        _ => None,
    };
    // The import is part of the target's record, committed with the rows.
    let detail = serde_json::json!({
        "source": verified.manifest.source,
        "exported_at": verified.manifest.created_at,
        "rows": tables.iter().map(|t| t.archived).sum::<u64>(),
        "tables": tables.len(),
        "files": files_plan.as_ref().map(|p| p.files.len()),
    });
    appctl_pg::bookkeeping::Bookkeeping::on(&mut tx)
        .record_audit("import", detail)
        .await?;
    tx.commit().await.context("cannot commit the import")?;
    lap("commit", &mut timings);
    Ok(ImportReport {
        verified,
        plan: outcome.plan,
        tables,
        dry_run: false,
        timings,
        files_plan,
        files,
    })
}

async fn dry_run(
    conn: &mut PgConnection,
    verified: Verified,
    plan: Plan,
    files_plan: Option<super::files::ImportPlan>,
) -> anyhow::Result<ImportReport> {
    let mut tables = Vec::new();
    for table in &verified.manifest.tables {
        let before = count_if_exists(conn, table).await?;
        tables.push(TableReport {
            table: table.label(),
            archived: table.rows,
            before,
            written: 0,
            after: before,
            rows_binary: 0,
        });
    }
    Ok(ImportReport {
        verified,
        plan,
        tables,
        dry_run: true,
        timings: Vec::new(),
        files_plan,
        files: None,
    })
}

fn plan_load(entry: &TableEntry, mode: OnConflict, index: usize) -> anyhow::Result<Load> {
    let staging = format!("appctl_import_{index}");
    let columns = super::catalog::column_list(entry);
    let target = qualified(&entry.schema, &entry.name);
    let select = format!(
        "INSERT INTO {target} ({columns}) OVERRIDING SYSTEM VALUE SELECT {columns} FROM {}",
        ident(&staging)
    );
    let upsert = |what: &str| -> anyhow::Result<String> {
        if entry.primary_key.is_empty() {
            bail!(
                "{what} needs a primary key and {} has none; use --on-conflict fail, skip or replace",
                entry.label()
            );
        }
        let updates: Vec<String> = entry
            .columns
            .iter()
            .filter(|c| !entry.primary_key.contains(&c.name))
            .map(|c| format!("{0} = EXCLUDED.{0}", ident(&c.name)))
            .collect();
        let key: Vec<String> = entry.primary_key.iter().map(|c| ident(c)).collect();
        Ok(if updates.is_empty() {
            format!("{select} ON CONFLICT ({}) DO NOTHING", key.join(", "))
        } else {
            format!(
                "{select} ON CONFLICT ({}) DO UPDATE SET {}",
                key.join(", "),
                updates.join(", ")
            )
        })
    };
    Ok(match (entry.role, mode) {
        // Appended: the target keeps its own history; entries it has already are not repeated.
        (TableRole::History, _) => {
            let columns: Vec<String> = entry
                .columns
                .iter()
                .filter(|c| c.name != "id")
                .map(|c| ident(&c.name))
                .collect();
            let columns = columns.join(", ");
            let order = if entry.columns.iter().any(|c| c.name == "id") {
                " ORDER BY s.\"id\""
            } else {
                ""
            };
            Load::Staged {
                insert: format!(
                    "INSERT INTO {target} ({columns}) SELECT {columns} FROM {} s WHERE NOT EXISTS (SELECT 1 FROM {target} d WHERE {}){order}",
                    ident(&staging),
                    same_history_entry(entry)
                ),
                staging,
            }
        }
        // The deploy of the archived project file wrote its buckets already; the archive's rows win.
        // storage.objects (possibly not archived) references them, so they are never emptied either.
        (TableRole::Storage, _) if entry.name == "buckets" => Load::Staged {
            insert: upsert("a bucket")?,
            staging,
        },
        (_, OnConflict::Fail | OnConflict::Replace) => Load::Direct,
        (_, OnConflict::Skip) => Load::Staged {
            insert: format!("{select} ON CONFLICT DO NOTHING"),
            staging,
        },
        (_, OnConflict::Upsert) => Load::Staged {
            insert: upsert("--on-conflict upsert")?,
            staging,
        },
    })
}

/// When a history row of the archive (`s`) is one the target (`d`) has already: the same event
/// for logs (their ids differ between instances), the same key for records and packages.
fn same_history_entry(entry: &TableEntry) -> String {
    let columns: Vec<&str> = match entry.name.as_str() {
        "deployments" => vec!["started_at", "plan_hash", "schema_name"],
        "audit_log" => vec!["at", "action", "actor"],
        _ => entry
            .primary_key
            .iter()
            .map(String::as_str)
            .filter(|c| *c != "id")
            .collect(),
    };
    if columns.is_empty() {
        return "false".to_string();
    }
    columns
        .iter()
        .map(|c| format!("d.{0} IS NOT DISTINCT FROM s.{0}", ident(c)))
        .collect::<Vec<_>>()
        .join(" AND ")
}

async fn check_table(conn: &mut PgConnection, entry: &TableEntry) -> anyhow::Result<()> {
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT a.attname::text FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''",
    )
    .bind(qualified(&entry.schema, &entry.name))
    .fetch_all(&mut *conn)
    .await?;
    if columns.is_empty() {
        bail!(
            "the target has no table {} (the archive has {} rows for it); was it left out of the project file?",
            entry.label(),
            entry.rows
        );
    }
    let missing: Vec<&str> = entry
        .columns
        .iter()
        .filter(|c| !columns.contains(&c.name))
        .map(|c| c.name.as_str())
        .collect();
    if !missing.is_empty() {
        bail!(
            "table {} in the target lacks the archive's column(s) {}",
            entry.label(),
            missing.join(", ")
        );
    }
    Ok(())
}

/// The rows of a table read back with `COPY TO`, encoded as export encodes them, digested as export
/// digests them (see [`encode::row_digest`]).
async fn read_back_digest(conn: &mut PgConnection, entry: &TableEntry) -> anyhow::Result<String> {
    use futures_util::StreamExt as _;
    let names: Vec<String> = entry.columns.iter().map(|c| c.name.clone()).collect();
    let keys = encode::keys(&names);
    let encodings: Vec<Encoding> = entry.columns.iter().map(|c| c.encoding.clone()).collect();
    let mut stream = conn
        .copy_out_raw(&super::catalog::copy_out_sql(entry))
        .await
        .with_context(|| format!("cannot read {} back", entry.label()))?;
    let mut digest = 0u128;
    let mut pending: Vec<u8> = Vec::new();
    let mut line_json = Vec::new();
    while let Some(chunk) = stream.next().await {
        pending.extend_from_slice(&chunk?);
        let mut start = 0;
        while let Some(offset) = pending[start..].iter().position(|&b| b == b'\n') {
            line_json.clear();
            encode::copy_line_to_json(
                &pending[start..start + offset],
                &keys,
                &encodings,
                &mut line_json,
            )
            .map_err(|e| anyhow::anyhow!("{}: {e}", entry.label()))?;
            digest = digest.wrapping_add(encode::row_digest(&line_json));
            start += offset + 1;
        }
        pending.drain(..start);
    }
    Ok(encode::digest_hex(digest))
}

async fn count(conn: &mut PgConnection, entry: &TableEntry) -> anyhow::Result<i64> {
    sqlx::query_scalar(&format!(
        "SELECT count(*) FROM {}",
        qualified(&entry.schema, &entry.name)
    ))
    .fetch_one(&mut *conn)
    .await
    .with_context(|| format!("cannot count the rows of {}", entry.label()))
}

async fn count_if_exists(conn: &mut PgConnection, entry: &TableEntry) -> anyhow::Result<i64> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(qualified(&entry.schema, &entry.name))
        .fetch_one(&mut *conn)
        .await?;
    if exists {
        count(conn, entry).await
    } else {
        Ok(0)
    }
}

/// Drops the foreign keys of every archived table, the non-unique indexes of the project's tables,
/// and the primary and unique keys of project tables that are loaded empty with plain COPY and that
/// nothing references any more (as pg_restore does: load, then build each index once). All in the
/// load transaction, so nobody sees them missing. Returns the statements that restore them: keys,
/// then indexes, then foreign keys (validated once each, in bulk).
async fn drop_deferrable(
    conn: &mut PgConnection,
    targets: &[Target],
    on_conflict: OnConflict,
) -> anyhow::Result<Vec<String>> {
    let mut keys_back = Vec::new();
    let mut indexes = Vec::new();
    let mut foreign_keys = Vec::new();
    for target in targets {
        let table = qualified(&target.entry.schema, &target.entry.name);
        foreign_keys.extend(detach_constraints(conn, &table, &["f"]).await?);
        if target.entry.role != TableRole::Project {
            continue;
        }
        let defs: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT n.nspname::text, c.relname::text, pg_get_indexdef(i.indexrelid)
             FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE i.indrelid = to_regclass($1) AND NOT i.indisunique AND NOT i.indisprimary
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid)
             ORDER BY c.relname",
        )
        .bind(&table)
        .fetch_all(&mut *conn)
        .await?;
        for (schema, name, definition) in defs {
            sqlx::raw_sql(&format!("DROP INDEX {}", qualified(&schema, &name)))
                .execute(&mut *conn)
                .await?;
            indexes.push(definition);
        }
    }
    for target in targets {
        let empty = target.before == 0 || on_conflict == OnConflict::Replace;
        if target.entry.role != TableRole::Project || target.load != Load::Direct || !empty {
            continue;
        }
        let table = qualified(&target.entry.schema, &target.entry.name);
        let referenced: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE contype = 'f' AND confrelid = to_regclass($1))",
        )
        .bind(&table)
        .fetch_one(&mut *conn)
        .await?;
        if referenced {
            continue; // a table left out of the archive still points at it
        }
        keys_back.extend(detach_constraints(conn, &table, &["p", "u"]).await?);
    }
    keys_back.extend(indexes);
    keys_back.extend(foreign_keys);
    Ok(keys_back)
}

/// A row file converted to `COPY` data, ready to send.
struct Converted {
    target: usize,
    copy: Vec<u8>,
    rows: u64,
    /// `COPY`'s binary format (else text).
    binary: bool,
}

/// How a table's row files are converted: its columns, their encodings in the archive, and their
/// binary types when every column has one (see [`binary`]).
struct Shape {
    columns: Vec<String>,
    encodings: Vec<Encoding>,
    binary: Option<Vec<BinaryType>>,
}

impl Shape {
    async fn of(conn: &mut PgConnection, entry: &TableEntry) -> anyhow::Result<Shape> {
        Ok(Shape {
            columns: entry.columns.iter().map(|c| c.name.clone()).collect(),
            encodings: entry.columns.iter().map(|c| c.encoding.clone()).collect(),
            binary: binary_types(conn, entry).await?,
        })
    }
}

/// The binary type of each of `entry`'s columns in the target (the staging table of a staged load has
/// the same types), or `None` when one has none or the archive encodes it otherwise.
async fn binary_types(
    conn: &mut PgConnection,
    entry: &TableEntry,
) -> anyhow::Result<Option<Vec<BinaryType>>> {
    let found: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT a.attname::text, n.nspname::text, t.typname::text, t.typtype::text,
                coalesce(r.proname::text, '')
         FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
         JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
         LEFT JOIN pg_catalog.pg_proc r ON r.oid = t.typreceive
         WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
    )
    .bind(qualified(&entry.schema, &entry.name))
    .fetch_all(&mut *conn)
    .await
    .with_context(|| format!("cannot read the column types of {}", entry.label()))?;
    Ok(entry
        .columns
        .iter()
        .map(|column| {
            let (_, schema, name, typtype, receive) = found.iter().find(|f| f.0 == column.name)?;
            BinaryType::of(schema, name, typtype, receive).filter(|ty| ty.matches(&column.encoding))
        })
        .collect())
}

/// Drops `table`'s constraints of the given kinds (`f`, `p`, `u`) and returns the statements that
/// add them back, in kind then name order.
async fn detach_constraints(
    conn: &mut PgConnection,
    table: &str,
    kinds: &[&str],
) -> anyhow::Result<Vec<String>> {
    let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint
         WHERE conrelid = to_regclass($1) AND contype::text = ANY($2) ORDER BY contype, conname",
    )
    .bind(table)
    .bind(&kinds)
    .fetch_all(&mut *conn)
    .await?;
    let mut add_back = Vec::with_capacity(keys.len());
    for (name, definition) in keys {
        sqlx::raw_sql(&format!(
            "ALTER TABLE {table} DROP CONSTRAINT {}",
            ident(&name)
        ))
        .execute(&mut *conn)
        .await?;
        add_back.push(format!(
            "ALTER TABLE {table} ADD CONSTRAINT {} {definition}",
            ident(&name)
        ));
    }
    Ok(add_back)
}

/// Reads the archive a second time and loads each row file. A compressed file is hashed again as it
/// is read (its own bytes: a tenth of hashing every entry again), an uncompressed one entry by
/// entry, and compared with what verification found before the transaction commits: the file may
/// have changed since.
/// A reader thread decompresses and converts JSON to `COPY` data (binary where it can, see
/// [`binary`]) while this task sends the previous file, so conversion and the server's parsing
/// overlap. Returns how long this task waited for the reader.
async fn load_rows(
    path: &Path,
    verified: &Verified,
    conn: &mut PgConnection,
    targets: &mut [Target],
) -> anyhow::Result<std::time::Duration> {
    let mut by_part: BTreeMap<String, usize> = BTreeMap::new();
    for (index, target) in targets.iter().enumerate() {
        for part in &target.entry.parts {
            by_part.insert(part.clone(), index);
        }
    }
    let sums: BTreeMap<String, (u64, String)> = verified
        .manifest
        .entries
        .iter()
        .map(|e| (e.path.clone(), (e.size, e.sha256.clone())))
        .collect();
    let mut shapes: Vec<Shape> = Vec::with_capacity(targets.len());
    for target in targets.iter() {
        shapes.push(Shape::of(conn, &target.entry).await?);
    }
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<anyhow::Result<Converted>>(QUEUE);
    // Buffers the sender is done with go back to the reader, which reuses them.
    let (spare_sender, spare) = std::sync::mpsc::channel::<Vec<u8>>();
    let reader = RowFileReader {
        archive: path.to_path_buf(),
        wanted: by_part.clone(),
        sums,
        shapes,
        verified_file: verified.file_sha256.clone(),
    }
    .spawn(sender, spare);
    let result = load_converted(conn, targets, &mut receiver, &spare_sender).await;
    // Closing the channel lets the reader thread stop at its next file (it may be waiting to send
    // one), so the join cannot hang when loading failed.
    drop(receiver);
    let _ = reader.join();
    let (loaded, waited) = result?;
    let total = by_part.len();
    if loaded != total {
        bail!(
            "the archive changed since it was verified: {loaded} of {total} row files were found; nothing was imported"
        );
    }
    for target in targets.iter() {
        target.bar.finish();
    }
    Ok(waited)
}

/// Loads each row file as the reader thread hands it over, and gives its buffer back for reuse.
/// Returns how many were loaded and how long this task waited for them.
async fn load_converted(
    conn: &mut PgConnection,
    targets: &mut [Target],
    receiver: &mut tokio::sync::mpsc::Receiver<anyhow::Result<Converted>>,
    spare_sender: &std::sync::mpsc::Sender<Vec<u8>>,
) -> anyhow::Result<(usize, std::time::Duration)> {
    let mut loaded = 0usize;
    let mut waited = std::time::Duration::ZERO;
    loop {
        let asked = std::time::Instant::now();
        let Some(item) = receiver.recv().await else {
            break;
        };
        waited += asked.elapsed();
        let converted = item?;
        let buffer = load_part(conn, &mut targets[converted.target], converted).await?;
        let _ = spare_sender.send(buffer);
        loaded += 1;
    }
    Ok((loaded, waited))
}

/// What the reader thread of [`load_rows`] needs: the row files to read, what verification found
/// for them, and how to convert each.
struct RowFileReader {
    archive: PathBuf,
    /// Each row file's target, by index.
    wanted: BTreeMap<String, usize>,
    /// Each entry's size and sha256, as verified.
    sums: BTreeMap<String, (u64, String)>,
    /// Each target's shape, by index.
    shapes: Vec<Shape>,
    /// The archive file's sha256, as verified (`None` for an uncompressed archive).
    verified_file: Option<String>,
}

impl RowFileReader {
    /// Reads on a thread of its own; a failure is sent as the last item.
    fn spawn(
        self,
        sender: tokio::sync::mpsc::Sender<anyhow::Result<Converted>>,
        spare: std::sync::mpsc::Receiver<Vec<u8>>,
    ) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            if let Err(error) = self.read(&sender, &spare) {
                let _ = sender.blocking_send(Err(error));
            }
        })
    }

    /// Converts and sends each row file in the archive's order, then checks the archive file is
    /// the one verified. Stops early, without an error, when the receiver is gone.
    fn read(
        &self,
        sender: &tokio::sync::mpsc::Sender<anyhow::Result<Converted>>,
        spare: &std::sync::mpsc::Receiver<Vec<u8>>,
    ) -> anyhow::Result<()> {
        let (mut archive, file_digest) = tarball::open_hashed(&self.archive)?;
        let mut bytes = Vec::new();
        for entry in archive.entries()? {
            let mut entry = entry?;
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Some(&target) = self.wanted.get(&name) else {
                continue;
            };
            let Some((size, sha)) = self.sums.get(&name) else {
                continue;
            };
            bytes.clear();
            (&mut entry).take(size + 1).read_to_end(&mut bytes)?;
            // An uncompressed archive has no file digest (see below): each row file is hashed.
            if bytes.len() as u64 != *size
                || (file_digest.is_none() && hex::encode(Sha256::digest(&bytes)) != *sha)
            {
                bail!("{name} changed since it was verified; nothing was imported");
            }
            let text =
                std::str::from_utf8(&bytes).with_context(|| format!("{name} is not UTF-8"))?;
            let copy = spare.try_recv().unwrap_or_default();
            let converted = convert(&name, text, &self.shapes[target], target, copy)?;
            if sender.blocking_send(Ok(converted)).is_err() {
                return Ok(());
            }
        }
        // The whole file, byte for byte, is the one verified: so is every row file just loaded.
        tarball::drain(archive)?;
        if file_digest.map(|d| d.hex()) != self.verified_file {
            bail!(
                "{} changed since it was verified; nothing was imported",
                self.archive.display()
            );
        }
        Ok(())
    }
}

/// Converts the row file `name` (its JSON lines in `text`) to `COPY` data for `target`, in `copy`
/// (a buffer given back for reuse, cleared first).
fn convert(
    name: &str,
    text: &str,
    shape: &Shape,
    target: usize,
    mut copy: Vec<u8>,
) -> anyhow::Result<Converted> {
    copy.clear();
    copy.reserve(text.len());
    let mut rows = 0u64;
    // Binary where every value allows it, text otherwise (see `binary`).
    let binary = match &shape.binary {
        Some(types) => match binary::convert_file(text, &shape.columns, types, &mut copy) {
            Some(n) => {
                rows = n;
                true
            }
            None => {
                copy.clear();
                false
            }
        },
        None => false,
    };
    if !binary {
        for (number, line) in text.lines().enumerate() {
            encode::json_to_copy_line(line, &shape.columns, &shape.encodings, &mut copy)
                .map_err(|e| anyhow::anyhow!("{name}, line {}: {e}", number + 1))?;
            rows += 1;
        }
    }
    Ok(Converted {
        target,
        copy,
        rows,
        binary,
    })
}

async fn load_part(
    conn: &mut PgConnection,
    target: &mut Target,
    converted: Converted,
) -> anyhow::Result<Vec<u8>> {
    let entry = &target.entry;
    let label = entry.label();
    let into = match &target.load {
        Load::Direct => qualified(&entry.schema, &entry.name),
        Load::Staged { staging, .. } => ident(staging),
    };
    let mut copy = conn
        .copy_in_raw(&format!(
            "COPY {into} ({}) FROM STDIN{}",
            super::catalog::column_list(entry),
            if converted.binary {
                " (FORMAT binary)"
            } else {
                ""
            }
        ))
        .await
        .with_context(|| format!("cannot load {label}"))?;
    for chunk in converted.copy.chunks(SEND_BYTES) {
        if let Err(error) = copy.send(chunk).await {
            return Err(conflict_hint(error, &label));
        }
    }
    copy.finish()
        .await
        .map_err(|error| conflict_hint(error, &label))?;
    match &target.load {
        Load::Direct => target.written += converted.rows,
        Load::Staged { staging, insert } => {
            let done = sqlx::raw_sql(insert)
                .execute(&mut *conn)
                .await
                .map_err(|error| conflict_hint(error, &label))?;
            target.written += done.rows_affected();
            sqlx::raw_sql(&format!("TRUNCATE {}", ident(staging)))
                .execute(&mut *conn)
                .await?;
        }
    }
    if converted.binary {
        target.rows_binary += converted.rows;
    }
    target.bar.add(converted.rows);
    Ok(converted.copy)
}

fn conflict_hint(error: sqlx::Error, label: &str) -> anyhow::Error {
    let unique = error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "23505");
    let message = appctl_pg::normalize::database_message(&error);
    if unique {
        anyhow::anyhow!(
            "{label}: a row of the archive has the key of a row the target has ({message}); the import was rolled back. Choose --on-conflict skip, upsert or replace"
        )
    } else {
        anyhow::anyhow!("cannot load {label}: {message}; the import was rolled back")
    }
}

/// Sets each identity and serial sequence to the archive's value, or past the largest key loaded.
async fn restore_sequences(conn: &mut PgConnection, targets: &[Target]) -> anyhow::Result<()> {
    for target in targets {
        let entry = &target.entry;
        let table = qualified(&entry.schema, &entry.name);
        for sequence in &entry.sequences {
            let max: Option<i64> = sqlx::query_scalar(&format!(
                "SELECT max({})::int8 FROM {table}",
                ident(&sequence.column)
            ))
            .fetch_one(&mut *conn)
            .await?;
            let last: i64 = sequence.last_value.parse().with_context(|| {
                format!(
                    "{}: sequence value `{}` is not a number",
                    entry.label(),
                    sequence.last_value
                )
            })?;
            let (value, called) = match max {
                Some(max) if max >= last => (max, true),
                _ => (last, sequence.is_called),
            };
            sqlx::raw_sql(&format!(
                "SELECT setval(pg_get_serial_sequence({}, {}), {value}, {called})",
                literal(&table),
                literal(&sequence.column)
            ))
            .execute(&mut *conn)
            .await
            .with_context(|| {
                format!(
                    "cannot restore the sequence of {}.{}",
                    entry.label(),
                    sequence.column
                )
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Column;

    fn entry(role: TableRole, key: &[&str]) -> TableEntry {
        TableEntry {
            schema: "public".into(),
            name: "t".into(),
            role,
            columns: ["id", "body"]
                .iter()
                .map(|n| Column {
                    name: n.to_string(),
                    pg_type: "text".into(),
                    encoding: Encoding::String,
                })
                .collect(),
            primary_key: key.iter().map(|k| k.to_string()).collect(),
            rows: 0,
            parts: Vec::new(),
            sequences: Vec::new(),
            rows_digest: None,
        }
    }

    #[test]
    fn conflict_modes_choose_their_load() {
        let project = entry(TableRole::Project, &["id"]);
        assert_eq!(
            plan_load(&project, OnConflict::Fail, 0).unwrap(),
            Load::Direct
        );
        assert_eq!(
            plan_load(&project, OnConflict::Replace, 0).unwrap(),
            Load::Direct
        );
        let Load::Staged { insert, .. } = plan_load(&project, OnConflict::Upsert, 3).unwrap()
        else {
            panic!("upsert stages")
        };
        assert!(
            insert.contains("ON CONFLICT (\"id\") DO UPDATE SET \"body\" = EXCLUDED.\"body\""),
            "{insert}"
        );
        assert!(insert.contains("\"appctl_import_3\""));
        let Load::Staged { insert, .. } = plan_load(&project, OnConflict::Skip, 0).unwrap() else {
            panic!("skip stages")
        };
        assert!(insert.ends_with("ON CONFLICT DO NOTHING"));
        let keyless = entry(TableRole::Project, &[]);
        let error = plan_load(&keyless, OnConflict::Upsert, 0)
            .unwrap_err()
            .to_string();
        assert!(error.contains("needs a primary key"), "{error}");
        let Load::Staged { insert, .. } =
            plan_load(&entry(TableRole::History, &["id"]), OnConflict::Fail, 0).unwrap()
        else {
            panic!("history stages")
        };
        assert!(
            insert.contains("NOT EXISTS") && !insert.contains("(\"id\""),
            "{insert}"
        );
    }
}
