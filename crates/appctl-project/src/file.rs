//! The serde model of `appctl.yaml` (format version 1).
//!
//! This is the file as the user wrote it: names are map keys, SQL expressions are strings, sizes and
//! durations are still text. [`super::validate`] checks what serde and the JSON Schema cannot, and later
//! stages lower it into the engine-neutral `appctl_schema::model`.
//!
//! The JSON Schema in `schemas/appctl.schema.json` is generated from these types (`appctl schema`), and
//! the loader validates every file against that same schema, so editors and appctl agree on the format.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The format version this build of appctl reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// An `appctl.yaml` file: the backend of one project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "appctl project file")]
pub struct ProjectFile {
    /// Format version of this file. Always 1 for now.
    pub version: u32,
    /// Project name: lowercase letters, digits and dashes. Names containers, networks and volumes.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]{0,39}$"))]
    pub project: String,
    /// The Postgres schema that holds the project's tables, enums and indexes.
    #[serde(default = "default_schema", skip_serializing_if = "is_default_schema")]
    pub schema: String,
    /// Postgres extensions the project needs: `vector`, or `{ name: vector, schema: extensions,
    /// version: "0.8.0" }` to create it in another schema or at a version.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<Extension>,
    /// Enum types: name → ordered list of values.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub enums: IndexMap<String, Vec<String>>,
    /// Tables: name → definition.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tables: IndexMap<String, Table>,
    /// Storage buckets: name → definition.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub buckets: IndexMap<String, Bucket>,
    /// Functions: name → definition. Each runs as a container serving HTTP on `$PORT`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub functions: IndexMap<String, Function>,
    /// Deployment targets: name → connection settings (usually `${VAR}` references).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub environments: IndexMap<String, Environment>,
    /// Per-service overrides of the local stack.
    #[serde(default, skip_serializing_if = "Stack::is_empty")]
    pub stack: Stack,
    /// Limits of the REST API (`/rest/v1`) wherever appctl serves it.
    #[serde(default, skip_serializing_if = "Api::is_empty")]
    pub api: Api,
}

/// Limits of the REST API. Unset keys keep the defaults: no row cap, 10 MiB bodies, 10
/// connections, and each role's own `statement_timeout` (`ALTER ROLE ... SET`) if it has one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Api {
    /// The most rows one read answers (PostgREST's `db-max-rows`); a longer result is cut, with
    /// `Content-Range` telling the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_rows: Option<u64>,
    /// The largest request body, e.g. `10MiB`; a larger one is refused with 413.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_body: Option<Size>,
    /// Connections the REST service keeps to the database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub pool_size: Option<u32>,
    /// `statement_timeout` per API role (`anon`, `authenticated`, `service_role`), e.g.
    /// `{ anon: 3s, authenticated: 8s }`: a request running longer is cancelled (57014, 500).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub statement_timeout: IndexMap<String, String>,
}

impl Api {
    pub fn is_empty(&self) -> bool {
        self == &Api::default()
    }
}

fn default_schema() -> String {
    "public".to_string()
}

fn is_default_schema(schema: &str) -> bool {
    schema == "public"
}

