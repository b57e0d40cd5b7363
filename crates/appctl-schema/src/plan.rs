//! A [`Plan`]: the changes of a diff in an order Postgres accepts, each with its SQL, the hazards a
//! reviewer should know about, and a sentence for people. Pure.
//!
//! Order: every kind of change belongs to a phase, and a phase only depends on earlier ones
//! (extensions and types before tables, tables before foreign keys and indexes, policies last, drops
//! of whole objects at the very end). Foreign keys are always added after every table exists, so
//! tables may reference each other in any order, cycles included. Within a phase, the diff's order
//! (alphabetical by table) is kept, so a plan is deterministic.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diff::{Change, Diff};
use crate::model::{Database, ObjectRef};
use crate::render;

/// The format version of a saved plan file.
pub const PLAN_FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub format: u32,
    pub appctl_version: String,
    pub schema: String,
    /// sha256 of the inspected state the plan was made from: a saved plan is refused when the
    /// database no longer matches it.
    pub source_fingerprint: String,
    /// sha256 of the desired state.
    pub desired_fingerprint: String,
    pub steps: Vec<Step>,
    /// Objects that exist, are not in the file and were not created by appctl: left alone.
    pub unmanaged: Vec<ObjectRef>,
    /// What appctl manages once the plan is applied: what the file declares.
    #[serde(default)]
    pub managed_after: Vec<ObjectRef>,
    /// Objects that exist but were not created by appctl and that the file declares: appctl manages
    /// them from now on (and drops them when they leave the file).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adopted: Vec<ObjectRef>,
    /// Permission changes in the file's words (`messages.read: owner (was users)`), for review;
    /// the policy and grant steps carry the SQL.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<crate::access::PermissionChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub action: Action,
    /// What the step is about, e.g. `table threads` or `column messages.content`.
    pub object: String,
    /// The change in words, e.g. `type text → character varying(200)`.
    pub detail: String,
    pub hazards: Vec<Hazard>,
    pub sql: Vec<String>,
    /// Where the step runs: in the deploy transaction, in a first transaction of its own (new enum
    /// values that later steps use), or after the transaction (concurrent index builds).
    pub stage: Stage,
    pub change: Change,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Change,
    Rename,
    Drop,
}

impl Action {
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Change => "~",
            Action::Rename => ">",
            Action::Drop => "-",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Committed before the main transaction.
    Before,
    Transaction,
    /// Run one by one after the main transaction commits; a rerun resumes them.
    After,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "hazard", content = "reason", rename_all = "snake_case")]
pub enum Hazard {
    /// Data is lost: refused without --allow-destructive.
    Destructive(String),
    /// The table is rewritten under an exclusive lock.
    Rewrite,
    /// Writes to the table wait until the step is done.
    BlocksWrites,
    /// Existing rows are checked; the step fails if one does not pass.
    ValidatesRows,
}

impl Hazard {
    pub fn is_destructive(&self) -> bool {
        matches!(self, Hazard::Destructive(_))
    }

    pub fn label(&self) -> String {
        match self {
            Hazard::Destructive(reason) => format!("destructive: {reason}"),
            Hazard::Rewrite => "rewrites the table".into(),
            Hazard::BlocksWrites => "blocks writes while it runs".into(),
            Hazard::ValidatesRows => "checks existing rows".into(),
        }
    }
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn destructive_steps(&self) -> impl Iterator<Item = &Step> {
        self.steps
            .iter()
            .filter(|s| s.hazards.iter().any(Hazard::is_destructive))
    }

    /// sha256 of the plan's SQL: what the deploy history records.
    pub fn hash(&self) -> String {
        let mut hasher = Sha256::new();
        for step in &self.steps {
            for sql in &step.sql {
                hasher.update(sql.as_bytes());
                hasher.update(b";\n");
            }
        }
        hex::encode(hasher.finalize())
    }

    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for step in &self.steps {
            match step.action {
                Action::Create => summary.create += 1,
                Action::Change | Action::Rename => summary.change += 1,
                Action::Drop => summary.drop += 1,
            }
            if step.hazards.iter().any(Hazard::is_destructive) {
                summary.destructive += 1;
            }
        }
        summary
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub create: usize,
    pub change: usize,
    pub drop: usize,
    pub destructive: usize,
}

/// sha256 of a state's canonical JSON: equal states give equal fingerprints.
pub fn fingerprint(database: &Database) -> String {
    let json = serde_json::to_vec(database).expect("a state serializes");
    hex::encode(Sha256::digest(&json))
}

