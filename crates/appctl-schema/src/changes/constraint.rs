//! Table constraints: primary keys, uniques, checks and foreign keys added, renamed, dropped.

use crate::diff::Change;
use crate::model::{Database, ForeignKey};
use crate::plan::{Action, Hazard, Phase};
use crate::quote::{ident, qualified};
use crate::render::{ident_list, key_clause};

use super::Described;

/// What a change creating this kind of object is about, in the words of the project file (for
/// errors while the desired state is normalised through the server).
pub(crate) fn subject(change: &Change) -> String {
    match change {
        Change::AddForeignKey { table, foreign_key } => {
            format!("table `{table}`: foreign key `{}`", foreign_key.name)
        }
        other => format!("{other:?}"),
    }
}

/// Phase, action, object, detail and hazards of a constraint change.
pub(crate) fn describe(change: &Change, actual: &Database) -> Described {
    use Action::{Create, Drop, Rename};
    match change {
        Change::AddPrimaryKey { table, key } => (
            Phase::AddConstraints,
            Create,
            format!("primary key {} on {table}", key.name),
            format!("({})", key.columns.join(", ")),
            [rows(actual, table), vec![Hazard::BlocksWrites]].concat(),
        ),
        Change::AddUnique { table, key } => (
            Phase::AddConstraints,
            Create,
            format!("unique constraint {} on {table}", key.name),
            format!("({})", key.columns.join(", ")),
            [rows(actual, table), vec![Hazard::BlocksWrites]].concat(),
        ),
        Change::AddCheck { table, check } => (
            Phase::AddConstraints,
            Create,
            format!("check constraint {} on {table}", check.name),
            check.definition.clone(),
            rows(actual, table),
        ),
        Change::AddForeignKey { table, foreign_key } => (
            Phase::AddForeignKeys,
            Create,
            format!("foreign key {} on {table}", foreign_key.name),
            format!(
                "({}) → {}.{} ({})",
                foreign_key.columns.join(", "),
                foreign_key.ref_schema,
                foreign_key.ref_table,
                foreign_key.ref_columns.join(", ")
            ),
            rows(actual, table),
        ),
        Change::DropConstraint { table, name, what } => (
            if what == "foreign key" {
                Phase::DropDependents
            } else {
                Phase::DropParts
            },
            Drop,
            format!("{what} {name} on {table}"),
            String::new(),
            vec![],
        ),
        Change::RenameConstraint { table, from, to } => (
            Phase::Renames,
            Rename,
            format!("constraint {from} on {table}"),
            format!("rename to {to}"),
            vec![],
        ),
        other => unreachable!("{other:?} is not a constraint change"),
    }
}

/// The statements of a constraint change, in order.
pub(crate) fn statements(change: &Change, schema: &str, _online: bool) -> Vec<String> {
    let table_ref = |table: &str| qualified(schema, table);
    match change {
        Change::AddPrimaryKey { table, key } => vec![format!(
            "ALTER TABLE {} ADD {}",
            table_ref(table),
            key_clause(key, "PRIMARY KEY")
        )],
        Change::AddUnique { table, key } => vec![format!(
            "ALTER TABLE {} ADD {}",
            table_ref(table),
            key_clause(key, "UNIQUE")
        )],
        Change::AddCheck { table, check } => vec![format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {}",
            table_ref(table),
            ident(&check.name),
            check.definition
        )],
        Change::AddForeignKey { table, foreign_key } => vec![format!(
            "ALTER TABLE {} ADD {}",
            table_ref(table),
            foreign_key_clause(foreign_key)
        )],
        Change::DropConstraint { table, name, .. } => vec![format!(
            "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
            table_ref(table),
            ident(name)
        )],
        Change::RenameConstraint { table, from, to } => vec![format!(
            "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
            table_ref(table),
            ident(from),
            ident(to)
        )],
        other => unreachable!("{other:?} is not a constraint change"),
    }
}

fn foreign_key_clause(fk: &ForeignKey) -> String {
    format!(
        "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {} ON UPDATE {}{}",
        ident(&fk.name),
        ident_list(&fk.columns),
        qualified(&fk.ref_schema, &fk.ref_table),
        ident_list(&fk.ref_columns),
        fk.on_delete.sql(),
        fk.on_update.sql(),
        match fk.deferrable {
            Some(true) => " DEFERRABLE INITIALLY DEFERRED",
            Some(false) => " DEFERRABLE INITIALLY IMMEDIATE",
            None => "",
        }
    )
}

/// Adding a constraint to an existing table checks its rows.
fn rows(actual: &Database, table: &str) -> Vec<Hazard> {
    actual
        .tables
        .get(table)
        .map(|_| vec![Hazard::ValidatesRows])
        .unwrap_or_default()
}
