//! `appctl deploy`: apply the project file (or a saved plan) to a database.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use serde::Serialize;

use super::database::{self, ConnectionArgs};
use super::{FileArg, GlobalArgs};
use crate::deploy::{self, DeployListener, DeployOptions, redact_url};
use crate::ops::{
    self,
    deploy::{DeployReport, DeployReporter, DeployRequest, RolloutRecord},
};
use crate::output::Output;
use crate::plan::{Plan, Step, Summary};
use crate::plan_output::{self, TextOptions};
use crate::project::vars::Variables;
use crate::stack::converge::ContainerListener;
use crate::stack::reconcile::Action;
use crate::stack::remote::{Rollout, RolloutListener, Target};

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
    /// Deploy the schema only: leave the functions on the environment's docker_host as they are
    #[arg(long)]
    pub no_functions: bool,
    /// statement_timeout of each statement
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = humantime::parse_duration)]
    pub statement_timeout: Duration,
}

struct Terminal {
    output: Output,
    target: String,
    assume_yes: bool,
    /// What the rollout of functions to the environment's Docker host changes, shown with the plan.
    rollout: Vec<String>,
    rollout_endpoint: String,
}

impl Terminal {
    fn print_rollout(&self) {
        if !self.rollout.is_empty() && !self.output.json {
            eprintln!("Functions on {}:", self.rollout_endpoint);
            for line in &self.rollout {
                eprintln!("{line}");
            }
        }
    }

    fn ask(&self) -> bool {
        self.assume_yes
            || dialoguer::Confirm::new()
                .with_prompt("Apply these changes?")
                .default(false)
                .interact()
                .unwrap_or(false)
    }
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
        self.print_rollout();
        self.ask()
    }

    fn step_done(&mut self, step: &Step) {
        self.output
            .detail(format!("  done: {} {}", step.action.symbol(), step.object));
    }
}

impl ContainerListener for Terminal {
    fn service(&mut self, name: &str, action: &Action) {
        let verb = match action {
            Action::Keep { .. } => return,
            Action::Start { .. } => "starting",
            Action::Create => "creating",
            Action::Replace { .. } => "replacing",
        };
        self.output.status(format!("  {verb} {name}..."));
    }

    fn healthy(&mut self, name: &str, after: Duration) {
        self.output.detail(format!(
            "  {name} healthy after {:.1}s",
            after.as_secs_f64()
        ));
    }

    fn removed(&mut self, name: &str) {
        self.output.status(format!("  removed {name}"));
    }
}

impl DeployReporter for Terminal {
    fn preparing_functions(&mut self, target: &Target) {
        self.output.status(format!(
            "Preparing functions on {} (environment {})...",
            target.docker_host, target.environment
        ));
    }

    fn rollout_planned(&mut self, rollout: &Rollout) {
        self.rollout = rollout.describe();
        self.rollout_endpoint = rollout.endpoint().to_string();
    }

    fn confirm_rollout(&mut self) -> bool {
        self.print_rollout();
        self.ask()
    }

    fn rolling_out(&mut self, rollout: &Rollout) {
        self.output.status(format!(
            "Rolling out functions to {}...",
            rollout.endpoint()
        ));
    }
}

impl RolloutListener for Terminal {
    fn image_sent(&mut self, image: &str, bytes: u64) {
        if bytes == 0 {
            self.output
                .status(format!("  pulled {image} on the Docker host"));
        } else {
            self.output.status(format!(
                "  copied {image} to the Docker host ({})",
                bytesize::ByteSize::b(bytes)
            ));
        }
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
    let variables = Variables::from_env(project.dir())
        .with_context(|| format!("cannot read {}", project.dir().join(".env").display()))?;
    let functions = match &global.env {
        Some(name) if !args.no_functions => {
            ops::deploy::functions_target(&project, name, &variables)?
        }
        _ => None,
    };
    let request = DeployRequest {
        project: &project,
        url: &url,
        saved,
        options: DeployOptions {
            allow_destructive: args.allow_destructive,
            online: args.online,
            lock_wait: args.lock_timeout,
            ddl_lock_timeout: args.ddl_lock_timeout,
            statement_timeout: args.statement_timeout,
            actor: deploy::actor(),
            bootstrap: args.bootstrap,
            packages: Vec::new(),
        },
        functions,
    };
    let mut terminal = Terminal {
        output,
        target: redact_url(&url),
        assume_yes: global.yes,
        rollout: Vec::new(),
        rollout_endpoint: String::new(),
    };
    let DeployReport { outcome, rollout } =
        database::runtime()?.block_on(ops::deploy::deploy(request, &variables, &mut terminal))?;
    if output.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&DeployJson {
                applied: outcome.deployment_id.is_some(),
                deployment_id: outcome.deployment_id,
                summary: outcome.plan.summary(),
                plan: &outcome.plan,
                functions: rollout.as_ref().map(RolloutRecord::of),
            })?
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(id) = outcome.deployment_id {
        let s = outcome.plan.summary();
        output.status(format!(
            "Applied: {} created, {} changed, {} dropped (deployment {id}).",
            s.create, s.change, s.drop
        ));
    } else {
        output.status("No changes. The database matches the project file.");
    }
    if let Some(rollout) = &rollout {
        let changed = rollout.describe().len();
        if changed == 0 {
            output.status(format!(
                "Functions on {} are up to date.",
                rollout.endpoint()
            ));
        } else {
            output.status(format!(
                "Functions on {}: {changed} container(s) changed; the gateway listens on {}.",
                rollout.endpoint(),
                rollout.gateway()
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `appctl deploy --json`: whether anything was applied, the plan, and the functions rollout if any.
#[derive(Serialize)]
struct DeployJson<'a> {
    applied: bool,
    deployment_id: Option<i64>,
    summary: Summary,
    plan: &'a Plan,
    functions: Option<RolloutRecord<'a>>,
}
