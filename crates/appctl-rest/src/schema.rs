//! The schema cache: what the REST service knows about the exposed schemas, as plain data.
//!
//! This crate never talks to Postgres: the server runs [`LOADER_SQL`] (one statement, one row,
//! one JSON column) and hands the text to [`SchemaCache::from_json`]; it reloads the same way on
//! `NOTIFY pgrst, 'reload schema'`. Tests build a cache by hand or from JSON.
//!
//! Every identifier the SQL builder writes comes from here, never from the request: the request
//! only chooses among names the cache holds. Type names (`data_type`) are Postgres's own spelling
//! (`pg_catalog.format_type`), so they are written into casts as they are.

use serde::{Deserialize, Serialize};

/// Tables, views and functions of the exposed schemas.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaCache {
    #[serde(default)]
    pub tables: Vec<Table>,
    #[serde(default)]
    pub functions: Vec<Function>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    Table,
    View,
    MaterializedView,
    ForeignTable,
}

/// A table, view, materialized view or foreign table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub schema: String,
    pub name: String,
    pub kind: TableKind,
    pub columns: Vec<Column>,
    /// Column names in key order; empty for views and tables without a key.
    #[serde(default)]
    pub primary_key: Vec<String>,
    /// Unique constraints (column lists), which make a one-to-many relationship one-to-one.
    #[serde(default)]
    pub unique: Vec<Vec<String>>,
    /// Foreign keys going out of this table.
    #[serde(default)]
    pub foreign_keys: Vec<ForeignKey>,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// `format_type(atttypid, atttypmod)`: `uuid`, `timestamp with time zone`, `vector(1536)`,
    /// `text[]`, `public.message_role` (qualified when not on the search path).
    pub data_type: String,
    #[serde(default)]
    pub nullable: bool,
    /// `pg_get_expr(adbin)`: the default expression, used for `Prefer: missing=default`.
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub generated: bool,
    #[serde(default)]
    pub identity: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    /// The constraint's name: what `rel!name(...)` disambiguates with.
    pub name: String,
    pub columns: Vec<String>,
    pub foreign_schema: String,
    pub foreign_table: String,
    pub foreign_columns: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Volatility {
    Immutable,
    Stable,
    Volatile,
}

/// A function callable as `/rpc/<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    pub schema: String,
    pub name: String,
    /// Input arguments in order (IN, INOUT, VARIADIC).
    #[serde(default)]
    pub args: Vec<FunctionArg>,
    /// `format_type(prorettype)`: `void`, `bigint`, `record`, `public.threads`, ...
    pub return_type: String,
    #[serde(default)]
    pub returns_set: bool,
    /// The table or view whose row type the function returns (`returns setof threads`): its
    /// result can be filtered, ordered and embedded like the table.
    #[serde(default)]
    pub return_relation: Option<QualifiedName>,
    /// OUT / TABLE columns (`returns table (id bigint, score real)`).
    #[serde(default)]
    pub out_columns: Vec<Column>,
    pub volatility: Volatility,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionArg {
    /// Empty for an unnamed argument.
    pub name: String,
    pub data_type: String,
    #[serde(default)]
    pub has_default: bool,
    #[serde(default)]
    pub variadic: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualifiedName {
    pub schema: String,
    pub name: String,
}

impl SchemaCache {
    /// The cache from the JSON document [`LOADER_SQL`] returns.
    pub fn from_json(text: &str) -> Result<SchemaCache, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn table(&self, schema: &str, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.schema == schema && t.name == name)
    }

    pub fn functions_named<'a>(
        &'a self,
        schema: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Function> + 'a {
        self.functions
            .iter()
            .filter(move |f| f.schema == schema && f.name == name)
    }
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether these columns are the primary key or a unique constraint (in any order).
    pub fn is_unique(&self, columns: &[String]) -> bool {
        let same = |key: &[String]| {
            !key.is_empty() && key.len() == columns.len() && key.iter().all(|k| columns.contains(k))
        };
        same(&self.primary_key) || self.unique.iter().any(|u| same(u))
    }
}

impl Function {
    pub fn is_void(&self) -> bool {
        self.return_type == "void"
    }

    /// Whether `GET /rpc/<name>` may call it: PostgREST runs GET in a read-only transaction, so
    /// only stable and immutable functions answer GET.
    pub fn allows_get(&self) -> bool {
        self.volatility != Volatility::Volatile
    }
}

