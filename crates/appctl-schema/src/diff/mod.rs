//! The difference between a desired and an actual [`Database`], as a list of [`Change`]s.
//!
//! Pure: no I/O, no ordering (that is [`crate::plan`]'s job). Both sides must be in catalog spelling
//! (the desired state normalised through the server), so equal objects compare equal as values.
//! Only objects appctl manages are dropped; renames happen only where `renamed_from` declares them.

mod buckets;
mod columns;
mod enums;
mod extensions;
mod functions;
mod grants;
mod indexes;
mod renames;
mod tables;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::{
    Bucket, Check, Column, Database, Enum, ForeignKey, Identity, IdentityOptions, Index,
    KeyConstraint, ObjectRef, Policy, Privilege, Table,
};

use self::buckets::diff_buckets;
use self::enums::{
    diff_enums, enum_uses_after_drops, enum_uses_after_renames, rebuild_enum_dependents,
};
use self::extensions::diff_extensions;
use self::functions::diff_functions;
use self::tables::diff_tables;

/// One change to bring the actual state closer to the desired one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    CreateExtension {
        name: String,
        /// The schema to create it in (made first when missing); the search path's first when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<String>,
    },
    UpdateExtension {
        name: String,
        from: String,
        to: String,
    },
    SetExtensionSchema {
        name: String,
        from: String,
        to: String,
    },
    DropExtension {
        name: String,
    },
    CreateEnum {
        r#enum: Enum,
    },
    /// `ALTER TYPE ... ADD VALUE`, placed before an existing value or appended.
    AddEnumValue {
        r#enum: String,
        value: String,
        before: Option<String>,
    },
    /// Values removed or reordered: a new type replaces the old one and columns are converted.
    ReplaceEnum {
        from: Enum,
        to: Enum,
        /// Columns (table, column, default) that use the type.
        columns: Vec<EnumUse>,
    },
    DropEnum {
        name: String,
    },
    /// Creates the table with its columns, primary key, unique and check constraints. Foreign keys,
    /// indexes, comments, RLS, policies and grants follow as their own changes.
    CreateTable {
        table: Table,
        /// Roles whose every privilege is revoked right after the table is created, before the
        /// declared grants: default privileges (Supabase grants all to anon, authenticated and
        /// service_role on new tables) must not add grants the file does not declare.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        revoke_from: Vec<String>,
    },
    RenameTable {
        from: String,
        to: String,
    },
    DropTable {
        name: String,
    },
    AddColumn {
        table: String,
        column: Column,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    DropColumn {
        table: String,
        column: String,
    },
    AlterColumnType {
        table: String,
        column: String,
        from: String,
        to: String,
        /// The column has a default: it is dropped before the type changes (it may not cast), and the
        /// desired default, if any, is set again by a following `SetDefault`.
        drop_default: bool,
    },
    /// `ALTER COLUMN ... TYPE <same type> COLLATE ...` (`None`: the type's default).
    SetCollation {
        table: String,
        column: String,
        data_type: String,
        collation: Option<String>,
    },
    SetNotNull {
        table: String,
        column: String,
    },
    DropNotNull {
        table: String,
        column: String,
    },
    SetDefault {
        table: String,
        column: String,
        default: String,
        /// A sequence the default takes values from that the column does not own yet: created first.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sequence: Option<(String, String)>,
    },
    DropDefault {
        table: String,
        column: String,
        /// The sequence the column owned (a serial's): dropped with the default, as Postgres drops
        /// it with the column.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sequence: Option<String>,
    },
    AddIdentity {
        table: String,
        column: String,
        identity: Identity,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        options: Option<IdentityOptions>,
    },
    SetIdentity {
        table: String,
        column: String,
        identity: Identity,
    },
    /// START WITH and INCREMENT BY of an identity's sequence (`None`: 1 and 1).
    SetIdentityOptions {
        table: String,
        column: String,
        options: Option<IdentityOptions>,
    },
    DropIdentity {
        table: String,
        column: String,
    },
    /// A stored generated column made plain: it keeps the values it holds.
    DropExpression {
        table: String,
        column: String,
    },
    AddPrimaryKey {
        table: String,
        key: KeyConstraint,
    },
    AddUnique {
        table: String,
        key: KeyConstraint,
    },
    AddCheck {
        table: String,
        check: Check,
    },
    AddForeignKey {
        table: String,
        foreign_key: ForeignKey,
    },
    DropConstraint {
        table: String,
        name: String,
        /// What the constraint was: primary key, unique, check or foreign key.
        what: String,
    },
    CreateIndex {
        table: String,
        index: Index,
    },
    RenameIndex {
        table: String,
        from: String,
        to: String,
    },
    /// A constraint of a renamed table whose name follows the table's (`people_pkey` → `persons_pkey`).
    RenameConstraint {
        table: String,
        from: String,
        to: String,
    },
    DropIndex {
        table: String,
        name: String,
    },
    SetTableComment {
        table: String,
        comment: Option<String>,
    },
    SetColumnComment {
        table: String,
        column: String,
        comment: Option<String>,
    },
    EnableRls {
        table: String,
    },
    DisableRls {
        table: String,
    },
    CreatePolicy {
        table: String,
        policy: Policy,
    },
    DropPolicy {
        table: String,
        name: String,
    },
    Grant {
        table: String,
        role: String,
        privileges: BTreeSet<Privilege>,
    },
    Revoke {
        table: String,
        role: String,
        privileges: BTreeSet<Privilege>,
    },
    /// A row of `storage.buckets`.
    CreateBucket {
        bucket: Bucket,
    },
    UpdateBucket {
        from: Bucket,
        to: Bucket,
    },
    DeleteBucket {
        id: String,
    },
    /// A policy on `storage.objects` (a bucket's permission).
    CreateStoragePolicy {
        policy: Policy,
    },
    DropStoragePolicy {
        name: String,
    },
    /// A function's record in `appctl.functions`: its version, configuration, env names and who may
    /// invoke it.
    CreateFunction {
        name: String,
        function: crate::model::Function,
    },
    ChangeFunction {
        name: String,
        from: crate::model::Function,
        to: crate::model::Function,
    },
    RemoveFunction {
        name: String,
    },
}

