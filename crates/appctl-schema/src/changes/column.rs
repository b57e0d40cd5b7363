//! Columns of an existing table: added, renamed, dropped, retyped, their null, default and identity.

use crate::diff::Change;
use crate::model::{Column, Database, Identity, IdentityOptions};
use crate::plan::{Action, Hazard, Phase};
use crate::quote::{ident, literal, qualified};
use crate::render::{column_definition, create_owned_sequence, identity_clause, own_sequence};

use super::{Described, column_subject};

/// Phase, action, object, detail and hazards of a column change.
pub(crate) fn describe(change: &Change, actual: &Database) -> Described {
    use Action::{Create, Rename};
    match change {
        Change::AddColumn { table, column: c } => (
            Phase::AlterColumns,
            Create,
            column_subject(table, &c.name),
            c.data_type.clone(),
            add_hazards(c),
        ),
        Change::RenameColumn { table, from, to } => (
            Phase::Renames,
            Rename,
            column_subject(table, from),
            format!("rename to {to}"),
            vec![],
        ),
        Change::DropColumn {
            table,
            column: name,
        } => describe_drop(actual, table, name),
        Change::AlterColumnType {
            table,
            column: name,
            from,
            to,
            ..
        } => (
            Phase::AlterColumns,
            Action::Change,
            column_subject(table, name),
            format!("type {from} → {to}"),
            type_change_hazards(from, to),
        ),
        Change::SetNotNull {
            table,
            column: name,
        } => (
            Phase::AlterColumns,
            Action::Change,
            column_subject(table, name),
            "not null".into(),
            vec![Hazard::ValidatesRows],
        ),
        Change::DropNotNull {
            table,
            column: name,
        } => (
            Phase::AlterColumns,
            Action::Change,
            column_subject(table, name),
            "nullable".into(),
            vec![],
        ),
        Change::SetDefault {
            table,
            column: name,
            default,
            ..
        } => (
            Phase::AlterColumns,
            Action::Change,
            column_subject(table, name),
            format!("default {default}"),
            vec![],
        ),
        Change::DropDefault {
            table,
            column: name,
            sequence,
        } => (
            Phase::AlterColumns,
            Action::Change,
            column_subject(table, name),
            match sequence {
                Some(sequence) => format!("drop default and its sequence {sequence}"),
                None => "drop default".into(),
            },
            vec![],
        ),
        Change::AddIdentity {
            table,
            column: name,
            ..
        } => (
            Phase::AlterColumns,
            Action::Change,
            column_subject(table, name),
            "add identity".into(),
            vec![],
        ),
        Change::SetIdentity {
            table,
            column: name,
            identity,
        } => (
            Phase::AlterColumns,
            Action::Change,
            column_subject(table, name),
            format!(
                "identity {}",
                match identity {
                    Identity::Always => "always",
                    Identity::ByDefault => "by default",
                }
            ),
            vec![],
        ),
        Change::SetCollation {
            table,
            column: name,
            collation,
            ..
        } => (
            Phase::AlterColumns,
            Action::Change,
            column_subject(table, name),
            format!("collation {}", collation.as_deref().unwrap_or("default")),
            vec![Hazard::BlocksWrites],
        ),
        Change::SetIdentityOptions {
            table,
            column: name,
            options,
        } => {
            let o = options.unwrap_or(IdentityOptions {
                start: 1,
                increment: 1,
            });
            (
                Phase::AlterColumns,
                Action::Change,
                column_subject(table, name),
                format!("identity start {} increment {}", o.start, o.increment),
                vec![],
            )
        }
        Change::DropIdentity {
            table,
            column: name,
        } => (
            Phase::AlterColumns,
            Action::Change,
            column_subject(table, name),
            "drop identity".into(),
            vec![],
        ),
        // Before any column changes: the expression may read a column whose type changes.
        Change::DropExpression {
            table,
            column: name,
        } => (
            Phase::DropDependents,
            Action::Change,
            column_subject(table, name),
            "not generated any more (values kept)".into(),
            vec![],
        ),
        other => unreachable!("{other:?} is not a column change"),
    }
}

