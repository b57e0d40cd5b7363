//! The engine-neutral state of a database schema: what the project file wants ([`crate::lower`]) and
//! what an instance has (`appctl_pg::inspect`) are the same types, so a diff is a pure function of two
//! values.
//!
//! Everything here is spelled the way Postgres gives it back from its catalog: types as `format_type()`
//! prints them, expressions as `pg_get_expr()` prints them. The desired state reaches that spelling by
//! being created in a throw-away schema and inspected (see `appctl_pg::normalize`), so no hand-written
//! normaliser has to agree with Postgres.

pub mod unsupported;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// One schema's objects plus the database-wide extensions the project uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Database {
    /// The schema holding the tables and enums, e.g. `public`.
    pub schema: String,
    /// Extensions by name.
    pub extensions: BTreeMap<String, Extension>,
    pub enums: BTreeMap<String, Enum>,
    pub tables: BTreeMap<String, Table>,
    /// Storage buckets: rows of `storage.buckets`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub buckets: BTreeMap<String, Bucket>,
    /// Policies appctl manages on `storage.objects` (named `appctl_*`), sorted by name: the
    /// permissions of the buckets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub storage_policies: Vec<Policy>,
    /// Functions: their package's version, their configuration and who may invoke them. Recorded in
    /// `appctl.functions` by a deploy; the gateway enforces `execute`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub functions: BTreeMap<String, Function>,
    /// Actual only: which of [`MANAGED_ROLES`] exist in the cluster. A new table has every privilege
    /// of these roles revoked right after it is created, so default privileges (Supabase grants all
    /// to them on new tables) cannot add grants the file does not declare.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub roles: BTreeSet<String>,
    /// Tables, enums and extensions appctl created (recorded in the `appctl` schema). Only these
    /// may be dropped; others are reported as unmanaged. Empty in a desired state.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub managed: BTreeSet<ObjectRef>,
    /// Actual only: relations of the schema that are not tables of the model (partitions, views,
    /// sequences, foreign tables), by name → what they are, e.g. `a partition of events`. A table of
    /// the file with such a name cannot be created.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub other_relations: BTreeMap<String, String>,
    /// The `permissions` (and `owner`) of tables and buckets, as
    /// [`crate::permissions::Recorded`] JSON: desired, from the file; actual, as the last deploy
    /// recorded them, so `pull` can write permissions back instead of the policies they compiled
    /// to. Never diffed.
    #[serde(default, skip_serializing_if = "PermissionRecords::is_empty")]
    pub permission_records: PermissionRecords,
}

/// [`crate::permissions::Recorded`] JSON of tables and buckets, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionRecords {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tables: BTreeMap<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub buckets: BTreeMap<String, serde_json::Value>,
}

impl PermissionRecords {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.buckets.is_empty()
    }
}

/// A top-level object appctl may own.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum ObjectRef {
    Extension(String),
    Enum(String),
    Table(String),
    Bucket(String),
}

impl ObjectRef {
    pub fn kind(&self) -> &'static str {
        match self {
            ObjectRef::Extension(_) => "extension",
            ObjectRef::Enum(_) => "enum",
            ObjectRef::Table(_) => "table",
            ObjectRef::Bucket(_) => "bucket",
        }
    }

    pub fn name(&self) -> &str {
        match self {
            ObjectRef::Extension(name)
            | ObjectRef::Enum(name)
            | ObjectRef::Table(name)
            | ObjectRef::Bucket(name) => name,
        }
    }
}

/// A function as a deploy records it: what decides whether it must be deployed again. Env values are
/// never part of it (they are secrets, resolved at run time): only env names are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    /// sha256 (hex) of the function's package (see [`appctl_project::package`]). `None` in a state
    /// lowered without reading the sources (then it is not compared), and in a record written before
    /// appctl recorded versions.
    pub version: Option<String>,
    /// `node-20`, `python-3.12`, ...
    pub runtime: String,
    /// Relative to the source directory.
    pub entrypoint: String,
    /// Milliseconds, so `30s` and `30000ms` are the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
    /// The cron expression, fields separated by one space.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Who may invoke it, each rule as written (`users`, `user:<uuid>`, or `{"role":…,"where":…}`
    /// as JSON), sorted and without duplicates.
    #[serde(default)]
    pub execute: Vec<String>,
    /// The names of its environment variables, sorted; never their values.
    #[serde(default)]
    pub env: BTreeSet<String>,
}

