//! Extensions: `CREATE EXTENSION`, `ALTER EXTENSION ... UPDATE TO | SET SCHEMA`, `DROP EXTENSION`.

use crate::diff::Change;
use crate::model::Database;
use crate::plan::{Action, Hazard, Phase};
use crate::quote::{ident, literal};

use super::Described;

/// What a change creating this kind of object is about, in the words of the project file (for
/// errors while the desired state is normalised through the server).
pub(crate) fn subject(change: &Change) -> String {
    match change {
        Change::CreateExtension { name, .. } => format!("extension `{name}`"),
        other => format!("{other:?}"),
    }
}

/// Phase, action, object, detail and hazards of a extension change.
pub(crate) fn describe(change: &Change, _actual: &Database) -> Described {
    use Action::{Create, Drop};
    match change {
        Change::CreateExtension {
            name,
            schema,
            version,
        } => (
            Phase::CreateExtensions,
            Create,
            format!("extension {name}"),
            [
                schema.as_ref().map(|s| format!("in schema {s}")),
                version.as_ref().map(|v| format!("version {v}")),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
            vec![],
        ),
        Change::UpdateExtension { name, from, to } => (
            Phase::CreateExtensions,
            Action::Change,
            format!("extension {name}"),
            format!("version {to} (was {from})"),
            vec![],
        ),
        Change::SetExtensionSchema { name, from, to } => (
            Phase::CreateExtensions,
            Action::Change,
            format!("extension {name}"),
            format!("schema {to} (was {from})"),
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
        Change::CreateExtension {
            name,
            schema,
            version,
        } => {
            let mut sql = Vec::new();
            let mut create = format!("CREATE EXTENSION IF NOT EXISTS {}", ident(name));
            if let Some(schema) = schema {
                sql.push(format!("CREATE SCHEMA IF NOT EXISTS {}", ident(schema)));
                create.push_str(&format!(" SCHEMA {}", ident(schema)));
            }
            if let Some(version) = version {
                create.push_str(&format!(" VERSION {}", literal(version)));
            }
            sql.push(create);
            sql
        }
        Change::UpdateExtension { name, to, .. } => vec![format!(
            "ALTER EXTENSION {} UPDATE TO {}",
            ident(name),
            literal(to)
        )],
        Change::SetExtensionSchema { name, to, .. } => vec![
            format!("CREATE SCHEMA IF NOT EXISTS {}", ident(to)),
            format!("ALTER EXTENSION {} SET SCHEMA {}", ident(name), ident(to)),
        ],
        Change::DropExtension { name } => vec![format!("DROP EXTENSION IF EXISTS {}", ident(name))],
        other => unreachable!("{other:?} is not a extension change"),
    }
}