fn add_hazards(c: &Column) -> Vec<Hazard> {
    let mut hazards = vec![];
    if !c.nullable && c.default.is_none() && c.identity.is_none() && c.generated.is_none() {
        hazards.push(Hazard::ValidatesRows);
    }
    if c.generated.is_some() || c.identity.is_some() {
        hazards.push(Hazard::Rewrite);
    }
    hazards
}

fn describe_drop(actual: &Database, table: &str, name: &str) -> Described {
    let generated = actual
        .tables
        .get(table)
        .and_then(|t| t.column(name))
        .is_some_and(|c| c.generated.is_some());
    if generated {
        // Its values are computed from other columns: nothing is lost.
        (
            Phase::DropParts,
            Action::Drop,
            column_subject(table, name),
            "generated column".into(),
            vec![],
        )
    } else {
        (
            Phase::DropParts,
            Action::Drop,
            column_subject(table, name),
            String::new(),
            vec![Hazard::Destructive("the column's data is deleted".into())],
        )
    }
}

fn type_change_hazards(from: &str, to: &str) -> Vec<Hazard> {
    let mut hazards = Vec::new();
    if !is_lossless_cast(from, to) {
        hazards.push(Hazard::Destructive(format!(
            "values that do not fit {to} fail the change or lose precision"
        )));
    }
    if !is_binary_compatible(from, to) {
        hazards.push(Hazard::Rewrite);
    }
    hazards
}

/// The statements of a column change, in order.
pub(crate) fn statements(change: &Change, schema: &str, _online: bool) -> Vec<String> {
    let table_ref = |table: &str| qualified(schema, table);
    match change {
        Change::AddColumn { table, column } => {
            let mut sql = Vec::new();
            if let Some(sequence) = &column.sequence {
                sql.push(create_owned_sequence(schema, sequence, &column.data_type));
            }
            sql.push(format!(
                "ALTER TABLE {} ADD COLUMN {}",
                table_ref(table),
                column_definition(column)
            ));
            if let Some(sequence) = &column.sequence {
                sql.push(own_sequence(schema, sequence, table, &column.name));
            }
            sql
        }
        Change::RenameColumn { table, from, to } => vec![format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {}",
            table_ref(table),
            ident(from),
            ident(to)
        )],
        Change::DropColumn { table, column } => vec![format!(
            "ALTER TABLE {} DROP COLUMN IF EXISTS {}",
            table_ref(table),
            ident(column)
        )],
        Change::AlterColumnType {
            table,
            column,
            to,
            drop_default,
            ..
        } => {
            let mut sql = Vec::new();
            if *drop_default {
                sql.push(format!(
                    "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT",
                    table_ref(table),
                    ident(column)
                ));
            }
            sql.push(format!(
                "ALTER TABLE {} ALTER COLUMN {c} TYPE {to} USING {c}::{to}",
                table_ref(table),
                c = ident(column),
            ));
            sql
        }
        Change::SetNotNull { table, column } => vec![format!(
            "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL",
            table_ref(table),
            ident(column)
        )],
        Change::DropNotNull { table, column } => vec![format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL",
            table_ref(table),
            ident(column)
        )],
        Change::SetDefault {
            table,
            column,
            default,
            sequence,
        } => {
            let mut sql = Vec::new();
            if let Some((sequence, data_type)) = sequence {
                sql.push(create_owned_sequence(schema, sequence, data_type));
                sql.push(own_sequence(schema, sequence, table, column));
            }
            sql.push(format!(
                "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {default}",
                table_ref(table),
                ident(column)
            ));
            sql
        }
        Change::DropDefault {
            table,
            column,
            sequence,
        } => {
            let mut sql = vec![format!(
                "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT",
                table_ref(table),
                ident(column)
            )];
            if let Some(sequence) = sequence {
                sql.push(format!(
                    "DROP SEQUENCE IF EXISTS {}",
                    crate::render::sequence_ref(schema, sequence)
                ));
            }
            sql
        }
        Change::AddIdentity {
            table,
            column,
            identity,
            options,
        } => vec![
            format!(
                "ALTER TABLE {} ALTER COLUMN {} ADD {}",
                table_ref(table),
                ident(column),
                identity_clause(*identity, *options)
            ),
            // The new sequence starts at 1: move it past the values the column already holds, or the
            // next insert collides with an existing row.
            format!(
                "SELECT setval(pg_get_serial_sequence({}, {}), max({c})) FROM {} HAVING max({c}) IS NOT NULL",
                literal(&table_ref(table)),
                literal(column),
                table_ref(table),
                c = ident(column),
            ),
        ],
        Change::SetIdentity {
            table,
            column,
            identity,
        } => vec![format!(
            "ALTER TABLE {} ALTER COLUMN {} SET GENERATED {}",
            table_ref(table),
            ident(column),
            match identity {
                Identity::Always => "ALWAYS",
                Identity::ByDefault => "BY DEFAULT",
            }
        )],
        Change::SetCollation {
            table,
            column,
            data_type,
            collation,
        } => vec![format!(
            "ALTER TABLE {} ALTER COLUMN {} TYPE {data_type} COLLATE {}",
            table_ref(table),
            ident(column),
            ident(collation.as_deref().unwrap_or("default"))
        )],
        Change::SetIdentityOptions {
            table,
            column,
            options,
        } => {
            let o = options.unwrap_or(IdentityOptions {
                start: 1,
                increment: 1,
            });
            vec![format!(
                "ALTER TABLE {} ALTER COLUMN {} SET START WITH {} SET INCREMENT BY {}",
                table_ref(table),
                ident(column),
                o.start,
                o.increment
            )]
        }
        Change::DropIdentity { table, column } => vec![format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP IDENTITY IF EXISTS",
            table_ref(table),
            ident(column)
        )],
        Change::DropExpression { table, column } => vec![format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP EXPRESSION",
            table_ref(table),
            ident(column)
        )],
        other => unreachable!("{other:?} is not a column change"),
    }
}