/// A storage bucket, as a row of `storage.buckets`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    pub id: String,
    pub public: bool,
    /// Bytes; `None` for no limit.
    pub file_size_limit: Option<i64>,
    /// Empty for any type.
    pub allowed_mime_types: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enum {
    pub name: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    /// In table order.
    pub columns: Vec<Column>,
    pub primary_key: Option<KeyConstraint>,
    /// Unique constraints, sorted by name.
    pub uniques: Vec<KeyConstraint>,
    /// Check constraints, sorted by name. Column checks of the file are named `<table>_<column>_check`.
    pub checks: Vec<Check>,
    /// Foreign keys, sorted by name.
    pub foreign_keys: Vec<ForeignKey>,
    /// Indexes that are not the implementation of a constraint, sorted by name.
    pub indexes: Vec<Index>,
    pub comment: Option<String>,
    pub rls_enabled: bool,
    /// Row-level-security policies, sorted by name.
    pub policies: Vec<Policy>,
    /// Privileges granted to the roles appctl manages (anon, authenticated, service_role).
    pub grants: BTreeMap<String, BTreeSet<Privilege>>,
    /// Desired only: the table's previous name (`renamed_from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// Actual only: what the table has that the project file cannot say (partitioning,
    /// inheritance, UNLOGGED, deferrable keys, exclusion constraints). A plan
    /// that would change such a table is refused: the change could lose what appctl cannot see.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unexpressed: Vec<String>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn index(&self, name: &str) -> Option<&Index> {
        self.indexes.iter().find(|i| i.name == name)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// As `format_type()` prints it: `character varying(80)`, `timestamp with time zone`, `vector(1536)`.
    pub data_type: String,
    pub nullable: bool,
    /// As `pg_get_expr()` prints it, e.g. `gen_random_uuid()` or `'draft'::document_status`.
    pub default: Option<String>,
    pub identity: Option<Identity>,
    /// START WITH and INCREMENT BY of an identity's sequence when not 1 and 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_options: Option<IdentityOptions>,
    /// The sequence the column owns (`OWNED BY`), as a serial column does: created with the column
    /// when its default is `nextval('<sequence>'::regclass)`. Desired: from the default; actual: the
    /// sequence owned by the column, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
    /// The expression of a stored generated column.
    pub generated: Option<String>,
    /// `COLLATE`: the column's collation when not its type's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    pub comment: Option<String>,
    /// Desired only: the column's previous name (`renamed_from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    Always,
    ByDefault,
}

/// An identity sequence's start and step, when either is not 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityOptions {
    pub start: i64,
    pub increment: i64,
}

impl IdentityOptions {
    /// `None` for Postgres's defaults (1, 1).
    pub fn non_default(start: i64, increment: i64) -> Option<Self> {
        ((start, increment) != (1, 1)).then_some(IdentityOptions { start, increment })
    }
}

/// An extension's schema and version: always known when inspected; when desired, `None` means
/// "wherever" and "the server's default".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Inspected only: the names of its types and functions (`extensions.uuid_generate_v4`), so
    /// `pull` can tell which extensions the tables use. Not compared, not serialised.
    #[serde(skip)]
    pub members: BTreeSet<String>,
}

