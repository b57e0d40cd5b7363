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
            // On an existing table: a unique index fails over duplicate rows (as a unique
            // constraint does), and a plain build blocks writes.
            let existing = actual.tables.contains_key(table);
            let mut hazards = vec![];
            if existing && index.unique {
                hazards.push(Hazard::ValidatesRows);
            }
            if existing && !index.online {
                hazards.push(Hazard::BlocksWrites);
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Index, Table};

    fn hazards(unique: bool, online: bool, existing: bool) -> Vec<Hazard> {
        let mut actual = Database::default();
        if existing {
            actual.tables.insert("t".into(), Table::default());
        }
        let change = Change::CreateIndex {
            table: "t".into(),
            index: Index {
                unique,
                online,
                ..Index::default()
            },
        };
        describe(&change, &actual).4
    }

    #[test]
    fn a_unique_index_on_an_existing_table_checks_its_rows() {
        use Hazard::{BlocksWrites, ValidatesRows};
        assert_eq!(hazards(true, false, true), [ValidatesRows, BlocksWrites]);
        assert_eq!(hazards(true, true, true), [ValidatesRows]);
        assert_eq!(hazards(false, false, true), [BlocksWrites]);
        assert_eq!(hazards(true, false, false), []);
    }
}