/// Orders the diff's changes and renders each.
pub fn plan(diff: Diff, desired: &Database, actual: &Database, online: bool) -> Plan {
    let schema = desired.schema.as_str();
    let mut steps: Vec<(u8, Step)> = diff
        .changes
        .into_iter()
        .map(|change| {
            let (phase, action, object, detail, hazards) = describe(&change, actual);
            let sql = render::statements(&change, schema, online);
            let stage = match &change {
                Change::CreateIndex { index, .. } if online && index.online => Stage::After,
                _ => Stage::Transaction,
            };
            (
                phase,
                Step {
                    action,
                    object,
                    detail,
                    hazards,
                    sql,
                    stage,
                    change,
                },
            )
        })
        .collect();
    steps.sort_by_key(|(phase, _)| *phase);
    let mut steps: Vec<Step> = steps.into_iter().map(|(_, step)| step).collect();
    mark_enum_values_used_later(&mut steps);
    Plan {
        format: PLAN_FORMAT,
        appctl_version: env!("CARGO_PKG_VERSION").to_string(),
        schema: schema.to_string(),
        source_fingerprint: fingerprint(actual),
        desired_fingerprint: fingerprint(desired),
        steps,
        unmanaged: diff.unmanaged,
        managed_after: Vec::new(),
        adopted: Vec::new(),
        permissions: crate::access::permission_changes(desired, actual),
    }
}

/// Postgres cannot use an enum value in the transaction that added it. When a later statement
/// mentions a new value, the additions are committed first, in a transaction of their own.
fn mark_enum_values_used_later(steps: &mut [Step]) {
    let added: Vec<String> = steps
        .iter()
        .filter_map(|s| match &s.change {
            Change::AddEnumValue { value, .. } => Some(crate::quote::literal(value)),
            _ => None,
        })
        .collect();
    let used = steps
        .iter()
        .filter(|s| !matches!(s.change, Change::AddEnumValue { .. }))
        .flat_map(|s| s.sql.iter())
        .any(|sql| added.iter().any(|literal| sql.contains(literal.as_str())));
    if used {
        for step in steps.iter_mut() {
            if matches!(step.change, Change::AddEnumValue { .. }) {
                step.stage = Stage::Before;
            }
        }
    }
}

