//! Commands of the product whose capability is not built yet. Their flags are final, so `--help` shows
//! the whole product; running one says so in one line and exits 1. It never pretends.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use super::FileArg;

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
pub struct FunctionsArgs {
    #[command(flatten)]
    pub file: FileArg,
    #[command(subcommand)]
    pub command: FunctionsCommand,
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

#[derive(Debug, Subcommand)]
pub enum FunctionsCommand {
    /// Write a deterministic tar.gz per function
    Package {
        /// The function [default: all]
        name: Option<String>,
    },
    /// List the project's functions
    List,
    /// Call a function through the gateway
    Invoke {
        name: String,
        /// The JSON body
        #[arg(long)]
        data: Option<String>,
        /// Who calls: anon, service or user:<uuid>
        #[arg(long = "as", default_value = "anon")]
        caller: String,
    },
}
