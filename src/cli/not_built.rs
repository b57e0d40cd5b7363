//! Commands of the product whose capability is not built yet. Their flags are final, so `--help` shows
//! the whole product; running one says so in one line and exits 1. It never pretends.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::FileArg;
use super::database::ConnectionArgs;

/// Says that `command` is not built yet.
pub fn run(command: &str) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "`appctl {command}` is not built yet in appctl {}; see docs/roadmap.md for what is",
        env!("CARGO_PKG_VERSION")
    )
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PullPolicy {
    Never,
    Missing,
    Always,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub file: FileArg,
    /// When to pull images
    #[arg(long, value_enum, default_value = "missing")]
    pub pull: PullPolicy,
    /// Restart a function when its files change
    #[arg(long)]
    pub watch: bool,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    #[command(flatten)]
    pub file: FileArg,
    /// Also remove the volumes (all local data)
    #[arg(long)]
    pub volumes: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub file: FileArg,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The project file (`-f` means --follow here, as in `docker compose logs -f`)
    #[arg(long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// A service (db, rest, auth, storage, gateway) or functions.NAME [default: all]
    pub service: Option<String>,
    /// Keep printing new lines
    #[arg(short, long)]
    pub follow: bool,
    /// How many lines to show from the end
    #[arg(long, value_name = "N")]
    pub tail: Option<usize>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub file: FileArg,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// The archive to write
    #[arg(short, long, value_name = "FILE")]
    pub out: PathBuf,
    /// Only these tables
    #[arg(long, value_delimiter = ',')]
    pub tables: Vec<String>,
    /// Leave out these tables
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Leave out storage files
    #[arg(long)]
    pub no_files: bool,
    /// Leave out auth users
    #[arg(long)]
    pub no_users: bool,
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
}
