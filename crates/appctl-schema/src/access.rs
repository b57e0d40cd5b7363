//! Who may do what, worked out from grants, RLS flags and policies the way Postgres decides it. Pure.
//!
//! For a database role, a table and an action: without the privilege, denied; with it and RLS off (or
//! a role that bypasses RLS), allowed on every row; with RLS on, the permissive policies for the
//! role (or PUBLIC) and the action's command (or ALL) decide: none means denied, one with `true`
//! means allowed, otherwise the rows where any of their predicates holds; the restrictive ones then
//! limit those rows further (every one of them must hold). Reading the live database
//! (`appctl access`) answers "which rows can an anonymous request read?" from the database itself;
//! the same function over the desired state says what appctl.yaml intends, and the two are compared.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::model::{Database, Policy, Table};
use crate::permissions::Action;

/// The database roles the report covers.
pub const ROLES: [&str; 3] = ["anon", "authenticated", "service_role"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "access", content = "rows", rename_all = "snake_case")]
pub enum Access {
    Denied,
    Allowed,
    /// Allowed on the rows where one of these predicates holds.
    Rows(Vec<String>),
}

impl Access {
    pub fn label(&self) -> String {
        match self {
            Access::Denied => "denied".into(),
            Access::Allowed => "allowed".into(),
            Access::Rows(predicates) => format!("rows where {}", predicates.join(" OR ")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub table: String,
    pub role: String,
    pub action: &'static str,
    pub access: Access,
}

/// Roles that bypass row-level security (`rolbypassrls`), e.g. service_role on Supabase.
pub fn matrix(database: &Database, bypass_rls: &BTreeSet<String>) -> Vec<Cell> {
    let mut cells = Vec::new();
    for table in database.tables.values() {
        for role in ROLES {
            for action in Action::ALL {
                cells.push(Cell {
                    table: table.name.clone(),
                    role: role.to_string(),
                    action: action.name(),
                    access: access(table, role, action, bypass_rls.contains(role)),
                });
            }
        }
    }
    cells
}

pub fn access(table: &Table, role: &str, action: Action, bypasses_rls: bool) -> Access {
    let granted = table
        .grants
        .get(role)
        .is_some_and(|privileges| privileges.contains(&action.privilege()));
    if !granted {
        return Access::Denied;
    }
    if !table.rls_enabled || bypasses_rls {
        return Access::Allowed;
    }
    let predicates = |permissive: bool| -> Vec<String> {
        let mut found: Vec<String> = table
            .policies
            .iter()
            .filter(|p| p.permissive == permissive && applies(p, role, action))
            .map(|p| predicate(p, action))
            .collect();
        found.sort();
        found.dedup();
        found
    };
    let permissive = predicates(true);
    // Every restrictive policy must pass too: they are AND-ed onto the permissive ones.
    let restrictive: Vec<String> = predicates(false)
        .into_iter()
        .filter(|p| !is_true(p))
        .collect();
    if permissive.is_empty() {
        return Access::Denied;
    }
    let allowed = permissive.iter().any(|p| is_true(p));
    match (allowed, restrictive.is_empty()) {
        (true, true) => Access::Allowed,
        (false, true) => Access::Rows(permissive),
        (true, false) => Access::Rows(vec![restrictive.join(" AND ")]),
        (false, false) => Access::Rows(vec![format!(
            "({}) AND {}",
            permissive.join(" OR "),
            restrictive.join(" AND ")
        )]),
    }
}

fn applies(policy: &Policy, role: &str, action: Action) -> bool {
    let command = policy.command.as_str();
    (command == "ALL" || command == action.command())
        && policy.roles.iter().any(|r| r == role || r == "public")
}

/// The predicate that limits `action`: WITH CHECK for inserts, USING otherwise (a missing one is
/// `true`, or USING for an ALL policy's inserts, as Postgres does).
fn predicate(policy: &Policy, action: Action) -> String {
    let chosen = match action {
        Action::Create => policy.with_check.as_ref().or(policy.using.as_ref()),
        _ => policy.using.as_ref(),
    };
    chosen.cloned().unwrap_or_else(|| "true".into())
}

fn is_true(predicate: &str) -> bool {
    let trimmed = predicate
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')');
    trimmed.eq_ignore_ascii_case("true")
}

/// A cell of the live matrix and what appctl.yaml intends for it, when they differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub table: String,
    pub role: String,
    pub action: &'static str,
    pub live: Access,
    pub declared: Access,
}

/// Cells whose live access differs from the declared one. Tables the file does not declare are
/// reported as such by the caller, not here.
pub fn differences(live: &[Cell], declared: &[Cell]) -> Vec<Difference> {
    live.iter()
        .filter_map(|cell| {
            let wanted = declared.iter().find(|d| {
                d.table == cell.table && d.role == cell.role && d.action == cell.action
            })?;
            (wanted.access != cell.access).then(|| Difference {
                table: cell.table.clone(),
                role: cell.role.clone(),
                action: cell.action,
                live: cell.access.clone(),
                declared: wanted.access.clone(),
            })
        })
        .collect()
}

/// Text for people: one block per table, a line per role with its four actions.
pub fn render_text(cells: &[Cell], differences: &[Difference]) -> String {
    let mut out = String::new();
    let tables: BTreeSet<&str> = cells.iter().map(|c| c.table.as_str()).collect();
    for table in tables {
        out.push_str(&format!("{table}\n"));
        for role in ROLES {
            let mut parts = Vec::new();
            for action in Action::ALL {
                let Some(cell) = cells
                    .iter()
                    .find(|c| c.table == table && c.role == role && c.action == action.name())
                else {
                    continue;
                };
                let differs = differences
                    .iter()
                    .any(|d| d.table == table && d.role == role && d.action == action.name());
                parts.push(format!(
                    "{} {}{}",
                    action.name(),
                    cell.access.label(),
                    if differs { " (!)" } else { "" }
                ));
            }
            out.push_str(&format!("  {role:<14} {}\n", parts.join(" | ")));
        }
    }
    if !differences.is_empty() {
        out.push_str(&format!(
            "\n{} cell(s) differ from appctl.yaml (marked (!)):\n",
            differences.len()
        ));
        for d in differences {
            out.push_str(&format!(
                "  {}.{} for {}: live {}, appctl.yaml says {}\n",
                d.table,
                d.action,
                d.role,
                d.live.label(),
                d.declared.label()
            ));
        }
    }
    out
}

/// A table's (or bucket's) permission for one action, in the words of the file, before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PermissionChange {
    /// `messages.read`.
    pub permission: String,
    /// The roles after the change, e.g. `owner, users where (published)`; `nobody` when closed.
    pub now: String,
    pub was: String,
}

