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
