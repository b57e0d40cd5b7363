//! Project file → desired [`Database`]. Pure.
//!
//! Names Postgres would derive are made explicit with Postgres's own conventions (`<table>_pkey`,
//! `<table>_<columns>_key`, `_fkey`, `_check`, `_idx`), so a database built by hand reads back with
//! the same names and `pull` writes no needless `name:`. Expressions stay as written; they reach the
//! catalog's spelling by normalisation through the server (see `appctl_pg::normalize`).

use crate::model::{
    Bucket, Check, Column, Database, Enum, ForeignKey, Identity, Index, IndexColumn, KeyConstraint,
    ReferentialAction, Table,
};
use crate::names::object_name;
use appctl_project::file::{self, ProjectFile};
use appctl_project::values::{parse_index_column, parse_size, size_bytes};

/// The desired state of a (valid) project file's database part.
pub fn lower(project: &ProjectFile) -> Database {
    let schema = project.schema.clone();
    let mut database = Database {
        schema: schema.clone(),
        extensions: project
            .extensions
            .iter()
            .map(|e| {
                let extension = crate::model::Extension {
                    schema: e.schema().map(str::to_string),
                    version: e.version().map(str::to_string),
                    ..crate::model::Extension::default()
                };
                (e.name().to_string(), extension)
            })
            .collect(),
        ..Database::default()
    };
    for (name, values) in &project.enums {
        database.enums.insert(
            name.clone(),
            Enum {
                name: name.clone(),
                values: values.clone(),
            },
        );
    }
    for (name, table) in &project.tables {
        database
            .tables
            .insert(name.clone(), lower_table(project, name, table));
        if let Some(record) = permissions_source(&table.permissions, table.owner.as_deref()) {
            database
                .permission_records
                .tables
                .insert(name.clone(), record);
        }
    }
    for (name, bucket) in &project.buckets {
        if let Some(record) = permissions_source(&bucket.permissions, None) {
            database
                .permission_records
                .buckets
                .insert(name.clone(), record);
        }
        database.buckets.insert(
            name.clone(),
            Bucket {
                id: name.clone(),
                public: bucket.public,
                file_size_limit: bucket.max_file_size.as_ref().and_then(|size| match size {
                    file::Size::Bytes(bytes) => i64::try_from(*bytes).ok(),
                    file::Size::Text(text) => parse_size(text).and_then(|b| i64::try_from(b).ok()),
                }),
                allowed_mime_types: bucket.allowed_mime_types.clone(),
            },
        );
        database
            .storage_policies
            .extend(crate::permissions::compile_bucket(
                name,
                &bucket.permissions,
            ));
    }
    database
        .storage_policies
        .sort_by(|a, b| a.name.cmp(&b.name));
    for (name, function) in &project.functions {
        database
            .functions
            .insert(name.clone(), lower_function(function));
    }
    database
}

/// A function's record without its version (that needs the sources: see
/// [`crate::functions::lower_with_versions`]). Values are spelled one way, so rewriting `30s` as
/// `30000ms` or reordering `execute` changes nothing; env values are left out (secrets).
pub fn lower_function(function: &file::Function) -> crate::model::Function {
    let mut execute: Vec<String> = function
        .execute
        .iter()
        .map(|rule| match rule {
            file::RoleRule::Role(role) => role.clone(),
            file::RoleRule::Filtered(filtered) => serde_json::json!({
                "role": filtered.role,
                "where": filtered.predicate,
            })
            .to_string(),
        })
        .collect();
    execute.sort();
    execute.dedup();
    let runtime = function.runtime.name().to_string();
    crate::model::Function {
        version: None,
        runtime,
        entrypoint: function.entrypoint.trim_start_matches("./").to_string(),
        timeout_ms: function
            .timeout
            .as_deref()
            .and_then(|t| humantime::parse_duration(t).ok())
            .and_then(|d| u64::try_from(d.as_millis()).ok()),
        memory_bytes: function.memory.as_ref().and_then(size_bytes),
        schedule: function
            .schedule
            .as_deref()
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")),
        execute,
        env: function.env.keys().cloned().collect(),
    }
}

