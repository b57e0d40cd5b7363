//! `appctl import`: verify an archive, then load it into an instance (or only verify it).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::database::{self, ConnectionArgs};
use super::{FileArg, GlobalArgs};
use crate::archive::files::{Action, FilesReport, ImportPlan};
use crate::archive::import::{ImportReport, TableReport, TargetDiffers};
use crate::archive::manifest::Source;
use crate::archive::{self, ImportOptions};
use crate::deploy::redact_url;
use crate::output::{Output, TableRows};
use crate::plan_output::{self, TextOptions};

/// `appctl import --verify-only --json`: what the archive holds.
#[derive(Serialize)]
struct VerifyJson<'a> {
    valid: bool,
    format: u32,
    source: &'a Source,
    created_at: &'a str,
    tables: Vec<TableRows>,
    rows: u64,
    entries: usize,
    bytes: u64,
    files: usize,
    buckets: &'a [String],
}

/// `appctl import --json`: what was (or, with `--dry-run`, would be) loaded.
#[derive(Serialize)]
struct ImportJson<'a> {
    dry_run: bool,
    files_left_out: bool,
    files_plan: Option<FilesPlanJson<'a>>,
    files: Option<&'a FilesReport>,
    schema_changes: usize,
    tables: &'a [TableReport],
}

/// What happens (or would happen) to the archive's files on S3.
#[derive(Serialize)]
struct FilesPlanJson<'a> {
    buckets_to_create: &'a [String],
    upload: usize,
    overwrite: usize,
    skip: usize,
    unchanged: usize,
    delete: usize,
}

