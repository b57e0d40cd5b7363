//! Enum types: created, given a value, replaced when values go or move, dropped.

use crate::diff::Change;
use crate::model::Database;
use crate::plan::{Action, Hazard, Phase};
use crate::quote::{ident, literal, qualified};

use super::Described;

/// What a change creating this kind of object is about, in the words of the project file (for
/// errors while the desired state is normalised through the server).
pub(crate) fn subject(change: &Change) -> String {
    match change {
        Change::CreateEnum { r#enum } => format!("enum `{}`", r#enum.name),
        other => format!("{other:?}"),
    }
}

/// Phase, action, object, detail and hazards of a enum change.
pub(crate) fn describe(change: &Change, _actual: &Database) -> Described {
    use Action::{Create, Drop};
    match change {
        Change::CreateEnum { r#enum } => (
            Phase::CreateTypes,
            Create,
            format!("enum {}", r#enum.name),
            r#enum.values.join(", "),
            vec![],
        ),
        Change::AddEnumValue {
            r#enum,
            value,
            before,
        } => (
            Phase::CreateTypes,
            Action::Change,
            format!("enum {enum}", enum = r#enum),
            match before {
                Some(before) => format!("add value {value} before {before}"),
                None => format!("add value {value}"),
            },
            vec![],
        ),
        Change::ReplaceEnum { from, to, columns } => {
            let removed: Vec<&String> = from
                .values
                .iter()
                .filter(|v| !to.values.contains(v))
                .collect();
            let mut hazards = vec![];
            if !removed.is_empty() {
                hazards.push(Hazard::Destructive(format!(
                    "rows holding {} fail the conversion",
                    removed
                        .iter()
                        .map(|v| v.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            if !columns.is_empty() {
                hazards.push(Hazard::Rewrite);
            }
            (
                Phase::ReplaceTypes,
                Action::Change,
                format!("enum {}", from.name),
                format!(
                    "values [{}] → [{}]",
                    from.values.join(", "),
                    to.values.join(", ")
                ),
                hazards,
            )
        }
        Change::DropEnum { name } => (
            Phase::DropTypes,
            Drop,
            format!("enum {name}"),
            String::new(),
            vec![Hazard::Destructive("the type is deleted".into())],
        ),
        other => unreachable!("{other:?} is not a enum change"),
    }
}

/// The statements of a enum change, in order.
pub(crate) fn statements(change: &Change, schema: &str, online: bool) -> Vec<String> {
    let table_ref = |table: &str| qualified(schema, table);
    match change {
        Change::CreateEnum { r#enum } => vec![format!(
            "CREATE TYPE {} AS ENUM ({})",
            qualified(schema, &r#enum.name),
            r#enum
                .values
                .iter()
                .map(|v| literal(v))
                .collect::<Vec<_>>()
                .join(", ")
        )],
        Change::AddEnumValue {
            r#enum,
            value,
            before,
        } => {
            let position = match before {
                Some(before) => format!(" BEFORE {}", literal(before)),
                None => String::new(),
            };
            vec![format!(
                "ALTER TYPE {} ADD VALUE {}{position}",
                qualified(schema, r#enum),
                literal(value)
            )]
        }
        Change::ReplaceEnum { from, to, columns } => {
            let old_name = format!("{}__appctl_old", from.name);
            let mut sql = vec![format!(
                "ALTER TYPE {} RENAME TO {}",
                qualified(schema, &from.name),
                ident(&old_name)
            )];
            sql.extend(crate::render::statements(
                &Change::CreateEnum { r#enum: to.clone() },
                schema,
                online,
            ));
            for usage in columns {
                let column = ident(&usage.column);
                let array = if usage.array { "[]" } else { "" };
                if usage.drop_default || usage.default.is_some() {
                    sql.push(format!(
                        "ALTER TABLE {} ALTER COLUMN {column} DROP DEFAULT",
                        table_ref(&usage.table)
                    ));
                }
                if usage.dropped {
                    sql.push(format!(
                        "ALTER TABLE {} ALTER COLUMN {column} TYPE text{array} USING {column}::text{array}",
                        table_ref(&usage.table),
                    ));
                    continue;
                }
                sql.push(format!(
                    "ALTER TABLE {} ALTER COLUMN {column} TYPE {ty}{array} USING {column}::text{array}::{ty}{array}",
                    table_ref(&usage.table),
                    ty = qualified(schema, &to.name),
                ));
                if let Some(default) = &usage.default {
                    sql.push(format!(
                        "ALTER TABLE {} ALTER COLUMN {column} SET DEFAULT {default}",
                        table_ref(&usage.table)
                    ));
                }
            }
            sql.push(format!("DROP TYPE {}", qualified(schema, &old_name)));
            sql
        }
        Change::DropEnum { name } => {
            vec![format!("DROP TYPE IF EXISTS {}", qualified(schema, name))]
        }
        other => unreachable!("{other:?} is not a enum change"),
    }
}
