//! `appctl logs [SERVICE] [-f] [--tail N]`: what the stack's containers print.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use futures_util::StreamExt as _;
use futures_util::stream::select_all;

use super::{FileArg, GlobalArgs, database};
use crate::output::Output;
use crate::project::vars::Variables;
use crate::stack::docker::Engine;
use crate::stack::remote;

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

pub fn run(args: LogsArgs, global: &GlobalArgs, output: Output) -> anyhow::Result<ExitCode> {
    let file = FileArg {
        file: args.file.clone(),
    };
    let project = database::load_project(global, &file, output)?;
    database::runtime()?.block_on(async {
        // With --env, the functions and gateway `deploy --env` runs on the environment's Docker host.
        let (engine, name, start_hint) = match &global.env {
            Some(env) => {
                let variables = Variables::from_env(project.dir())?;
                let (engine, name) = remote::engine_of(&project, env, &variables).await?;
                (engine, name, format!("`appctl deploy --env {env}`"))
            }
            None => (
                Engine::connect().await?,
                project.file.project.clone(),
                "`appctl up`".to_string(),
            ),
        };
        let mut containers = engine.containers(&name).await?;
        // A function's logs are its own output and the gateway's record of each call to it.
        let function = args
            .service
            .as_deref()
            .and_then(|s| s.strip_prefix("functions."))
            .map(str::to_string);
        if let Some(service) = &args.service {
            containers.retain(|c| &c.service == service || (function.is_some() && c.service == "gateway"));
            if !containers.iter().any(|c| &c.service == service) {
                bail!(
                    "the stack of {name} has no container for `{service}`; `appctl status` lists its services"
                );
            }
        }
        if containers.is_empty() {
            bail!("the stack of {name} is not running; start it with {start_hint}");
        }
        let prefix = args.service.is_none() || function.is_some();
        let invocation_of = function.map(|f| format!("\"function\":\"{f}\""));
        let width = containers.iter().map(|c| c.service.len()).max().unwrap_or(0);
        let streams = containers.iter().map(|c| {
            let label = format!("{:<width$} | ", c.service);
            engine
                .logs(&c.id, args.follow, args.tail)
                .map(move |item| (label.clone(), item))
                .boxed()
        });
        let mut all = select_all(streams);
        let stdout = std::io::stdout();
        while let Some((label, item)) = all.next().await {
            let bytes = item?;
            let mut out = stdout.lock();
            if prefix {
                for line in String::from_utf8_lossy(&bytes).lines() {
                    let from_gateway = label.split(' ').next() == Some("gateway");
                    if let Some(needle) = &invocation_of
                        && from_gateway
                        && !line.contains(needle.as_str())
                    {
                        continue;
                    }
                    writeln!(out, "{label}{line}")?;
                }
            } else {
                out.write_all(&bytes)?;
            }
        }
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
