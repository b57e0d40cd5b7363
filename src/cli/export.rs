//! `appctl export`: write every row, user and function source of an instance to one archive.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::Args;

use super::database::{self, ConnectionArgs};
use super::{FileArg, GlobalArgs};
use crate::archive::catalog::Selection;
use crate::archive::{self, ExportOptions};
use crate::output::Output;

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
    /// Leave out storage files (and their metadata, storage.objects)
    #[arg(long)]
    pub no_files: bool,
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
            // Storage files (through S3) are not built yet: storage.objects stays out with them, so
            // metadata and files never disagree (docs/archive-format.md).
            files: false,
        },
        project: name,
        functions,
        workers: args.jobs.max(1),
        progress: !output.quiet && !output.json && std::io::stderr().is_terminal(),
    };
    let started = Instant::now();
    let report = database::runtime()?.block_on(archive::export(&options, &args.out))?;
    let rows: u64 = report.manifest.tables.iter().map(|t| t.rows).sum();
    if report.objects_left_out > 0 && !args.no_files {
        eprintln!(
            "warning: {} stored file(s) were not exported: this appctl does not export storage files yet, so their metadata (storage.objects) was left out with them; copy the bucket with an S3 tool",
            report.objects_left_out
        );
    }
    if output.json {
        let summary = serde_json::json!({
            "archive": args.out,
            "bytes": report.archive_bytes,
            "rows": rows,
            "tables": report.manifest.tables.iter().map(|t| serde_json::json!({"table": t.label(), "rows": t.rows})).collect::<Vec<_>>(),
            "entries": report.manifest.entries.len() + 1,
            "snapshot": report.manifest.snapshot,
        });
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        for table in &report.manifest.tables {
            output.detail(format!("  {:<32} {:>12} rows", table.label(), table.rows));
        }
        output.status(format!(
            "Exported {} tables ({rows} rows) and {} files to {} ({}) in {:.1}s.",
            report.manifest.tables.len(),
            report.manifest.entries.len() + 1,
            args.out.display(),
            bytesize::ByteSize(report.archive_bytes),
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
