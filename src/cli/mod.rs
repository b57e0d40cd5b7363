//! The command line: one module per command, each parsing its flags, calling the library and rendering
//! the result. Exit codes: 0 success, 1 error (usage errors included, so that 2 keeps one meaning),
//! 2 "the plan has changes" (`plan` only).

mod access;
mod completions;
mod database;
mod deploy;
mod down;
mod export;
mod functions;
mod gateway;
mod import;
mod init;
mod logs;
mod plan;
mod progress;
mod pull;
mod render;
mod schema;
mod status;
mod storage;
mod up;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::output::Output;

/// Own your backend: tables, permissions, buckets and functions in one file.
#[derive(Debug, Parser)]
#[command(name = "appctl", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The project file [default: appctl.yaml in this directory or the nearest parent]
    #[arg(short = 'f', long = "file", env = "APPCTL_FILE", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The environment of appctl.yaml to work on
    #[arg(long = "env", global = true, env = "APPCTL_ENV", value_name = "NAME")]
    pub env: Option<String>,
    /// Print machine-readable JSON on stdout
    #[arg(long, global = true)]
    pub json: bool,
    /// Answer yes to every confirmation (for CI)
    #[arg(short = 'y', long, global = true, env = "APPCTL_YES", value_parser = clap::builder::FalseyValueParser::new())]
    pub yes: bool,
    /// Never colour the output (NO_COLOR is honoured too)
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Say more; repeat for even more
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print only errors and requested data
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a project from a template
    Init(init::InitArgs),
    /// Check appctl.yaml and report every problem with its line and column
    Validate(validate::ValidateArgs),
    /// Show what a deploy would change in a database
    Plan(plan::PlanArgs),
    /// Apply appctl.yaml to a database
    Deploy(deploy::DeployArgs),
    /// Write appctl.yaml from a live database
    Pull(pull::PullArgs),
    /// Show who may do what, read from the live database
    Access(access::AccessArgs),
    /// Run the whole backend locally in containers
    Up(up::UpArgs),
    /// Stop the local stack
    Down(down::DownArgs),
    /// Show the local stack's services, URLs and health
    Status(status::StatusArgs),
    /// Show the logs of the local stack
    Logs(logs::LogsArgs),
    /// Package, list and invoke functions
    Functions(functions::FunctionsArgs),
    /// Write every table, file, user and function of an instance to one archive
    Export(export::ExportArgs),
    /// Load an archive made by `appctl export` into an instance
    Import(import::ImportArgs),
    /// Write the local stack in another form (a Compose file)
    Render(render::RenderArgs),
    /// Print shell completions
    Completions(completions::CompletionsArgs),
    /// Print the JSON Schema of appctl.yaml
    Schema,
    /// The stack's gateway (runs in its container)
    #[command(hide = true)]
    Gateway(gateway::GatewayArgs),
}

/// `-f/--file` after a command name; `-f` before the command works for every command.
#[derive(Debug, Args)]
pub struct FileArg {
    /// The project file [default: appctl.yaml in this directory or the nearest parent]
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

impl GlobalArgs {
    /// The project file given after the command, else before it, else none (search for it).
    pub fn project_file(&self, local: &FileArg) -> Option<PathBuf> {
        local.file.clone().or_else(|| self.file.clone())
    }
}

/// Parses the command line, runs the command, and turns its outcome into an exit code.
pub fn main() -> ExitCode {
    // One TLS provider for every client (databases, Docker hosts, S3, the gateway's upstreams).
    crate::tls::install();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            // --help and --version are not errors; usage errors exit 1, never 2 ("plan has changes").
            return if error.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let output = Output::from_env(
        cli.global.no_color,
        cli.global.json,
        cli.global.quiet,
        cli.global.verbose,
    );
    match run(cli, output) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli, output: Output) -> anyhow::Result<ExitCode> {
    let global = &cli.global;
    match cli.command {
        Command::Init(args) => init::run(args, global, output),
        Command::Validate(args) => validate::run(args, global, output),
        Command::Completions(args) => completions::run(args),
        Command::Schema => schema::run(),
        Command::Plan(args) => plan::run(args, global, output),
        Command::Deploy(args) => deploy::run(args, global, output),
        Command::Pull(args) => pull::run(args, global, output),
        Command::Access(args) => access::run(args, global, output),
        Command::Up(args) => up::run(args, global, output),
        Command::Down(args) => down::run(args, global, output),
        Command::Status(args) => status::run(args, global, output),
        Command::Logs(args) => logs::run(args, global, output),
        Command::Render(args) => render::run(args, global, output),
        Command::Gateway(args) => gateway::run(args),
        Command::Functions(args) => functions::run(args, global, output),
        Command::Export(args) => export::run(args, global, output),
        Command::Import(args) => import::run(args, global, output),
    }
}

pub use completions::render as completion_script;
