//! `appctl init [DIR]`: a new project from a template, asked interactively or given by flags.
//! Without a terminal nothing is ever asked: a missing answer is an error that names its flag.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Args;
use dialoguer::{Input, Select, theme::ColorfulTheme};
use serde::Serialize;

use super::GlobalArgs;
use crate::output::Output;
use crate::templates::{self, TEMPLATES};

/// `appctl init --json`: the project, its template and the files written, on one line.
#[derive(Serialize)]
struct InitJson<'a> {
    project: &'a str,
    template: &'a str,
    files: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to create the project [default: the current directory]
    pub dir: Option<PathBuf>,
    /// The template: blank or ai-chat
    #[arg(short, long, value_parser = template_names())]
    pub template: Option<String>,
    /// The project name [default: derived from the directory]
    #[arg(short, long)]
    pub name: Option<String>,
    /// Overwrite files that already exist
    #[arg(long)]
    pub force: bool,
}

fn template_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(TEMPLATES.iter().map(|t| t.name))
}

pub fn run(args: InitArgs, global: &GlobalArgs, output: Output) -> anyhow::Result<ExitCode> {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let default_name = templates::project_name_from_dir(&dir);
    let ask = output.interactive && !global.yes;

    let name = match args.name {
        Some(name) => name,
        None if ask => Input::<String>::with_theme(&ColorfulTheme::default())
            .with_prompt("Project name")
            .default(default_name)
            .validate_with(|name: &String| {
                if templates::is_valid_project_name(name) {
                    Ok(())
                } else {
                    Err("lowercase letters, digits and dashes, starting with a letter")
                }
            })
            .interact_text()?,
        None if global.yes => default_name,
        None => bail!(
            "no terminal to ask for the project name: pass --name NAME (or --yes to use `{default_name}`)"
        ),
    };
    if !templates::is_valid_project_name(&name) {
        bail!(
            "`{name}` is not a valid project name: use lowercase letters, digits and dashes, starting with a letter, at most 40 characters"
        );
    }

    let template = match args.template {
        Some(template) => template,
        None if ask => {
            let items: Vec<String> = TEMPLATES
                .iter()
                .map(|t| format!("{:<8} {}", t.name, t.description))
                .collect();
            let index = Select::with_theme(&ColorfulTheme::default())
                .with_prompt("Template")
                .items(&items)
                .default(0)
                .interact()?;
            TEMPLATES[index].name.to_string()
        }
        None if global.yes => "blank".to_string(),
        None => bail!(
            "no terminal to ask for the template: pass --template ({})",
            TEMPLATES
                .iter()
                .map(|t| t.name)
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    };
    let template = templates::find(&template).context("unknown template")?;

    let written =
        templates::scaffold(&dir, template, &name, args.force).map_err(|error| match error {
            templates::ScaffoldError::WouldOverwrite(_) => {
                anyhow::anyhow!("{error}; nothing was written. Pass --force to overwrite them")
            }
            other => other.into(),
        })?;
    if output.json {
        let json = InitJson {
            project: &name,
            template: template.name,
            files: written.iter().map(|p| p.display().to_string()).collect(),
        };
        println!("{}", serde_json::to_string(&json)?);
    } else {
        for path in &written {
            output.detail(format!("  wrote {}", path.display()));
        }
        output.status(format!(
            "Created project `{name}` from template `{}` in {} ({} files).\nNext: cp .env.example .env, fill it in, then `appctl validate` and `appctl up`.",
            template.name,
            dir.display(),
            written.len()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