/// A primary key or unique constraint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyConstraint {
    pub name: String,
    pub columns: Vec<String>,
    /// `UNIQUE NULLS NOT DISTINCT` (Postgres 15+): NULLs count as equal.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nulls_not_distinct: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    /// As `pg_get_constraintdef()` prints it: `CHECK ((tokens >= 0))`.
    pub definition: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    /// The referenced table's schema (the project's own, or e.g. `auth`).
    pub ref_schema: String,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    pub on_delete: ReferentialAction,
    pub on_update: ReferentialAction,
    /// `DEFERRABLE INITIALLY DEFERRED` (`Some(true)`) or `INITIALLY IMMEDIATE` (`Some(false)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferrable: Option<bool>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferentialAction {
    #[default]
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl ReferentialAction {
    pub fn sql(self) -> &'static str {
        match self {
            ReferentialAction::NoAction => "NO ACTION",
            ReferentialAction::Restrict => "RESTRICT",
            ReferentialAction::Cascade => "CASCADE",
            ReferentialAction::SetNull => "SET NULL",
            ReferentialAction::SetDefault => "SET DEFAULT",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    /// Access method: btree, gin, gist, hnsw, ivfflat, ...
    pub method: String,
    /// Key columns, each with its operator class and order when not the default.
    pub columns: Vec<IndexColumn>,
    pub include: Vec<String>,
    /// Partial-index predicate as `pg_get_expr()` prints it.
    pub predicate: Option<String>,
    /// Storage parameters (`WITH (m = 16)`), as the catalog stores them.
    pub with: BTreeMap<String, String>,
    /// The whole definition as `pg_get_indexdef()` prints it, schema and name masked: the one string
    /// that decides whether two indexes are the same.
    pub definition: String,
    /// Build with CREATE INDEX CONCURRENTLY outside the transaction.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub online: bool,
    /// Actual only: false when a concurrent build failed and left the index unusable.
    #[serde(default = "yes", skip_serializing_if = "Clone::clone")]
    pub valid: bool,
    /// Desired only: the index's previous name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexColumn {
    pub column: String,
    pub opclass: Option<String>,
    pub descending: bool,
    /// `Some(true)` for NULLS FIRST, `Some(false)` for NULLS LAST, `None` for the default of the order.
    pub nulls_first: Option<bool>,
}

/// A row-level-security policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    /// SELECT, INSERT, UPDATE, DELETE or ALL.
    pub command: String,
    pub permissive: bool,
    /// Sorted role names; `public` for all.
    pub roles: Vec<String>,
    /// The USING expression as `pg_get_expr()` prints it.
    pub using: Option<String>,
    /// The WITH CHECK expression as `pg_get_expr()` prints it.
    pub with_check: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Privilege {
    Select,
    Insert,
    Update,
    Delete,
    Truncate,
    References,
    Trigger,
}

/// The file spells privileges in lowercase (`grants:`), the model as SQL does.
impl From<appctl_project::file::TablePrivilege> for Privilege {
    fn from(privilege: appctl_project::file::TablePrivilege) -> Self {
        use appctl_project::file::TablePrivilege as P;
        match privilege {
            P::Select => Privilege::Select,
            P::Insert => Privilege::Insert,
            P::Update => Privilege::Update,
            P::Delete => Privilege::Delete,
            P::Truncate => Privilege::Truncate,
            P::References => Privilege::References,
            P::Trigger => Privilege::Trigger,
        }
    }
}

impl From<Privilege> for appctl_project::file::TablePrivilege {
    fn from(privilege: Privilege) -> Self {
        use appctl_project::file::TablePrivilege as P;
        match privilege {
            Privilege::Select => P::Select,
            Privilege::Insert => P::Insert,
            Privilege::Update => P::Update,
            Privilege::Delete => P::Delete,
            Privilege::Truncate => P::Truncate,
            Privilege::References => P::References,
            Privilege::Trigger => P::Trigger,
        }
    }
}

impl Privilege {
    pub fn sql(self) -> &'static str {
        match self {
            Privilege::Select => "SELECT",
            Privilege::Insert => "INSERT",
            Privilege::Update => "UPDATE",
            Privilege::Delete => "DELETE",
            Privilege::Truncate => "TRUNCATE",
            Privilege::References => "REFERENCES",
            Privilege::Trigger => "TRIGGER",
        }
    }
}

/// The roles whose grants appctl manages; grants to other roles are left alone.
pub use appctl_project::values::MANAGED_ROLES;
