//! Indexes: created (concurrently when online), renamed, dropped.

use crate::diff::Change;
use crate::model::Database;
use crate::plan::{Action, Hazard, Phase};
use crate::quote::{ident, qualified};
use crate::render::create_index;

use super::Described;

/// What a change creating this kind of object is about, in the words of the project file (for
/// errors while the desired state is normalised through the server).
pub(crate) fn subject(change: &Change) -> String {
    match change {
        Change::CreateIndex { table, index } => format!("table `{table}`: index `{}`", index.name),
        other => format!("{other:?}"),
    }
}

/// Phase, action, object, detail and hazards of a index change.
pub(crate) fn describe(change: &Change, actual: &Database) -> Described {
    use Action::{Create, Drop, Rename};
    match change {
        Change::CreateIndex { table, index } => {
            let hazards = if actual.tables.contains_key(table) && !index.online {
                vec![Hazard::BlocksWrites]
            } else {
                vec![]
            };
            (
                Phase::CreateIndexes,
                Create,
                format!("index {} on {table}", index.name),
                index_summary(index),
                hazards,
            )
        }
        Change::RenameIndex { from, to, .. } => (
            Phase::Renames,
            Rename,
            format!("index {from}"),
            format!("rename to {to}"),
            vec![],
        ),
        Change::DropIndex { table, name } => (
            Phase::DropParts,
            Drop,
            format!("index {name} on {table}"),
            String::new(),
            vec![],
        ),
        other => unreachable!("{other:?} is not a index change"),
    }
}

/// The statements of a index change, in order.
pub(crate) fn statements(change: &Change, schema: &str, online: bool) -> Vec<String> {
    match change {
        Change::CreateIndex { table, index } => {
            vec![create_index(schema, table, index, online && index.online)]
        }
        Change::RenameIndex { from, to, .. } => vec![format!(
            "ALTER INDEX {} RENAME TO {}",
            qualified(schema, from),
            ident(to)
        )],
        Change::DropIndex { name, .. } => {
            vec![format!("DROP INDEX IF EXISTS {}", qualified(schema, name))]
        }
        other => unreachable!("{other:?} is not a index change"),
    }
}

fn index_summary(index: &crate::model::Index) -> String {
    let columns: Vec<String> = index
        .columns
        .iter()
        .map(|c| {
            let mut part = c.column.clone();
            if let Some(opclass) = &c.opclass {
                part.push_str(&format!(" {opclass}"));
            }
            if c.descending {
                part.push_str(" desc");
            }
            match c.nulls_first {
                Some(true) => part.push_str(" nulls first"),
                Some(false) => part.push_str(" nulls last"),
                None => {}
            }
            part
        })
        .collect();
    let mut text = format!(
        "{}{} ({})",
        if index.unique { "unique " } else { "" },
        index.method,
        columns.join(", ")
    );
    if !index.include.is_empty() {
        text.push_str(&format!(" include ({})", index.include.join(", ")));
    }
    if !index.with.is_empty() {
        let params: Vec<String> = index
            .with
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        text.push_str(&format!(" with ({})", params.join(", ")));
    }
    if let Some(predicate) = &index.predicate {
        text.push_str(&format!(" where {predicate}"));
    }
    text
}