/// Casts that keep every value: widening numbers, longer or unlimited text.
fn is_lossless_cast(from: &str, to: &str) -> bool {
    let rank = |t: &str| match t {
        "smallint" => Some(1),
        "integer" => Some(2),
        "bigint" => Some(3),
        "numeric" => Some(4),
        _ => None,
    };
    if let (Some(a), Some(b)) = (rank(from), rank(to)) {
        return a <= b;
    }
    if to == "text" {
        return from == "text"
            || from.starts_with("character varying")
            || from.starts_with("character(")
            || from == "character";
    }
    match (varchar_length(from), varchar_length(to)) {
        (Some(Some(a)), Some(Some(b))) => a <= b,
        (Some(_), Some(None)) => true,
        _ => matches!(
            (from, to),
            ("real", "double precision")
                | ("timestamp without time zone", "timestamp with time zone")
                | ("json", "jsonb")
        ),
    }
}

/// `Some(Some(n))` for varchar(n), `Some(None)` for unlimited varchar, `None` for other types.
fn varchar_length(ty: &str) -> Option<Option<u32>> {
    let rest = ty.strip_prefix("character varying")?;
    if rest.is_empty() {
        return Some(None);
    }
    rest.strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .and_then(|n| n.parse().ok())
        .map(Some)
}

/// Changes Postgres makes without rewriting the table: longer varchar, varchar → text.
fn is_binary_compatible(from: &str, to: &str) -> bool {
    match (varchar_length(from), varchar_length(to)) {
        (Some(Some(a)), Some(Some(b))) => a <= b,
        (Some(_), Some(None)) => true,
        (Some(_), None) => to == "text",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_type_changes() {
        assert!(is_lossless_cast("integer", "bigint"));
        assert!(!is_lossless_cast("bigint", "integer"));
        assert!(is_lossless_cast(
            "character varying(10)",
            "character varying(20)"
        ));
        assert!(!is_lossless_cast(
            "character varying(20)",
            "character varying(10)"
        ));
        assert!(is_lossless_cast("character varying(20)", "text"));
        assert!(!is_lossless_cast("text", "character varying(20)"));
        assert!(!is_lossless_cast("text", "integer"));
        assert!(is_binary_compatible("character varying(10)", "text"));
        assert!(!is_binary_compatible("integer", "bigint"));
    }
}
