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

use crate::changes::{self, ChangeKind};
use crate::diff::{Change, Diff};
use crate::model::{Database, ObjectRef};
use crate::render;

/// When a change runs: a phase only depends on earlier ones. Within a phase the diff's order is
/// kept. Not saved in plan files (steps are saved in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    CreateExtensions,
    /// Enums and their new values.
    CreateTypes,
    /// Tables, columns, constraints and indexes renamed, before anything refers to the new names.
    Renames,
    /// Policies, privileges and foreign keys dropped, before the columns and keys they depend on
    /// change or go.
    DropDependents,
    /// Columns, constraints and indexes dropped.
    DropParts,
    /// Enums replaced (values removed or reordered) and their columns cast.
    ReplaceTypes,
    CreateTables,
    /// Columns added and altered: types, defaults, nullability, identity.
    AlterColumns,
    /// Primary keys, unique and check constraints.
    AddConstraints,
    /// After every table and key exists, so tables may reference each other in any order.
    AddForeignKeys,
    CreateIndexes,
    /// Comments, row-level security, policies, grants, buckets and functions.
    Configure,
    /// Whole tables, buckets and functions dropped.
    DropObjects,
    /// Enums dropped, once no column uses them.
    DropTypes,
    DropExtensions,
}

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
    /// Differences the plan does not change, said so the review sees them (columns in another order
    /// than the file's: Postgres cannot reorder columns in place).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
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
    let mut steps: Vec<(Phase, Step)> = diff
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
        notes: column_order_notes(desired, actual),
    }
}

/// Tables whose shared columns stand in another order in the database than in the file. Postgres
/// only appends columns, so a deploy keeps the database's order; the plan says so rather than
/// pretending the two match.
fn column_order_notes(desired: &Database, actual: &Database) -> Vec<String> {
    let mut notes = Vec::new();
    for (name, wanted) in &desired.tables {
        let Some(existing) = actual.tables.get(name) else {
            continue;
        };
        let shared = |of: &crate::model::Table, other: &crate::model::Table| -> Vec<String> {
            of.columns
                .iter()
                .filter(|c| other.columns.iter().any(|o| o.name == c.name))
                .map(|c| c.name.clone())
                .collect()
        };
        let (in_file, in_database) = (shared(wanted, existing), shared(existing, wanted));
        if in_file != in_database {
            notes.push(format!(
                "columns of table {} stay in the database's order ({}), not the file's ({}): Postgres cannot reorder columns in place",
                wanted.name,
                in_database.join(", "),
                in_file.join(", ")
            ));
        }
    }
    notes
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
fn describe(change: &Change, actual: &Database) -> changes::Described {
    match changes::kind(change) {
        ChangeKind::Extension => changes::extension::describe(change, actual),
        ChangeKind::EnumType => changes::enum_type::describe(change, actual),
        ChangeKind::Table => changes::table::describe(change, actual),
        ChangeKind::Column => changes::column::describe(change, actual),
        ChangeKind::Constraint => changes::constraint::describe(change, actual),
        ChangeKind::Index => changes::index::describe(change, actual),
        ChangeKind::Comment => changes::comment::describe(change, actual),
        ChangeKind::Rls => changes::rls::describe(change, actual),
        ChangeKind::Policy => changes::policy::describe(change, actual),
        ChangeKind::Privilege => changes::privilege::describe(change, actual),
        ChangeKind::Bucket => changes::bucket::describe(change, actual),
        ChangeKind::Function => changes::function::describe(change, actual),
    }
}
