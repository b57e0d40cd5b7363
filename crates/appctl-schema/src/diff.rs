//! The difference between a desired and an actual [`Database`], as a list of [`Change`]s.
//!
//! Pure: no I/O, no ordering (that is [`crate::plan`]'s job). Both sides must be in catalog spelling
//! (the desired state normalised through the server), so equal objects compare equal as values.
//! Only objects appctl manages are dropped; renames happen only where `renamed_from` declares them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::{
    Bucket, Check, Column, Database, Enum, ForeignKey, Identity, Index, KeyConstraint, ObjectRef,
    Policy, Privilege, Table,
};

/// One change to bring the actual state closer to the desired one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    CreateExtension {
        name: String,
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
    },
    DropDefault {
        table: String,
        column: String,
    },
    AddIdentity {
        table: String,
        column: String,
        identity: Identity,
    },
    SetIdentity {
        table: String,
        column: String,
        identity: Identity,
    },
    DropIdentity {
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumUse {
    pub table: String,
    pub column: String,
    /// The column is an array of the enum.
    pub array: bool,
    pub default: Option<String>,
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

/// A column added to an existing table keeps its comment (a new table's columns get theirs in
/// `create_table`).
fn push_column_comment(table: &str, column: &Column, out: &mut Diff) {
    if column.comment.is_some() {
        out.changes.push(Change::SetColumnComment {
            table: table.to_string(),
            column: column.name.clone(),
            comment: column.comment.clone(),
        });
    }
}

/// A replaced enum converts only columns that survive the plan: a column or table the same plan drops
/// is gone by the time the type changes.
fn enum_uses_after_drops(out: &mut Diff) {
    let mut dropped_tables = BTreeSet::new();
    let mut dropped_columns = BTreeSet::new();
    for change in &out.changes {
        match change {
            Change::DropTable { name } => {
                dropped_tables.insert(name.clone());
            }
            Change::DropColumn { table, column } => {
                dropped_columns.insert((table.clone(), column.clone()));
            }
            _ => {}
        }
    }
    for change in &mut out.changes {
        if let Change::ReplaceEnum { columns, .. } = change {
            columns.retain(|u| {
                !dropped_tables.contains(&u.table)
                    && !dropped_columns.contains(&(u.table.clone(), u.column.clone()))
            });
        }
    }
}

/// Functions by name; a change when the version, the configuration or the env names differ (a
/// desired version of `None` means "not read" and is not compared).
fn diff_functions(desired: &Database, actual: &Database, out: &mut Diff) {
    for (name, wanted) in &desired.functions {
        match actual.functions.get(name) {
            None => out.changes.push(Change::CreateFunction {
                name: name.clone(),
                function: wanted.clone(),
            }),
            Some(recorded) if crate::functions::differs(recorded, wanted) => {
                out.changes.push(Change::ChangeFunction {
                    name: name.clone(),
                    from: recorded.clone(),
                    to: wanted.clone(),
                })
            }
            Some(_) => {}
        }
    }
    for name in actual.functions.keys() {
        if !desired.functions.contains_key(name) {
            out.changes
                .push(Change::RemoveFunction { name: name.clone() });
        }
    }
}

/// Bucket rows by id, and appctl's policies on `storage.objects` by name (those are appctl's by their
/// `appctl_` prefix; other policies there are never read).
fn diff_buckets(desired: &Database, actual: &Database, out: &mut Diff) {
    for (id, wanted) in &desired.buckets {
        match actual.buckets.get(id) {
            None => out.changes.push(Change::CreateBucket {
                bucket: wanted.clone(),
            }),
            Some(existing) if existing != wanted => out.changes.push(Change::UpdateBucket {
                from: existing.clone(),
                to: wanted.clone(),
            }),
            Some(_) => {}
        }
    }
    for id in actual.buckets.keys() {
        if desired.buckets.contains_key(id) {
            continue;
        }
        let object = ObjectRef::Bucket(id.clone());
        if is_managed(actual, &object) {
            out.changes.push(Change::DeleteBucket { id: id.clone() });
        } else {
            out.unmanaged.push(object);
        }
    }
    diff_named(
        &desired.storage_policies,
        &actual.storage_policies,
        |p| &p.name,
        |p| Change::CreateStoragePolicy { policy: p.clone() },
        |p| Change::DropStoragePolicy {
            name: p.name.clone(),
        },
        out,
    );
}

/// A replaced enum's columns are converted after the renames (phases run renames first): name
/// them as the renames leave them.
fn enum_uses_after_renames(out: &mut Diff) {
    let mut tables: BTreeMap<String, String> = BTreeMap::new();
    let mut columns: BTreeMap<(String, String), String> = BTreeMap::new();
    for change in &out.changes {
        match change {
            Change::RenameTable { from, to } => {
                tables.insert(from.clone(), to.clone());
            }
            Change::RenameColumn { table, from, to } => {
                columns.insert((table.clone(), from.clone()), to.clone());
            }
            _ => {}
        }
    }
    for change in &mut out.changes {
        if let Change::ReplaceEnum { columns: uses, .. } = change {
            for usage in uses {
                if let Some(new) = tables.get(&usage.table) {
                    usage.table = new.clone();
                }
                if let Some(new) = columns.get(&(usage.table.clone(), usage.column.clone())) {
                    usage.column = new.clone();
                }
            }
        }
    }
}

/// Indexes and checks whose expressions name a replaced enum (`status = 'published'::status`) stop the
/// column's type change (`operator does not exist: status = status__appctl_old`): they are dropped
/// before the replacement and created again after it (the plan's phases put them there).
fn rebuild_enum_dependents(desired: &Database, actual: &Database, out: &mut Diff) {
    let replaced: Vec<String> = out
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::ReplaceEnum { from, .. } => Some(from.name.clone()),
            _ => None,
        })
        .collect();
    if replaced.is_empty() {
        return;
    }
    let mentions = |sql: &str| replaced.iter().any(|name| mentions_type(sql, name));
    let mut rebuilt = Vec::new();
    for (name, existing) in &actual.tables {
        let Some(wanted) = desired.tables.get(name) else {
            continue;
        };
        for index in existing.indexes.iter().filter(|i| mentions(&i.definition)) {
            let already = out.changes.iter().any(|c| {
                matches!(c, Change::DropIndex { table, name: n } if table == name && *n == index.name)
            });
            if let (false, Some(new)) = (already, wanted.index(&index.name)) {
                rebuilt.push(Change::DropIndex {
                    table: name.clone(),
                    name: index.name.clone(),
                });
                rebuilt.push(Change::CreateIndex {
                    table: name.clone(),
                    index: new.clone(),
                });
            }
        }
        for check in existing.checks.iter().filter(|c| mentions(&c.definition)) {
            let already = out.changes.iter().any(|c| {
                matches!(c, Change::DropConstraint { table, name: n, .. } if table == name && *n == check.name)
            });
            let new = wanted.checks.iter().find(|c| c.name == check.name);
            if let (false, Some(new)) = (already, new) {
                rebuilt.push(Change::DropConstraint {
                    table: name.clone(),
                    name: check.name.clone(),
                    what: "check constraint".into(),
                });
                rebuilt.push(Change::AddCheck {
                    table: name.clone(),
                    check: new.clone(),
                });
            }
        }
    }
    out.changes.extend(rebuilt);
}

