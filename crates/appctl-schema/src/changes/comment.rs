//! Comments on tables and columns.

use crate::diff::Change;
use crate::model::Database;
use crate::plan::{Action, Phase};
use crate::quote::{ident, literal, qualified};

use super::{Described, column_subject};

/// What a change creating this kind of object is about, in the words of the project file (for
/// errors while the desired state is normalised through the server).
pub(crate) fn subject(change: &Change) -> String {
    match change {
        Change::SetTableComment { table, .. } => format!("table `{table}`: comment"),
        Change::SetColumnComment { table, column, .. } => {
            format!("table `{table}`: comment of column `{column}`")
        }
        other => format!("{other:?}"),
    }
}

/// Phase, action, object, detail and hazards of a comment change.
pub(crate) fn describe(change: &Change, _actual: &Database) -> Described {
    match change {
        Change::SetTableComment { table, comment } => (
            Phase::Configure,
            Action::Change,
            format!("table {table}"),
            comment_detail(comment),
            vec![],
        ),
        Change::SetColumnComment {
            table,
            column: name,
            comment,
        } => (
            Phase::Configure,
            Action::Change,
            column_subject(table, name),
            comment_detail(comment),
            vec![],
        ),
        other => unreachable!("{other:?} is not a comment change"),
    }
}

/// The statements of a comment change, in order.
pub(crate) fn statements(change: &Change, schema: &str, _online: bool) -> Vec<String> {
    let table_ref = |table: &str| qualified(schema, table);
    match change {
        Change::SetTableComment { table, comment } => vec![format!(
            "COMMENT ON TABLE {} IS {}",
            table_ref(table),
            comment.as_deref().map_or("NULL".to_string(), literal)
        )],
        Change::SetColumnComment {
            table,
            column,
            comment,
        } => vec![format!(
            "COMMENT ON COLUMN {}.{} IS {}",
            table_ref(table),
            ident(column),
            comment.as_deref().map_or("NULL".to_string(), literal)
        )],
        other => unreachable!("{other:?} is not a comment change"),
    }
}

fn comment_detail(comment: &Option<String>) -> String {
    match comment {
        Some(text) => format!("comment {}", crate::quote::literal(text)),
        None => "remove comment".into(),
    }
}
