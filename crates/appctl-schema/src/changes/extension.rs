//! Extensions: `CREATE EXTENSION` and `DROP EXTENSION`.

use crate::diff::Change;
use crate::model::Database;
use crate::plan::{Action, Hazard};
use crate::quote::ident;

use super::Described;

/// Phase, action, object, detail and hazards of a extension change.
pub(crate) fn describe(change: &Change, _actual: &Database) -> Described {
    use Action::{Create, Drop};
    match change {
        Change::CreateExtension { name } => (
            1,
            Create,
            format!("extension {name}"),
            String::new(),
            vec![],
        ),
        Change::DropExtension { name } => (
            15,
            Drop,
            format!("extension {name}"),
            String::new(),
            vec![Hazard::Destructive(
                "the extension and what depends on it are deleted".into(),
            )],
        ),
        other => unreachable!("{other:?} is not a extension change"),
    }
}

/// The statements of a extension change, in order.
pub(crate) fn statements(change: &Change, _schema: &str, _online: bool) -> Vec<String> {
    match change {
        Change::CreateExtension { name } => {
            vec![format!("CREATE EXTENSION IF NOT EXISTS {}", ident(name))]
        }
        Change::DropExtension { name } => vec![format!("DROP EXTENSION IF EXISTS {}", ident(name))],
        other => unreachable!("{other:?} is not a extension change"),
    }
}