/// Whether a catalog expression casts to type `name` (`::status`, `::"Mood"`, `::status[]`).
fn mentions_type(sql: &str, name: &str) -> bool {
    [name.to_string(), crate::quote::ident(name)]
        .iter()
        .any(|spelling| {
            let needle = format!("::{spelling}");
            sql.match_indices(&needle).any(|(at, _)| {
                sql[at + needle.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '$'))
            })
        })
}

fn is_managed(actual: &Database, object: &ObjectRef) -> bool {
    actual.managed.contains(object)
}

fn diff_extensions(desired: &Database, actual: &Database, out: &mut Diff) {
    for name in desired.extensions.difference(&actual.extensions) {
        out.changes
            .push(Change::CreateExtension { name: name.clone() });
    }
    for name in actual.extensions.difference(&desired.extensions) {
        let object = ObjectRef::Extension(name.clone());
        if is_managed(actual, &object) {
            out.changes
                .push(Change::DropExtension { name: name.clone() });
        } else {
            out.unmanaged.push(object);
        }
    }
}

fn diff_enums(desired: &Database, actual: &Database, out: &mut Diff) {
    for (name, wanted) in &desired.enums {
        match actual.enums.get(name) {
            None => out.changes.push(Change::CreateEnum {
                r#enum: wanted.clone(),
            }),
            Some(existing) if existing.values == wanted.values => {}
            Some(existing) => match added_values(&existing.values, &wanted.values) {
                Some(additions) => {
                    for (value, before) in additions {
                        out.changes.push(Change::AddEnumValue {
                            r#enum: name.clone(),
                            value,
                            before,
                        });
                    }
                }
                None => out.changes.push(Change::ReplaceEnum {
                    from: existing.clone(),
                    to: wanted.clone(),
                    columns: enum_uses(actual, name),
                }),
            },
        }
    }
    for name in actual.enums.keys() {
        if desired.enums.contains_key(name) {
            continue;
        }
        let object = ObjectRef::Enum(name.clone());
        if is_managed(actual, &object) {
            out.changes.push(Change::DropEnum { name: name.clone() });
        } else {
            out.unmanaged.push(object);
        }
    }
}

