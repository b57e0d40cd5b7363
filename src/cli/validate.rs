//! `appctl validate`: every problem of the project file at once, each at its line and column.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use super::GlobalArgs;
use crate::output::Output;
use crate::project::{self, LoadError, LoadOptions};

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub file: super::FileArg,
}

pub fn run(args: ValidateArgs, global: &GlobalArgs, output: Output) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let path = project::locate(global.project_file(&args.file).as_deref(), &cwd)?;
    let options = LoadOptions {
        environment: global.env.clone(),
        variables: None,
    };
    let (report, valid) = match project::load(&path, &options) {
        Ok(project) => (project.report, true),
        Err(LoadError::Invalid(report)) => (*report, false),
        Err(other) => return Err(other.into()),
    };
    if output.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        eprint!("{}", report.render(output.color));
        if valid {
            let warnings = match report.warning_count() {
                0 => String::new(),
                n => format!(" ({n} warning(s))"),
            };
            output.status(format!("{} is valid{warnings}", path.display()));
        } else {
            eprintln!(
                "{}: {} error(s), {} warning(s)",
                path.display(),
                report.error_count(),
                report.warning_count()
            );
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
