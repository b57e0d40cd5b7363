//! A plan for people: terminal text in the style of `terraform plan`, and Markdown for a pull-request
//! comment. Pure; covered by snapshot tests.

use std::fmt::Write as _;

use crate::plan::{Hazard, Plan, Stage};

/// How much to show.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// Show each step's SQL.
    pub sql: bool,
    /// ANSI colours (+ green, ~ yellow, - red).
    pub color: bool,
}

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// The summary line: `Plan: 2 to create, 1 to change, 0 to drop.`
pub fn summary_line(plan: &Plan) -> String {
    if plan.is_empty() {
        return "No changes. The database matches the project file.".to_string();
    }
    let s = plan.summary();
    let mut line = format!(
        "Plan: {} to create, {} to change, {} to drop.",
        s.create, s.change, s.drop
    );
    if s.destructive > 0 {
        line.push_str(&format!(
            " {} destructive (needs --allow-destructive).",
            s.destructive
        ));
    }
    line
}

pub fn render_text(plan: &Plan, target: &str, options: TextOptions) -> String {
    let mut out = String::new();
    if !plan.is_empty() {
        let _ = writeln!(
            out,
            "appctl will change schema \"{}\" of {target}:\n",
            plan.schema
        );
    }
    for step in &plan.steps {
        let symbol = step.action.symbol();
        let code = match step.action {
            crate::plan::Action::Create => "32",
            crate::plan::Action::Drop => "31",
            _ => "33",
        };
        let mut line = format!("  {} {}", paint(symbol, code, options.color), step.object);
        if !step.detail.is_empty() {
            line.push_str(&format!(": {}", step.detail));
        }
        match step.stage {
            Stage::Before => line.push_str(" (committed first: later steps use it)"),
            Stage::After => line.push_str(" (after the transaction, concurrently)"),
            Stage::Transaction => {}
        }
        let _ = writeln!(out, "{line}");
        for hazard in &step.hazards {
            let text = format!("      ! {}", hazard.label());
            let _ = writeln!(
                out,
                "{}",
                if matches!(hazard, Hazard::Destructive(_)) {
                    paint(&text, "31", options.color)
                } else {
                    text
                }
            );
        }
        if options.sql {
            for sql in &step.sql {
                for (i, sql_line) in sql.lines().enumerate() {
                    let end = if i + 1 == sql.lines().count() {
                        ";"
                    } else {
                        ""
                    };
                    let _ = writeln!(out, "      {sql_line}{end}");
                }
            }
        }
    }
    if !plan.permissions.is_empty() {
        let _ = writeln!(out, "\n  Permissions:");
        for change in &plan.permissions {
            let _ = writeln!(
                out,
                "  {} {}: {} (was {})",
                paint("~", "33", options.color),
                change.permission,
                change.now,
                change.was
            );
        }
    }
    if !plan.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "{}", summary_line(plan));
    for note in &plan.notes {
        let _ = writeln!(out, "Note: {note}.");
    }
    if !plan.adopted.is_empty() {
        let names: Vec<String> = plan
            .adopted
            .iter()
            .map(|o| format!("{} {}", o.kind(), o.name()))
            .collect();
        let _ = writeln!(
            out,
            "Adopted (there already; managed by appctl from now on, dropped if removed from the file): {}.",
            names.join(", ")
        );
    }
    if !plan.unmanaged.is_empty() {
        let names: Vec<String> = plan
            .unmanaged
            .iter()
            .map(|o| format!("{} {}", o.kind(), o.name()))
            .collect();
        let _ = writeln!(
            out,
            "Not managed by appctl, left alone: {}.",
            names.join(", ")
        );
    }
    out
}

/// Markdown for a pull-request comment: a summary, a table of steps, and the SQL folded away.
pub fn render_markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### appctl plan for schema `{}`\n", plan.schema);
    let _ = writeln!(out, "{}\n", summary_line(plan));
    if !plan.is_empty() {
        let _ = writeln!(out, "| | object | change | notes |");
        let _ = writeln!(out, "|---|---|---|---|");
        for step in &plan.steps {
            let notes: Vec<String> = step
                .hazards
                .iter()
                .map(|h| match h {
                    Hazard::Destructive(_) => format!("**{}**", h.label()),
                    _ => h.label(),
                })
                .collect();
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                step.action.symbol(),
                escape_cell(&step.object),
                escape_cell(&step.detail),
                escape_cell(&notes.join("; "))
            );
        }
        if !plan.permissions.is_empty() {
            let _ = writeln!(out, "\n**Permissions**\n");
            for change in &plan.permissions {
                let _ = writeln!(
                    out,
                    "- `{}`: {} (was {})",
                    change.permission,
                    escape_cell(&change.now),
                    escape_cell(&change.was)
                );
            }
        }
        let _ = writeln!(out, "\n<details><summary>SQL</summary>\n\n```sql");
        for step in &plan.steps {
            for sql in &step.sql {
                let _ = writeln!(out, "{sql};");
            }
        }
        let _ = writeln!(out, "```\n\n</details>");
    }
    for note in &plan.notes {
        let _ = writeln!(out, "\nNote: {note}.");
    }
    if !plan.adopted.is_empty() {
        let names: Vec<String> = plan
            .adopted
            .iter()
            .map(|o| format!("{} `{}`", o.kind(), o.name()))
            .collect();
        let _ = writeln!(
            out,
            "\nAdopted (there already; managed by appctl from now on, dropped if removed from the file): {}.",
            names.join(", ")
        );
    }
    if !plan.unmanaged.is_empty() {
        let names: Vec<String> = plan
            .unmanaged
            .iter()
            .map(|o| format!("{} `{}`", o.kind(), o.name()))
            .collect();
        let _ = writeln!(
            out,
            "\nNot managed by appctl, left alone: {}.",
            names.join(", ")
        );
    }
    out
}

fn escape_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
