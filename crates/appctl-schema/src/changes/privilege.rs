//! Table privileges granted to or revoked from a role.

use crate::diff::Change;
use crate::model::{Database, Privilege};
use crate::plan::{Action, Phase};
use crate::quote::{ident, qualified};

use super::Described;

/// What a change creating this kind of object is about, in the words of the project file (for
/// errors while the desired state is normalised through the server).
pub(crate) fn subject(change: &Change) -> String {
    match change {
        Change::Grant { table, role, .. } => format!("table `{table}`: grant to `{role}`"),
        other => format!("{other:?}"),
    }
}

/// Phase, action, object, detail and hazards of a privilege change.
pub(crate) fn describe(change: &Change, _actual: &Database) -> Described {
    match change {
        Change::Grant {
            table,
            role,
            privileges,
        } => (
            Phase::Configure,
            Action::Change,
            format!("grants on {table}"),
            format!(
                "grant {} to {role}",
                privileges
                    .iter()
                    .map(|p| p.sql())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            vec![],
        ),
        Change::Revoke {
            table,
            role,
            privileges,
        } => (
            Phase::DropDependents,
            Action::Change,
            format!("grants on {table}"),
            format!(
                "revoke {} from {role}",
                privileges
                    .iter()
                    .map(|p| p.sql())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            vec![],
        ),
        other => unreachable!("{other:?} is not a privilege change"),
    }
}

/// The statements of a privilege change, in order.
pub(crate) fn statements(change: &Change, schema: &str, _online: bool) -> Vec<String> {
    let table_ref = |table: &str| qualified(schema, table);
    match change {
        Change::Grant {
            table,
            role,
            privileges,
        } => vec![format!(
            "GRANT {} ON {} TO {}",
            privilege_list(privileges),
            table_ref(table),
            ident(role)
        )],
        Change::Revoke {
            table,
            role,
            privileges,
        } => vec![format!(
            "REVOKE {} ON {} FROM {}",
            privilege_list(privileges),
            table_ref(table),
            ident(role)
        )],
        other => unreachable!("{other:?} is not a privilege change"),
    }
}

fn privilege_list(privileges: &std::collections::BTreeSet<Privilege>) -> String {
    privileges
        .iter()
        .map(|p| p.sql())
        .collect::<Vec<_>>()
        .join(", ")
}
