//! `appctl render compose`: the local stack as a Compose file, for a server that runs Compose.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{FileArg, GlobalArgs, database};
use crate::output::Output;
use crate::stack::secrets::Secrets;
use crate::stack::{compose, up::stack_of};

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(subcommand)]
    pub what: RenderCommand,
}

#[derive(Debug, Subcommand)]
pub enum RenderCommand {
    /// Write the stack as a Docker Compose file (secrets as ${APPCTL_...} variables)
    Compose {
        #[command(flatten)]
        file: FileArg,
        /// Where to write it [default: stdout]
        #[arg(short, long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Also write the local stack's secrets (.appctl/secrets.json) as a .env file for Compose
        #[arg(long, value_name = "FILE")]
        env_file: Option<PathBuf>,
    },
}

pub fn run(args: RenderArgs, global: &GlobalArgs, output: Output) -> anyhow::Result<ExitCode> {
    let RenderCommand::Compose {
        file,
        out,
        env_file,
    } = args.what;
    let project = database::load_project(global, &file, output)?;
    let stack = stack_of(&project)?;
    let text = compose::render(&stack, project.dir());
    match &out {
        Some(path) => {
            database::write_file(path, &text)?;
            output.status(format!("Wrote {}", path.display()));
        }
        None => print!("{text}"),
    }
    if let Some(path) = env_file {
        let secrets = Secrets::load_or_create(project.dir())?;
        write_private(&path, &compose::env_file(&secrets))?;
        output.status(format!(
            "Wrote {} (secrets: keep it out of git)",
            path.display()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    database::write_file(path, text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