/// A table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// Columns: name → definition, in table order.
    pub columns: IndexMap<String, Column>,
    /// A composite primary key: `[a, b]`, or `{ columns: [a, b], name: k }` to keep a name other
    /// than `<table>_pkey`. For a single column, `primary_key: true` on the column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<Key>,
    /// Unique constraints: `[a, b]`, or `{ columns: [a], name: k, nulls_not_distinct: true }` to keep
    /// another name than `<table>_<columns>_key` or to count NULLs as equal. For one column,
    /// `unique: true` on the column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unique: Vec<Key>,
    /// Named check constraints: name → SQL boolean expression.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub checks: IndexMap<String, String>,
    /// Foreign keys over several columns. For one column, use `references:` on the column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<ForeignKey>,
    /// Indexes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    /// The column that `owner` permissions compare with `auth.uid()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Who may read, create, update and delete rows.
    #[serde(default, skip_serializing_if = "Permissions::is_empty")]
    pub permissions: Permissions,
    /// `false` turns row-level security off: every role with a grant then reads and writes every
    /// row, whatever the permissions say. On unless said otherwise; `pull` writes `false` for a
    /// table it found with RLS off, so adopting it changes nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_level_security: Option<bool>,
    /// Row-level-security policies written by hand, kept beside those `permissions` compile to:
    /// name → policy. For rules the permission grammar cannot say (restrictive policies, other
    /// roles); `pull` writes the policies it finds here.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub policies: IndexMap<String, Policy>,
    /// Table privileges beyond those `permissions` grant: role → privileges. The API roles (`anon`,
    /// `authenticated`, `service_role`) are always managed; another role only where named here (an
    /// empty list revokes what it has). `pull` writes the grants it finds here.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub grants: IndexMap<String, Vec<TablePrivilege>>,
    /// A comment stored on the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The table's previous name: makes a rename a rename, not a drop and a create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}

/// A column.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// A Postgres type as Postgres spells it: `text`, `varchar(80)`, `numeric(12,2)`, `timestamptz`,
    /// `jsonb`, `uuid`, `vector(1536)`, `text[]`, or a declared enum.
    #[serde(rename = "type")]
    pub ty: String,
    /// Columns are NOT NULL unless they say `nullable: true`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub nullable: bool,
    /// The column is the table's primary key.
    #[serde(default, skip_serializing_if = "is_false")]
    pub primary_key: bool,
    /// The column's values are unique.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// A default value: an SQL expression such as `now()`, `gen_random_uuid()`, `0` or `'draft'`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<SqlValue>,
    /// An identity column: `true` (generated by default) or `always`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// A stored generated column: the SQL expression that computes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
    /// A foreign key to `table.column` or `schema.table.column` (e.g. `auth.users.id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<String>,
    /// What happens to this row when the referenced row is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_delete: Option<ReferentialAction>,
    /// What happens to this row when the referenced key is updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_update: Option<ReferentialAction>,
    /// A check constraint on this column: an SQL boolean expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// The collation of a text column when not the database's default, e.g. `C` or `und-x-icu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    /// A comment stored on the column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The column's previous name: makes a rename a rename, not a drop and an add.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// A scalar written in YAML where SQL is expected: `default: 0` and `default: "0"` mean the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SqlValue {
    Text(String),
    Integer(i64),
    Float(f64),
    Bool(bool),
}

impl SqlValue {
    /// The SQL text of the value.
    pub fn to_sql(&self) -> String {
        match self {
            SqlValue::Text(text) => text.clone(),
            SqlValue::Integer(n) => n.to_string(),
            SqlValue::Float(x) => x.to_string(),
            SqlValue::Bool(b) => b.to_string(),
        }
    }
}

/// An extension: its name, or its name with the schema it lives in and its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Extension {
    Name(String),
    Detailed(DetailedExtension),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DetailedExtension {
    pub name: String,
    /// The schema its objects go in (`CREATE EXTENSION ... SCHEMA`); the project's schema when
    /// absent. Supabase keeps most extensions in `extensions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The version to create or update to; the server's default version when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl Extension {
    pub fn name(&self) -> &str {
        match self {
            Extension::Name(name) => name,
            Extension::Detailed(extension) => &extension.name,
        }
    }

    pub fn schema(&self) -> Option<&str> {
        match self {
            Extension::Name(_) => None,
            Extension::Detailed(extension) => extension.schema.as_deref(),
        }
    }

    pub fn version(&self) -> Option<&str> {
        match self {
            Extension::Name(_) => None,
            Extension::Detailed(extension) => extension.version.as_deref(),
        }
    }

    /// The short form when only the name is said.
    pub fn new(name: String, schema: Option<String>, version: Option<String>) -> Self {
        if schema.is_none() && version.is_none() {
            Extension::Name(name)
        } else {
            Extension::Detailed(DetailedExtension {
                name,
                schema,
                version,
            })
        }
    }
}

