//! `appctl deploy`: apply the project file (or a saved plan) to a database.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;

use super::database::{self, ConnectionArgs};
use super::{FileArg, GlobalArgs};
use crate::deploy::{self, DeployListener, DeployOptions, redact_url};
use crate::output::Output;
use crate::plan::{Plan, Step};
use crate::plan_output::{self, TextOptions};

#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub file: FileArg,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Apply a plan saved with `appctl plan -o`; refused when the database changed since
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Allow changes that drop tables, columns or data
    #[arg(long)]
    pub allow_destructive: bool,
    /// Build `online` indexes with CREATE INDEX CONCURRENTLY after the transaction
    #[arg(long)]
    pub online: bool,
    /// Create the roles, auth helpers and storage tables on a plain Postgres
    #[arg(long)]
    pub bootstrap: bool,
    /// How long to wait for another deploy's lock, e.g. 5m
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = humantime::parse_duration)]
    pub lock_timeout: Duration,
    /// lock_timeout of each DDL statement: fail rather than queue every query behind a table lock
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    pub ddl_lock_timeout: Duration,
    /// statement_timeout of each statement
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = humantime::parse_duration)]
    pub statement_timeout: Duration,
}

struct Terminal {
    output: Output,
    target: String,
    assume_yes: bool,
}

impl DeployListener for Terminal {
    fn waiting_for_lock(&mut self, holder: &str) {
        self.output
            .status(format!("Waiting for the deploy lock, held by {holder}..."));
    }

    fn confirm(&mut self, plan: &Plan) -> bool {
        let options = TextOptions {
            sql: false,
            color: self.output.color,
        };
        if !self.output.json {
            eprint!("{}", plan_output::render_text(plan, &self.target, options));
        }
        if self.assume_yes {
            return true;
        }
        dialoguer::Confirm::new()
            .with_prompt("Apply these changes?")
            .default(false)
            .interact()
            .unwrap_or(false)
    }

    fn step_done(&mut self, step: &Step) {
        self.output
            .detail(format!("  done: {} {}", step.action.symbol(), step.object));
    }
}

pub fn run(args: DeployArgs, global: &GlobalArgs, output: Output) -> anyhow::Result<ExitCode> {
    // Decided before anything is read: never wait on a prompt nobody can answer.
    if !global.yes && !output.interactive {
        bail!(
            "no terminal to confirm the deploy: pass --yes (or set APPCTL_YES=1) to apply without asking"
        );
    }
    let project = database::load_project(global, &args.file, output)?;
    let url = database::database_url(&args.connection, global, &project)?;
    let saved = match &args.plan {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let plan: Plan = serde_json::from_str(&text).with_context(|| {
                format!("{} is not a plan saved by `appctl plan -o`", path.display())
            })?;
            Some(plan)
        }
        None => None,
    };
    let desired = crate::functions::lower_with_versions(&project)?;
    let options = DeployOptions {
        allow_destructive: args.allow_destructive,
        online: args.online,
        lock_wait: args.lock_timeout,
        ddl_lock_timeout: args.ddl_lock_timeout,
        statement_timeout: args.statement_timeout,
        actor: deploy::actor(),
        bootstrap: args.bootstrap,
    };
    let mut listener = Terminal {
        output,
        target: redact_url(&url),
        assume_yes: global.yes,
    };
    let outcome = database::runtime()?.block_on(async {
        let mut conn = deploy::connect(&url, &database::application_name("deploy")).await?;
        deploy::deploy(&mut conn, &desired, saved, &options, &mut listener).await
    })?;
    if output.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "applied": outcome.deployment_id.is_some(),
                "deployment_id": outcome.deployment_id,
                "summary": outcome.plan.summary(),
                "plan": outcome.plan,
            }))?
        );
    } else if let Some(id) = outcome.deployment_id {
        let s = outcome.plan.summary();
        output.status(format!(
            "Applied: {} created, {} changed, {} dropped (deployment {id}).",
            s.create, s.change, s.drop
        ));
    } else {
        output.status("No changes. The database matches the project file.");
    }
    Ok(ExitCode::SUCCESS)
}