/// What a deploy records of a table's or bucket's permissions, for `pull` to read back.
fn permissions_source(
    permissions: &file::Permissions,
    owner: Option<&str>,
) -> Option<serde_json::Value> {
    if permissions.is_empty() {
        return None;
    }
    serde_json::to_value(crate::permissions::Recorded {
        owner: owner.map(str::to_string),
        permissions: permissions.clone(),
    })
    .ok()
}

/// The policies and grants written as SQL (`policies:`, `grants:`), beside those `permissions`
/// compiled to.
fn add_written_access(table: &file::Table, lowered: &mut Table) {
    for (name, policy) in &table.policies {
        let mut roles = if policy.to.is_empty() {
            vec!["public".to_string()]
        } else {
            policy.to.clone()
        };
        roles.sort();
        roles.dedup();
        lowered.policies.push(crate::model::Policy {
            name: name.clone(),
            command: policy.command.sql().to_string(),
            permissive: !policy.restrictive,
            roles,
            using: policy.using.clone(),
            with_check: policy.check.clone(),
        });
    }
    lowered.policies.sort_by(|a, b| a.name.cmp(&b.name));
    for (role, privileges) in &table.grants {
        let granted = lowered.grants.entry(role.clone()).or_default();
        granted.extend(privileges.iter().map(|p| crate::model::Privilege::from(*p)));
    }
}

/// `identity:` as the kind and, when not 1 and 1, the sequence's start and step.
fn lower_identity(
    identity: Option<file::Identity>,
) -> (Option<Identity>, Option<crate::model::IdentityOptions>) {
    match identity {
        Some(file::Identity::Enabled(true))
        | Some(file::Identity::Kind(file::IdentityKind::ByDefault)) => {
            (Some(Identity::ByDefault), None)
        }
        Some(file::Identity::Kind(file::IdentityKind::Always)) => (Some(Identity::Always), None),
        Some(file::Identity::Options(options)) => (
            Some(match options.kind {
                Some(file::IdentityKind::Always) => Identity::Always,
                _ => Identity::ByDefault,
            }),
            crate::model::IdentityOptions::non_default(
                options.start.unwrap_or(1),
                options.increment.unwrap_or(1),
            ),
        ),
        _ => (None, None),
    }
}

