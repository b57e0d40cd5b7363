//! Row level security switched on or off for a table.

use crate::diff::Change;
use crate::model::Database;
use crate::plan::{Action, Phase};
use crate::quote::qualified;

use super::Described;

/// Phase, action, object, detail and hazards of a row level security change.
pub(crate) fn describe(change: &Change, _actual: &Database) -> Described {
    match change {
        Change::EnableRls { table } => (
            Phase::Configure,
            Action::Change,
            format!("table {table}"),
            "enable row level security".into(),
            vec![],
        ),
        Change::DisableRls { table } => (
            Phase::Configure,
            Action::Change,
            format!("table {table}"),
            "disable row level security".into(),
            vec![],
        ),
        other => unreachable!("{other:?} is not a row level security change"),
    }
}

/// The statements of a row level security change, in order.
pub(crate) fn statements(change: &Change, schema: &str, _online: bool) -> Vec<String> {
    let table_ref = |table: &str| qualified(schema, table);
    match change {
        Change::EnableRls { table } => vec![format!(
            "ALTER TABLE {} ENABLE ROW LEVEL SECURITY",
            table_ref(table)
        )],
        Change::DisableRls { table } => vec![format!(
            "ALTER TABLE {} DISABLE ROW LEVEL SECURITY",
            table_ref(table)
        )],
        other => unreachable!("{other:?} is not a row level security change"),
    }
}
