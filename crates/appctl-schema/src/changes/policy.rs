//! Row level security policies, on the schema's tables and on `storage.objects`.

use crate::diff::Change;
use crate::model::{Database, Policy};
use crate::plan::{Action, Phase};
use crate::quote::{ident, qualified};

use super::Described;

/// What a change creating this kind of object is about, in the words of the project file (for
/// errors while the desired state is normalised through the server).
pub(crate) fn subject(change: &Change) -> String {
    match change {
        Change::CreatePolicy { table, policy } => {
            format!("table `{table}`: policy `{}`", policy.name)
        }
        other => format!("{other:?}"),
    }
}

/// Phase, action, object, detail and hazards of a policy change.
pub(crate) fn describe(change: &Change, _actual: &Database) -> Described {
    use Action::{Create, Drop};
    match change {
        Change::CreatePolicy { table, policy } => (
            Phase::Configure,
            Create,
            format!("policy {} on {table}", policy.name),
            format!("{} to {}", policy.command, policy.roles.join(", ")),
            vec![],
        ),
        Change::DropPolicy { table, name } => (
            Phase::DropDependents,
            Drop,
            format!("policy {name} on {table}"),
            String::new(),
            vec![],
        ),
        Change::CreateStoragePolicy { policy } => (
            Phase::Configure,
            Create,
            format!("policy {} on storage.objects", policy.name),
            format!("{} to {}", policy.command, policy.roles.join(", ")),
            vec![],
        ),
        Change::DropStoragePolicy { name } => (
            Phase::DropDependents,
            Drop,
            format!("policy {name} on storage.objects"),
            String::new(),
            vec![],
        ),
        other => unreachable!("{other:?} is not a policy change"),
    }
}

/// The statements of a policy change, in order.
pub(crate) fn statements(change: &Change, schema: &str, _online: bool) -> Vec<String> {
    let table_ref = |table: &str| qualified(schema, table);
    match change {
        Change::CreatePolicy { table, policy } => vec![create_policy(schema, table, policy)],
        Change::DropPolicy { table, name } => vec![format!(
            "DROP POLICY IF EXISTS {} ON {}",
            ident(name),
            table_ref(table)
        )],
        Change::CreateStoragePolicy { policy } => vec![create_policy("storage", "objects", policy)],
        Change::DropStoragePolicy { name } => vec![format!(
            "DROP POLICY IF EXISTS {} ON \"storage\".\"objects\"",
            ident(name)
        )],
        other => unreachable!("{other:?} is not a policy change"),
    }
}

fn create_policy(schema: &str, table: &str, policy: &Policy) -> String {
    let roles: Vec<String> = policy
        .roles
        .iter()
        .map(|r| {
            if r == "public" {
                "PUBLIC".to_string()
            } else {
                ident(r)
            }
        })
        .collect();
    let mut sql = format!(
        "CREATE POLICY {} ON {} AS {} FOR {} TO {}",
        ident(&policy.name),
        qualified(schema, table),
        if policy.permissive {
            "PERMISSIVE"
        } else {
            "RESTRICTIVE"
        },
        policy.command,
        roles.join(", ")
    );
    if let Some(using) = &policy.using {
        sql.push_str(&format!(" USING ({using})"));
    }
    if let Some(check) = &policy.with_check {
        sql.push_str(&format!(" WITH CHECK ({check})"));
    }
    sql
}
