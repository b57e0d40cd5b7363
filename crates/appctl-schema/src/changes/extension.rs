//! Extensions: `CREATE EXTENSION` and `DROP EXTENSION`.

use crate::diff::Change;
use crate::model::Database;
use crate::plan::{Action, Hazard, Phase};
use crate::quote::ident;

use super::Described;

/// What a change creating this kind of object is about, in the words of the project file (for
/// errors while the desired state is normalised through the server).
pub(crate) fn subject(change: &Change) -> String {
    match change {
        Change::CreateExtension { name } => format!("extension `{name}`"),
        other => format!("{other:?}"),
    }
}

/// Phase, action, object, detail and hazards of a extension change.
pub(crate) fn describe(change: &Change, _actual: &Database) -> Described {
    use Action::{Create, Drop};
    match change {
        Change::CreateExtension { name } => (
            Phase::CreateExtensions,
            Create,
            format!("extension {name}"),
            String::new(),
            vec![],
        ),
        Change::DropExtension { name } => (
            Phase::DropExtensions,
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
