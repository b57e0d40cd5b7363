//! What the database commands share: loading the project, finding the database, a runtime.

use std::path::Path;

use anyhow::{Context as _, bail};
use clap::Args;

use super::{FileArg, GlobalArgs};
use crate::output::Output;
use crate::project::{self, LoadError, LoadOptions, Project};

/// Where the database is.
#[derive(Debug, Args)]
pub struct ConnectionArgs {
    /// Postgres connection URL [default: DATABASE_URL, else the environment's database_url]
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    pub database_url: Option<String>,
}

/// Loads the project file; on problems prints them as `validate` does and fails.
pub fn load_project(
    global: &GlobalArgs,
    file: &FileArg,
    output: Output,
) -> anyhow::Result<Project> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let path = project::locate(global.project_file(file).as_deref(), &cwd)?;
    let options = LoadOptions {
        environment: global.env.clone(),
        variables: None,
    };
    load_with(&path, &options, output)
}

/// [`load_project`] with the options given.
pub fn load_with(path: &Path, options: &LoadOptions, output: Output) -> anyhow::Result<Project> {
    match project::load(path, options) {
        Ok(project) => {
            if !project.report.diagnostics.is_empty() && !output.quiet {
                eprint!("{}", project.report.render(output.color));
            }
            Ok(project)
        }
        Err(LoadError::Invalid(report)) => {
            eprint!("{}", report.render(output.color));
            bail!(
                "{} has {} error(s); see above (`appctl validate` lists them too)",
                path.display(),
                report.error_count()
            )
        }
        Err(other) => Err(other.into()),
    }
}

/// The connection URL: `--database-url`, else `DATABASE_URL`, else the selected environment's
/// `database_url` with its `${VAR}`s resolved. The URL is never printed unredacted.
pub fn database_url(
    args: &ConnectionArgs,
    global: &GlobalArgs,
    project: &Project,
) -> anyhow::Result<String> {
    if let Some(url) = &args.database_url {
        return Ok(url.clone());
    }
    let Some(env_name) = &global.env else {
        bail!(
            "no database given: pass --database-url URL, set DATABASE_URL, or select an environment with --env NAME"
        );
    };
    let environment = project
        .file
        .environments
        .get(env_name)
        .with_context(|| format!("environment `{env_name}` is not declared in appctl.yaml"))?;
    let template = environment.database_url.as_deref().with_context(|| {
        format!("environment `{env_name}` has no `database_url`; add one or pass --database-url")
    })?;
    let variables = project::vars::Variables::from_env(project.dir())
        .with_context(|| format!("cannot read {}", project.dir().join(".env").display()))?;
    variables
        .interpolate(template)
        .with_context(|| format!("environments.{env_name}.database_url"))
}

/// A runtime for one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub use crate::ops::application_name;

pub fn write_file(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}