/// The columns of a primary key or a unique constraint, with its name and options when they are
/// not appctl's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Key {
    Columns(Vec<String>),
    Named(NamedKey),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedKey {
    pub columns: Vec<String>,
    /// The constraint's name; derived from the table and columns when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// NULLs count as equal (Postgres 15+), so at most one row may have NULL there.
    #[serde(default, skip_serializing_if = "is_false")]
    pub nulls_not_distinct: bool,
}

impl Key {
    pub fn columns(&self) -> &[String] {
        match self {
            Key::Columns(columns) => columns,
            Key::Named(key) => &key.columns,
        }
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            Key::Columns(_) => None,
            Key::Named(key) => key.name.as_deref(),
        }
    }

    pub fn nulls_not_distinct(&self) -> bool {
        matches!(self, Key::Named(key) if key.nulls_not_distinct)
    }

    /// The short form when nothing but the columns is said.
    pub fn new(columns: Vec<String>, name: Option<String>, nulls_not_distinct: bool) -> Self {
        if name.is_none() && !nulls_not_distinct {
            Key::Columns(columns)
        } else {
            Key::Named(NamedKey {
                columns,
                name,
                nulls_not_distinct,
            })
        }
    }
}

/// `identity: true` (GENERATED BY DEFAULT), `identity: always` (GENERATED ALWAYS), or
/// `identity: { kind: always, start: 100, increment: 10 }` for a sequence that does not count 1, 2, 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Identity {
    Enabled(bool),
    Kind(IdentityKind),
    Options(IdentityOptions),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityOptions {
    /// `by_default` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<IdentityKind>,
    /// The first value; 1 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<i64>,
    /// The step between values; 1 when absent. Not 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub increment: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    Always,
    ByDefault,
}

/// ON DELETE / ON UPDATE behaviour of a foreign key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReferentialAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

/// A foreign key over one or more columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForeignKey {
    /// The constraint name; derived from the table and columns when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The referencing columns of this table.
    pub columns: Vec<String>,
    /// The referenced table and columns.
    pub references: ForeignKeyTarget,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_delete: Option<ReferentialAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_update: Option<ReferentialAction>,
    /// `DEFERRABLE`: checked at commit (`initially_deferred`) or at each statement unless a
    /// transaction says `SET CONSTRAINTS ... DEFERRED` (`initially_immediate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferrable: Option<Deferrable>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Deferrable {
    InitiallyImmediate,
    InitiallyDeferred,
}

/// The referenced side of a foreign key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForeignKeyTarget {
    /// `table` or `schema.table`.
    pub table: String,
    pub columns: Vec<String>,
}

/// An index.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// The index name; derived from the table and columns when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Indexed columns, each optionally followed by `asc`/`desc` and `nulls first`/`nulls last`,
    /// e.g. `created_at desc`.
    pub columns: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// The access method; `btree` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<IndexMethod>,
    /// An operator class applied to every column, e.g. `vector_cosine_ops`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opclass: Option<String>,
    /// A partial index: the SQL predicate of the rows it covers.
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// Non-key columns stored in the index (`INCLUDE`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Storage parameters, e.g. `{ m: 16, ef_construction: 64 }` for hnsw or `{ lists: 100 }` for ivfflat.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub with: IndexMap<String, SqlValue>,
    /// Build with CREATE INDEX CONCURRENTLY, outside the deploy transaction, so writes are not blocked.
    #[serde(default, skip_serializing_if = "is_false")]
    pub online: bool,
    /// The index's previous name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IndexMethod {
    Btree,
    Hash,
    Gin,
    Gist,
    Spgist,
    Brin,
    Hnsw,
    Ivfflat,
}

