//! `appctl plan`: what a deploy would change. Exit 0: nothing to do; 2: changes; 1: error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use super::database::{self, ConnectionArgs};
use super::{FileArg, GlobalArgs};
use crate::deploy::{self, redact_url};
use crate::output::Output;
use crate::plan::{Plan, Summary};
use crate::plan_output::{self, TextOptions};

/// `appctl plan --json`: the plan, its counts, and whether it changes anything.
#[derive(Serialize)]
struct PlanJson<'a> {
    plan: &'a Plan,
    summary: Summary,
    changes: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub file: FileArg,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Show the SQL statements of each change
    #[arg(long)]
    pub sql: bool,
    /// Render the plan as Markdown, for a pull-request comment
    #[arg(long, conflicts_with = "sql")]
    pub markdown: bool,
    /// Plan `online` indexes as concurrent builds after the transaction
    #[arg(long)]
    pub online: bool,
    /// Plan as if the platform roles, auth helpers and storage tables existed (`deploy --bootstrap`)
    #[arg(long)]
    pub bootstrap: bool,
    /// Save the plan to a file for `appctl deploy --plan`
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(args: PlanArgs, global: &GlobalArgs, output: Output) -> anyhow::Result<ExitCode> {
    let runtime = database::runtime()?;
    let application_name = database::application_name("plan");
    let (url, plan) = match args.connection.database_url.clone() {
        // The database is known before the file is read: connect and inspect while another thread
        // loads and checks the file (a quarter of a plan's time or more).
        Some(url) => {
            let cwd = std::env::current_dir().ok();
            let path = global.project_file(&args.file).or_else(|| {
                cwd.as_deref()
                    .and_then(|cwd| crate::project::locate(None, cwd).ok())
            });
            let guessed = crate::project::guess_schema(path.as_deref());
            let load = || {
                database::load_project(global, &args.file, output)
                    .and_then(|project| Ok(crate::functions::lower_with_versions(&project)?))
            };
            let plan = deploy::plan_while_loading(
                &runtime,
                &url,
                &application_name,
                &guessed,
                load,
                args.online,
                args.bootstrap,
            )??;
            (url, plan)
        }
        None => {
            let project = database::load_project(global, &args.file, output)?;
            let url = database::database_url(&args.connection, global, &project)?;
            let desired = crate::functions::lower_with_versions(&project)?;
            let plan = runtime.block_on(async {
                let mut conn = deploy::connect(&url, &application_name).await?;
                deploy::make_plan_with(&mut conn, &desired, args.online, args.bootstrap).await
            })?;
            (url, plan)
        }
    };
    if let Some(path) = &args.out {
        database::write_file(path, &(serde_json::to_string_pretty(&plan)? + "\n"))?;
        output.status(format!(
            "Saved the plan to {}; apply it with `appctl deploy --plan {}`.",
            path.display(),
            path.display()
        ));
    }
    if output.json {
        let json = PlanJson {
            plan: &plan,
            summary: plan.summary(),
            changes: !plan.is_empty(),
        };
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else if args.markdown {
        print!("{}", plan_output::render_markdown(&plan));
    } else {
        let options = TextOptions {
            sql: args.sql,
            color: output.color,
        };
        print!(
            "{}",
            plan_output::render_text(&plan, &redact_url(&url), options)
        );
    }
    Ok(if plan.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