fn lower_table(project: &ProjectFile, name: &str, table: &file::Table) -> Table {
    let is_enum = |type_name: &str| project.enums.contains_key(type_name);
    let mut lowered = Table {
        name: name.to_string(),
        comment: table.comment.clone(),
        renamed_from: table.renamed_from.clone(),
        // Closed by default: a table without permissions is invisible to anon and authenticated.
        rls_enabled: table.row_level_security.unwrap_or(true),
        ..Table::default()
    };
    let mut primary_key: Vec<String> = table
        .primary_key
        .as_ref()
        .map(|k| k.columns().to_vec())
        .unwrap_or_default();
    for (column_name, column) in &table.columns {
        if column.primary_key {
            primary_key.push(column_name.clone());
        }
        let data_type = enum_type(&column.ty, is_enum).unwrap_or_else(|| {
            appctl_project::column_type::ColumnType::parse(&column.ty, is_enum)
                .map(|t| t.to_string())
                .unwrap_or_else(|_| column.ty.clone())
        });
        let (identity, identity_options) = lower_identity(column.identity);
        lowered.columns.push(Column {
            name: column_name.clone(),
            data_type,
            nullable: column.nullable && !column.primary_key,
            default: column.default.as_ref().map(file::SqlValue::to_sql),
            sequence: column
                .default
                .as_ref()
                .map(file::SqlValue::to_sql)
                .and_then(|d| crate::render::nextval_sequence(&d).map(str::to_string)),
            identity,
            identity_options,
            generated: column.generated.clone(),
            collation: column.collation.clone(),
            comment: column.comment.clone(),
            renamed_from: column.renamed_from.clone(),
        });
        if column.unique {
            lowered.uniques.push(KeyConstraint {
                name: object_name(&[name, column_name], "key"),
                columns: vec![column_name.clone()],
                nulls_not_distinct: false,
            });
        }
        if let Some(check) = &column.check {
            lowered.checks.push(Check {
                name: object_name(&[name, column_name], "check"),
                definition: format!("CHECK ({check})"),
            });
        }
        if let Some(reference) = &column.references {
            let (ref_schema, ref_table, ref_column) = split_reference(reference, project);
            lowered.foreign_keys.push(ForeignKey {
                name: object_name(&[name, column_name], "fkey"),
                columns: vec![column_name.clone()],
                ref_schema,
                ref_table,
                ref_columns: vec![ref_column],
                on_delete: action(column.on_delete),
                on_update: action(column.on_update),
                deferrable: None,
            });
        }
    }
    if !primary_key.is_empty() {
        lowered.primary_key = Some(KeyConstraint {
            name: table
                .primary_key
                .as_ref()
                .and_then(file::Key::name)
                .map_or_else(|| object_name(&[name], "pkey"), str::to_string),
            columns: primary_key,
            nulls_not_distinct: false,
        });
    }
    for key in &table.unique {
        let mut parts = vec![name];
        parts.extend(key.columns().iter().map(String::as_str));
        lowered.uniques.push(KeyConstraint {
            name: key
                .name()
                .map_or_else(|| object_name(&parts, "key"), str::to_string),
            columns: key.columns().to_vec(),
            nulls_not_distinct: key.nulls_not_distinct(),
        });
    }
    for (check_name, expression) in &table.checks {
        lowered.checks.push(Check {
            name: check_name.clone(),
            definition: format!("CHECK ({expression})"),
        });
    }
    for fk in &table.foreign_keys {
        let mut parts = vec![name];
        parts.extend(fk.columns.iter().map(String::as_str));
        // A declared table wins over a schema split: a table may be called `dot.ted`.
        let declared = project.tables.contains_key(&fk.references.table);
        let (ref_schema, ref_table) =
            match fk.references.table.split_once('.').filter(|_| !declared) {
                Some((schema, table)) => (schema.to_string(), table.to_string()),
                None => (project.schema.clone(), fk.references.table.clone()),
            };
        lowered.foreign_keys.push(ForeignKey {
            name: fk
                .name
                .clone()
                .unwrap_or_else(|| object_name(&parts, "fkey")),
            columns: fk.columns.clone(),
            ref_schema,
            ref_table,
            ref_columns: fk.references.columns.clone(),
            on_delete: action(fk.on_delete),
            on_update: action(fk.on_update),
            deferrable: fk
                .deferrable
                .map(|d| d == file::Deferrable::InitiallyDeferred),
        });
    }
    for index in &table.indexes {
        lowered.indexes.push(lower_index(name, index));
    }
    let (policies, grants) =
        crate::permissions::compile(&table.permissions, table.owner.as_deref(), "appctl");
    lowered.policies = policies;
    lowered.grants = grants;
    add_written_access(table, &mut lowered);
    lowered.uniques.sort_by(|a, b| a.name.cmp(&b.name));
    lowered.checks.sort_by(|a, b| a.name.cmp(&b.name));
    lowered.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
    lowered.indexes.sort_by(|a, b| a.name.cmp(&b.name));
    lowered
}

/// A project enum (or an array of one) as SQL: the name quoted, since an enum may be called `Mood` or
/// `order`. Normalisation turns it into the catalog's spelling (`"Mood"`, `"order"`, `status`).
fn enum_type(ty: &str, is_enum: impl Fn(&str) -> bool) -> Option<String> {
    let mut base = ty.trim();
    let mut arrays = 0;
    while let Some(stripped) = base.strip_suffix("[]") {
        base = stripped.trim_end();
        arrays += 1;
    }
    is_enum(base).then(|| format!("{}{}", crate::quote::ident(base), "[]".repeat(arrays)))
}