/// When `wanted` is `existing` with values inserted (existing ones kept, in the same order), the new
/// values with the existing value each goes before (`None`: appended). Otherwise `None`.
fn added_values(existing: &[String], wanted: &[String]) -> Option<Vec<(String, Option<String>)>> {
    let kept: Vec<&String> = wanted.iter().filter(|v| existing.contains(v)).collect();
    if kept.len() != existing.len() || kept.iter().zip(existing).any(|(a, b)| *a != b) {
        return None;
    }
    let mut additions = Vec::new();
    for (i, value) in wanted.iter().enumerate() {
        if existing.contains(value) {
            continue;
        }
        let before = wanted[i + 1..]
            .iter()
            .find(|v| existing.contains(v))
            .cloned();
        additions.push((value.clone(), before));
    }
    // Values are added one by one; inserting each before the next existing value keeps their order
    // only if we add later ones first when they share an anchor. Postgres places each new value
    // immediately before its anchor, so adding in file order yields file order.
    Some(additions)
}

fn enum_uses(actual: &Database, enum_name: &str) -> Vec<EnumUse> {
    // `format_type` prints the name bare or quoted, as it needs.
    let quoted = crate::quote::ident(enum_name);
    let is_type = |ty: &str| ty == enum_name || ty == quoted;
    let is_array = |ty: &str| ty.strip_suffix("[]").is_some_and(is_type);
    actual
        .tables
        .values()
        .flat_map(|table| {
            table
                .columns
                .iter()
                .filter(|&column| is_type(&column.data_type) || is_array(&column.data_type))
                .map(|column| EnumUse {
                    table: table.name.clone(),
                    column: column.name.clone(),
                    array: is_array(&column.data_type),
                    default: column.default.clone(),
                })
        })
        .collect()
}