/// The statement that fills the cache: one row, one `json` column, the shape of [`SchemaCache`].
///
/// `$1` is a `text[]` of the exposed schemas (`{public}`, or more with `db-schemas`). Catalog
/// tables only (no `information_schema`, which hides what the role cannot use and is slow); all
/// in one round trip. Partitioned tables count as tables; partitions themselves are left out
/// (PostgREST exposes the parent). Functions are plain functions (`prokind = 'f'`), not
/// aggregates, window functions or procedures.
///
/// Run it in a transaction after `SET LOCAL search_path TO ''`: `format_type` and `pg_get_expr`
/// then qualify every name outside `pg_catalog` (`public.message_role`), so the types and
/// defaults the builder writes resolve whatever search path a request runs with.
pub const LOADER_SQL: &str = r#"
with rels as (
  select c.oid, n.nspname as schema, c.relname as name, c.relkind
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  where n.nspname = any($1::text[])
    and c.relkind in ('r', 'p', 'v', 'm', 'f')
    and not c.relispartition
),
cols as (
  select a.attrelid,
         json_agg(json_build_object(
           'name', a.attname,
           'data_type', pg_catalog.format_type(a.atttypid, a.atttypmod),
           'nullable', not a.attnotnull,
           'default', pg_catalog.pg_get_expr(d.adbin, d.adrelid),
           'generated', a.attgenerated <> '',
           'identity', a.attidentity <> ''
         ) order by a.attnum) as columns
  from pg_catalog.pg_attribute a
  join rels r on r.oid = a.attrelid
  left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
  where a.attnum > 0 and not a.attisdropped
  group by a.attrelid
),
cons as (
  select con.conrelid, con.conname, con.contype, con.confrelid,
         array(select a.attname
               from unnest(con.conkey) with ordinality k(num, ord)
               join pg_catalog.pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.num
               order by k.ord) as cols,
         array(select a.attname
               from unnest(con.confkey) with ordinality k(num, ord)
               join pg_catalog.pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.num
               order by k.ord) as fcols
  from pg_catalog.pg_constraint con
  join rels r on r.oid = con.conrelid
  where con.contype in ('p', 'u', 'f')
),
procs as (
  select p.oid, n.nspname as schema, p.proname as name, p.prorettype, p.proretset,
         p.provolatile, p.pronargs, p.pronargdefaults,
         coalesce(p.proallargtypes, p.proargtypes::oid[]) as types,
         p.proargmodes as modes, p.proargnames as names
  from pg_catalog.pg_proc p
  join pg_catalog.pg_namespace n on n.oid = p.pronamespace
  where n.nspname = any($1::text[]) and p.prokind = 'f'
),
proc_args as (
  select p.oid, a.ord, a.typ,
         coalesce(p.modes[a.ord], 'i') as mode,
         coalesce(p.names[a.ord], '') as name
  from procs p, unnest(p.types) with ordinality a(typ, ord)
),
in_args as (
  select pa.*, row_number() over (partition by pa.oid order by pa.ord) as idx
  from proc_args pa
  where pa.mode in ('i', 'b', 'v')
)
select json_build_object(
  'tables', coalesce((
    select json_agg(json_build_object(
      'schema', r.schema,
      'name', r.name,
      'kind', case r.relkind when 'v' then 'view' when 'm' then 'materialized_view'
                             when 'f' then 'foreign_table' else 'table' end,
      'columns', coalesce(c.columns, '[]'::json),
      'primary_key', coalesce((select to_json(k.cols) from cons k
                               where k.conrelid = r.oid and k.contype = 'p'), '[]'::json),
      'unique', coalesce((select json_agg(k.cols order by k.conname) from cons k
                          where k.conrelid = r.oid and k.contype = 'u'), '[]'::json),
      'foreign_keys', coalesce((
        select json_agg(json_build_object(
                 'name', k.conname,
                 'columns', k.cols,
                 'foreign_schema', fn.nspname,
                 'foreign_table', fc.relname,
                 'foreign_columns', k.fcols
               ) order by k.conname)
        from cons k
        join pg_catalog.pg_class fc on fc.oid = k.confrelid
        join pg_catalog.pg_namespace fn on fn.oid = fc.relnamespace
        where k.conrelid = r.oid and k.contype = 'f'), '[]'::json),
      'comment', pg_catalog.obj_description(r.oid, 'pg_class')
    ) order by r.schema, r.name)
    from rels r left join cols c on c.attrelid = r.oid), '[]'::json),
  'functions', coalesce((
    select json_agg(json_build_object(
      'schema', p.schema,
      'name', p.name,
      'args', coalesce((
        select json_agg(json_build_object(
                 'name', ia.name,
                 'data_type', pg_catalog.format_type(ia.typ, null),
                 'has_default', ia.idx > p.pronargs - p.pronargdefaults,
                 'variadic', ia.mode = 'v'
               ) order by ia.ord)
        from in_args ia where ia.oid = p.oid), '[]'::json),
      'return_type', pg_catalog.format_type(p.prorettype, null),
      'returns_set', p.proretset,
      'return_relation', (
        select json_build_object('schema', rn.nspname, 'name', rc.relname)
        from pg_catalog.pg_type t
        join pg_catalog.pg_class rc on rc.oid = t.typrelid
        join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
        where t.oid = p.prorettype),
      'out_columns', coalesce((
        select json_agg(json_build_object(
                 'name', pa.name,
                 'data_type', pg_catalog.format_type(pa.typ, null),
                 'nullable', true
               ) order by pa.ord)
        from proc_args pa where pa.oid = p.oid and pa.mode in ('o', 'b', 't')), '[]'::json),
      'volatility', case p.provolatile when 'i' then 'immutable' when 's' then 'stable'
                                       else 'volatile' end
    ) order by p.schema, p.name, p.oid)
    from procs p), '[]'::json)
)::text
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_loader_shape() {
        let cache = SchemaCache::from_json(
            r#"{"tables":[{"schema":"public","name":"t","kind":"table",
                "columns":[{"name":"id","data_type":"bigint","nullable":false,"default":null,
                            "generated":false,"identity":true}],
                "primary_key":["id"],"unique":[],"foreign_keys":[],"comment":null}],
                "functions":[{"schema":"public","name":"f","args":[{"name":"a","data_type":"integer",
                "has_default":false,"variadic":false}],"return_type":"integer","returns_set":false,
                "return_relation":null,"out_columns":[],"volatility":"stable"}]}"#,
        )
        .unwrap();
        let t = cache.table("public", "t").unwrap();
        assert!(t.is_unique(&["id".to_string()]));
        assert!(t.column("id").unwrap().identity);
        assert!(
            cache
                .functions_named("public", "f")
                .next()
                .unwrap()
                .allows_get()
        );
    }
}
