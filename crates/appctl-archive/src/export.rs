//! `appctl export`: one snapshot, parallel readers, one archive.
//!
//! A leader connection opens a repeatable-read transaction and exports its snapshot
//! (`pg_export_snapshot()`); it inspects the schema (the project file and schema SQL come from that
//! same snapshot) and lists the tables. Worker connections adopt the snapshot (`SET TRANSACTION
//! SNAPSHOT`) and each reads whole tables with `COPY ... TO STDOUT`, turning lines into JSON as they
//! stream in and cutting row files of about [`PART_BYTES`]. One writer thread appends them to the tar
//! stream. Memory is bounded by the part size times the parts in flight, whatever the table sizes.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, bail};
use futures_util::StreamExt as _;
use sqlx::{Connection as _, PgConnection};
use tokio::sync::mpsc;

use super::catalog::{self, FoundTable, Selection};
use super::encode;
use super::files::ExportFiles;
use super::layout::path_segment;
use super::manifest::{self, ExportedWith, FileEntry, Manifest, Source, TableEntry};
use super::progress::{ArchiveReporter, Counter, RowTotal};
use super::session::SESSION_SQL;
use super::tarball::Writer;
use super::writer::{Item, WriterStopped, send, write_items};
use appctl_pg::deploy::{self, redact_url};

/// Row files are cut after about this many bytes (a row is never split).
pub const PART_BYTES: usize = 8 * 1024 * 1024;
/// Parts waiting for the writer, across all workers.
const QUEUE: usize = 2;
/// Files of a function's source directory taken at most (a runaway directory is an error).
const MAX_FUNCTION_FILES: usize = 10_000;

#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub database_url: String,
    pub selection: Selection,
    /// The project name written into the archived project file.
    pub project: String,
    /// Functions whose source directories travel: name → directory.
    pub functions: Vec<(String, PathBuf)>,
    /// Connections reading tables at once.
    pub workers: usize,
    /// Where progress goes.
    pub reporter: Arc<dyn ArchiveReporter>,
    /// The S3 storage holding the bucket files (needed when `selection.files` and buckets exist).
    pub storage: Option<crate::s3::S3Config>,
}

#[derive(Debug, Clone)]
pub struct ExportReport {
    pub manifest: Manifest,
    /// Size of the archive file.
    pub archive_bytes: u64,
    /// Rows of `storage.objects` left out with their files (`files: false`).
    pub objects_left_out: i64,
    /// Objects on S3 that no `storage.objects` row names: not exported.
    pub orphans: Vec<(String, String)>,
    /// Files whose row's `metadata.size` differs from S3's: (bucket, key, row's, S3's).
    pub size_mismatches: Vec<(String, String, u64, u64)>,
}

/// Writes the archive `out` from the database in `options`.
pub async fn export(options: &ExportOptions, out: &Path) -> anyhow::Result<ExportReport> {
    let started = chrono::Utc::now();
    let mut leader = deploy::connect(&options.database_url, "appctl export").await?;
    sqlx::raw_sql(SESSION_SQL).execute(&mut leader).await?;
    let mut tx = leader
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    let inspected = inspect_snapshot(&mut tx, options).await?;

    let mut writer =
        Writer::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let (sender, receiver) = mpsc::channel::<Item>(QUEUE);
    let writer_thread =
        std::thread::spawn(move || write_items(&mut writer, receiver).map(|()| writer));

    let result = send_entries(
        options,
        &inspected.snapshot,
        inspected.project_yaml,
        inspected.schema_sql,
        inspected.tables,
        inspected.storage_files.as_ref(),
        &sender,
    )
    .await;
    drop(sender);
    // The snapshot must stay open until every worker has adopted it; they are done now.
    let _ = tx.rollback().await;
    let written = writer_thread
        .join()
        .map_err(|_| anyhow::anyhow!("the archive writer stopped unexpectedly"))?;
    let ((tables, files), writer) = settle_writer(result, written, out)?;

    let mut manifest = Manifest {
        format: manifest::FORMAT_ROWS,
        appctl_version: env!("CARGO_PKG_VERSION").into(),
        created_at: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        source: Source {
            database: redact_url(&options.database_url),
            server_version: inspected.server_version,
            schema: options.selection.schema.clone(),
            project: options.project.clone(),
        },
        snapshot: inspected.snapshot,
        options: ExportedWith {
            tables: options.selection.tables.clone(),
            exclude: options.selection.exclude.clone(),
            users: options.selection.users,
            files: options.selection.files,
        },
        tables,
        entries: writer.entries().to_vec(),
        buckets: Vec::new(),
        files: Vec::new(),
    };
    if let Some(storage_files) = &inspected.storage_files {
        add_storage_files(&mut manifest, storage_files, files);
    }
    let bytes = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
    let archive_bytes = writer
        .finish(manifest::MANIFEST, &bytes)
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(ExportReport {
        manifest,
        archive_bytes,
        objects_left_out: inspected.objects_left_out,
        orphans: inspected
            .storage_files
            .as_ref()
            .map(|f| f.orphans.clone())
            .unwrap_or_default(),
        size_mismatches: inspected
            .storage_files
            .map(|f| f.size_mismatches)
            .unwrap_or_default(),
    })
}