fn diff_tables(desired: &Database, actual: &Database, out: &mut Diff) {
    // Tables the desired state renames: (old name → new name), when the old one still exists.
    let mut renamed_from: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, table) in &desired.tables {
        if let Some(old) = &table.renamed_from
            && !actual.tables.contains_key(name)
            && actual.tables.contains_key(old)
        {
            renamed_from.insert(old.as_str(), name.as_str());
        }
    }
    let existing_of = |name: &String, wanted: &Table| match actual.tables.get(name) {
        Some(existing) => Some(existing),
        None => wanted
            .renamed_from
            .as_deref()
            .filter(|old| renamed_from.contains_key(old))
            .and_then(|old| actual.tables.get(old)),
    };
    // Columns the desired state renames: (table's new name, old column) → new column.
    let mut renamed_columns: BTreeMap<(String, String), String> = BTreeMap::new();
    for (name, wanted) in &desired.tables {
        let Some(existing) = existing_of(name, wanted) else {
            continue;
        };
        for column in &wanted.columns {
            if let Some(old) = &column.renamed_from
                && existing.column(&column.name).is_none()
                && wanted.column(old).is_none()
                && existing.column(old).is_some()
            {
                renamed_columns.insert((name.clone(), old.clone()), column.name.clone());
            }
        }
    }
    for (name, wanted) in &desired.tables {
        let existing = existing_of(name, wanted);
        match existing {
            None => create_table(wanted, &actual.roles, out),
            Some(existing) => {
                if existing.name != *name {
                    out.changes.push(Change::RenameTable {
                        from: existing.name.clone(),
                        to: name.clone(),
                    });
                }
                let existing =
                    follow_renames(wanted, existing, &renamed_from, &renamed_columns, out);
                diff_table(wanted, &existing, out);
            }
        }
    }
    for name in actual.tables.keys() {
        if desired.tables.contains_key(name) || renamed_from.contains_key(name.as_str()) {
            continue;
        }
        let object = ObjectRef::Table(name.clone());
        if is_managed(actual, &object) {
            // Its foreign keys go first (with the other constraint drops), so tables that reference
            // each other, or a column another dropped table references, can be dropped in any order.
            for fk in &actual.tables[name].foreign_keys {
                out.changes.push(Change::DropConstraint {
                    table: name.clone(),
                    name: fk.name.clone(),
                    what: "foreign key".into(),
                });
            }
            out.changes.push(Change::DropTable { name: name.clone() });
        } else {
            out.unmanaged.push(object);
        }
    }
}

/// A new table: the table itself, then everything that is its own change.
fn create_table(table: &Table, roles: &BTreeSet<String>, out: &mut Diff) {
    let name = &table.name;
    out.changes.push(Change::CreateTable {
        table: table.clone(),
        revoke_from: roles.iter().cloned().collect(),
    });
    for foreign_key in &table.foreign_keys {
        out.changes.push(Change::AddForeignKey {
            table: name.clone(),
            foreign_key: foreign_key.clone(),
        });
    }
    for index in &table.indexes {
        out.changes.push(Change::CreateIndex {
            table: name.clone(),
            index: index.clone(),
        });
    }
    if table.comment.is_some() {
        out.changes.push(Change::SetTableComment {
            table: name.clone(),
            comment: table.comment.clone(),
        });
    }
    for column in &table.columns {
        if column.comment.is_some() {
            out.changes.push(Change::SetColumnComment {
                table: name.clone(),
                column: column.name.clone(),
                comment: column.comment.clone(),
            });
        }
    }
    if table.rls_enabled {
        out.changes.push(Change::EnableRls {
            table: name.clone(),
        });
    }
    for policy in &table.policies {
        out.changes.push(Change::CreatePolicy {
            table: name.clone(),
            policy: policy.clone(),
        });
    }
    diff_grants(name, &table.grants, &BTreeMap::new(), out);
}