/// Permission changes between two states, worded as the file words them: `messages.read: owner
/// (was users)`. Read from the policies themselves, so a policy added by hand reads as drift.
pub fn permission_changes(desired: &Database, actual: &Database) -> Vec<PermissionChange> {
    let mut changes = Vec::new();
    for (name, table) in &desired.tables {
        let before = actual.tables.get(name);
        for action in Action::ALL {
            let now = words(&table.policies, action);
            let was = before.map_or_else(|| "nobody".to_string(), |t| words(&t.policies, action));
            if now != was {
                changes.push(PermissionChange {
                    permission: format!("{name}.{}", action.name()),
                    now,
                    was,
                });
            }
        }
    }
    changes
}

/// The roles a set of policies lets do `action`, as the file would write them.
fn words(policies: &[Policy], action: Action) -> String {
    let mut roles: Vec<String> = policies
        .iter()
        .filter(|p| p.command == action.command() || p.command == "ALL")
        .map(|p| {
            let predicate = predicate(p, action);
            role_word(&p.roles, &predicate)
        })
        .collect();
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        "nobody".to_string()
    } else {
        roles.join(", ")
    }
}

fn role_word(roles: &[String], predicate: &str) -> String {
    let who = match roles
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["anon", "authenticated"] | ["public"] => "any",
        ["anon"] => "guests",
        ["authenticated"] => "users",
        ["service_role"] => "service",
        _ => return format!("{} where {predicate}", roles.join("+")),
    };
    if is_true(predicate) {
        return who.to_string();
    }
    // `(owner_id = auth.uid())` is what `owner` compiles to.
    let trimmed = predicate.trim();
    let inner = trimmed
        .strip_prefix('(')
        .and_then(|p| p.strip_suffix(')'))
        .unwrap_or(trimmed);
    if who == "users" && inner.ends_with("= auth.uid()") && !inner.contains(" AND ") {
        return "owner".to_string();
    }
    format!("{who} where {predicate}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lowered(read: &str) -> Database {
        let yaml = format!(
            "version: 1\nproject: p\ntables:\n  notes:\n    columns:\n      id: {{ type: bigint, primary_key: true }}\n      owner_id: {{ type: uuid }}\n    owner: owner_id\n    permissions:\n      read: {read}\n"
        );
        let file: appctl_project::file::ProjectFile = serde_yaml_ng::from_str(&yaml).unwrap();
        crate::lower::lower(&file)
    }

    #[test]
    fn permission_changes_are_worded_like_the_file() {
        let changes = permission_changes(&lowered("[owner]"), &lowered("[users]"));
        assert_eq!(
            changes,
            vec![PermissionChange {
                permission: "notes.read".into(),
                now: "owner".into(),
                was: "users".into(),
            }]
        );
        let filtered = permission_changes(
            &lowered("[any, { role: users, where: \"true\" }]"),
            &lowered("[]"),
        );
        assert_eq!(filtered[0].now, "any, users");
        assert_eq!(filtered[0].was, "nobody");
    }

    #[test]
    fn access_follows_grants_rls_and_policies() {
        let database = lowered("[owner]");
        let table = &database.tables["notes"];
        assert_eq!(access(table, "anon", Action::Read, false), Access::Denied);
        assert!(matches!(
            access(table, "authenticated", Action::Read, false),
            Access::Rows(_)
        ));
        assert_eq!(
            access(table, "authenticated", Action::Create, false),
            Access::Denied
        );
    }
}
