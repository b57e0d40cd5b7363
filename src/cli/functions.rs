//! `appctl functions`: package a function's sources, list the functions (and what is deployed), invoke
//! one through the gateway (not built yet: it needs the local stack).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::database::{self, ConnectionArgs};
use super::{FileArg, GlobalArgs};
use crate::functions::{self, short_version};
use crate::output::Output;
use crate::project::package::{self, PackageOptions};
use crate::project::vars::{self, Variables};

#[derive(Debug, Args)]
pub struct FunctionsArgs {
    #[command(flatten)]
    pub file: FileArg,
    #[command(subcommand)]
    pub command: FunctionsCommand,
}

#[derive(Debug, Subcommand)]
pub enum FunctionsCommand {
    /// Write a deterministic tar.gz per function; its sha256 is the function's version
    Package {
        /// The function [default: all]
        name: Option<String>,
        /// Where to write <name>.tar.gz [default: .appctl/packages beside appctl.yaml]
        #[arg(short, long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Also pack dependency folders (node_modules, .venv, virtualenvs)
        #[arg(long)]
        include_deps: bool,
    },
    /// List the project's functions; with a database, what is deployed there
    List {
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// Call a function through the gateway
    Invoke {
        name: String,
        /// The JSON body
        #[arg(long)]
        data: Option<String>,
        /// Who calls: anon, service or user:<uuid>
        #[arg(long = "as", default_value = "anon")]
        caller: String,
        /// The gateway to call [default: the local stack's; with --env, the environment's
        /// `gateway` on its docker_host]
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
}

pub fn run(args: FunctionsArgs, global: &GlobalArgs, output: Output) -> anyhow::Result<ExitCode> {
    match args.command {
        FunctionsCommand::Package {
            name,
            out,
            include_deps,
        } => package(&args.file, name, out, include_deps, global, output),
        FunctionsCommand::List { connection } => list(&args.file, &connection, global, output),
        FunctionsCommand::Invoke {
            name,
            data,
            caller,
            url,
        } => {
            let request = Invocation {
                name: &name,
                data: data.as_deref(),
                caller: &caller,
                url: url.as_deref(),
            };
            invoke(&args.file, &request, global, output)
        }
    }
}

/// Loads and checks the project file like every command, except that `${VAR}`s need not be set:
/// packaging and listing use env names, never values, so CI can package without production secrets.
/// Unset variables are checked as if set to an empty value that nothing reads (the connection URL
/// of `list --env` is resolved on its own, and a missing variable there is still an error).
fn load_without_secrets(
    global: &GlobalArgs,
    file: &FileArg,
    output: Output,
) -> anyhow::Result<crate::project::Project> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let path = crate::project::locate(global.project_file(file).as_deref(), &cwd)?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let source = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let known = Variables::from_env(&dir)
        .with_context(|| format!("cannot read {}", dir.join(".env").display()))?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    for line in source.lines() {
        for reference in vars::references(line).unwrap_or_default() {
            if !known.is_set(&reference.name) {
                pairs.push((reference.name, String::new()));
            }
        }
    }
    let variables = known.with(pairs);
    let options = crate::project::LoadOptions {
        environment: global.env.clone(),
        variables: Some(variables),
    };
    database::load_with(&path, &options, output)
}

/// The names asked for, checked against the file: all when `None`.
fn selected(
    project: &crate::project::Project,
    name: Option<String>,
) -> anyhow::Result<Vec<String>> {
    let declared: Vec<String> = project.file.functions.keys().cloned().collect();
    match name {
        None => {
            if declared.is_empty() {
                bail!(
                    "{} declares no functions; add one under `functions:` (see docs/functions.md)",
                    project.path.display()
                );
            }
            Ok(declared)
        }
        Some(name) if declared.contains(&name) => Ok(vec![name]),
        Some(name) => {
            let hint =
                crate::project::suggest::did_you_mean(&name, declared.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
            bail!(
                "no function `{name}` in {}; {hint}declared: {}",
                project.path.display(),
                if declared.is_empty() {
                    "none".to_string()
                } else {
                    declared.join(", ")
                }
            )
        }
    }
}

fn package(
    file: &FileArg,
    name: Option<String>,
    out: Option<PathBuf>,
    include_deps: bool,
    global: &GlobalArgs,
    output: Output,
) -> anyhow::Result<ExitCode> {
    let project = load_without_secrets(global, file, output)?;
    let names = selected(&project, name)?;
    let out_dir = out.unwrap_or_else(|| {
        let packages = PathBuf::from(".appctl").join("packages");
        match project.dir() {
            dir if dir == std::path::Path::new(".") => packages,
            dir => dir.join(packages),
        }
    });
    let mut written = Vec::new();
    for name in &names {
        let function = &project.file.functions[name];
        // --include-deps packs them for every function; a function's own `include_deps` for it.
        let options = PackageOptions {
            include_deps: include_deps || function.include_deps,
        };
        let (info, path) = package::write(name, function, project.dir(), options, &out_dir)?;
        written.push((info, path));
    }
    if output.json {
        let packages = written
            .iter()
            .map(|(info, path)| PackageJson {
                name: &info.name,
                version: &info.version,
                size: info.size,
                files: info.files,
                path,
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&PackagesJson { packages })?
        );
    } else {
        let mut table = vec![
            ["NAME", "VERSION (sha256)", "SIZE", "FILES", "PACKAGE"]
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
        ];
        for (info, path) in &written {
            table.push(vec![
                info.name.clone(),
                info.version.clone(),
                format!("{} bytes", info.size),
                info.files.to_string(),
                path.display().to_string(),
            ]);
        }
        print!("{}", render_table(&table));
    }
    Ok(ExitCode::SUCCESS)
}

fn list(
    file: &FileArg,
    connection: &ConnectionArgs,
    global: &GlobalArgs,
    output: Output,
) -> anyhow::Result<ExitCode> {
    let project = load_without_secrets(global, file, output)?;
    let declared = functions::lower_with_versions(&project)?.functions;
    let deployed = if connection.database_url.is_some() || global.env.is_some() {
        let url = database::database_url(connection, global, &project)?;
        let schema = project.file.schema.clone();
        let records = database::runtime()?.block_on(async {
            let mut conn =
                crate::deploy::connect(&url, &database::application_name("functions list")).await?;
            crate::inspect::deployed_functions(&mut conn, &schema)
                .await
                .map_err(anyhow::Error::from)
        });
        Some(records.with_context(|| {
            format!(
                "cannot read the deployed functions from {}",
                crate::deploy::redact_url(&url)
            )
        })?)
    } else {
        None
    };
    let empty = Default::default();
    let rows = functions::by_name(&declared, deployed.as_ref().unwrap_or(&empty));
    if output.json {
        let functions = rows
            .iter()
            .map(|&(name, wanted, recorded)| FunctionJson {
                name,
                declared: wanted.is_some(),
                wanted: wanted.map(DeclaredJson::of),
                // Absent without a database; null when the function was never deployed.
                deployed: deployed.as_ref().map(|_| {
                    recorded.map(|r| {
                        let differences = match wanted {
                            Some(w) => functions::differences(r, w),
                            None => vec!["no longer declared".to_string()],
                        };
                        DeployedJson {
                            version: r.version.as_deref(),
                            differs: !differences.is_empty(),
                            differences,
                        }
                    })
                }),
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&FunctionsJson { functions })?
        );
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("No functions declared in {}.", project.path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let mut table: Vec<Vec<String>> = vec![
        ["NAME", "RUNTIME", "VERSION", "SCHEDULE", "EXECUTE"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    ];
    if deployed.is_some() {
        table[0].push("DEPLOYED".into());
    }
    for (name, wanted, recorded) in &rows {
        let mut row = match wanted {
            Some(f) => vec![
                name.to_string(),
                f.runtime.clone(),
                short_version(f.version.as_deref()),
                f.schedule.clone().unwrap_or_else(|| "-".into()),
                if f.execute.is_empty() {
                    "nobody".into()
                } else {
                    f.execute.join(", ")
                },
            ],
            None => vec![
                name.to_string(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ],
        };
        if deployed.is_some() {
            row.push(match (wanted, recorded) {
                (_, None) => "not deployed".into(),
                (None, Some(r)) => format!(
                    "{} (no longer declared; the next deploy removes it)",
                    short_version(r.version.as_deref())
                ),
                (Some(w), Some(r)) => {
                    let differences = functions::differences(r, w);
                    if differences.is_empty() {
                        format!("{} (up to date)", short_version(r.version.as_deref()))
                    } else {
                        format!(
                            "{} (differs: {})",
                            short_version(r.version.as_deref()),
                            differences.join(", ")
                        )
                    }
                }
            });
        }
        table.push(row);
    }
    print!("{}", render_table(&table));
    Ok(ExitCode::SUCCESS)
}

/// Columns padded to their widest cell, two spaces apart; the last one is not padded.
fn render_table(rows: &[Vec<String>]) -> String {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ", width = widths[c]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

struct Invocation<'a> {
    name: &'a str,
    data: Option<&'a str>,
    caller: &'a str,
    url: Option<&'a str>,
}

/// `appctl functions invoke`: calls a function through a gateway as `caller` (`anon`, `service` or
/// `user:<uuid>`, with a token signed by that gateway's secret), prints the status on stderr and
/// the body on stdout, and exits 1 unless the status is 2xx. The gateway is the local stack's, or
/// with `--env E` the one `deploy --env E` runs on the environment's docker_host.
fn invoke(
    file: &FileArg,
    request: &Invocation<'_>,
    global: &GlobalArgs,
    output: Output,
) -> anyhow::Result<ExitCode> {
    let Invocation {
        name,
        data,
        caller,
        url,
    } = *request;
    let project = database::load_project(global, file, output)?;
    if !project.file.functions.contains_key(name) {
        let known: Vec<&String> = project.file.functions.keys().collect();
        bail!("no function `{name}` in appctl.yaml (functions: {known:?})");
    }
    let (gateway, jwt_secret, hint) = match &global.env {
        Some(env) => {
            let variables = Variables::from_env(project.dir())?;
            let target =
                crate::stack::remote::target(&project, env, &variables)?.with_context(|| {
                    format!(
                        "environment `{env}` has no docker_host, so appctl runs no gateway there"
                    )
                })?;
            let gateway = target.gateway_url();
            (
                gateway,
                target.jwt_secret().to_string(),
                format!("is `appctl deploy --env {env}` done?"),
            )
        }
        None => {
            let stack = crate::stack::up::stack_of(&project)?;
            let port = stack.service("gateway").and_then(|g| g.port).context(
                "the stack has no gateway (`stack.gateway.enabled: false`), so nothing routes functions",
            )?;
            let secrets = crate::stack::secrets::Secrets::load_or_create(project.dir())?;
            (
                format!("http://127.0.0.1:{}", port.host),
                secrets.jwt_secret,
                "is the stack up (`appctl up`)?".to_string(),
            )
        }
    };
    let gateway = url.map_or(gateway, |u| u.trim_end_matches('/').to_string());
    let token = match caller {
        "anon" => crate::jwt::sign_role_key("anon", &jwt_secret)?,
        "service" => crate::jwt::sign_role_key("service_role", &jwt_secret)?,
        other => match other.strip_prefix("user:") {
            Some(id) if uuid::Uuid::parse_str(id).is_ok() => {
                crate::jwt::sign_user_token(id, &jwt_secret)?
            }
            _ => bail!("--as takes anon, service or user:<uuid>, not `{other}`"),
        },
    };
    let body = match data {
        Some(text) => {
            serde_json::from_str::<serde_json::Value>(text).context("--data is not JSON")?;
            text.to_string()
        }
        None => "{}".to_string(),
    };
    let url = format!("{gateway}/functions/v1/{name}");
    let (status, answer) = database::runtime()?.block_on(async {
        let client = crate::tls::http_client().no_proxy().build()?;
        let response = client
            .post(&url)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .with_context(|| format!("the gateway at {gateway} does not answer; {hint}"))?;
        let status = response.status();
        anyhow::Ok((status, response.text().await?))
    })?;
    if output.json {
        println!(
            "{}",
            serde_json::to_string(&InvokeJson {
                status: status.as_u16(),
                body: &answer,
            })?
        );
    } else {
        output.status(format!("HTTP {status}"));
        println!("{answer}");
    }
    Ok(if status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `appctl functions package --json`.
#[derive(Serialize)]
struct PackagesJson<'a> {
    packages: Vec<PackageJson<'a>>,
}

/// One package written: what it holds, its version and where it is.
#[derive(Serialize)]
struct PackageJson<'a> {
    name: &'a str,
    version: &'a str,
    size: u64,
    files: usize,
    path: &'a Path,
}

/// `appctl functions list --json`.
#[derive(Serialize)]
struct FunctionsJson<'a> {
    functions: Vec<FunctionJson<'a>>,
}

/// One function: its declaration's fields when declared, and what is deployed when a database
/// was given.
#[derive(Serialize)]
struct FunctionJson<'a> {
    name: &'a str,
    declared: bool,
    #[serde(flatten)]
    wanted: Option<DeclaredJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deployed: Option<Option<DeployedJson<'a>>>,
}

/// A declared function's fields, flattened into its row.
#[derive(Serialize)]
struct DeclaredJson<'a> {
    runtime: &'a str,
    entrypoint: &'a str,
    version: Option<&'a str>,
    schedule: Option<&'a str>,
    timeout_ms: Option<u64>,
    memory_bytes: Option<u64>,
    execute: &'a [String],
    env: &'a BTreeSet<String>,
}

impl<'a> DeclaredJson<'a> {
    fn of(f: &'a crate::model::Function) -> Self {
        DeclaredJson {
            runtime: &f.runtime,
            entrypoint: &f.entrypoint,
            version: f.version.as_deref(),
            schedule: f.schedule.as_deref(),
            timeout_ms: f.timeout_ms,
            memory_bytes: f.memory_bytes,
            execute: &f.execute,
            env: &f.env,
        }
    }
}

/// The deployed record of a function and how it differs from the declaration.
#[derive(Serialize)]
struct DeployedJson<'a> {
    version: Option<&'a str>,
    differs: bool,
    differences: Vec<String>,
}

/// `appctl functions invoke --json`: the gateway's answer, on one line.
#[derive(Serialize)]
struct InvokeJson<'a> {
    status: u16,
    body: &'a str,
}