/// `existing` as the declared renames leave it. Postgres follows a rename everywhere: foreign keys
/// point at the new table and column names, constraints and indexes cover the renamed columns, but
/// their names stay (`people_pkey` on a table renamed to `persons`, `teams_code_key` on a column
/// renamed to `slug`). So constraints and indexes are compared as renamed, and those that then
/// differ from a desired one only by name are renamed rather than dropped and built again.
fn follow_renames(
    wanted: &Table,
    existing: &Table,
    renamed_tables: &BTreeMap<&str, &str>,
    renamed_columns: &BTreeMap<(String, String), String>,
    out: &mut Diff,
) -> Table {
    let mut table = existing.clone();
    for fk in &mut table.foreign_keys {
        if let Some(new) = renamed_tables.get(fk.ref_table.as_str()) {
            fk.ref_table = new.to_string();
        }
        for column in &mut fk.ref_columns {
            if let Some(new) = renamed_columns.get(&(fk.ref_table.clone(), column.clone())) {
                *column = new.clone();
            }
        }
    }
    let own: Vec<(&str, &str)> = renamed_columns
        .iter()
        .filter(|((t, _), _)| *t == wanted.name)
        .map(|((_, old), new)| (old.as_str(), new.as_str()))
        .collect();
    if existing.name == wanted.name && own.is_empty() {
        return table;
    }
    let rename_all = |columns: &mut Vec<String>| {
        for column in columns {
            if let Some((_, new)) = own.iter().find(|(old, _)| old == column) {
                *column = new.to_string();
            }
        }
    };
    if !own.is_empty() {
        if let Some(key) = &mut table.primary_key {
            rename_all(&mut key.columns);
        }
        for key in &mut table.uniques {
            rename_all(&mut key.columns);
        }
        for fk in &mut table.foreign_keys {
            rename_all(&mut fk.columns);
        }
        for check in &mut table.checks {
            check.definition = rename_identifiers(&check.definition, &own);
        }
        for index in &mut table.indexes {
            for column in &mut index.columns {
                if let Some((_, new)) = own.iter().find(|(old, _)| *old == column.column) {
                    column.column = new.to_string();
                }
            }
            rename_all(&mut index.include);
            index.predicate = index
                .predicate
                .as_deref()
                .map(|p| rename_identifiers(p, &own));
            index.definition = rename_identifiers(&index.definition, &own);
        }
    }
    table.name = wanted.name.clone();
    let name = &wanted.name;
    let mut rename_constraint = |from: &mut String, to: &str| {
        out.changes.push(Change::RenameConstraint {
            table: name.clone(),
            from: from.clone(),
            to: to.to_string(),
        });
        *from = to.to_string();
    };
    if let (Some(old), Some(new)) = (&mut table.primary_key, &wanted.primary_key)
        && old.name != new.name
        && old.columns == new.columns
    {
        rename_constraint(&mut old.name, &new.name);
    }
    rename_by_content(
        &mut table.uniques,
        &wanted.uniques,
        |k| &mut k.name,
        &mut rename_constraint,
    );
    rename_by_content(
        &mut table.checks,
        &wanted.checks,
        |c| &mut c.name,
        &mut rename_constraint,
    );
    rename_by_content(
        &mut table.foreign_keys,
        &wanted.foreign_keys,
        |f| &mut f.name,
        &mut rename_constraint,
    );
    if existing.name != *name {
        for index in &mut table.indexes {
            index.definition = index_on_table(&index.definition, &existing.name, name);
        }
    }
    let mut rename_index = |from: &mut String, to: &str| {
        out.changes.push(Change::RenameIndex {
            table: name.clone(),
            from: from.clone(),
            to: to.to_string(),
        });
        *from = to.to_string();
    };
    rename_by_content(
        &mut table.indexes,
        &wanted.indexes,
        |i| &mut i.name,
        &mut rename_index,
    );
    table
}

/// Renames each existing object that has no desired namesake to the desired object without an
/// existing namesake that it equals apart from the name.
fn rename_by_content<T: Clone + PartialEq>(
    existing: &mut [T],
    wanted: &[T],
    name: impl Fn(&mut T) -> &mut String,
    rename: &mut dyn FnMut(&mut String, &str),
) {
    let name_of = |item: &T| name(&mut item.clone()).clone();
    let existing_names: BTreeSet<String> = existing.iter().map(name_of).collect();
    let wanted_names: BTreeSet<String> = wanted.iter().map(name_of).collect();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    for old in existing.iter_mut() {
        if wanted_names.contains(&name_of(old)) {
            continue;
        }
        let found = wanted.iter().find(|new| {
            let new_name = name_of(new);
            if existing_names.contains(&new_name) || taken.contains(&new_name) {
                return false;
            }
            let mut renamed = old.clone();
            *name(&mut renamed) = new_name;
            renamed == **new
        });
        if let Some(new) = found {
            let new_name = name_of(new);
            taken.insert(new_name.clone());
            rename(name(old), &new_name);
        }
    }
}

/// A name as the catalog functions print it: bare when it is a plain lower-case name, else quoted.
/// (They also quote keywords; a keyword spelled bare here only makes a comparison fail, which
/// rebuilds the object rather than renaming it.)
fn spell(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        crate::quote::ident(name)
    }
}

