//! `appctl down`: the local stack's containers and network removed; with `--volumes`, its data too.

use std::process::ExitCode;

use clap::Args;

use super::{FileArg, GlobalArgs, database};
use crate::output::Output;
use crate::stack::docker::Engine;

#[derive(Debug, Args)]
pub struct DownArgs {
    #[command(flatten)]
    pub file: FileArg,
    /// Also remove the volumes (all local data)
    #[arg(long)]
    pub volumes: bool,
}

pub fn run(args: DownArgs, global: &GlobalArgs, output: Output) -> anyhow::Result<ExitCode> {
    let project = database::load_project(global, &args.file, output)?;
    let name = project.file.project.clone();
    let network = format!("appctl-{name}");
    database::runtime()?.block_on(async {
        let engine = Engine::connect().await?;
        let containers = engine.containers(&name).await?;
        for container in &containers {
            engine.remove(&container.id).await?;
            output.status(format!("  removed {}", container.name));
        }
        if engine.remove_network(&network).await? {
            output.status(format!("  removed network {network}"));
        }
        if args.volumes {
            for volume in engine.volumes(&name).await? {
                engine.remove_volume(&volume).await?;
                output.status(format!("  removed volume {volume}"));
            }
        } else if !engine.volumes(&name).await?.is_empty() {
            output.status(
                "The volumes (the local data) were kept; `appctl down --volumes` removes them.",
            );
        }
        output.status(format!("The stack of {name} is down."));
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
