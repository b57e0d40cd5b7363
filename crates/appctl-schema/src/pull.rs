//! Inspected state → project file: how an existing database adopts appctl. Pure.
//!
//! The inverse of [`crate::lower`]: names appctl would derive anyway are left out, everything else is
//! written explicitly. What the file format cannot hold is not dropped silently: it is returned as a
//! list of [`Unexpressed`] for the command to print (views, triggers, functions, names the format
//! cannot carry, ...).

use indexmap::IndexMap;

use crate::model::unsupported::UnsupportedObject;
use crate::model::{self, Database, ReferentialAction};
use crate::names::object_name;
use appctl_project::file::{
    self, Column, ForeignKeyTarget, Identity, IdentityKind, Index, IndexMethod, ProjectFile,
    SqlValue, Table,
};

/// Something of the database the project file does not express.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unexpressed {
    pub what: String,
    pub why: String,
}

pub struct Pulled {
    pub file: ProjectFile,
    pub unexpressed: Vec<Unexpressed>,
}

/// The project file of `database` (an inspected state).
pub fn pull(database: &Database, project: &str, unsupported: &[UnsupportedObject]) -> Pulled {
    let mut unexpressed: Vec<Unexpressed> = unsupported
        .iter()
        .map(|o| Unexpressed {
            what: match &o.table {
                Some(table) => format!("{} {} on {table}", o.kind.label(), o.name),
                None => format!("{} {}", o.kind.label(), o.name),
            },
            why: "the project file has no way to declare it".into(),
        })
        .collect();
    let mut file = ProjectFile {
        version: file::FORMAT_VERSION,
        project: project.to_string(),
        schema: database.schema.clone(),
        extensions: pull_extensions(database, &mut unexpressed),
        enums: database
            .enums
            .values()
            .map(|e| (e.name.clone(), e.values.clone()))
            .collect(),
        tables: IndexMap::new(),
        buckets: IndexMap::new(),
        functions: IndexMap::new(),
        environments: IndexMap::new(),
        stack: file::Stack::default(),
        api: file::Api::default(),
    };
    for table in database.tables.values() {
        let pulled = pull_table(database, table, &mut unexpressed);
        file.tables.insert(table.name.clone(), pulled);
    }
    for bucket in database.buckets.values() {
        let pulled = pull_bucket(database, bucket, &mut unexpressed);
        file.buckets.insert(bucket.id.clone(), pulled);
    }
    for (name, record) in &database.functions {
        match pull_function(name, record) {
            Ok(function) => {
                file.functions.insert(name.clone(), function);
            }
            Err(why) => unexpressed.push(Unexpressed {
                what: format!("function {name}"),
                why,
            }),
        }
    }
    Pulled { file, unexpressed }
}

/// The extensions the project's tables live with: those in the project's schema, and those whose
/// schema the tables name (`extensions.vector(384)`, `extensions.uuid_generate_v4()`), each with
/// its schema when another and its version. Others are the platform's or another project's: named,
/// not adopted (a platform's extension in the file would be dropped once removed from it).
fn pull_extensions(database: &Database, notes: &mut Vec<Unexpressed>) -> Vec<file::Extension> {
    let mut out = Vec::new();
    for (name, extension) in &database.extensions {
        let schema = extension.schema.clone().unwrap_or_default();
        let in_project = schema == database.schema;
        if in_project || is_used(database, extension) {
            out.push(file::Extension::new(
                name.clone(),
                (!in_project).then_some(schema),
                extension.version.clone(),
            ));
        } else {
            notes.push(Unexpressed {
                what: format!("extension {name} (schema {schema})"),
                why: format!(
                    "no table of {} uses it: left to whoever installed it (on Supabase, the platform); list it under `extensions:` to manage it",
                    database.schema
                ),
            });
        }
    }
    out
}