/// A catalog expression with column references renamed (`old` → `new`). String literals and type
/// names after `::` are left alone.
fn rename_identifiers(sql: &str, renames: &[(&str, &str)]) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let name = if c == '\'' {
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
            out.extend(&chars[start..i]);
            continue;
        } else if c == '"' {
            let mut name = String::new();
            i += 1;
            while i < chars.len() {
                if chars[i] == '"' {
                    if chars.get(i + 1) == Some(&'"') {
                        name.push('"');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                name.push(chars[i]);
                i += 1;
            }
            name
        } else if c.is_alphabetic() || c == '_' {
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            chars[start..i].iter().collect()
        } else {
            out.push(c);
            i += 1;
            continue;
        };
        match renames.iter().find(|(old, _)| *old == name) {
            Some((_, new)) if !out.ends_with("::") => out.push_str(&spell(new)),
            _ => out.extend(&chars[start..i]),
        }
    }
    out
}

/// A masked index definition (`CREATE INDEX ON people USING ...`) with its table renamed, the table
/// spelled as `pg_get_indexdef` spells it.
fn index_on_table(definition: &str, from: &str, to: &str) -> String {
    for prefix in ["CREATE INDEX ON ", "CREATE UNIQUE INDEX ON "] {
        for from_spelling in [spell(from), format!("\"{}\"", from.replace('"', "\"\""))] {
            let head = format!("{prefix}{from_spelling} USING ");
            if let Some(rest) = definition.strip_prefix(&head) {
                return format!("{prefix}{} USING {rest}", spell(to));
            }
        }
    }
    definition.to_string()
}

