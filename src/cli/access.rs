//! `appctl access`: the effective permissions, read from the live database, compared with appctl.yaml.

use std::collections::BTreeSet;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use super::database::{self, ConnectionArgs};
use super::{FileArg, GlobalArgs};
use crate::access;
use crate::deploy;
use crate::output::Output;

/// `appctl access --json`: the live matrix, how it differs from appctl.yaml, and live tables it does not declare.
#[derive(Serialize)]
struct AccessJson<'a> {
    schema: &'a str,
    cells: &'a [access::Cell],
    differences: &'a [access::Difference],
    undeclared_tables: &'a [&'a String],
    /// Permissions that are legal but open more than they seem (the `owner` warnings of validate).
    hazards: Vec<&'a str>,
}

#[derive(Debug, Args)]
pub struct AccessArgs {
    #[command(flatten)]
    pub file: FileArg,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

pub fn run(args: AccessArgs, global: &GlobalArgs, output: Output) -> anyhow::Result<ExitCode> {
    let project = database::load_project(global, &args.file, output)?;
    let url = database::database_url(&args.connection, global, &project)?;
    let desired = crate::lower::lower(&project.file);
    let (live, declared, bypass) = database::runtime()?.block_on(async {
        let mut conn = deploy::connect(&url, &database::application_name("access")).await?;
        let live = crate::inspect::inspect(&mut conn, &desired.schema).await?;
        let bypass: Vec<String> = sqlx::query_scalar(
            "SELECT rolname::text FROM pg_catalog.pg_roles WHERE (rolbypassrls OR rolsuper) AND rolname = ANY($1)",
        )
        .bind(access::ROLES.map(String::from).to_vec())
        .fetch_all(&mut conn)
        .await
        .map_err(deploy::DeployError::from)?;
        // The declared side in the server's spelling, so equal predicates compare equal.
        let declared = crate::normalize::normalize(&mut conn, &desired).await?;
        Ok::<_, deploy::DeployError>((live, declared, bypass))
    })?;
    let bypass: BTreeSet<String> = bypass.into_iter().collect();
    let live_cells = access::matrix(&live, &bypass);
    let declared_cells = access::matrix(&declared, &bypass);
    let differences = access::differences(&live_cells, &declared_cells);
    let undeclared: Vec<&String> = live
        .tables
        .keys()
        .filter(|t| !declared.tables.contains_key(*t))
        .collect();
    let hazards: Vec<&str> = project
        .report
        .diagnostics
        .iter()
        .filter(|d| d.code == "owner" && !d.is_error())
        .map(|d| d.message.as_str())
        .collect();
    if output.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&AccessJson {
                schema: &live.schema,
                cells: &live_cells,
                differences: &differences,
                undeclared_tables: &undeclared,
                hazards: hazards.clone(),
            })?
        );
    } else {
        print!("{}", access::render_text(&live_cells, &differences));
        if !undeclared.is_empty() {
            let names: Vec<&str> = undeclared.iter().map(|s| s.as_str()).collect();
            println!("\nNot in appctl.yaml: {}.", names.join(", "));
        }
        if !hazards.is_empty() {
            println!("\nHazards in appctl.yaml:");
            for hazard in &hazards {
                println!("  - {hazard}");
            }
        }
    }
    Ok(if differences.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