/// Phase, action, object, detail and hazards of a change.
fn describe(change: &Change, actual: &Database) -> (u8, Action, String, String, Vec<Hazard>) {
    use Action::{Create, Drop, Rename};
    let column = |table: &str, column: &str| format!("column {table}.{column}");
    let rows = |table: &str| {
        actual
            .tables
            .get(table)
            .map(|_| vec![Hazard::ValidatesRows])
            .unwrap_or_default()
    };
    match change {
        Change::CreateExtension { name } => (
            1,
            Create,
            format!("extension {name}"),
            String::new(),
            vec![],
        ),
        Change::CreateEnum { r#enum } => (
            2,
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
            2,
            Action::Change,
            format!("enum {enum}", enum = r#enum),
            match before {
                Some(before) => format!("add value {value} before {before}"),
                None => format!("add value {value}"),
            },
            vec![],
        ),
        Change::RenameTable { from, to } => (
            3,
            Rename,
            format!("table {from}"),
            format!("rename to {to}"),
            vec![],
        ),
        Change::RenameColumn { table, from, to } => (
            3,
            Rename,
            column(table, from),
            format!("rename to {to}"),
            vec![],
        ),
        Change::RenameConstraint { table, from, to } => (
            3,
            Rename,
            format!("constraint {from} on {table}"),
            format!("rename to {to}"),
            vec![],
        ),
        Change::RenameIndex { from, to, .. } => (
            3,
            Rename,
            format!("index {from}"),
            format!("rename to {to}"),
            vec![],
        ),
        Change::DropPolicy { table, name } => (
            4,
            Drop,
            format!("policy {name} on {table}"),
            String::new(),
            vec![],
        ),
        Change::Revoke {
            table,
            role,
            privileges,
        } => (
            4,
            Action::Change,
            format!("grants on {table}"),
            format!(
                "revoke {} from {role}",
                privileges
                    .iter()
                    .map(|p| p.sql())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            vec![],
        ),
        Change::DropConstraint { table, name, what } => (
            if what == "foreign key" { 4 } else { 5 },
            Drop,
            format!("{what} {name} on {table}"),
            String::new(),
            vec![],
        ),
        Change::DropIndex { table, name } => (
            5,
            Drop,
            format!("index {name} on {table}"),
            String::new(),
            vec![],
        ),
        Change::DropColumn {
            table,
            column: name,
        } => {
            let generated = actual
                .tables
                .get(table)
                .and_then(|t| t.column(name))
                .is_some_and(|c| c.generated.is_some());
            if generated {
                // Its values are computed from other columns: nothing is lost.
                (
                    5,
                    Drop,
                    column(table, name),
                    "generated column".into(),
                    vec![],
                )
            } else {
                (
                    5,
                    Drop,
                    column(table, name),
                    String::new(),
                    vec![Hazard::Destructive("the column's data is deleted".into())],
                )
            }
        }
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
                6,
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
        Change::CreateTable { table, .. } => (
            7,
            Create,
            format!("table {}", table.name),
            String::new(),
            vec![],
        ),
        Change::AddColumn { table, column: c } => {
            let mut hazards = vec![];
            if !c.nullable && c.default.is_none() && c.identity.is_none() && c.generated.is_none() {
                hazards.push(Hazard::ValidatesRows);
            }
            if c.generated.is_some() || c.identity.is_some() {
                hazards.push(Hazard::Rewrite);
            }
            (
                8,
                Create,
                column(table, &c.name),
                c.data_type.clone(),
                hazards,
            )
        }
        Change::AlterColumnType {
            table,
            column: name,
            from,
            to,
            ..
        } => {
            let mut hazards = Vec::new();
            if !is_lossless_cast(from, to) {
                hazards.push(Hazard::Destructive(format!(
                    "values that do not fit {to} fail the change or lose precision"
                )));
            }
            if !is_binary_compatible(from, to) {
                hazards.push(Hazard::Rewrite);
            }
            (
                8,
                Action::Change,
                column(table, name),
                format!("type {from} → {to}"),
                hazards,
            )
        }
        Change::DropDefault {
            table,
            column: name,
        } => (
            8,
            Action::Change,
            column(table, name),
            "drop default".into(),
            vec![],
        ),
        Change::SetDefault {
            table,
            column: name,
            default,
        } => (
            8,
            Action::Change,
            column(table, name),
            format!("default {default}"),
            vec![],
        ),
        Change::AddIdentity {
            table,
            column: name,
            ..
        } => (
            8,
            Action::Change,
            column(table, name),
            "add identity".into(),
            vec![],
        ),
        Change::SetIdentity {
            table,
            column: name,
            identity,
        } => (
            8,
            Action::Change,
            column(table, name),
            format!(
                "identity {}",
                match identity {
                    crate::model::Identity::Always => "always",
                    crate::model::Identity::ByDefault => "by default",
                }
            ),
            vec![],
        ),
        Change::DropIdentity {
            table,
            column: name,
        } => (
            8,
            Action::Change,
            column(table, name),
            "drop identity".into(),
            vec![],
        ),
        Change::DropNotNull {
            table,
            column: name,
        } => (
            8,
            Action::Change,
            column(table, name),
            "nullable".into(),
            vec![],
        ),
        Change::SetNotNull {
            table,
            column: name,
        } => (
            8,
            Action::Change,
            column(table, name),
            "not null".into(),
            vec![Hazard::ValidatesRows],
        ),
        Change::AddPrimaryKey { table, key } => (
            9,
            Create,
            format!("primary key {} on {table}", key.name),
            format!("({})", key.columns.join(", ")),
            [rows(table), vec![Hazard::BlocksWrites]].concat(),
        ),
        Change::AddUnique { table, key } => (
            9,
            Create,
            format!("unique constraint {} on {table}", key.name),
            format!("({})", key.columns.join(", ")),
            [rows(table), vec![Hazard::BlocksWrites]].concat(),
        ),
        Change::AddCheck { table, check } => (
            9,
            Create,
            format!("check constraint {} on {table}", check.name),
            check.definition.clone(),
            rows(table),
        ),
        Change::AddForeignKey { table, foreign_key } => (
            10,
            Create,
            format!("foreign key {} on {table}", foreign_key.name),
            format!(
                "({}) → {}.{} ({})",
                foreign_key.columns.join(", "),
                foreign_key.ref_schema,
                foreign_key.ref_table,
                foreign_key.ref_columns.join(", ")
            ),
            rows(table),
        ),
        Change::CreateIndex { table, index } => {
            let hazards = if actual.tables.contains_key(table) && !index.online {
                vec![Hazard::BlocksWrites]
            } else {
                vec![]
            };
            (
                11,
                Create,
                format!("index {} on {table}", index.name),
                index_summary(index),
                hazards,
            )
        }
        Change::SetTableComment { table, comment } => (
            12,
            Action::Change,
            format!("table {table}"),
            comment_detail(comment),
            vec![],
        ),
        Change::SetColumnComment {
            table,
            column: name,
            comment,
        } => (
            12,
            Action::Change,
            column(table, name),
            comment_detail(comment),
            vec![],
        ),
        Change::EnableRls { table } => (
            12,
            Action::Change,
            format!("table {table}"),
            "enable row level security".into(),
            vec![],
        ),
        Change::DisableRls { table } => (
            12,
            Action::Change,
            format!("table {table}"),
            "disable row level security".into(),
            vec![],
        ),
        Change::CreatePolicy { table, policy } => (
            12,
            Create,
            format!("policy {} on {table}", policy.name),
            format!("{} to {}", policy.command, policy.roles.join(", ")),
            vec![],
        ),
        Change::Grant {
            table,
            role,
            privileges,
        } => (
            12,
            Action::Change,
            format!("grants on {table}"),
            format!(
                "grant {} to {role}",
                privileges
                    .iter()
                    .map(|p| p.sql())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            vec![],
        ),
        Change::DropStoragePolicy { name } => (
            4,
            Drop,
            format!("policy {name} on storage.objects"),
            String::new(),
            vec![],
        ),
        Change::CreateBucket { bucket } => (
            12,
            Create,
            format!("bucket {}", bucket.id),
            bucket_detail(bucket),
            vec![],
        ),
        Change::UpdateBucket { to, .. } => (
            12,
            Action::Change,
            format!("bucket {}", to.id),
            bucket_detail(to),
            vec![],
        ),
        Change::CreateStoragePolicy { policy } => (
            12,
            Create,
            format!("policy {} on storage.objects", policy.name),
            format!("{} to {}", policy.command, policy.roles.join(", ")),
            vec![],
        ),
        Change::CreateFunction { name, function } => (
            12,
            Create,
            format!("function {name}"),
            crate::functions::summary(function),
            vec![],
        ),
        Change::ChangeFunction { name, from, to } => (
            12,
            Action::Change,
            format!("function {name}"),
            crate::functions::differences(from, to).join(", "),
            vec![],
        ),
        Change::RemoveFunction { name } => (
            13,
            Drop,
            format!("function {name}"),
            "no longer declared".into(),
            vec![],
        ),
        Change::DeleteBucket { id } => (
            13,
            Drop,
            format!("bucket {id}"),
            String::new(),
            vec![Hazard::Destructive(
                "the bucket is deleted (refused by the database while it holds files)".into(),
            )],
        ),
        Change::DropTable { name } => (
            13,
            Drop,
            format!("table {name}"),
            String::new(),
            vec![Hazard::Destructive(
                "the table and its rows are deleted".into(),
            )],
        ),
        Change::DropEnum { name } => (
            14,
            Drop,
            format!("enum {name}"),
            String::new(),
            vec![Hazard::Destructive("the type is deleted".into())],
        ),
        Change::DropExtension { name } => (
            15,
            Drop,
            format!("extension {name}"),
            String::new(),
            vec![Hazard::Destructive(
                "the extension and what depends on it are deleted".into(),
            )],
        ),
    }
}

fn bucket_detail(bucket: &crate::model::Bucket) -> String {
    let mut parts = vec![if bucket.public { "public" } else { "private" }.to_string()];
    if let Some(limit) = bucket.file_size_limit {
        parts.push(format!("max {limit} bytes"));
    }
    if !bucket.allowed_mime_types.is_empty() {
        parts.push(bucket.allowed_mime_types.join(", "));
    }
    parts.join(", ")
}

fn comment_detail(comment: &Option<String>) -> String {
    match comment {
        Some(text) => format!("comment {}", crate::quote::literal(text)),
        None => "remove comment".into(),
    }
}

fn index_summary(index: &crate::model::Index) -> String {
    let columns: Vec<String> = index
        .columns
        .iter()
        .map(|c| {
            let mut part = c.column.clone();
            if let Some(opclass) = &c.opclass {
                part.push_str(&format!(" {opclass}"));
            }
            if c.descending {
                part.push_str(" desc");
            }
            match c.nulls_first {
                Some(true) => part.push_str(" nulls first"),
                Some(false) => part.push_str(" nulls last"),
                None => {}
            }
            part
        })
        .collect();
    let mut text = format!(
        "{}{} ({})",
        if index.unique { "unique " } else { "" },
        index.method,
        columns.join(", ")
    );
    if !index.include.is_empty() {
        text.push_str(&format!(" include ({})", index.include.join(", ")));
    }
    if !index.with.is_empty() {
        let params: Vec<String> = index
            .with
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        text.push_str(&format!(" with ({})", params.join(", ")));
    }
    if let Some(predicate) = &index.predicate {
        text.push_str(&format!(" where {predicate}"));
    }
    text
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