/// Whether a column type, default or generated expression of the project's tables names one of the
/// extension's types or functions, qualified as the catalog prints what is outside the schema.
fn is_used(database: &Database, extension: &model::Extension) -> bool {
    let names = |text: &str| {
        extension.members.iter().any(|member| {
            text.match_indices(member.as_str()).any(|(at, _)| {
                let next = text[at + member.len()..].chars().next();
                !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
    };
    database.tables.values().any(|table| {
        table.columns.iter().any(|c| {
            names(&c.data_type)
                || c.default.as_deref().is_some_and(names)
                || c.generated.as_deref().is_some_and(names)
        })
    })
}

/// A function as its last deploy recorded it, its sources in `functions/<name>` (where `appctl
/// pull -o` unpacks the deployed package). Env values were never recorded: each name becomes
/// `${NAME}`, to be set where the project is deployed from.
fn pull_function(name: &str, record: &model::Function) -> Result<file::Function, String> {
    if record.version.is_none() || record.runtime.is_empty() || record.entrypoint.is_empty() {
        return Err(
            "recorded by an older appctl without its version and configuration; deploy it \
                    once with this appctl, then pull again"
                .into(),
        );
    }
    let runtime: file::Runtime = serde_json::from_value(serde_json::json!(record.runtime))
        .map_err(|_| format!("runtime `{}` is not one this appctl knows", record.runtime))?;
    let execute = record
        .execute
        .iter()
        .map(|rule| {
            serde_json::from_str::<file::RoleRule>(rule)
                .or_else(|_| serde_json::from_value(serde_json::json!(rule)))
                .map_err(|_| format!("execute rule `{rule}` cannot be read back"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(file::Function {
        runtime,
        source: format!("functions/{name}"),
        entrypoint: record.entrypoint.clone(),
        env: record
            .env
            .iter()
            .map(|var| (var.clone(), file::EnvValue::Text(format!("${{{var}}}"))))
            .collect(),
        timeout: record
            .timeout_ms
            .map(|ms| humantime::format_duration(std::time::Duration::from_millis(ms)).to_string()),
        schedule: record.schedule.clone(),
        execute,
        memory: record.memory_bytes.map(file::Size::Bytes),
        // Known once the package is read (`packed_with_deps`).
        include_deps: false,
    })
}

fn pull_table(database: &Database, table: &model::Table, notes: &mut Vec<Unexpressed>) -> Table {
    let name = table.name.as_str();
    let mut note = |what: String, why: &str| {
        notes.push(Unexpressed {
            what,
            why: why.to_string(),
        })
    };
    let mut columns: IndexMap<String, Column> = table
        .columns
        .iter()
        .map(|c| {
            let column = Column {
                ty: c.data_type.clone(),
                nullable: c.nullable,
                default: c.default.clone().map(SqlValue::Text),
                identity: c.identity.map(|i| match (i, c.identity_options) {
                    (model::Identity::ByDefault, None) => Identity::Enabled(true),
                    (model::Identity::Always, None) => Identity::Kind(IdentityKind::Always),
                    (kind, Some(options)) => Identity::Options(file::IdentityOptions {
                        kind: (kind == model::Identity::Always).then_some(IdentityKind::Always),
                        start: (options.start != 1).then_some(options.start),
                        increment: (options.increment != 1).then_some(options.increment),
                    }),
                }),
                generated: c.generated.clone(),
                collation: c.collation.clone(),
                comment: c.comment.clone(),
                ..Column::default()
            };
            (c.name.clone(), column)
        })
        .collect();
    let mut out = Table {
        comment: table.comment.clone(),
        ..Table::default()
    };
    pull_keys(table, &mut columns, &mut out);
    for check in &table.checks {
        let Some(expression) = check_expression(&check.definition) else {
            note(
                format!("check constraint {} on {name}", check.name),
                "only plain CHECK (...) constraints can be declared (NOT VALID or NO INHERIT cannot)",
            );
            continue;
        };
        let column_check = table
            .columns
            .iter()
            .find(|c| object_name(&[name, &c.name], "check") == check.name)
            .map(|c| c.name.clone());
        match column_check.and_then(|c| columns.get_mut(&c)) {
            Some(column) if column.check.is_none() => column.check = Some(expression),
            _ => {
                out.checks.insert(check.name.clone(), expression);
            }
        }
    }
    for fk in &table.foreign_keys {
        let target = if fk.ref_schema == database.schema {
            fk.ref_table.clone()
        } else {
            format!("{}.{}", fk.ref_schema, fk.ref_table)
        };
        let derived_single =
            fk.columns.len() == 1 && fk.name == object_name(&[name, &fk.columns[0]], "fkey");
        // The column shorthand has no DEFERRABLE: such a key is written on the table.
        if derived_single
            && fk.deferrable.is_none()
            && let Some(column) = columns.get_mut(&fk.columns[0])
        {
            column.references = Some(format!("{target}.{}", fk.ref_columns[0]));
            column.on_delete = action(fk.on_delete);
            column.on_update = action(fk.on_update);
            continue;
        }
        let mut parts = vec![name];
        parts.extend(fk.columns.iter().map(String::as_str));
        out.foreign_keys.push(file::ForeignKey {
            name: (fk.name != object_name(&parts, "fkey")).then(|| fk.name.clone()),
            columns: fk.columns.clone(),
            references: ForeignKeyTarget {
                table: target,
                columns: fk.ref_columns.clone(),
            },
            on_delete: action(fk.on_delete),
            on_update: action(fk.on_update),
            deferrable: fk.deferrable.map(|deferred| {
                if deferred {
                    file::Deferrable::InitiallyDeferred
                } else {
                    file::Deferrable::InitiallyImmediate
                }
            }),
        });
    }
    for index in &table.indexes {
        match pull_index(name, index) {
            Ok(pulled) => out.indexes.push(pulled),
            Err(why) => note(format!("index {} on {name}", index.name), why),
        }
    }
    for column in &table.columns {
        if let Some(comment) = &column.comment
            && let Some(c) = columns.get_mut(&column.name)
        {
            c.comment = Some(comment.clone());
        }
    }
    pull_access(
        table,
        database.permission_records.tables.get(name),
        &mut out,
    );
    // Exclusion constraints are named with the other unsupported objects already.
    for feature in table
        .unexpressed
        .iter()
        .filter(|f| !f.starts_with("has exclusion constraint "))
    {
        note(
            format!("table {name} {feature}"),
            "the project file cannot declare it: a deploy elsewhere leaves it out, and plan and deploy refuse to change this table",
        );
    }
    note_other_schema_types(database, table, notes);
    out.columns = columns;
    out
}

/// The primary key and unique constraints: on the column when one column under the derived name,
/// else on the table in the short or long form (a name, NULLS NOT DISTINCT).
fn pull_keys(table: &model::Table, columns: &mut IndexMap<String, Column>, out: &mut Table) {
    let name = table.name.as_str();
    if let Some(key) = &table.primary_key {
        let derived = key.name == object_name(&[name], "pkey");
        match key.columns.as_slice() {
            [single] if derived && columns.contains_key(single) => {
                let column = &mut columns[single.as_str()];
                column.primary_key = true;
                // Primary key columns are NOT NULL anyway; the file does not say it twice.
                column.nullable = false;
            }
            many => {
                out.primary_key = Some(file::Key::new(
                    many.to_vec(),
                    (!derived).then(|| key.name.clone()),
                    false,
                ))
            }
        }
    }
    for key in &table.uniques {
        let mut parts = vec![name];
        parts.extend(key.columns.iter().map(String::as_str));
        let derived = key.name == object_name(&parts, "key");
        match key.columns.as_slice() {
            [single] if derived && !key.nulls_not_distinct && columns.contains_key(single) => {
                columns[single.as_str()].unique = true;
            }
            many => out.unique.push(file::Key::new(
                many.to_vec(),
                (!derived).then(|| key.name.clone()),
                key.nulls_not_distinct,
            )),
        }
    }
}

/// `other.mood`, `extensions.vector(384)`: column types of another schema, which the file uses
/// but does not create.
fn note_other_schema_types(
    database: &Database,
    table: &model::Table,
    notes: &mut Vec<Unexpressed>,
) {
    let of_extension = |schema: &str| {
        database
            .extensions
            .values()
            .any(|e| e.schema.as_deref() == Some(schema))
    };
    for column in &table.columns {
        // A quoted name may hold a dot of its own. An extension's schema is written with it.
        if let Some((schema, _)) = column.data_type.split_once('.')
            && !column.data_type.starts_with('"')
            && !of_extension(schema)
        {
            notes.push(Unexpressed {
                what: format!("type {} of column {}.{}", column.data_type, table.name, column.name),
                why: format!(
                    "it lives in schema {schema}, which pull did not read: the file uses it but does not create it, so it must exist wherever the file is deployed (`pull --schema {schema}` shows that schema)"
                ),
            });
        }
    }
}

/// Row-level security, policies and grants as they are: adopting the pulled file changes none of
/// them. The permissions a deploy recorded come back as `permissions:` when the live policies and
/// grants are still the ones they compile to; every other policy and grant is written as SQL.
fn pull_access(table: &model::Table, record: Option<&serde_json::Value>, out: &mut Table) {
    if !table.rls_enabled {
        out.row_level_security = Some(false);
    }
    let mut policies: Vec<&model::Policy> = table.policies.iter().collect();
    let mut grants = table.grants.clone();
    if let Some(recorded) = record.and_then(|r| still_compiled(r, table)) {
        let (compiled, compiled_grants) =
            crate::permissions::compile(&recorded.permissions, recorded.owner.as_deref(), "appctl");
        policies.retain(|p| !compiled.iter().any(|c| c.name == p.name));
        for (role, privileges) in compiled_grants {
            if let Some(granted) = grants.get_mut(&role) {
                granted.retain(|p| !privileges.contains(p));
            }
        }
        out.owner = recorded.owner;
        out.permissions = recorded.permissions;
    }
    for policy in policies {
        let command = file::PolicyCommand::from_sql(&policy.command);
        let to = if policy.roles == ["public"] {
            Vec::new()
        } else {
            policy.roles.clone()
        };
        out.policies.insert(
            policy.name.clone(),
            file::Policy {
                command,
                to,
                restrictive: !policy.permissive,
                using: policy.using.clone(),
                check: policy.with_check.clone(),
            },
        );
    }
    for (role, privileges) in &grants {
        if privileges.is_empty() {
            continue;
        }
        let privileges = privileges
            .iter()
            .map(|p| file::TablePrivilege::from(*p))
            .collect();
        out.grants.insert(role.clone(), privileges);
    }
}

/// A bucket row, with the permissions a deploy recorded when the policies on `storage.objects` are
/// still the ones they compile to.
fn pull_bucket(
    database: &Database,
    bucket: &model::Bucket,
    notes: &mut Vec<Unexpressed>,
) -> file::Bucket {
    let id = bucket.id.as_str();
    let mut pulled = file::Bucket {
        public: bucket.public,
        max_file_size: bucket
            .file_size_limit
            .and_then(|bytes| u64::try_from(bytes).ok())
            .map(file::Size::Bytes),
        allowed_mime_types: bucket.allowed_mime_types.clone(),
        permissions: file::Permissions::default(),
    };
    let recorded = database
        .permission_records
        .buckets
        .get(id)
        .and_then(|r| serde_json::from_value::<crate::permissions::Recorded>(r.clone()).ok());
    let prefix = format!("appctl_{id}_");
    let live: Vec<&model::Policy> = database
        .storage_policies
        .iter()
        .filter(|p| p.name.starts_with(&prefix))
        .collect();
    match recorded {
        Some(recorded) => {
            let compiled = crate::permissions::compile_bucket(id, &recorded.permissions);
            let same = compiled.iter().all(|c| {
                live.iter()
                    .any(|p| p.name == c.name && p.command == c.command && p.roles == c.roles)
            });
            if same {
                pulled.permissions = recorded.permissions;
            } else {
                notes.push(Unexpressed {
                    what: format!("permissions of bucket {id}"),
                    why: "its policies on storage.objects changed since the last deploy; deploying this file drops them".into(),
                });
            }
        }
        None if !live.is_empty() => notes.push(Unexpressed {
            what: format!("{} policies of bucket {id}", live.len()),
            why:
                "no deploy recorded the permissions they came from; deploying this file drops them"
                    .into(),
        }),
        None => {}
    }
    pulled
}

/// The recorded permissions of a table, when its `appctl_` policies are exactly those they compile
/// to (same names, commands, roles; the names carry a digest of each `where`) and its grants hold
/// theirs; `None` when someone changed them since, or the owner column is gone.
fn still_compiled(
    record: &serde_json::Value,
    table: &model::Table,
) -> Option<crate::permissions::Recorded> {
    let recorded: crate::permissions::Recorded = serde_json::from_value(record.clone()).ok()?;
    if let Some(owner) = &recorded.owner
        && table.column(owner).is_none()
    {
        return None;
    }
    let (compiled, grants) =
        crate::permissions::compile(&recorded.permissions, recorded.owner.as_deref(), "appctl");
    let live: Vec<&model::Policy> = table
        .policies
        .iter()
        .filter(|p| p.name.starts_with("appctl_"))
        .collect();
    let same_policies = live.len() == compiled.len()
        && compiled.iter().all(|c| {
            live.iter().any(|p| {
                p.name == c.name
                    && p.command == c.command
                    && p.permissive == c.permissive
                    && p.roles == c.roles
            })
        });
    let grants_hold = grants.iter().all(|(role, privileges)| {
        table
            .grants
            .get(role)
            .is_some_and(|granted| granted.is_superset(privileges))
    });
    (same_policies && grants_hold).then_some(recorded)
}

/// `CHECK ((a > 0))` → `(a > 0)`; `None` for NOT VALID / NO INHERIT constraints.
fn check_expression(definition: &str) -> Option<String> {
    let inner = definition.strip_prefix("CHECK (")?.strip_suffix(')')?;
    Some(inner.to_string())
}

fn action(action: ReferentialAction) -> Option<file::ReferentialAction> {
    match action {
        ReferentialAction::NoAction => None,
        ReferentialAction::Restrict => Some(file::ReferentialAction::Restrict),
        ReferentialAction::Cascade => Some(file::ReferentialAction::Cascade),
        ReferentialAction::SetNull => Some(file::ReferentialAction::SetNull),
        ReferentialAction::SetDefault => Some(file::ReferentialAction::SetDefault),
    }
}

fn pull_index(table: &str, index: &model::Index) -> Result<Index, &'static str> {
    let method = match index.method.as_str() {
        "btree" => None,
        "hash" => Some(IndexMethod::Hash),
        "gin" => Some(IndexMethod::Gin),
        "gist" => Some(IndexMethod::Gist),
        "spgist" => Some(IndexMethod::Spgist),
        "brin" => Some(IndexMethod::Brin),
        "hnsw" => Some(IndexMethod::Hnsw),
        "ivfflat" => Some(IndexMethod::Ivfflat),
        _ => return Err("its access method is not one the project file knows"),
    };
    let opclasses: std::collections::BTreeSet<&Option<String>> =
        index.columns.iter().map(|c| &c.opclass).collect();
    if opclasses.len() > 1 {
        return Err("its columns use different operator classes; the file has one per index");
    }
    if index.columns.iter().any(|c| c.column.is_empty()) {
        return Err("it indexes an expression the catalog does not spell");
    }
    let columns: Vec<String> = index
        .columns
        .iter()
        .map(|c| {
            // Inspection writes an expression in parentheses, as the file does.
            let mut entry = c.column.clone();
            if c.descending {
                entry.push_str(" desc");
            }
            match c.nulls_first {
                Some(true) => entry.push_str(" nulls first"),
                Some(false) => entry.push_str(" nulls last"),
                None => {}
            }
            entry
        })
        .collect();
    let mut parts = vec![table];
    parts.extend(
        index
            .columns
            .iter()
            .map(|c| crate::lower::index_name_part(&c.column)),
    );
    let derived = object_name(&parts, "idx");
    Ok(Index {
        name: (index.name != derived).then(|| index.name.clone()),
        columns,
        unique: index.unique,
        method,
        opclass: index.columns.first().and_then(|c| c.opclass.clone()),
        predicate: index.predicate.clone(),
        include: index.include.clone(),
        with: index
            .with
            .iter()
            .map(|(k, v)| {
                let value = v
                    .parse::<i64>()
                    .map(SqlValue::Integer)
                    .unwrap_or_else(|_| SqlValue::Text(v.clone()));
                (k.clone(), value)
            })
            .collect(),
        online: false,
        renamed_from: None,
    })
}

/// The YAML text of a pulled file, with the editor modeline and a header.
pub fn to_yaml(file: &ProjectFile) -> Result<String, serde_yaml_ng::Error> {
    let body = serde_yaml_ng::to_string(file)?;
    Ok(format!(
        "# yaml-language-server: $schema={}\n# Written by `appctl pull`. Review it, then commit it.\n{body}",
        appctl_project::schema::SCHEMA_URL
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps_check_definitions() {
        assert_eq!(
            check_expression("CHECK ((price > (0)::numeric))").as_deref(),
            Some("(price > (0)::numeric)")
        );
        assert_eq!(check_expression("CHECK ((a > 0)) NOT VALID"), None);
    }
}