impl IndexMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            IndexMethod::Btree => "btree",
            IndexMethod::Hash => "hash",
            IndexMethod::Gin => "gin",
            IndexMethod::Gist => "gist",
            IndexMethod::Spgist => "spgist",
            IndexMethod::Brin => "brin",
            IndexMethod::Hnsw => "hnsw",
            IndexMethod::Ivfflat => "ivfflat",
        }
    }
}

/// A row-level-security policy written as SQL, as `CREATE POLICY` takes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The command it applies to; `all` when not given.
    #[serde(rename = "for", default, skip_serializing_if = "PolicyCommand::is_all")]
    pub command: PolicyCommand,
    /// The roles it applies to; every role (`public`) when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    /// A restrictive policy: every row must also pass it (the permissive ones are OR-ed together).
    #[serde(default, skip_serializing_if = "is_false")]
    pub restrictive: bool,
    /// The rows it lets the roles see (USING): an SQL boolean expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub using: Option<String>,
    /// The rows it lets the roles write (WITH CHECK): an SQL boolean expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
}

/// The command of a [`Policy`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PolicyCommand {
    #[default]
    All,
    Select,
    Insert,
    Update,
    Delete,
}

impl PolicyCommand {
    fn is_all(&self) -> bool {
        *self == PolicyCommand::All
    }

    /// The command SQL spells `sql` (`ALL` for anything else).
    pub fn from_sql(sql: &str) -> Self {
        [Self::Select, Self::Insert, Self::Update, Self::Delete]
            .into_iter()
            .find(|command| command.sql() == sql)
            .unwrap_or(Self::All)
    }

    /// As SQL spells it.
    pub fn sql(self) -> &'static str {
        match self {
            PolicyCommand::All => "ALL",
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            PolicyCommand::Delete => "DELETE",
        }
    }
}

/// A table privilege, as `GRANT` names it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum TablePrivilege {
    Select,
    Insert,
    Update,
    Delete,
    Truncate,
    References,
    Trigger,
}

/// Who may do what. Each action lists roles; `write` is create + update + delete.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read: Vec<RoleRule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub create: Vec<RoleRule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub update: Vec<RoleRule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delete: Vec<RoleRule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub write: Vec<RoleRule>,
}

impl Permissions {
    pub fn is_empty(&self) -> bool {
        self.actions().all(|(_, rules)| rules.is_empty())
    }

    /// The actions as written, with their YAML key.
    pub fn actions(&self) -> impl Iterator<Item = (&'static str, &Vec<RoleRule>)> {
        [
            ("read", &self.read),
            ("create", &self.create),
            ("update", &self.update),
            ("delete", &self.delete),
            ("write", &self.write),
        ]
        .into_iter()
    }
}

/// A role in a permission list: `any`, `guests`, `users`, `owner`, `user:<uuid>`, `service`, or
/// `{ role: R, where: SQL }` to limit R to the rows where SQL holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RoleRule {
    Role(String),
    Filtered(FilteredRole),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilteredRole {
    pub role: String,
    /// SQL predicate over the row; for create and update it is also the WITH CHECK.
    #[serde(rename = "where")]
    pub predicate: String,
}

impl RoleRule {
    pub fn role(&self) -> &str {
        match self {
            RoleRule::Role(role) => role,
            RoleRule::Filtered(filtered) => &filtered.role,
        }
    }
}

/// A size: bytes as a number, or text such as `10MiB`, `512KB`, `1GiB`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Size {
    Bytes(u64),
    Text(String),
}

/// A storage bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    /// Public buckets serve files without a token.
    #[serde(default, skip_serializing_if = "is_false")]
    pub public: bool,
    /// The largest file accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_size: Option<Size>,
    /// MIME types accepted, e.g. `image/png` or `image/*`; any when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_mime_types: Vec<String>,
    /// Who may read, create, update and delete files (`owner` is the uploader).
    #[serde(default, skip_serializing_if = "Permissions::is_empty")]
    pub permissions: Permissions,
}