impl<'a> FilesPlanJson<'a> {
    fn of(plan: &'a ImportPlan) -> Self {
        FilesPlanJson {
            buckets_to_create: &plan.create,
            upload: plan.count(Action::Upload),
            overwrite: plan.count(Action::Overwrite),
            skip: plan.count(Action::Skip),
            unchanged: plan.count(Action::Unchanged),
            delete: plan.delete.len(),
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OnConflict {
    Fail,
    Skip,
    Upsert,
    Replace,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub file: FileArg,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// The archive to read
    pub archive: PathBuf,
    /// What to do with a row whose key already exists
    #[arg(long, value_enum, default_value = "fail")]
    pub on_conflict: OnConflict,
    /// Check everything and show what would be written, write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Only verify the archive; no database needed
    #[arg(long)]
    pub verify_only: bool,
    /// After loading, read every table back and compare its rows with the archive's digest (slower;
    /// counts are always checked)
    #[arg(long)]
    pub checksum: bool,
    #[command(flatten)]
    pub storage: super::storage::StorageArgs,
}

pub fn run(args: ImportArgs, global: &GlobalArgs, output: Output) -> anyhow::Result<ExitCode> {
    if !args.archive.is_file() {
        anyhow::bail!("{} is not a file", args.archive.display());
    }
    if args.verify_only {
        return verify(&args, output);
    }
    let (url, storage) = target(&args, global, output)?;
    let options = ImportOptions {
        database_url: url.clone(),
        on_conflict: match args.on_conflict {
            OnConflict::Fail => archive::OnConflict::Fail,
            OnConflict::Skip => archive::OnConflict::Skip,
            OnConflict::Upsert => archive::OnConflict::Upsert,
            OnConflict::Replace => archive::OnConflict::Replace,
        },
        dry_run: args.dry_run,
        checksum: args.checksum,
        storage,
        no_files: args.storage.no_files,
        reporter: super::progress::archive_reporter(&output),
    };
    let started = Instant::now();
    let report = match database::runtime()?.block_on(archive::import(&args.archive, &options)) {
        Ok(report) => report,
        Err(error) => {
            if let Some(differs) = error.downcast_ref::<TargetDiffers>() {
                let text = TextOptions {
                    sql: false,
                    color: output.color,
                };
                eprint!(
                    "{}",
                    plan_output::render_text(&differs.plan, &redact_url(&url), text)
                );
            }
            return Err(error);
        }
    };
    if output.json {
        let summary = ImportJson {
            dry_run: report.dry_run,
            files_left_out: args.storage.no_files,
            files_plan: report.files_plan.as_ref().map(FilesPlanJson::of),
            files: report.files.as_ref(),
            schema_changes: report.plan.steps.len(),
            tables: &report.tables,
        };
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(ExitCode::SUCCESS);
    }
    if report.dry_run {
        print_dry_run(&report, &url, output);
        return Ok(ExitCode::SUCCESS);
    }
    for table in &report.tables {
        output.detail(format!(
            "  {:<32} {:>12} archived {:>12} written {:>12} now",
            table.table, table.archived, table.written, table.after
        ));
    }
    let timings: Vec<String> = report
        .timings
        .iter()
        .map(|(phase, seconds)| format!("{phase} {seconds:.2}s"))
        .collect();
    output.detail(format!("  time: {}", timings.join(", ")));
    if args.storage.no_files {
        output.status(
            "Storage files and their metadata (storage.objects) were left out (--no-files).",
        );
    }
    if let Some(files) = &report.files {
        output.status(format!(
            "Files: {} uploaded, {} overwritten, {} skipped, {} unchanged, {} deleted ({}), {} bucket(s) created; {} read back with equal size and sha256.",
            files.uploaded,
            files.overwritten,
            files.skipped,
            files.unchanged,
            files.deleted,
            bytesize::ByteSize(files.bytes),
            files.buckets_created,
            files.verified
        ));
    }
    let written: u64 = report.tables.iter().map(|t| t.written).sum();
    output.status(format!(
        "Imported {} tables ({written} rows written, counts{} checked) into {} in {:.1}s{}.",
        report.tables.len(),
        if args.checksum { " and digests" } else { "" },
        redact_url(&url),
        started.elapsed().as_secs_f64(),
        if report.plan.is_empty() {
            String::new()
        } else {
            format!(
                ", after creating the schema ({} changes)",
                report.plan.steps.len()
            )
        }
    ));
    Ok(ExitCode::SUCCESS)
}

/// `--verify-only`: the archive checked entry by entry, its contents summarised.
fn verify(args: &ImportArgs, output: Output) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let verified = archive::verify(&args.archive)?;
    let manifest = &verified.manifest;
    let rows: u64 = manifest.tables.iter().map(|t| t.rows).sum();
    if output.json {
        let summary = VerifyJson {
            valid: true,
            format: manifest.format,
            source: &manifest.source,
            created_at: &manifest.created_at,
            tables: manifest.tables.iter().map(TableRows::of).collect(),
            rows,
            entries: manifest.entries.len() + 1,
            bytes: verified.bytes,
            files: manifest.files.len(),
            buckets: &manifest.buckets,
        };
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        output.status(format!(
            "{} is valid: format {}, exported {} from {} (PostgreSQL {}), {} tables, {rows} rows, {} stored files in {} buckets, {} entries checked ({}) in {:.1}s.",
            args.archive.display(),
            manifest.format,
            manifest.created_at,
            manifest.source.database,
            manifest.source.server_version,
            manifest.tables.len(),
            manifest.files.len(),
            manifest.buckets.len(),
            manifest.entries.len() + 1,
            bytesize::ByteSize(verified.bytes),
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// The database to load into and the S3 storage for the archive's files.
fn target(
    args: &ImportArgs,
    global: &GlobalArgs,
    output: Output,
) -> anyhow::Result<(String, Option<crate::s3::S3Config>)> {
    // The project file names the database (without --database-url) and the storage (with --env).
    let project = if args.connection.database_url.is_none() || global.env.is_some() {
        Some(database::load_project(global, &args.file, output).context(
            "no database given: pass --database-url URL (or set DATABASE_URL), or run in a project directory with --env NAME",
        )?)
    } else {
        None
    };
    let url = match (&args.connection.database_url, &project) {
        (Some(url), _) => url.clone(),
        (None, Some(project)) => database::database_url(&args.connection, global, project)?,
        (None, None) => anyhow::bail!(
            "no database given: pass --database-url URL (or set DATABASE_URL), or run in a project directory with --env NAME"
        ),
    };
    let storage = super::storage::storage(&args.storage, global, project.as_ref())?;
    Ok((url, storage))
}

/// `--dry-run`: the schema the import would create and the rows and files it would write.
fn print_dry_run(report: &ImportReport, url: &str, output: Output) {
    if !report.plan.is_empty() {
        print!(
            "{}",
            plan_output::render_text(
                &report.plan,
                &redact_url(url),
                TextOptions {
                    sql: false,
                    color: output.color
                }
            )
        );
    }
    println!("Would load (nothing was written):");
    for table in &report.tables {
        println!(
            "  {:<32} {:>12} rows in the archive, {:>12} in the target",
            table.table, table.archived, table.before
        );
    }
    if let Some(plan) = &report.files_plan {
        println!(
            "  files: {} to upload, {} to overwrite, {} to skip, {} unchanged, {} to delete; buckets to create: {}",
            plan.count(Action::Upload),
            plan.count(Action::Overwrite),
            plan.count(Action::Skip),
            plan.count(Action::Unchanged),
            plan.delete.len(),
            if plan.create.is_empty() {
                "none".to_string()
            } else {
                plan.create.join(", ")
            }
        );
    }
}