impl Change {
    /// The existing table the change alters, drops or renames; `None` for a new table and for
    /// changes outside tables.
    pub fn table(&self) -> Option<&str> {
        match self {
            Change::AddColumn { table, .. }
            | Change::RenameColumn { table, .. }
            | Change::DropColumn { table, .. }
            | Change::AlterColumnType { table, .. }
            | Change::SetNotNull { table, .. }
            | Change::DropNotNull { table, .. }
            | Change::SetDefault { table, .. }
            | Change::DropDefault { table, .. }
            | Change::AddIdentity { table, .. }
            | Change::SetIdentity { table, .. }
            | Change::SetIdentityOptions { table, .. }
            | Change::SetCollation { table, .. }
            | Change::DropIdentity { table, .. }
            | Change::DropExpression { table, .. }
            | Change::AddPrimaryKey { table, .. }
            | Change::AddUnique { table, .. }
            | Change::AddCheck { table, .. }
            | Change::AddForeignKey { table, .. }
            | Change::DropConstraint { table, .. }
            | Change::CreateIndex { table, .. }
            | Change::RenameIndex { table, .. }
            | Change::RenameConstraint { table, .. }
            | Change::DropIndex { table, .. }
            | Change::SetTableComment { table, .. }
            | Change::SetColumnComment { table, .. }
            | Change::EnableRls { table, .. }
            | Change::DisableRls { table, .. }
            | Change::CreatePolicy { table, .. }
            | Change::DropPolicy { table, .. }
            | Change::Grant { table, .. }
            | Change::Revoke { table, .. } => Some(table),
            Change::RenameTable { from, .. } => Some(from),
            Change::DropTable { name } => Some(name),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumUse {
    pub table: String,
    pub column: String,
    /// The column is an array of the enum.
    pub array: bool,
    /// The default set again after the conversion: the column's, when the file keeps it (a new
    /// default is the column diff's step; the old one may name a removed value).
    pub default: Option<String>,
    /// The column has a default, dropped before the conversion.
    #[serde(default)]
    pub drop_default: bool,
    /// The plan drops the column's table later: converted to text, not to the new type.
    #[serde(default)]
    pub dropped: bool,
}

/// The changes, plus the objects that exist but are neither desired nor managed (left alone).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    pub changes: Vec<Change>,
    pub unmanaged: Vec<ObjectRef>,
}

/// Compares two states. `actual.managed` decides what may be dropped.
pub fn diff(desired: &Database, actual: &Database) -> Diff {
    let mut out = Diff::default();
    diff_extensions(desired, actual, &mut out);
    diff_enums(desired, actual, &mut out);
    diff_tables(desired, actual, &mut out);
    enum_uses_after_renames(&mut out);
    enum_uses_after_drops(&mut out);
    rebuild_enum_dependents(desired, actual, &mut out);
    diff_buckets(desired, actual, &mut out);
    diff_functions(desired, actual, &mut out);
    out
}

fn is_managed(actual: &Database, object: &ObjectRef) -> bool {
    actual.managed.contains(object)
}

/// Objects matched by name: missing ones are added, extra ones dropped, changed ones dropped and
/// added again (drops first, so a constraint can keep its name).
fn diff_named<T: PartialEq>(
    wanted: &[T],
    existing: &[T],
    name: impl Fn(&T) -> &String,
    add: impl Fn(&T) -> Change,
    drop: impl Fn(&T) -> Change,
    out: &mut Diff,
) {
    for old in existing {
        match wanted.iter().find(|w| name(w) == name(old)) {
            Some(new) if new == old => {}
            _ => out.changes.push(drop(old)),
        }
    }
    for new in wanted {
        match existing.iter().find(|e| name(e) == name(new)) {
            Some(old) if old == new => {}
            _ => out.changes.push(add(new)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::columns::diff_columns;
    use super::enums::{added_values, mentions_type};
    use super::renames::rename_identifiers;
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn a_renamed_table_renames_what_is_named_after_it() {
        let key = |name: &str| KeyConstraint {
            name: name.into(),
            columns: vec!["id".into()],
            ..KeyConstraint::default()
        };
        let index = |name: &str, table: &str| Index {
            name: name.into(),
            method: "btree".into(),
            definition: format!("CREATE INDEX ON {table} USING btree (name)"),
            valid: true,
            ..Index::default()
        };
        let old = Table {
            name: "people".into(),
            primary_key: Some(key("people_pkey")),
            uniques: vec![key("people_id_key")],
            indexes: vec![index("people_name_idx", "people")],
            ..Table::default()
        };
        let new = Table {
            name: "Persons".into(),
            renamed_from: Some("people".into()),
            primary_key: Some(key("Persons_pkey")),
            uniques: vec![key("Persons_id_key")],
            indexes: vec![index("Persons_name_idx", "\"Persons\"")],
            ..Table::default()
        };
        let desired = Database {
            tables: [("Persons".to_string(), new)].into(),
            ..Database::default()
        };
        let actual = Database {
            tables: [("people".to_string(), old)].into(),
            ..Database::default()
        };
        let changes = diff(&desired, &actual).changes;
        let rename = |from: &str, to: &str| Change::RenameConstraint {
            table: "Persons".into(),
            from: from.into(),
            to: to.into(),
        };
        assert_eq!(
            changes,
            vec![
                Change::RenameTable {
                    from: "people".into(),
                    to: "Persons".into()
                },
                rename("people_pkey", "Persons_pkey"),
                rename("people_id_key", "Persons_id_key"),
                Change::RenameIndex {
                    table: "Persons".into(),
                    from: "people_name_idx".into(),
                    to: "Persons_name_idx".into()
                },
            ]
        );
    }

    #[test]
    fn renames_column_references_only() {
        let renames = [("code", "slug"), ("Odd \"one\"", "Even")];
        assert_eq!(
            rename_identifiers(
                "CHECK (((length(code) > 1) AND (code <> 'code'::text) AND (\"Odd \"\"one\"\"\" > 0)))",
                &renames
            ),
            "CHECK (((length(slug) > 1) AND (slug <> 'code'::text) AND (\"Even\" > 0)))"
        );
        assert_eq!(
            rename_identifiers("(x = 'a'::code)", &[("code", "slug")]),
            "(x = 'a'::code)"
        );
    }

    #[test]
    fn generated_columns_reading_a_retyped_column_are_added_again_after_it() {
        let column = |name: &str, ty: &str, generated: Option<&str>| Column {
            name: name.into(),
            data_type: ty.into(),
            generated: generated.map(str::to_string),
            ..Column::default()
        };
        let existing = Table {
            name: "t".into(),
            columns: vec![
                column("twice", "integer", Some("(qty * 2)")),
                column("qty", "integer", None),
            ],
            ..Table::default()
        };
        let wanted = Table {
            columns: vec![
                column("twice", "bigint", Some("(qty * 2)")),
                column("qty", "bigint", None),
            ],
            ..existing.clone()
        };
        let mut out = Diff::default();
        diff_columns(&wanted, &existing, &mut out);
        let kinds: Vec<&str> = out
            .changes
            .iter()
            .map(|c| match c {
                Change::DropColumn { .. } => "drop",
                Change::AlterColumnType { .. } => "type",
                Change::AddColumn { .. } => "add",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["drop", "type", "add"]);
    }

    #[test]
    fn finds_casts_to_a_type() {
        assert!(mentions_type("WHERE (status = 'a'::status)", "status"));
        assert!(mentions_type(
            "CHECK ((x = ANY ('{a}'::status[])))",
            "status"
        ));
        assert!(mentions_type("(m = 'ok'::\"Mood\")", "Mood"));
        assert!(!mentions_type("(s = 'a'::status_old)", "status"));
        assert!(!mentions_type("(s = 'a'::text)", "status"));
    }

    #[test]
    fn enum_additions_are_in_place_when_order_is_kept() {
        let additions =
            added_values(&strings(&["a", "c"]), &strings(&["a", "b", "c", "d"])).unwrap();
        assert_eq!(
            additions,
            vec![
                ("b".to_string(), Some("c".to_string())),
                ("d".to_string(), None)
            ]
        );
        assert_eq!(
            added_values(&strings(&["a", "b"]), &strings(&["b", "a"])),
            None
        );
        assert_eq!(added_values(&strings(&["a", "b"]), &strings(&["a"])), None);
    }
}
