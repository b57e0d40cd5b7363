//! Function records in `appctl.functions`: created, changed, removed.

use crate::diff::Change;
use crate::model::Database;
use crate::plan::{Action, Phase};
use crate::quote::literal;

use super::Described;

/// Phase, action, object, detail and hazards of a function change.
pub(crate) fn describe(change: &Change, _actual: &Database) -> Described {
    use Action::{Create, Drop};
    match change {
        Change::CreateFunction { name, function } => (
            Phase::Configure,
            Create,
            format!("function {name}"),
            crate::functions::summary(function),
            vec![],
        ),
        Change::ChangeFunction { name, from, to } => (
            Phase::Configure,
            Action::Change,
            format!("function {name}"),
            crate::functions::differences(from, to).join(", "),
            vec![],
        ),
        Change::RemoveFunction { name } => (
            Phase::DropObjects,
            Drop,
            format!("function {name}"),
            "no longer declared".into(),
            vec![],
        ),
        other => unreachable!("{other:?} is not a function change"),
    }
}

/// The statements of a function change, in order.
pub(crate) fn statements(change: &Change, schema: &str, _online: bool) -> Vec<String> {
    match change {
        Change::CreateFunction { name, function }
        | Change::ChangeFunction {
            name, to: function, ..
        } => vec![record_function(schema, name, function)],
        Change::RemoveFunction { name } => vec![format!(
            "DELETE FROM \"appctl\".\"functions\" WHERE \"schema_name\" = {} AND \"name\" = {}",
            literal(schema),
            literal(name)
        )],
        other => unreachable!("{other:?} is not a function change"),
    }
}

/// Upserts a function's record. A version of `None` (not read from the sources) keeps the recorded one.
fn record_function(schema: &str, name: &str, function: &crate::model::Function) -> String {
    let optional = |value: Option<String>| value.unwrap_or_else(|| "NULL".into());
    format!(
        "INSERT INTO \"appctl\".\"functions\" (\"schema_name\", \"name\", \"execute\", \"version\", \"runtime\", \"entrypoint\", \"timeout_ms\", \"memory_bytes\", \"schedule\", \"env_names\") \
         VALUES ({}, {}, {}::jsonb, {}, {}, {}, {}, {}, {}, {}::jsonb) \
         ON CONFLICT (\"schema_name\", \"name\") DO UPDATE SET \"execute\" = EXCLUDED.\"execute\", \"version\" = coalesce(EXCLUDED.\"version\", \"functions\".\"version\"), \"runtime\" = EXCLUDED.\"runtime\", \"entrypoint\" = EXCLUDED.\"entrypoint\", \"timeout_ms\" = EXCLUDED.\"timeout_ms\", \"memory_bytes\" = EXCLUDED.\"memory_bytes\", \"schedule\" = EXCLUDED.\"schedule\", \"env_names\" = EXCLUDED.\"env_names\", \"deployed_at\" = now()",
        literal(schema),
        literal(name),
        literal(&serde_json::to_string(&function.execute).expect("strings serialize")),
        optional(function.version.as_deref().map(literal)),
        literal(&function.runtime),
        literal(&function.entrypoint),
        optional(function.timeout_ms.map(|v| v.to_string())),
        optional(function.memory_bytes.map(|v| v.to_string())),
        optional(function.schedule.as_deref().map(literal)),
        literal(&serde_json::to_string(&function.env).expect("strings serialize")),
    )
}