/// What an index column adds to a derived index name: its name, or for an expression the first
/// word in it, as Postgres does (`(lower(email))` gives `lower`).
pub(crate) fn index_name_part(column: &str) -> &str {
    if !appctl_project::values::is_index_expression(column) {
        return column;
    }
    let word = column.trim_start_matches(['(', ' ']);
    let end = word
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(word.len());
    if end == 0 { "expr" } else { &word[..end] }
}

fn lower_index(table: &str, index: &file::Index) -> Index {
    let columns: Vec<IndexColumn> = index
        .columns
        .iter()
        .map(|entry| {
            let column = parse_index_column(entry).unwrap_or(entry).to_string();
            let words: Vec<String> = entry.trim_start()[column.len()..]
                .split_whitespace()
                .map(str::to_lowercase)
                .collect();
            let descending = words.first().is_some_and(|w| w == "desc");
            let nulls = words
                .iter()
                .position(|w| w == "nulls")
                .and_then(|i| words.get(i + 1))
                .map(|w| w == "first");
            // Postgres puts NULLs last ascending and first descending; only a departure is recorded.
            let nulls_first = nulls.filter(|first| *first != descending);
            IndexColumn {
                column,
                opclass: index.opclass.clone(),
                descending,
                nulls_first,
            }
        })
        .collect();
    let name = index.name.clone().unwrap_or_else(|| {
        let mut parts = vec![table];
        parts.extend(columns.iter().map(|c| index_name_part(&c.column)));
        object_name(&parts, "idx")
    });
    Index {
        name,
        unique: index.unique,
        method: index.method.map_or("btree", |m| m.as_str()).to_string(),
        columns,
        include: index.include.clone(),
        predicate: index.predicate.clone(),
        with: index
            .with
            .iter()
            .map(|(k, v)| (k.clone(), v.to_sql()))
            .collect(),
        definition: String::new(),
        online: index.online,
        valid: true,
        renamed_from: index.renamed_from.clone(),
    }
}

fn action(action: Option<file::ReferentialAction>) -> ReferentialAction {
    match action {
        None | Some(file::ReferentialAction::NoAction) => ReferentialAction::NoAction,
        Some(file::ReferentialAction::Restrict) => ReferentialAction::Restrict,
        Some(file::ReferentialAction::Cascade) => ReferentialAction::Cascade,
        Some(file::ReferentialAction::SetNull) => ReferentialAction::SetNull,
        Some(file::ReferentialAction::SetDefault) => ReferentialAction::SetDefault,
    }
}

/// `table.column` (in the project's schema) or `schema.table.column`. A declared table whose name
/// holds a dot (`dot.ted.id`) is read as that table.
fn split_reference(reference: &str, project: &ProjectFile) -> (String, String, String) {
    let default_schema = project.schema.as_str();
    if let Some((table, column)) = reference.rsplit_once('.')
        && project.tables.contains_key(table)
    {
        return (
            default_schema.to_string(),
            table.to_string(),
            column.to_string(),
        );
    }
    let parts: Vec<&str> = reference.split('.').collect();
    match parts.as_slice() {
        [schema, table, column] => (schema.to_string(), table.to_string(), column.to_string()),
        [table, column] => (
            default_schema.to_string(),
            table.to_string(),
            column.to_string(),
        ),
        _ => (
            default_schema.to_string(),
            reference.to_string(),
            String::new(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_types_are_quoted() {
        let is_enum = |name: &str| name == "Mood" || name == "order";
        assert_eq!(enum_type("Mood", is_enum).as_deref(), Some("\"Mood\""));
        assert_eq!(
            enum_type("order[]", is_enum).as_deref(),
            Some("\"order\"[]")
        );
        assert_eq!(enum_type("text", is_enum), None);
    }

    #[test]
    fn long_names_are_cut_with_a_hash() {
        let long = "a".repeat(70);
        let name = object_name(&[&long, "b"], "fkey");
        assert!(name.len() <= 63, "{name}");
        assert!(name.ends_with("_fkey"));
        assert_ne!(name, object_name(&[&long, "c"], "fkey"));
        assert_eq!(object_name(&["t", "a", "b"], "key"), "t_a_b_key");
    }
}
