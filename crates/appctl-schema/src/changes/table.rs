//! Whole tables: created (with their keys and checks), renamed, dropped.

use crate::diff::Change;
use crate::model::Database;
use crate::plan::{Action, Hazard, Phase};
use crate::quote::{ident, qualified};
use crate::render::create_table;

use super::Described;

/// What a change creating this kind of object is about, in the words of the project file (for
/// errors while the desired state is normalised through the server).
pub(crate) fn subject(change: &Change) -> String {
    match change {
        Change::CreateTable { table, .. } => format!("table `{}`", table.name),
        other => format!("{other:?}"),
    }
}

/// Phase, action, object, detail and hazards of a table change.
pub(crate) fn describe(change: &Change, _actual: &Database) -> Described {
    use Action::{Create, Drop, Rename};
    match change {
        Change::CreateTable { table, .. } => (
            Phase::CreateTables,
            Create,
            format!("table {}", table.name),
            String::new(),
            vec![],
        ),
        Change::RenameTable { from, to } => (
            Phase::Renames,
            Rename,
            format!("table {from}"),
            format!("rename to {to}"),
            vec![],
        ),
        Change::DropTable { name } => (
            Phase::DropObjects,
            Drop,
            format!("table {name}"),
            String::new(),
            vec![Hazard::Destructive(
                "the table and its rows are deleted".into(),
            )],
        ),
        other => unreachable!("{other:?} is not a table change"),
    }
}

/// The statements of a table change, in order.
pub(crate) fn statements(change: &Change, schema: &str, _online: bool) -> Vec<String> {
    let table_ref = |table: &str| qualified(schema, table);
    match change {
        Change::CreateTable { table, revoke_from } => {
            let owned: Vec<(&String, &crate::model::Column)> = table
                .columns
                .iter()
                .filter_map(|c| c.sequence.as_ref().map(|s| (s, c)))
                .collect();
            let mut sql: Vec<String> = owned
                .iter()
                .map(|(sequence, c)| {
                    crate::render::create_owned_sequence(schema, sequence, &c.data_type)
                })
                .collect();
            sql.extend(create_table(schema, table));
            sql.extend(owned.iter().map(|(sequence, c)| {
                crate::render::own_sequence(schema, sequence, &table.name, &c.name)
            }));
            if !revoke_from.is_empty() {
                let roles: Vec<String> = revoke_from.iter().map(|r| ident(r)).collect();
                sql.push(format!(
                    "REVOKE ALL ON {} FROM {}",
                    table_ref(&table.name),
                    roles.join(", ")
                ));
            }
            sql
        }
        Change::RenameTable { from, to } => vec![format!(
            "ALTER TABLE {} RENAME TO {}",
            table_ref(from),
            ident(to)
        )],
        Change::DropTable { name } => vec![format!("DROP TABLE IF EXISTS {}", table_ref(name))],
        other => unreachable!("{other:?} is not a table change"),
    }
}
