//! `appctl status`: the local stack's services, their state, health and URLs.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use super::{FileArg, GlobalArgs, database};
use crate::output::Output;
use crate::project::vars::Variables;
use crate::stack::docker::{self, Engine};
use crate::stack::remote;
use crate::stack::spec::HealthCheck;
use crate::stack::status;
use crate::stack::up::stack_of;

/// `appctl status --json`: the stack's project and one row per service.
#[derive(Serialize)]
struct StatusJson<'a> {
    project: &'a str,
    services: &'a [status::StatusRow],
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub file: FileArg,
}

pub fn run(args: StatusArgs, global: &GlobalArgs, output: Output) -> anyhow::Result<ExitCode> {
    let project = database::load_project(global, &args.file, output)?;
    let variables = Variables::from_env(project.dir())?;
    // With --env, what `deploy --env` runs on the environment's Docker host.
    let stack = match &global.env {
        Some(env) => remote::stack_of(&project, env, &variables)?,
        None => stack_of(&project)?,
    };
    let existing = database::runtime()?.block_on(async {
        let engine = match &global.env {
            Some(env) => remote::engine_of(&project, env, &variables).await?.0,
            None => Engine::connect().await?,
        };
        let mut existing = engine.containers(&stack.project).await?;
        // Services checked from the host (TCP, HTTP) are probed now, as `up` does.
        let client = docker::probe_client();
        for container in existing
            .iter_mut()
            .filter(|c| c.running && c.health.is_none())
        {
            let Some(spec) = stack.service(&container.service) else {
                continue;
            };
            // An engine that reports no health (Podman without systemd timers) gets the check
            // run in the container, as `up` does.
            let healthy = match &spec.health.check {
                HealthCheck::Tcp | HealthCheck::Http(_) => docker::probe(spec, &client).await,
                HealthCheck::Command(test) => engine.exec_succeeds(&container.id, test).await,
                HealthCheck::Running => continue,
            };
            container.health = Some(if healthy { "healthy" } else { "unhealthy" }.to_string());
        }
        anyhow::Ok(existing)
    })?;
    let rows = status::rows(&stack, &existing);
    if output.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&StatusJson {
                project: &stack.project,
                services: &rows,
            })?
        );
    } else {
        print!("{}", status::render_table(&rows));
    }
    Ok(ExitCode::SUCCESS)
}
