//! `appctl pull`: write a project file from a live database, and say what it could not express.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Args;

use super::database::{self, ConnectionArgs};
use super::{FileArg, GlobalArgs};
use crate::deploy;
use crate::output::Output;

#[derive(Debug, Args)]
pub struct PullArgs {
    #[command(flatten)]
    pub file: FileArg,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Where to write the project file [default: stdout]
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Overwrite the output file if it exists
    #[arg(long)]
    pub force: bool,
    /// The schema to read
    #[arg(long, value_name = "SCHEMA", default_value = "public")]
    pub schema: String,
    /// The project name to write [default: derived from the database name]
    #[arg(long)]
    pub name: Option<String>,
}

pub fn run(args: PullArgs, global: &GlobalArgs, output: Output) -> anyhow::Result<ExitCode> {
    // The URL comes from the flag or DATABASE_URL, or from an environment of an existing project file.
    let url = match &args.connection.database_url {
        Some(url) => url.clone(),
        None => {
            let project = database::load_project(global, &args.file, output)?;
            database::database_url(&args.connection, global, &project)?
        }
    };
    if let Some(path) = &args.out
        && path.exists()
        && !args.force
    {
        bail!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        );
    }
    let name = match &args.name {
        Some(name) => name.clone(),
        None => project_name_from_url(&url),
    };
    if !crate::templates::is_valid_project_name(&name) {
        bail!(
            "`{name}` is not a valid project name; pass --name with lowercase letters, digits and dashes"
        );
    }
    if let Some((message, hint)) = crate::project::values::platform_schema_problem(&args.schema) {
        bail!("{message}; {hint}");
    }
    let (inspection, packages, others, triggers) = database::runtime()?.block_on(async {
        let mut conn = deploy::connect(&url, &database::application_name("pull")).await?;
        let inspection = crate::inspect::inspection(&mut conn, &args.schema)
            .await
            .map_err(deploy::DeployError::from)?;
        let others = crate::inspect::other_schemas_with_tables(&mut conn, &args.schema)
            .await
            .map_err(deploy::DeployError::from)?;
        let triggers = crate::inspect::project_triggers_on_platform_tables(&mut conn)
            .await
            .map_err(deploy::DeployError::from)?;
        let versions: Vec<String> = inspection
            .database
            .functions
            .values()
            .filter_map(|f| f.version.clone())
            .collect();
        let packages = crate::bookkeeping::Bookkeeping::on(&mut conn)
            .packages(&versions)
            .await?;
        anyhow::Ok((inspection, packages, others, triggers))
    })?;
    if !inspection.schema_exists {
        bail!(
            "schema `{}` does not exist in {}",
            args.schema,
            deploy::redact_url(&url)
        );
    }
    let mut pulled = crate::pull::pull(&inspection.database, &name, &inspection.unsupported);
    for (function_name, function) in pulled.file.functions.iter_mut() {
        let package = inspection.database.functions[function_name]
            .version
            .as_ref()
            .and_then(|v| packages.get(v));
        function.include_deps =
            package.is_some_and(|p| crate::project::package::packed_with_deps(p));
    }
    let yaml =
        crate::pull::to_yaml(&pulled.file).context("cannot write the project file as YAML")?;
    match &args.out {
        Some(path) => {
            let dir = match path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => std::path::PathBuf::from("."),
            };
            let written = crate::ops::pull::write_function_sources(
                &pulled.file,
                &inspection.database.functions,
                &packages,
                &dir,
                args.force,
            )?;
            database::write_file(path, &yaml)?;
            for (name, files) in &written {
                output.status(format!(
                    "Wrote functions/{name}/ ({files} files of the deployed package)."
                ));
            }
            output.status(format!(
                "Wrote {} ({} tables, {} enums).",
                path.display(),
                pulled.file.tables.len(),
                pulled.file.enums.len()
            ));
        }
        None => {
            print!("{yaml}");
            if !pulled.file.functions.is_empty() {
                output.status(
                    "The functions' sources are written with -o FILE (into functions/<name>/ beside it).",
                );
            }
        }
    }
    report_other_schemas(&output, &args.schema, &others);
    for (trigger, table, function) in &triggers {
        pulled.unexpressed.push(crate::pull::Unexpressed {
            what: format!("trigger {trigger} on {table} (calls {function})"),
            why: "the project file cannot declare triggers yet; it stays as it is".into(),
        });
    }
    if !pulled.unexpressed.is_empty() && !output.quiet {
        eprintln!("Not in the project file ({}):", pulled.unexpressed.len());
        for item in &pulled.unexpressed {
            eprintln!("  - {}: {}", item.what, item.why);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Which schemas were read and which were not: the platform's (never pulled wholesale) apart from
/// the others (`--schema NAME` reads one).
fn report_other_schemas(output: &Output, schema: &str, others: &[(String, i64)]) {
    let list = |platform: bool| -> Vec<String> {
        others
            .iter()
            .filter(|(s, _)| {
                crate::project::values::PLATFORM_SCHEMAS.contains(&s.as_str()) == platform
            })
            .map(|(s, tables)| format!("{s} ({tables})"))
            .collect()
    };
    let (own, platform) = (list(false), list(true));
    let mut message = format!("Read schema {schema}.");
    if !own.is_empty() {
        message.push_str(&format!(
            " Other schemas hold tables, not read (`--schema NAME` reads one): {}.",
            own.join(", ")
        ));
    }
    if !platform.is_empty() {
        message.push_str(&format!(
            " Platform schemas, never pulled wholesale (buckets come as `buckets:`): {}.",
            platform.join(", ")
        ));
    }
    if !others.is_empty() {
        output.status(message);
    }
}

/// `postgres://h/my_shop?x` → `my-shop`.
pub(super) fn project_name_from_url(url: &str) -> String {
    let database = url
        .rsplit_once('/')
        .map(|(_, rest)| rest.split('?').next().unwrap_or(""))
        .unwrap_or("");
    let mut name: String = database
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    name = name.trim_matches('-').to_string();
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name.insert_str(0, "app-");
    }
    name.truncate(40);
    name.trim_end_matches('-').to_string()
}
