//! `appctl export`: write every row, user and function source of an instance to one archive.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::Args;
use serde::Serialize;

use super::database::{self, ConnectionArgs};
use super::{FileArg, GlobalArgs};
use crate::archive::catalog::Selection;
use crate::archive::export::ExportReport;
use crate::archive::{self, ExportOptions};
use crate::output::{Output, TableRows};

/// `appctl export --json`: what the archive holds.
#[derive(Serialize)]
struct ExportJson<'a> {
    archive: &'a Path,
    bytes: u64,
    rows: u64,
    tables: Vec<TableRows>,
    entries: usize,
    snapshot: &'a str,
    files: usize,
    file_bytes: u64,
    buckets: &'a [String],
    files_left_out: bool,
    orphans: Vec<Orphan<'a>>,
}

/// An object on S3 that no `storage.objects` row names.
#[derive(Serialize)]
struct Orphan<'a> {
    bucket: &'a str,
    key: &'a str,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub file: FileArg,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// The archive to write (`.tar.zst`; a name ending in `.tar` is written uncompressed)
    #[arg(short, long, value_name = "FILE")]
    pub out: PathBuf,
    /// Only these tables
    #[arg(long, value_delimiter = ',')]
    pub tables: Vec<String>,
    /// Leave out these tables
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    #[command(flatten)]
    pub storage: super::storage::StorageArgs,
    /// Leave out auth users and identities
    #[arg(long)]
    pub no_users: bool,
    /// Overwrite the archive if it exists
    #[arg(long)]
    pub force: bool,
    /// Connections reading tables at once
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub jobs: usize,
}

pub fn run(args: ExportArgs, global: &GlobalArgs, output: Output) -> anyhow::Result<ExitCode> {
    // With --database-url (or DATABASE_URL) the project file is optional: it only adds function
    // sources and names the project.
    let project = match &args.connection.database_url {
        Some(_) => database::load_project(global, &args.file, output).ok(),
        None => Some(database::load_project(global, &args.file, output).context(
            "no database given: pass --database-url URL (or set DATABASE_URL), or run in a project directory with --env NAME",
        )?),
    };
    let storage = super::storage::storage(&args.storage, global, project.as_ref())?;
    let url = match &project {
        Some(project) => database::database_url(&args.connection, global, project)?,
        None => args.connection.database_url.clone().unwrap_or_default(),
    };
    if args.out.exists() && !args.force {
        bail!(
            "{} already exists; pass --force to overwrite it",
            args.out.display()
        );
    }
    let (name, schema, functions) = match &project {
        Some(project) => (
            project.file.project.clone(),
            project.file.schema.clone(),
            project
                .file
                .functions
                .iter()
                .map(|(name, f)| (name.clone(), project.dir().join(&f.source)))
                .filter(|(_, dir)| dir.is_dir())
                .collect(),
        ),
        None => (
            super::pull::project_name_from_url(&url),
            "public".into(),
            Vec::new(),
        ),
    };
    let options = ExportOptions {
        database_url: url,
        selection: Selection {
            schema,
            tables: args.tables,
            exclude: args.exclude,
            users: !args.no_users,
            // --no-files leaves storage.objects out with the files: metadata and files never disagree.
            files: !args.storage.no_files,
        },
        project: name,
        functions,
        workers: args.jobs.max(1),
        reporter: super::progress::archive_reporter(&output),
        storage,
    };
    let started = Instant::now();
    let report = database::runtime()?.block_on(archive::export(&options, &args.out))?;
    let rows: u64 = report.manifest.tables.iter().map(|t| t.rows).sum();
    let files = &report.manifest.files;
    let file_bytes: u64 = files.iter().map(|f| f.size).sum();
    if args.storage.no_files {
        output.status(format!(
            "Storage files and their metadata (storage.objects, {} row(s)) were left out (--no-files).",
            report.objects_left_out
        ));
    }
    warn_about_storage(&report);
    if output.json {
        let summary = ExportJson {
            archive: &args.out,
            bytes: report.archive_bytes,
            rows,
            tables: report.manifest.tables.iter().map(TableRows::of).collect(),
            entries: report.manifest.entries.len() + 1,
            snapshot: &report.manifest.snapshot,
            files: files.len(),
            file_bytes,
            buckets: &report.manifest.buckets,
            files_left_out: args.storage.no_files,
            orphans: report
                .orphans
                .iter()
                .map(|(bucket, key)| Orphan { bucket, key })
                .collect(),
        };
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        for table in &report.manifest.tables {
            output.detail(format!("  {:<32} {:>12} rows", table.label(), table.rows));
        }
        if !report.manifest.buckets.is_empty() {
            output.status(format!(
                "Exported {} stored file(s) ({}) from {} bucket(s).",
                files.len(),
                bytesize::ByteSize(file_bytes),
                report.manifest.buckets.len()
            ));
        }
        output.status(format!(
            "Exported {} tables ({rows} rows) and {} entries to {} ({}) in {:.1}s.",
            report.manifest.tables.len(),
            report.manifest.entries.len() + 1,
            args.out.display(),
            bytesize::ByteSize(report.archive_bytes),
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Files the export took as they are although their row disagrees, and files it could not take.
fn warn_about_storage(report: &ExportReport) {
    if !report.size_mismatches.is_empty() {
        let shown: Vec<String> = report
            .size_mismatches
            .iter()
            .take(10)
            .map(|(bucket, key, row, s3)| format!("{bucket}/{key} ({row} in its row, {s3} in S3)"))
            .collect();
        eprintln!(
            "warning: {} file(s) have a size in storage.objects.metadata that differs from S3's; exported as they are: {}{}",
            report.size_mismatches.len(),
            shown.join(", "),
            if report.size_mismatches.len() > 10 {
                ", ..."
            } else {
                ""
            }
        );
    }
    if !report.orphans.is_empty() {
        let shown: Vec<String> = report
            .orphans
            .iter()
            .take(10)
            .map(|(bucket, key)| format!("{bucket}/{key}"))
            .collect();
        eprintln!(
            "warning: {} object(s) in S3 storage have no row in storage.objects and were not exported (nothing in the instance names them): {}{}",
            report.orphans.len(),
            shown.join(", "),
            if report.orphans.len() > 10 {
                ", ..."
            } else {
                ""
            }
        );
    }
}