/// What the leader reads in its snapshot before any row is read.
struct Inspected {
    /// The exported snapshot, which the workers adopt.
    snapshot: String,
    server_version: String,
    /// The project file, as inspected.
    project_yaml: String,
    schema_sql: String,
    /// The tables to read.
    tables: Vec<FoundTable>,
    /// Storage's files, when they travel and buckets exist.
    storage_files: Option<ExportFiles>,
    /// Rows of `storage.objects` left out with their files (`files: false`).
    objects_left_out: i64,
}

/// Exports the snapshot of `tx` and reads in it the schema, the tables to export and storage's
/// files.
async fn inspect_snapshot(
    tx: &mut PgConnection,
    options: &ExportOptions,
) -> anyhow::Result<Inspected> {
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
        .fetch_one(&mut *tx)
        .await
        .context("cannot export a snapshot (pg_export_snapshot)")?;
    let server_version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&mut *tx)
        .await?;
    let schema = &options.selection.schema;
    let inspection = appctl_pg::inspect::inspection(&mut *tx, schema)
        .await
        .map_err(deploy::DeployError::from)?;
    if !inspection.schema_exists {
        bail!(
            "schema `{schema}` does not exist in {}",
            redact_url(&options.database_url)
        );
    }
    let pulled = appctl_schema::pull::pull(
        &inspection.database,
        &options.project,
        &inspection.unsupported,
    );
    let project_yaml =
        appctl_schema::pull::to_yaml(&pulled.file).context("cannot write the project file")?;
    let schema_sql = schema_sql(&inspection.database);
    let tables = catalog::tables(&mut *tx, &options.selection).await?;
    let storage_files = if options.selection.files {
        super::files::plan_export(&mut *tx, options.storage.as_ref()).await?
    } else {
        None
    };
    let objects_left_out: i64 = if options.selection.files {
        0
    } else {
        sqlx::query_scalar(
            "SELECT CASE WHEN to_regclass('storage.objects') IS NULL THEN 0 ELSE (SELECT count(*) FROM storage.objects) END",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap_or(0)
    };
    Ok(Inspected {
        snapshot,
        server_version,
        project_yaml,
        schema_sql,
        tables,
        storage_files,
        objects_left_out,
    })
}

/// Sends every entry of the archive but the manifest to the writer: the project file, the schema,
/// the functions' sources, the tables' rows and storage's files. Returns the tables and files
/// written.
async fn send_entries(
    options: &ExportOptions,
    snapshot: &str,
    project_yaml: String,
    schema_sql: String,
    tables: Vec<FoundTable>,
    storage_files: Option<&ExportFiles>,
    sender: &mpsc::Sender<Item>,
) -> anyhow::Result<(Vec<TableEntry>, Vec<FileEntry>)> {
    send(
        sender,
        Item::Bytes {
            path: "project/appctl.yaml".into(),
            bytes: project_yaml.into_bytes(),
            rows: None,
        },
    )
    .await?;
    send(
        sender,
        Item::Bytes {
            path: "schema/schema.sql".into(),
            bytes: schema_sql.into_bytes(),
            rows: None,
        },
    )
    .await?;
    for (name, dir) in &options.functions {
        for (relative, disk) in function_files(dir)
            .with_context(|| format!("function `{name}`: cannot read {}", dir.display()))?
        {
            send(
                sender,
                Item::File {
                    path: format!("functions/{}/{relative}", path_segment(name)),
                    disk,
                },
            )
            .await?;
        }
    }
    let tables = read_tables(options, snapshot, tables, sender).await?;
    let files = match (storage_files, &options.storage) {
        (Some(files), Some(storage)) => {
            let bar = options.reporter.file_bytes(None);
            super::files::send_files(storage, files, sender, bar.as_ref()).await?
        }
        _ => Vec::new(),
    };
    Ok((tables, files))
}

