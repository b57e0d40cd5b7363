//! `appctl status`: the stack's services as the engine has them, next to what appctl.yaml wants.
//! Pure: rows from specs and containers, and their rendering.

use serde::Serialize;

use super::docker::Existing;
use super::spec::{HealthCheck, StackSpec};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusRow {
    pub service: String,
    /// `running`, `exited`, ..., `missing` (wanted but not created) or `orphan` (created, no longer
    /// wanted).
    pub state: String,
    pub health: String,
    pub url: Option<String>,
    pub image: String,
}

pub fn rows(stack: &StackSpec, existing: &[Existing]) -> Vec<StatusRow> {
    let mut rows = Vec::new();
    for service in &stack.services {
        let container = existing.iter().find(|e| e.service == service.name);
        let url = service.port.map(|p| match service.name.as_str() {
            "db" => format!("postgres://postgres:***@127.0.0.1:{}/postgres", p.host),
            _ => format!("http://127.0.0.1:{}", p.host),
        });
        let (state, health) = match container {
            None => ("missing".to_string(), "-".to_string()),
            Some(c) => {
                let health = match (&c.health, &service.health.check) {
                    (Some(h), _) => h.clone(),
                    (None, HealthCheck::Command(_)) => "-".to_string(),
                    (None, _) => "-".to_string(),
                };
                (c.state.clone(), health)
            }
        };
        rows.push(StatusRow {
            service: service.name.clone(),
            state,
            health,
            url,
            image: service.image.clone(),
        });
    }
    for orphan in existing
        .iter()
        .filter(|e| stack.service(&e.service).is_none())
    {
        rows.push(StatusRow {
            service: orphan.service.clone(),
            state: format!("{} (not in appctl.yaml)", orphan.state),
            health: orphan.health.clone().unwrap_or("-".to_string()),
            url: None,
            image: orphan.image.clone(),
        });
    }
    rows
}

/// A plain table, one line per service.
pub fn render_table(rows: &[StatusRow]) -> String {
    let headers = ["SERVICE", "STATE", "HEALTH", "URL"];
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            [
                r.service.clone(),
                r.state.clone(),
                r.health.clone(),
                r.url.clone().unwrap_or("-".to_string()),
            ]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, row: [&str; 4]| {
        let text = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect::<Vec<_>>()
            .join("  ");
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut out, headers);
    for row in &cells {
        line(&mut out, [&row[0], &row[1], &row[2], &row[3]]);
    }
    out
}