/// A function: a directory of code that serves HTTP on `$PORT` in a container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Function {
    pub runtime: Runtime,
    /// The directory of the function's code, relative to the project file.
    pub source: String,
    /// The file the runtime starts, relative to `source`.
    pub entrypoint: String,
    /// Environment variables; write secrets as `${VAR}`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub env: IndexMap<String, EnvValue>,
    /// The longest a request may take, e.g. `30s`, `2m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// A five-field cron expression; the gateway invokes the function on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Who may invoke the function.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub execute: Vec<RoleRule>,
    /// A memory limit for the container, e.g. `256MiB`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Size>,
    /// Pack dependency folders (`node_modules`, virtualenvs) too, so the deployed package runs
    /// without installing anything. They then count in the version.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub include_deps: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Runtime {
    #[serde(rename = "node-20")]
    Node20,
    #[serde(rename = "node-22")]
    Node22,
    #[serde(rename = "python-3.12")]
    Python312,
    #[serde(rename = "deno-2")]
    Deno2,
}

/// An environment variable's value: text (may hold `${VAR}`), a number or a boolean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum EnvValue {
    Text(String),
    Integer(i64),
    Float(f64),
    Bool(bool),
}

/// A deployment target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Postgres connection URL, usually `${VAR}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// The S3-compatible storage that holds the bucket files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageTarget>,
    /// The Docker engine that runs functions: `tcp://host:2376` (TLS) or `ssh://[user@]host[:port]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_host: Option<String>,
    /// The directory with `ca.pem`, `cert.pem` and `key.pem` for a `tcp://` docker_host (as Docker's
    /// `DOCKER_CERT_PATH`, which is the default), relative to appctl.yaml.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_cert_path: Option<String>,
    /// The secret the environment's tokens are signed with (HS256), usually `${VAR}`: the functions'
    /// gateway checks callers' JWTs with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_secret: Option<String>,
    /// Where the functions' gateway listens on the Docker host, `ADDRESS:PORT` or `PORT`
    /// (default `127.0.0.1:54321`: loopback, for a TLS proxy in front).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    /// The database as the gateway's REST service reaches it from the Docker host, logging in as
    /// `authenticator` (usually `${VAR}`): with it the gateway serves `/rest/v1`, and `deploy
    /// --bootstrap` gives `authenticator` this URL's password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_database_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageTarget {
    pub endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<String>,
}

/// Overrides of the local stack, per service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db: Option<ServiceOverride>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rest: Option<ServiceOverride>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<ServiceOverride>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<ServiceOverride>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub functions: Option<ServiceOverride>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<ServiceOverride>,
}

impl Stack {
    pub fn is_empty(&self) -> bool {
        self.services().all(|(_, service)| service.is_none())
    }

    pub fn services(&self) -> impl Iterator<Item = (&'static str, Option<&ServiceOverride>)> {
        [
            ("db", self.db.as_ref()),
            ("rest", self.rest.as_ref()),
            ("auth", self.auth.as_ref()),
            ("storage", self.storage.as_ref()),
            ("functions", self.functions.as_ref()),
            ("gateway", self.gateway.as_ref()),
        ]
        .into_iter()
    }
}

/// Overrides of one service of the local stack.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceOverride {
    /// `false` leaves the service out of the stack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The image to run instead of the pinned default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `functions` only: the image of each runtime, e.g. `node-20: appctl.local/node-20:20.20.2`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub images: IndexMap<String, String>,
    /// The host port the service is published on (loopback only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<u32>,
    /// Extra environment variables for the service.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub env: IndexMap<String, EnvValue>,
    /// How long to wait for the service to become healthy, e.g. `60s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_timeout: Option<String>,
}