/// Puts together what the sending side and the writer thread ended with: the writer to finish the
/// archive with, or the error that says best why the export failed (the unfinished archive is
/// removed).
fn settle_writer<T>(
    sent: anyhow::Result<T>,
    written: anyhow::Result<Writer>,
    out: &Path,
) -> anyhow::Result<(T, Writer)> {
    match (sent, written) {
        (Ok(done), Ok(writer)) => Ok((done, writer)),
        (Err(error), Ok(writer)) => {
            writer.abandon();
            Err(error)
        }
        // The writer stopped because this side failed (a file's download): that error says why.
        (Err(error), Err(_)) if !error.is::<WriterStopped>() => {
            remove_partial(out);
            Err(error)
        }
        (_, Err(error)) => {
            remove_partial(out);
            Err(error.context(format!("cannot write {}", out.display())))
        }
    }
}

/// Removes the `.partial` file the writer was writing `out` to.
fn remove_partial(out: &Path) {
    let mut partial = out.as_os_str().to_owned();
    partial.push(".partial");
    let _ = std::fs::remove_file(partial);
}

/// Records storage's buckets and files in the manifest, each file with the sha256 the writer took
/// of its entry.
fn add_storage_files(
    manifest: &mut Manifest,
    storage_files: &ExportFiles,
    mut files: Vec<FileEntry>,
) {
    let sums: std::collections::HashMap<&str, &str> = manifest
        .entries
        .iter()
        .map(|e| (e.path.as_str(), e.sha256.as_str()))
        .collect();
    for file in &mut files {
        file.sha256 = sums
            .get(file.path.as_str())
            .copied()
            .unwrap_or_default()
            .to_string();
    }
    manifest.buckets = storage_files.buckets.clone();
    manifest.files = files;
    manifest.format = manifest::FORMAT_FILES;
}