/// Two versions of one table (`existing` may still have its old name).
fn diff_table(wanted: &Table, existing: &Table, out: &mut Diff) {
    let table = &wanted.name;
    diff_columns(wanted, existing, out);

    // Constraints: by name; a changed one is dropped and added again.
    let same_key = |a: &Option<KeyConstraint>, b: &Option<KeyConstraint>| a == b;
    if !same_key(&wanted.primary_key, &existing.primary_key) {
        if let Some(old) = &existing.primary_key {
            out.changes.push(Change::DropConstraint {
                table: table.clone(),
                name: old.name.clone(),
                what: "primary key".into(),
            });
        }
        if let Some(new) = &wanted.primary_key {
            out.changes.push(Change::AddPrimaryKey {
                table: table.clone(),
                key: new.clone(),
            });
        }
    }
    diff_named(
        &wanted.uniques,
        &existing.uniques,
        |k| &k.name,
        |k| Change::AddUnique {
            table: table.clone(),
            key: k.clone(),
        },
        |k| Change::DropConstraint {
            table: table.clone(),
            name: k.name.clone(),
            what: "unique constraint".into(),
        },
        out,
    );
    diff_named(
        &wanted.checks,
        &existing.checks,
        |c| &c.name,
        |c| Change::AddCheck {
            table: table.clone(),
            check: c.clone(),
        },
        |c| Change::DropConstraint {
            table: table.clone(),
            name: c.name.clone(),
            what: "check constraint".into(),
        },
        out,
    );
    diff_named(
        &wanted.foreign_keys,
        &existing.foreign_keys,
        |f| &f.name,
        |f| Change::AddForeignKey {
            table: table.clone(),
            foreign_key: f.clone(),
        },
        |f| Change::DropConstraint {
            table: table.clone(),
            name: f.name.clone(),
            what: "foreign key".into(),
        },
        out,
    );
    diff_indexes(wanted, existing, out);

    if wanted.comment != existing.comment {
        out.changes.push(Change::SetTableComment {
            table: table.clone(),
            comment: wanted.comment.clone(),
        });
    }
    match (wanted.rls_enabled, existing.rls_enabled) {
        (true, false) => out.changes.push(Change::EnableRls {
            table: table.clone(),
        }),
        (false, true) => out.changes.push(Change::DisableRls {
            table: table.clone(),
        }),
        _ => {}
    }
    diff_named(
        &wanted.policies,
        &existing.policies,
        |p| &p.name,
        |p| Change::CreatePolicy {
            table: table.clone(),
            policy: p.clone(),
        },
        |p| Change::DropPolicy {
            table: table.clone(),
            name: p.name.clone(),
        },
        out,
    );
    diff_grants(table, &wanted.grants, &existing.grants, out);
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

fn diff_columns(wanted: &Table, existing: &Table, out: &mut Diff) {
    let table = &wanted.name;
    let current_of = |column: &Column| {
        existing.column(&column.name).or_else(|| {
            column
                .renamed_from
                .as_deref()
                .filter(|old| wanted.column(old).is_none())
                .and_then(|old| existing.column(old))
        })
    };
    // Postgres refuses to change the type of a column a generated column reads: such generated
    // columns are dropped first and added again once every type has changed.
    let retyped: Vec<&str> = wanted
        .columns
        .iter()
        .filter_map(|c| current_of(c).filter(|e| e.data_type != c.data_type))
        .map(|e| e.name.as_str())
        .collect();
    let reads_retyped = |column: &Column| {
        column.generated.as_deref().is_some_and(|expression| {
            retyped
                .iter()
                .any(|name| rename_identifiers(expression, &[(name, "\u{1}")]) != expression)
        })
    };
    let mut generated_again = Vec::new();
    let mut matched: BTreeSet<&str> = BTreeSet::new();
    for column in &wanted.columns {
        let current = current_of(column);
        if let Some(current) = current
            && current.generated.is_some()
            && (current.generated != column.generated || reads_retyped(current))
        {
            // Derived values: dropping loses nothing.
            matched.insert(current.name.as_str());
            if current.name != column.name {
                out.changes.push(Change::RenameColumn {
                    table: table.clone(),
                    from: current.name.clone(),
                    to: column.name.clone(),
                });
            }
            out.changes.push(Change::DropColumn {
                table: table.clone(),
                column: column.name.clone(),
            });
            generated_again.push(Change::AddColumn {
                table: table.clone(),
                column: column.clone(),
            });
            if let Some(comment) = &column.comment {
                generated_again.push(Change::SetColumnComment {
                    table: table.clone(),
                    column: column.name.clone(),
                    comment: Some(comment.clone()),
                });
            }
            continue;
        }
        let Some(current) = current else {
            out.changes.push(Change::AddColumn {
                table: table.clone(),
                column: column.clone(),
            });
            push_column_comment(table, column, out);
            continue;
        };
        matched.insert(current.name.as_str());
        if current.name != column.name {
            out.changes.push(Change::RenameColumn {
                table: table.clone(),
                from: current.name.clone(),
                to: column.name.clone(),
            });
        }
        diff_column(table, column, current, out);
    }
    for column in &existing.columns {
        if !matched.contains(column.name.as_str()) {
            out.changes.push(Change::DropColumn {
                table: table.clone(),
                column: column.name.clone(),
            });
        }
    }
    out.changes.extend(generated_again);
}

fn diff_column(table: &str, wanted: &Column, existing: &Column, out: &mut Diff) {
    let table = table.to_string();
    let column = wanted.name.clone();
    // A generated column's expression cannot be altered in place on every version: drop and re-add
    // (its values are derived, so nothing is lost).
    if wanted.generated != existing.generated {
        out.changes.push(Change::DropColumn {
            table: table.clone(),
            column: column.clone(),
        });
        out.changes.push(Change::AddColumn {
            table: table.clone(),
            column: wanted.clone(),
        });
        push_column_comment(&table, wanted, out);
        return;
    }
    if wanted.data_type != existing.data_type {
        out.changes.push(Change::AlterColumnType {
            table: table.clone(),
            column: column.clone(),
            from: existing.data_type.clone(),
            to: wanted.data_type.clone(),
            drop_default: existing.default.is_some() && existing.identity.is_none(),
        });
    }
    match (&wanted.identity, &existing.identity) {
        (Some(identity), None) => {
            if existing.default.is_some() {
                out.changes.push(Change::DropDefault {
                    table: table.clone(),
                    column: column.clone(),
                });
            }
            out.changes.push(Change::AddIdentity {
                table: table.clone(),
                column: column.clone(),
                identity: *identity,
            });
        }
        (None, Some(_)) => out.changes.push(Change::DropIdentity {
            table: table.clone(),
            column: column.clone(),
        }),
        (Some(a), Some(b)) if a != b => out.changes.push(Change::SetIdentity {
            table: table.clone(),
            column: column.clone(),
            identity: *a,
        }),
        _ => {}
    }
    let type_changed = wanted.data_type != existing.data_type;
    if wanted.identity.is_none() {
        match (&wanted.default, &existing.default) {
            (Some(new), Some(old)) if new == old && !type_changed => {}
            (Some(new), _) => out.changes.push(Change::SetDefault {
                table: table.clone(),
                column: column.clone(),
                default: new.clone(),
            }),
            // A type change already dropped it.
            (None, Some(_)) if existing.identity.is_none() && !type_changed => {
                out.changes.push(Change::DropDefault {
                    table: table.clone(),
                    column: column.clone(),
                })
            }
            _ => {}
        }
    }
    match (wanted.nullable, existing.nullable) {
        (false, true) => out.changes.push(Change::SetNotNull {
            table: table.clone(),
            column: column.clone(),
        }),
        (true, false) => out.changes.push(Change::DropNotNull {
            table: table.clone(),
            column: column.clone(),
        }),
        _ => {}
    }
    if wanted.comment != existing.comment {
        out.changes.push(Change::SetColumnComment {
            table,
            column,
            comment: wanted.comment.clone(),
        });
    }
}

fn diff_indexes(wanted: &Table, existing: &Table, out: &mut Diff) {
    let table = &wanted.name;
    let mut matched: BTreeSet<&str> = BTreeSet::new();
    for index in &wanted.indexes {
        let current = existing.index(&index.name).or_else(|| {
            index
                .renamed_from
                .as_deref()
                .filter(|old| wanted.index(old).is_none())
                .and_then(|old| existing.index(old))
        });
        match current {
            Some(current) if same_index(index, current) => {
                matched.insert(current.name.as_str());
                if current.name != index.name {
                    out.changes.push(Change::RenameIndex {
                        table: table.clone(),
                        from: current.name.clone(),
                        to: index.name.clone(),
                    });
                }
            }
            Some(current) => {
                // Changed (or left invalid by a failed concurrent build): build it again.
                matched.insert(current.name.as_str());
                out.changes.push(Change::DropIndex {
                    table: table.clone(),
                    name: current.name.clone(),
                });
                out.changes.push(Change::CreateIndex {
                    table: table.clone(),
                    index: index.clone(),
                });
            }
            None => out.changes.push(Change::CreateIndex {
                table: table.clone(),
                index: index.clone(),
            }),
        }
    }
    for index in &existing.indexes {
        if !matched.contains(index.name.as_str()) {
            out.changes.push(Change::DropIndex {
                table: table.clone(),
                name: index.name.clone(),
            });
        }
    }
}

/// Indexes are the same when their catalog definitions (names masked) agree and the old one is valid.
fn same_index(wanted: &Index, existing: &Index) -> bool {
    existing.valid && wanted.definition == existing.definition
}

fn diff_grants(
    table: &str,
    wanted: &BTreeMap<String, BTreeSet<Privilege>>,
    existing: &BTreeMap<String, BTreeSet<Privilege>>,
    out: &mut Diff,
) {
    let empty = BTreeSet::new();
    let roles: BTreeSet<&String> = wanted.keys().chain(existing.keys()).collect();
    for role in roles {
        let want = wanted.get(role).unwrap_or(&empty);
        let have = existing.get(role).unwrap_or(&empty);
        let revoke: BTreeSet<Privilege> = have.difference(want).copied().collect();
        let grant: BTreeSet<Privilege> = want.difference(have).copied().collect();
        if !revoke.is_empty() {
            out.changes.push(Change::Revoke {
                table: table.to_string(),
                role: role.clone(),
                privileges: revoke,
            });
        }
        if !grant.is_empty() {
            out.changes.push(Change::Grant {
                table: table.to_string(),
                role: role.clone(),
                privileges: grant,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn a_renamed_table_renames_what_is_named_after_it() {
        let key = |name: &str| KeyConstraint {
            name: name.into(),
            columns: vec!["id".into()],
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