/// Reads every table with `options.workers` connections sharing `snapshot`.
async fn read_tables(
    options: &ExportOptions,
    snapshot: &str,
    found: Vec<FoundTable>,
    sender: &mpsc::Sender<Item>,
) -> anyhow::Result<Vec<TableEntry>> {
    let count = found.len();
    let queue: Arc<Mutex<VecDeque<(usize, FoundTable)>>> =
        Arc::new(Mutex::new(found.into_iter().enumerate().collect()));
    // Concurrent on one task: the connections stream in parallel on the server side.
    let workers = (0..options.workers.clamp(1, count.max(1))).map(|_| {
        let queue = Arc::clone(&queue);
        let sender = sender.clone();
        let reporter = options.reporter.as_ref();
        async move {
            let result = worker(&options.database_url, snapshot, &queue, sender, reporter).await;
            if result.is_err() {
                // Stop the others: they finish their current table and find the queue empty.
                if let Ok(mut queue) = queue.lock() {
                    queue.clear();
                }
            }
            result
        }
    });
    let mut done: Vec<(usize, TableEntry)> = Vec::with_capacity(count);
    let mut first_error = None;
    for result in futures_util::future::join_all(workers).await {
        match result {
            Ok(tables) => done.extend(tables),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    if let Some(error) = first_error {
        return Err(error);
    }
    done.sort_by_key(|(index, _)| *index);
    Ok(done.into_iter().map(|(_, table)| table).collect())
}

async fn worker(
    url: &str,
    snapshot: &str,
    queue: &Mutex<VecDeque<(usize, FoundTable)>>,
    sender: mpsc::Sender<Item>,
    reporter: &dyn ArchiveReporter,
) -> anyhow::Result<Vec<(usize, TableEntry)>> {
    let mut conn = deploy::connect(url, "appctl export").await?;
    sqlx::raw_sql(SESSION_SQL).execute(&mut conn).await?;
    let mut tx = conn
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    sqlx::raw_sql(&format!(
        "SET TRANSACTION SNAPSHOT {}",
        appctl_schema::quote::literal(snapshot)
    ))
    .execute(&mut *tx)
    .await
    .context("cannot adopt the export's snapshot (SET TRANSACTION SNAPSHOT)")?;
    let mut done = Vec::new();
    // Bounded by the number of tables: each turn takes one from the queue.
    loop {
        let next = queue.lock().ok().and_then(|mut q| q.pop_front());
        let Some((index, table)) = next else { break };
        let estimate = u64::try_from(table.estimated_rows)
            .ok()
            .filter(|&rows| rows > 0);
        let bar = reporter.table_rows(&table.entry.label(), RowTotal::Estimated(estimate));
        let entry = read_table(&mut tx, table, &sender, bar.as_ref())
            .await
            .map_err(|e| e.context("export stopped"))?;
        bar.finish();
        done.push((index, entry));
    }
    let _ = tx.rollback().await;
    Ok(done)
}

async fn read_table(
    conn: &mut PgConnection,
    table: FoundTable,
    sender: &mpsc::Sender<Item>,
    bar: &dyn Counter,
) -> anyhow::Result<TableEntry> {
    let mut entry = table.entry;
    let label = entry.label();
    let names: Vec<String> = entry.columns.iter().map(|c| c.name.clone()).collect();
    let keys = encode::keys(&names);
    let encodings: Vec<encode::Encoding> =
        entry.columns.iter().map(|c| c.encoding.clone()).collect();
    let directory = format!(
        "rows/{}/{}",
        path_segment(&entry.schema),
        path_segment(&entry.name)
    );
    let mut part = Vec::with_capacity(PART_BYTES + (1 << 16));
    let mut part_rows = 0u64;
    let mut digest = 0u128;
    let mut pending: Vec<u8> = Vec::new();
    let mut stream = conn
        .copy_out_raw(&catalog::copy_out_sql(&entry))
        .await
        .with_context(|| format!("cannot read {label}"))?;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.with_context(|| format!("reading {label} failed"))?;
        // Postgres sends one row per message; a row split across messages is joined first.
        let data: &[u8] = if pending.is_empty() {
            &chunk
        } else {
            pending.extend_from_slice(&chunk);
            &pending
        };
        let mut start = 0;
        let mut rows = 0u64;
        while let Some(offset) = memchr_newline(&data[start..]) {
            let line = &data[start..start + offset];
            let written = part.len();
            encode::copy_line_to_json(line, &keys, &encodings, &mut part).map_err(|e| {
                anyhow::anyhow!("{label}, row {}: {e}", entry.rows + part_rows + rows + 1)
            })?;
            digest = digest.wrapping_add(encode::row_digest(&part[written..]));
            rows += 1;
            start += offset + 1;
        }
        let rest = data[start..].to_vec();
        pending = rest;
        part_rows += rows;
        bar.add(rows);
        if part.len() >= PART_BYTES {
            entry.rows += part_rows;
            flush_part(&mut entry, &directory, &mut part, part_rows, sender).await?;
            part_rows = 0;
        }
    }
    drop(stream);
    if !pending.is_empty() {
        bail!("{label}: the last row has no end of line");
    }
    if part_rows > 0 {
        entry.rows += part_rows;
        flush_part(&mut entry, &directory, &mut part, part_rows, sender).await?;
    }
    entry.rows_digest = Some(encode::digest_hex(digest));
    Ok(entry)
}

fn memchr_newline(data: &[u8]) -> Option<usize> {
    data.iter().position(|&b| b == b'\n')
}

async fn flush_part(
    entry: &mut TableEntry,
    directory: &str,
    part: &mut Vec<u8>,
    rows: u64,
    sender: &mpsc::Sender<Item>,
) -> anyhow::Result<()> {
    let path = format!("{directory}/{:06}.jsonl", entry.parts.len() + 1);
    entry.parts.push(path.clone());
    let bytes = std::mem::replace(part, Vec::with_capacity(PART_BYTES + (1 << 16)));
    send(
        sender,
        Item::Bytes {
            path,
            bytes,
            rows: Some(rows),
        },
    )
    .await
}

/// The schema as SQL for readers without appctl: the platform tables (created only when absent), then
/// the plan that creates the schema in an empty database.
fn schema_sql(database: &appctl_schema::model::Database) -> String {
    let empty = appctl_schema::model::Database {
        schema: database.schema.clone(),
        ..Default::default()
    };
    let changes = appctl_schema::diff::diff(database, &empty);
    let plan = appctl_schema::plan::plan(changes, database, &empty, false);
    let mut sql = String::from(
        "-- Written by appctl export. The platform objects (roles, auth.*, storage.*) first, each only\n\
         -- when absent, then the project's schema in dependency order. Rows are in rows/ (JSON Lines).\n\n",
    );
    for statement in appctl_schema::bootstrap::statements(&database.schema) {
        sql.push_str(&statement);
        sql.push_str(";\n\n");
    }
    for step in &plan.steps {
        sql.push_str(&format!("-- {} {}\n", step.action.symbol(), step.object));
        for statement in &step.sql {
            sql.push_str(statement);
            sql.push_str(";\n");
        }
        sql.push('\n');
    }
    sql
}

/// Regular files under `dir`, as (path relative to it with `/`, path on disk), sorted. Symbolic
/// links are not followed.
fn function_files(dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                let relative = entry
                    .path()
                    .strip_prefix(dir)
                    .expect("under dir")
                    .components()
                    .map(|c| path_segment(&c.as_os_str().to_string_lossy()))
                    .collect::<Vec<_>>()
                    .join("/");
                files.push((relative, entry.path()));
                if files.len() > MAX_FUNCTION_FILES {
                    bail!(
                        "more than {MAX_FUNCTION_FILES} files; is a dependency directory inside the source?"
                    );
                }
            }
        }
    }
    files.sort();
    Ok(files)
}
