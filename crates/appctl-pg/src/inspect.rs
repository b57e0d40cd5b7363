//! Reads a live PostgreSQL schema into the engine-neutral [`model`](appctl_schema::model).
//!
//! # Queries
//!
//! One catalog query per kind of object for the whole schema (never one per table), straight from
//! `pg_catalog` (not `information_schema`), so inspecting 1000 tables costs the same ten round trips
//! as inspecting one (about 0.1–0.2 s for 1000 tables). The deparsing functions (`pg_get_expr`,
//! `pg_get_constraintdef`, `pg_get_indexdef`) are most of the server's work, so they are called only
//! where nothing cheaper gives the same text: column numbers are named from the columns query, and
//! most index definitions are spelled from the index's fields (see `plain_definition`).
//!
//! 1. preamble: the schema's oid, installed extensions, whether `appctl.managed` exists, the server
//!    version, the operator classes that are not the default for their type (an index column names
//!    its operator class only when it is one of those) and the input types of those that are;
//! 2. relations (`pg_class`: tables, partitioned tables, and the views, sequences, ... reported as
//!    unsupported), with their comments and row-level-security flag;
//! 3. columns (`pg_attribute`, `pg_attrdef`, `pg_description`), and the sequences columns own
//!    (`pg_depend` with `deptype = 'a'`: serial columns; identity sequences are part of the identity);
//! 4. constraints (`pg_constraint`: primary keys, uniques, checks, foreign keys, exclusions);
//! 5. indexes (`pg_index`, `pg_am`), then `pg_get_indexdef` of those whose definition cannot be
//!    spelled from their fields (expressions, predicates, storage options, non-default operator
//!    classes or collations);
//! 6. policies (`pg_policy`);
//! 7. grants (`aclexplode(relacl)`, every role's but the owner's, and [`MANAGED_ROLES`]' even when
//!    one owns the table; a NULL `relacl` is read as the owner's defaults, `acldefault('r', relowner)`);
//! 8. enums (`pg_type`, `pg_enum`);
//! 9. other objects the model cannot express (functions, triggers, rules, types);
//! 10. `appctl.managed` (only when it exists).
//!
//! All of them run in one transaction (`REPEATABLE READ, READ ONLY` when the connection is not
//! already in one, so they see one snapshot; a savepoint inside the caller's transaction otherwise),
//! which is always rolled back: inspection changes nothing, not even the caller's `search_path`.
//!
//! # Spelling: the search path
//!
//! Inside that transaction the search path is set, transaction-locally, to the inspected schema then
//! `public` (`set_config('search_path', quote_ident(schema) || ', public', true)`, see
//! [`set_local_search_path`]; `pg_catalog` stays implicitly first). `format_type()`, `pg_get_expr()`,
//! `pg_get_constraintdef()` and `pg_get_indexdef()` qualify a name only when it is not visible on the
//! search path, so objects of the inspected schema print unqualified (`message_role`, not
//! `public.message_role`): the same objects print the same whatever their schema is called. That is
//! what lets a desired state be normalised by creating it in a scratch schema and inspecting it there
//! ([`inspection_as`]). DDL that creates such a scratch copy should run under the same search path.
//!
//! The only other places a schema name shows: [`Database::schema`], and the `ref_schema` of a foreign
//! key that references a table of the inspected schema itself; both hold the *reported* name
//! ([`inspection_as`]), which is the inspected schema's own name for [`inspect`] and [`inspection`].
//!
//! # What is left out
//!
//! * Objects that belong to an extension (`pg_depend.deptype = 'e'`, e.g. PostGIS's
//!   `spatial_ref_sys` or pgvector's type and functions installed in `public`): the extension owns
//!   them; they are neither tables nor unsupported objects.
//! * Partitions (`relispartition`): their columns, constraints and indexes are their parent's; they
//!   are reported as unsupported ([`UnsupportedKind::Partition`]), their partitioned parent is a table.
//! * Views, materialized views, sequences not owned by a column (serial/identity sequences are part of
//!   their column), foreign tables, functions, procedures, aggregates, triggers, rules, exclusion
//!   constraints, virtual generated columns (PostgreSQL 18), and types other than enums (composite,
//!   domain, range, base): listed in [`Inspection::unsupported`] so `appctl pull` can say what the
//!   project file will not hold.
//! * Grants to `PUBLIC` and to the table's owner, column-level grants, and the `MAINTAIN` privilege
//!   (PostgreSQL 17+), which the model has no name for.

pub use appctl_schema::model::unsupported::{UnsupportedKind, UnsupportedObject};
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::{Connection, Row};

use appctl_schema::model::{
    Check, Column, Database, Enum, Extension, ForeignKey, Identity, IdentityOptions, Index,
    IndexColumn, KeyConstraint, MANAGED_ROLES, ObjectRef, Policy, Privilege, ReferentialAction,
    Table,
};

use crate::bookkeeping::Bookkeeping;

/// Why an inspection failed: the query (or step) and the database error.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("inspecting schema {schema:?}: the {query} query failed")]
    Query {
        schema: String,
        /// Which query or step failed, e.g. `columns` or `begin transaction`.
        query: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error(
        "inspecting schema {schema:?}: unexpected catalog value in the {query} query: {detail}"
    )]
    Unexpected {
        schema: String,
        query: &'static str,
        detail: String,
    },
}

/// Everything an inspection found: the model, plus what the model cannot express.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Inspection {
    pub database: Database,
    /// Objects of the schema the model cannot express, sorted by kind, table and name.
    pub unsupported: Vec<UnsupportedObject>,
    /// False when the schema does not exist (the database then has no tables or enums).
    pub schema_exists: bool,
}

/// The schemas other than `schema` that hold tables, with how many, for `pull` to say what it did
/// not read (the system's and appctl's own left out).
pub async fn other_schemas_with_tables(
    conn: &mut PgConnection,
    schema: &str,
) -> Result<Vec<(String, i64)>, InspectError> {
    let ctx = Ctx { schema };
    sqlx::query_as(
        "select n.nspname::text, count(*) from pg_catalog.pg_class c
         join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         where c.relkind in ('r', 'p') and not c.relispartition and n.nspname <> $1
           and n.nspname not in ('pg_catalog', 'information_schema', 'appctl')
           and n.nspname not like 'pg\\_%' and n.nspname not like 'appctl\\_scratch%'
         group by 1 order by 1",
    )
    .bind(schema)
    .fetch_all(conn)
    .await
    .map_err(ctx.err("other schemas"))
}

/// Triggers a project put on a platform's tables (`on_auth_user_created` on `auth.users`): not
/// internal, calling a function outside the platform's schemas. As `(trigger, table, function)`,
/// qualified. The project file cannot hold triggers yet; `pull` names them.
pub async fn project_triggers_on_platform_tables(
    conn: &mut PgConnection,
) -> Result<Vec<(String, String, String)>, InspectError> {
    let ctx = Ctx { schema: "" };
    sqlx::query_as(
        "select t.tgname::text, format('%I.%I', n.nspname, c.relname),
                format('%I.%I()', pn.nspname, p.proname)
         from pg_catalog.pg_trigger t
         join pg_catalog.pg_class c on c.oid = t.tgrelid
         join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         join pg_catalog.pg_proc p on p.oid = t.tgfoid
         join pg_catalog.pg_namespace pn on pn.oid = p.pronamespace
         where not t.tgisinternal and n.nspname = any($1::text[])
           and not pn.nspname = any($1::text[])
         order by 2, 1",
    )
    .bind(appctl_project::values::PLATFORM_SCHEMAS.as_slice())
    .fetch_all(conn)
    .await
    .map_err(ctx.err("project triggers on platform tables"))
}

/// Inspects `schema` and returns its state (see [`inspection`] for the unsupported objects too).
pub async fn inspect(conn: &mut PgConnection, schema: &str) -> Result<Database, InspectError> {
    Ok(inspection(conn, schema).await?.database)
}

/// Inspects `schema`: its state plus the objects the model cannot express.
pub async fn inspection(conn: &mut PgConnection, schema: &str) -> Result<Inspection, InspectError> {
    inspection_as(conn, schema, schema).await
}

/// Inspects `schema` but reports it as `report_as`: [`Database::schema`] and the `ref_schema` of
/// foreign keys to tables of `schema` itself say `report_as`. For normalising a desired state that
/// was created in a scratch schema: `inspection_as(conn, "appctl_scratch_1", "public")` gives what
/// `inspection(conn, "public")` would give for the same objects. The `managed` set is read for
/// `schema` (a scratch schema has none).
pub async fn inspection_as(
    conn: &mut PgConnection,
    schema: &str,
    report_as: &str,
) -> Result<Inspection, InspectError> {
    let ctx = Ctx { schema };
    let mut tx = if conn.is_in_transaction() {
        conn.begin().await
    } else {
        conn.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await
    }
    .map_err(ctx.err("begin transaction"))?;
    let result = run(&mut tx, ctx, report_as).await;
    // Read only: nothing to keep; rolling back also restores the caller's search_path.
    let rollback = tx.rollback().await.map_err(ctx.err("rollback"));
    let inspection = result?;
    rollback?;
    Ok(inspection)
}

/// Sets the search path inspection uses, transaction-locally: `schema` then `public`
/// (`pg_catalog` implicitly first). Run DDL that creates a scratch copy of a desired state under it,
/// inside a transaction, so expressions resolve as they will when inspected.
pub async fn set_local_search_path(
    conn: &mut PgConnection,
    schema: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(SEARCH_PATH_SQL)
        .bind(schema)
        .execute(conn)
        .await
        .map(drop)
}

const SEARCH_PATH_SQL: &str =
    "select set_config('search_path', quote_ident($1::text) || ', public', true)";

#[derive(Clone, Copy)]
struct Ctx<'a> {
    schema: &'a str,
}

impl<'a> Ctx<'a> {
    fn err(self, query: &'static str) -> impl Fn(sqlx::Error) -> InspectError + 'a {
        move |source| InspectError::Query {
            schema: self.schema.to_string(),
            query,
            source,
        }
    }

    fn unexpected(self, query: &'static str, detail: String) -> InspectError {
        InspectError::Unexpected {
            schema: self.schema.to_string(),
            query,
            detail,
        }
    }
}

/// Reads column `name` of `row`, naming `query` on failure.
fn get<'r, T>(
    row: &'r PgRow,
    name: &str,
    ctx: Ctx<'_>,
    query: &'static str,
) -> Result<T, InspectError>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(name).map_err(ctx.err(query))
}

async fn fetch(
    conn: &mut PgConnection,
    ctx: Ctx<'_>,
    query: &'static str,
    sql: &'static str,
    oid: Oid,
) -> Result<Vec<PgRow>, InspectError> {
    sqlx::query(sql)
        .bind(oid)
        .fetch_all(conn)
        .await
        .map_err(ctx.err(query))
}

const PREAMBLE_SQL: &str = "
select (select n.oid from pg_catalog.pg_namespace n where n.nspname = $1) as schema_oid,
       array(select e.extname::text from pg_catalog.pg_extension e
             where e.extname <> 'plpgsql' order by 1) as extensions,
       array(select n.nspname::text from pg_catalog.pg_extension e
             join pg_catalog.pg_namespace n on n.oid = e.extnamespace
             where e.extname <> 'plpgsql' order by e.extname) as extension_schemas,
       array(select e.extversion from pg_catalog.pg_extension e
             where e.extname <> 'plpgsql' order by e.extname) as extension_versions,
       array(select e.extname || ' ' || coalesce(
                      (select format('%s.%s', tn.nspname, t.typname) from pg_catalog.pg_type t
                       join pg_catalog.pg_namespace tn on tn.oid = t.typnamespace
                       where d.classid = 'pg_catalog.pg_type'::regclass and t.oid = d.objid),
                      (select format('%s.%s', pn.nspname, p.proname) from pg_catalog.pg_proc p
                       join pg_catalog.pg_namespace pn on pn.oid = p.pronamespace
                       where d.classid = 'pg_catalog.pg_proc'::regclass and p.oid = d.objid))
             from pg_catalog.pg_depend d
             join pg_catalog.pg_extension e on e.oid = d.refobjid
             where d.refclassid = 'pg_catalog.pg_extension'::regclass and d.deptype = 'e'
               and d.classid in ('pg_catalog.pg_type'::regclass, 'pg_catalog.pg_proc'::regclass)
               and e.extname <> 'plpgsql') as extension_members,
       exists (select 1 from pg_catalog.pg_class c
               join pg_catalog.pg_namespace n on n.oid = c.relnamespace
               where n.nspname = 'appctl' and c.relname = 'managed'
                 and c.relkind in ('r', 'p')) as has_managed,
       array(select opc.oid from pg_catalog.pg_opclass opc where not opc.opcdefault
             order by opc.oid) as opclass_oids,
       -- Qualified when the search path does not find it (pgvector's in Supabase's `extensions`).
       array(select case when pg_catalog.pg_opclass_is_visible(opc.oid) then opc.opcname::text
                         else format('%I.%I', opn.nspname, opc.opcname) end
             from pg_catalog.pg_opclass opc
             join pg_catalog.pg_namespace opn on opn.oid = opc.opcnamespace
             where not opc.opcdefault order by opc.oid) as opclass_names,
       array(select r.rolname::text from pg_catalog.pg_roles r
             where r.rolname in ('anon', 'authenticated', 'service_role') order by 1) as roles,
       array(select opc.oid from pg_catalog.pg_opclass opc where opc.opcdefault
             order by opc.oid) as default_opclass_oids,
       array(select opc.opcintype from pg_catalog.pg_opclass opc where opc.opcdefault
             order by opc.oid) as default_opclass_types,
       current_setting('server_version_num')::int4 as server_version";

/// Tables and the other relations of the schema, with what decides how each is reported.
const RELATIONS_SQL: &str = "
select c.oid, c.relname::text as name, c.relkind::text as kind, c.relispartition as is_partition,
       c.relrowsecurity as rls, d.description as comment,
       exists (select 1 from pg_catalog.pg_depend dep
               where dep.classid = 'pg_catalog.pg_class'::regclass and dep.objid = c.oid
                 and dep.deptype = 'e') as extension_member,
       (c.relkind = 'S' and exists (select 1 from pg_catalog.pg_depend dep
               where dep.classid = 'pg_catalog.pg_class'::regclass and dep.objid = c.oid
                 and dep.refclassid = 'pg_catalog.pg_class'::regclass
                 and dep.deptype in ('a', 'i'))) as owned_sequence,
       (select p.relname::text from pg_catalog.pg_inherits i
        join pg_catalog.pg_class p on p.oid = i.inhparent
        where c.relispartition and i.inhrelid = c.oid limit 1) as parent,
       c.relpersistence = 'u' as unlogged,
       case when c.relkind = 'p' then pg_catalog.pg_get_partkeydef(c.oid) end as partition_key,
       array(select p.oid::regclass::text from pg_catalog.pg_inherits i
             join pg_catalog.pg_class p on p.oid = i.inhparent
             where i.inhrelid = c.oid and not c.relispartition order by 1) as inherits,
       array(select k.oid::regclass::text from pg_catalog.pg_inherits i
             join pg_catalog.pg_class k on k.oid = i.inhrelid
             where i.inhparent = c.oid and not k.relispartition order by 1) as children
from pg_catalog.pg_class c
left join pg_catalog.pg_description d
       on d.classoid = 'pg_catalog.pg_class'::regclass and d.objoid = c.oid and d.objsubid = 0
where c.relnamespace = $1 and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')";

/// A default cannot refer to a column, so it is printed without a table context
/// (`pg_get_expr(adbin, 0)`, the same text): with one, `pg_get_expr` is 4–5 times as slow (measured
/// on PostgreSQL 15: 100 ms instead of 20 ms for 4000 defaults). Generated columns do refer to
/// columns and keep theirs.
const COLUMNS_SQL: &str = "
select a.attrelid as table_oid, a.attname::text as name, a.attnum as num,
       quote_ident(a.attname) as quoted_name, a.atttypid as type_oid, a.attcollation as collation,
       pg_catalog.format_type(a.atttypid, a.atttypmod) as data_type,
       not a.attnotnull as nullable, a.attidentity::text as identity,
       case when a.attcollation <> t.typcollation then
         (select co.collname::text from pg_catalog.pg_collation co where co.oid = a.attcollation)
       end as own_collation,
       a.attgenerated::text as generated,
       case when a.attidentity <> '' then
         (select array[s.seqstart, s.seqincrement] from pg_catalog.pg_depend dep
          join pg_catalog.pg_sequence s on s.seqrelid = dep.objid
          where dep.classid = 'pg_catalog.pg_class'::regclass and dep.refobjid = a.attrelid
            and dep.refobjsubid = a.attnum and dep.deptype = 'i')
       end as identity_sequence,
       pg_catalog.pg_get_expr(ad.adbin, case when a.attgenerated = '' then 0 else ad.adrelid end)
         as expr,
       d.description as comment
from pg_catalog.pg_attribute a
join pg_catalog.pg_class c on c.oid = a.attrelid
join pg_catalog.pg_type t on t.oid = a.atttypid
left join pg_catalog.pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
left join pg_catalog.pg_description d
       on d.classoid = 'pg_catalog.pg_class'::regclass and d.objoid = a.attrelid
      and d.objsubid = a.attnum
where c.relnamespace = $1 and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
order by a.attrelid, a.attnum";

/// Constraints declared on the tables themselves (`conparentid = 0` leaves out the clones Postgres
/// adds for foreign keys that reference a partitioned table). Columns come as numbers, named from
/// the columns query (a subquery per row naming them costs more than the rest of the query); only
/// the columns a foreign key references in another schema are named here.
const CONSTRAINTS_SQL: &str = "
select con.conrelid as table_oid, con.conname::text as name, con.contype::text as kind,
       con.conkey as column_nums, con.confrelid as ref_oid, con.confkey as ref_column_nums,
       fn.nspname::text as ref_schema, fc.relname::text as ref_table,
       case when con.contype = 'f' and fc.relnamespace <> $1 then
         array(select (select a.attname::text from pg_catalog.pg_attribute a
                       where a.attrelid = con.confrelid and a.attnum = k.attnum)
               from unnest(con.confkey) with ordinality k(attnum, pos) order by k.pos)
       end as ref_columns,
       con.confdeltype::text as on_delete, con.confupdtype::text as on_update,
       con.confrelid = 0 or fc.relnamespace = $1 as ref_same_schema,
       case when con.contype = 'c' then pg_catalog.pg_get_constraintdef(con.oid) end as definition,
       con.condeferrable as deferrable, con.condeferred as deferred,
       -- The column is new in Postgres 15; read through jsonb so older servers answer false.
       coalesce((to_jsonb(ix) ->> 'indnullsnotdistinct')::bool, false) as nulls_not_distinct
from pg_catalog.pg_constraint con
join pg_catalog.pg_class c on c.oid = con.conrelid
left join pg_catalog.pg_index ix on ix.indexrelid = con.conindid and con.contype = 'u'
left join pg_catalog.pg_class fc on fc.oid = con.confrelid
left join pg_catalog.pg_namespace fn on fn.oid = fc.relnamespace
where c.relnamespace = $1 and c.relkind in ('r', 'p') and con.contype in ('p', 'u', 'c', 'f', 'x')
  and con.conparentid = 0";

/// Indexes that do not implement a primary key, unique or exclusion constraint of their table
/// (`conindid` of a foreign key names the *referenced* index, hence the `conrelid` match).
///
/// Columns come as numbers, named from the columns query; only expression indexes name theirs here,
/// each expression in parentheses as CREATE INDEX and the project file write it.
/// (`[:]` turns the zero-based `int2vector` and `oidvector` into arrays that start at one.)
/// The definition is not read here either: `pg_get_indexdef()` is the most expensive call of an
/// inspection (it looks up every column's default operator class), and most indexes are plain
/// enough to be spelled from these fields exactly as it would spell them ([`plain_definition`]);
/// the others' definitions are read afterwards ([`DEFINITIONS_SQL`]).
macro_rules! indexes_sql {
    ($nulls_not_distinct:literal) => {
        concat!(
            "
select i.indrelid as table_oid, i.indexrelid as index_oid, ic.relname::text as name,
       quote_ident(ic.relname) as quoted_name, quote_ident(c.relname) as quoted_table,
       am.amname::text as method, quote_ident(am.amname) as quoted_method,
       i.indisunique as is_unique, i.indisvalid as valid, i.indnkeyatts::int4 as key_count,
       (i.indkey::int2[])[:] as column_nums,
       case when i.indexprs is not null then
         array(select case when k.attnum = 0
                           then '(' || pg_catalog.pg_get_indexdef(i.indexrelid, k.pos::int4, false) || ')'
                           else (select a.attname::text from pg_catalog.pg_attribute a
                                 where a.attrelid = i.indrelid and a.attnum = k.attnum) end
               from unnest(i.indkey::int2[]) with ordinality k(attnum, pos)
               order by k.pos)
       end as columns,
       (i.indclass::oid[])[:] as opclasses, (i.indcollation::oid[])[:] as collations,
       (i.indoption::int2[])[:] as options, ic.relkind = 'I' as partitioned, ",
            $nulls_not_distinct,
            " as nulls_not_distinct,
       pg_catalog.pg_get_expr(i.indpred, i.indrelid) as predicate,
       ic.reloptions::text[] as reloptions
from pg_catalog.pg_index i
join pg_catalog.pg_class ic on ic.oid = i.indexrelid
join pg_catalog.pg_class c on c.oid = i.indrelid
join pg_catalog.pg_am am on am.oid = ic.relam
where c.relnamespace = $1 and c.relkind in ('r', 'p')
  and not exists (select 1 from pg_catalog.pg_constraint con
                  where con.conrelid = i.indrelid and con.conindid = i.indexrelid
                    and con.contype in ('p', 'u', 'x'))"
        )
    };
}

const INDEXES_SQL: &str = indexes_sql!("i.indnullsnotdistinct");
/// `indnullsnotdistinct` is new in PostgreSQL 15.
const INDEXES_SQL_BEFORE_15: &str = indexes_sql!("false");

/// The definitions of the indexes [`plain_definition`] cannot spell.
const DEFINITIONS_SQL: &str = "
select u.oid as index_oid, pg_catalog.pg_get_indexdef(u.oid) as definition,
       quote_ident(n.nspname) as quoted_schema
from unnest($1::oid[]) u(oid)
join pg_catalog.pg_class ic on ic.oid = u.oid
join pg_catalog.pg_namespace n on n.oid = ic.relnamespace";

const POLICIES_SQL: &str = "
select p.polrelid as table_oid, p.polname::text as name, p.polcmd::text as command,
       p.polpermissive as permissive,
       array(select case when r = 0 then 'public' else pg_catalog.pg_get_userbyid(r)::text end
             from unnest(p.polroles) r) as roles,
       pg_catalog.pg_get_expr(p.polqual, p.polrelid) as using_expr,
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) as check_expr
from pg_catalog.pg_policy p
join pg_catalog.pg_class c on c.oid = p.polrelid
where c.relnamespace = $1 and c.relkind in ('r', 'p')";

/// A NULL `relacl` means the owner's default privileges (`acldefault`), which grant nothing to
/// anyone but the owner. Every role's grants are read but the owner's own (implicit in owning);
/// the diff manages those of a role other than the API roles only where the file names it.
const GRANTS_SQL: &str = "
select c.oid as table_oid, r.rolname::text as role, a.privilege_type as privilege
from pg_catalog.pg_class c
cross join lateral pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))) a
join pg_catalog.pg_roles r on r.oid = a.grantee
where c.relnamespace = $1 and c.relkind in ('r', 'p')
  and (r.rolname::text = any($2::text[]) or a.grantee <> c.relowner)";

const ENUMS_SQL: &str = "
select t.typname::text as name,
       array(select e.enumlabel::text from pg_catalog.pg_enum e
             where e.enumtypid = t.oid order by e.enumsortorder) as labels
from pg_catalog.pg_type t
where t.typnamespace = $1 and t.typtype = 'e'
  and not exists (select 1 from pg_catalog.pg_depend dep
                  where dep.classid = 'pg_catalog.pg_type'::regclass and dep.objid = t.oid
                    and dep.deptype = 'e')";

/// Functions, triggers, rules and non-enum types (array types and the row types of tables and views
/// are implied by their element or relation, so left out).
const OTHER_OBJECTS_SQL: &str = "
select 'type:' || t.typtype::text as kind, t.typname::text as name, null::text as table_name
from pg_catalog.pg_type t
left join pg_catalog.pg_class c on c.oid = t.typrelid
where t.typnamespace = $1 and t.typtype in ('b', 'c', 'd', 'r')
  and (t.typtype <> 'c' or c.relkind = 'c')
  and t.oid not in (select e.typarray from pg_catalog.pg_type e where e.typnamespace = $1)
  and not exists (select 1 from pg_catalog.pg_depend dep
                  where dep.classid = 'pg_catalog.pg_type'::regclass and dep.objid = t.oid
                    and dep.deptype = 'e')
union all
select 'proc:' || p.prokind::text,
       p.proname::text || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
       null
from pg_catalog.pg_proc p
where p.pronamespace = $1
  and not exists (select 1 from pg_catalog.pg_depend dep
                  where dep.classid = 'pg_catalog.pg_proc'::regclass and dep.objid = p.oid
                    and dep.deptype = 'e')
union all
select 'trigger', t.tgname::text, c.relname::text
from pg_catalog.pg_trigger t
join pg_catalog.pg_class c on c.oid = t.tgrelid
where c.relnamespace = $1 and not t.tgisinternal and t.tgparentid = 0
  and not exists (select 1 from pg_catalog.pg_depend dep
                  where dep.classid = 'pg_catalog.pg_class'::regclass and dep.objid = c.oid
                    and dep.deptype = 'e')
union all
select 'rule', r.rulename::text, c.relname::text
from pg_catalog.pg_rewrite r
join pg_catalog.pg_class c on c.oid = r.ev_class
where c.relnamespace = $1 and r.rulename <> '_RETURN'
  and not exists (select 1 from pg_catalog.pg_depend dep
                  where dep.classid = 'pg_catalog.pg_class'::regclass and dep.objid = c.oid
                    and dep.deptype = 'e')";

async fn run(
    conn: &mut PgConnection,
    ctx: Ctx<'_>,
    report_as: &str,
) -> Result<Inspection, InspectError> {
    sqlx::query(SEARCH_PATH_SQL)
        .bind(ctx.schema)
        .execute(&mut *conn)
        .await
        .map_err(ctx.err("set search_path"))?;

    const PREAMBLE: &str = "preamble";
    let row = sqlx::query(PREAMBLE_SQL)
        .bind(ctx.schema)
        .fetch_one(&mut *conn)
        .await
        .map_err(ctx.err(PREAMBLE))?;
    let schema_oid: Option<Oid> = get(&row, "schema_oid", ctx, PREAMBLE)?;
    let extensions = extensions_of(&row, ctx)?;
    let has_managed: bool = get(&row, "has_managed", ctx, PREAMBLE)?;
    let opclass_oids: Vec<Oid> = get(&row, "opclass_oids", ctx, PREAMBLE)?;
    let opclass_names: Vec<String> = get(&row, "opclass_names", ctx, PREAMBLE)?;
    let roles: Vec<String> = get(&row, "roles", ctx, PREAMBLE)?;
    let default_opclass_oids: Vec<Oid> = get(&row, "default_opclass_oids", ctx, PREAMBLE)?;
    let default_opclass_types: Vec<Oid> = get(&row, "default_opclass_types", ctx, PREAMBLE)?;
    let server_version: i32 = get(&row, "server_version", ctx, PREAMBLE)?;
    let opclasses = Opclasses {
        non_default: opclass_oids.into_iter().zip(opclass_names).collect(),
        default_input_type: default_opclass_oids
            .into_iter()
            .zip(default_opclass_types)
            .collect(),
    };

    let mut inspection = Inspection {
        database: Database {
            schema: report_as.to_string(),
            extensions: extensions.into_iter().collect(),
            roles: roles.into_iter().collect(),
            ..Database::default()
        },
        unsupported: Vec::new(),
        schema_exists: schema_oid.is_some(),
    };
    if has_managed {
        const MANAGED: &str = "appctl.managed";
        let rows = Bookkeeping::on(conn)
            .managed(ctx.schema)
            .await
            .map_err(ctx.err(MANAGED))?;
        for (kind, name) in rows {
            let (Some(kind), Some(name)) = (kind, name) else {
                continue;
            };
            // Kinds a later appctl may record are not this version's business.
            let object = match kind.as_str() {
                "extension" => ObjectRef::Extension(name),
                "enum" => ObjectRef::Enum(name),
                "table" => ObjectRef::Table(name),
                "bucket" => ObjectRef::Bucket(name),
                _ => continue,
            };
            inspection.database.managed.insert(object);
        }
        inspection.database.permission_records = Bookkeeping::on(conn)
            .permission_records(ctx.schema)
            .await
            .map_err(ctx.err("appctl.permissions"))?;
    }
    read_storage(conn, ctx, &mut inspection.database).await?;
    read_functions(conn, ctx, &mut inspection.database).await?;
    let Some(oid) = schema_oid else {
        return Ok(inspection);
    };

    let mut tables = read_relations(conn, ctx, oid, &mut inspection.unsupported).await?;
    let columns = read_columns(conn, ctx, oid, &mut tables, &mut inspection.unsupported).await?;
    read_owned_sequences(conn, ctx, oid, &columns, &mut tables).await?;
    read_constraints(
        conn,
        ctx,
        oid,
        report_as,
        &columns,
        &mut tables,
        &mut inspection.unsupported,
    )
    .await?;
    let indexes_sql = if server_version >= 150000 {
        INDEXES_SQL
    } else {
        INDEXES_SQL_BEFORE_15
    };
    read_indexes(
        conn,
        ctx,
        oid,
        indexes_sql,
        &opclasses,
        &columns,
        &mut tables,
    )
    .await?;
    read_policies(conn, ctx, oid, &mut tables).await?;
    read_grants(conn, ctx, oid, &mut tables).await?;
    inspection.database.enums = read_enums(conn, ctx, oid).await?;
    read_other_objects(conn, ctx, oid, &mut inspection.unsupported).await?;

    for object in &inspection.unsupported {
        let what = match (object.kind, &object.table) {
            (UnsupportedKind::Partition, Some(parent)) => format!("a partition of {parent}"),
            (
                UnsupportedKind::View
                | UnsupportedKind::MaterializedView
                | UnsupportedKind::Sequence
                | UnsupportedKind::ForeignTable,
                _,
            ) => format!("a {}", object.kind),
            _ => continue,
        };
        inspection
            .database
            .other_relations
            .insert(object.name.clone(), what);
    }
    for mut table in tables.into_values() {
        table.uniques.sort_by(|a, b| a.name.cmp(&b.name));
        table.checks.sort_by(|a, b| a.name.cmp(&b.name));
        table.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
        table.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        table.policies.sort_by(|a, b| a.name.cmp(&b.name));
        inspection.database.tables.insert(table.name.clone(), table);
    }
    inspection.unsupported.sort();
    Ok(inspection)
}

async fn read_relations(
    conn: &mut PgConnection,
    ctx: Ctx<'_>,
    oid: Oid,
    unsupported: &mut Vec<UnsupportedObject>,
) -> Result<HashMap<Oid, Table>, InspectError> {
    const Q: &str = "relations";
    let mut tables = HashMap::new();
    for row in fetch(conn, ctx, Q, RELATIONS_SQL, oid).await? {
        let name: String = get(&row, "name", ctx, Q)?;
        let kind: String = get(&row, "kind", ctx, Q)?;
        if get::<bool>(&row, "extension_member", ctx, Q)? {
            continue;
        }
        let report = |kind, table| UnsupportedObject {
            kind,
            name: name.clone(),
            table,
        };
        match kind.as_str() {
            "r" | "p" if get::<bool>(&row, "is_partition", ctx, Q)? => {
                unsupported.push(report(
                    UnsupportedKind::Partition,
                    get(&row, "parent", ctx, Q)?,
                ));
            }
            "r" | "p" => {
                let table = Table {
                    name: name.clone(),
                    comment: get(&row, "comment", ctx, Q)?,
                    rls_enabled: get(&row, "rls", ctx, Q)?,
                    unexpressed: relation_features(&row, ctx)?,
                    ..Table::default()
                };
                tables.insert(get(&row, "oid", ctx, Q)?, table);
            }
            "v" => unsupported.push(report(UnsupportedKind::View, None)),
            "m" => unsupported.push(report(UnsupportedKind::MaterializedView, None)),
            "f" => unsupported.push(report(UnsupportedKind::ForeignTable, None)),
            "S" if !get::<bool>(&row, "owned_sequence", ctx, Q)? => {
                unsupported.push(report(UnsupportedKind::Sequence, None));
            }
            _ => {}
        }
    }
    Ok(tables)
}

/// What a table of the relations query has that the project file cannot say.
fn relation_features(row: &PgRow, ctx: Ctx<'_>) -> Result<Vec<String>, InspectError> {
    const Q: &str = "relations";
    let mut features = Vec::new();
    if let Some(key) = get::<Option<String>>(row, "partition_key", ctx, Q)? {
        features.push(format!("is partitioned (PARTITION BY {key})"));
    }
    let inherits: Vec<String> = get(row, "inherits", ctx, Q)?;
    if !inherits.is_empty() {
        features.push(format!("inherits from {}", inherits.join(", ")));
    }
    let children: Vec<String> = get(row, "children", ctx, Q)?;
    if !children.is_empty() {
        features.push(format!(
            "is inherited by {} (a column dropped here goes from them too)",
            children.join(", ")
        ));
    }
    if get::<bool>(row, "unlogged", ctx, Q)? {
        features.push("is UNLOGGED".to_string());
    }
    Ok(features)
}

/// What constraints and indexes need to know of a column they name by number.
struct ColumnInfo {
    name: String,
    quoted_name: String,
    type_oid: Oid,
    collation: Oid,
}

/// The columns of every table of the schema (partitions and extension members too), by table oid
/// and column number.
type ColumnsByNumber = HashMap<(Oid, i16), ColumnInfo>;

/// The names of columns `nums` of table `table_oid`.
fn column_names(
    columns: &ColumnsByNumber,
    table_oid: Oid,
    nums: &[i16],
    ctx: Ctx<'_>,
    query: &'static str,
) -> Result<Vec<String>, InspectError> {
    nums.iter()
        .map(|num| {
            columns
                .get(&(table_oid, *num))
                .map(|c| c.name.clone())
                .ok_or_else(|| {
                    ctx.unexpected(query, format!("no column {num} in table {}", table_oid.0))
                })
        })
        .collect()
}

async fn read_columns(
    conn: &mut PgConnection,
    ctx: Ctx<'_>,
    oid: Oid,
    tables: &mut HashMap<Oid, Table>,
    unsupported: &mut Vec<UnsupportedObject>,
) -> Result<ColumnsByNumber, InspectError> {
    const Q: &str = "columns";
    let mut by_number = ColumnsByNumber::new();
    for row in fetch(conn, ctx, Q, COLUMNS_SQL, oid).await? {
        let table_oid: Oid = get(&row, "table_oid", ctx, Q)?;
        by_number.insert(
            (table_oid, get(&row, "num", ctx, Q)?),
            ColumnInfo {
                name: get(&row, "name", ctx, Q)?,
                quoted_name: get(&row, "quoted_name", ctx, Q)?,
                type_oid: get(&row, "type_oid", ctx, Q)?,
                collation: get(&row, "collation", ctx, Q)?,
            },
        );
        let Some(table) = tables.get_mut(&table_oid) else {
            continue;
        };
        let identity: String = get(&row, "identity", ctx, Q)?;
        let generated: String = get(&row, "generated", ctx, Q)?;
        let expr: Option<String> = get(&row, "expr", ctx, Q)?;
        let identity = match identity.as_str() {
            "" => None,
            "a" => Some(Identity::Always),
            "d" => Some(Identity::ByDefault),
            other => return Err(ctx.unexpected(Q, format!("attidentity {other:?}"))),
        };
        let name: String = get(&row, "name", ctx, Q)?;
        let collation: Option<String> = get(&row, "own_collation", ctx, Q)?;
        let (default, generated) = match generated.as_str() {
            "" if identity.is_none() => (expr, None),
            "" => (None, None),
            "s" => (None, expr),
            "v" => {
                unsupported.push(UnsupportedObject {
                    kind: UnsupportedKind::VirtualGeneratedColumn,
                    name: name.clone(),
                    table: Some(table.name.clone()),
                });
                (None, expr)
            }
            other => return Err(ctx.unexpected(Q, format!("attgenerated {other:?}"))),
        };
        let identity_sequence: Option<Vec<i64>> = get(&row, "identity_sequence", ctx, Q)?;
        let identity_options = match identity_sequence.as_deref() {
            Some([start, increment]) => IdentityOptions::non_default(*start, *increment),
            _ => None,
        };
        table.columns.push(Column {
            name,
            data_type: get(&row, "data_type", ctx, Q)?,
            nullable: get(&row, "nullable", ctx, Q)?,
            default,
            identity,
            identity_options,
            collation,
            sequence: None,
            generated,
            comment: get(&row, "comment", ctx, Q)?,
            renamed_from: None,
        });
    }
    Ok(by_number)
}

/// Sequences owned by a column (`OWNED BY`, as serial creates them), one query for the schema.
const OWNED_SEQUENCES_SQL: &str = "
select dep.refobjid as table_oid, dep.refobjsubid::int2 as num, quote_ident(s.relname) as quoted
from pg_catalog.pg_class s
join pg_catalog.pg_depend dep
  on dep.classid = 'pg_catalog.pg_class'::regclass and dep.objid = s.oid
 and dep.refclassid = 'pg_catalog.pg_class'::regclass and dep.deptype = 'a'
where s.relnamespace = $1 and s.relkind = 'S'";

async fn read_owned_sequences(
    conn: &mut PgConnection,
    ctx: Ctx<'_>,
    oid: Oid,
    columns: &ColumnsByNumber,
    tables: &mut HashMap<Oid, Table>,
) -> Result<(), InspectError> {
    const Q: &str = "owned sequences";
    for row in fetch(conn, ctx, Q, OWNED_SEQUENCES_SQL, oid).await? {
        let table_oid: Oid = get(&row, "table_oid", ctx, Q)?;
        let num: i16 = get(&row, "num", ctx, Q)?;
        let (Some(table), Some(info)) =
            (tables.get_mut(&table_oid), columns.get(&(table_oid, num)))
        else {
            continue;
        };
        if let Some(column) = table.columns.iter_mut().find(|c| c.name == info.name) {
            // Spelled as the default names it (quoted where needed), as the project file has it.
            let named_by_default = column
                .default
                .as_deref()
                .and_then(appctl_schema::render::nextval_sequence)
                .map(str::to_string);
            let quoted: String = get(&row, "quoted", ctx, Q)?;
            column.sequence = Some(named_by_default.unwrap_or(quoted));
        }
    }
    Ok(())
}

fn referential_action(
    code: &str,
    ctx: Ctx<'_>,
    q: &'static str,
) -> Result<ReferentialAction, InspectError> {
    Ok(match code {
        "a" => ReferentialAction::NoAction,
        "r" => ReferentialAction::Restrict,
        "c" => ReferentialAction::Cascade,
        "n" => ReferentialAction::SetNull,
        "d" => ReferentialAction::SetDefault,
        other => return Err(ctx.unexpected(q, format!("referential action {other:?}"))),
    })
}

async fn read_constraints(
    conn: &mut PgConnection,
    ctx: Ctx<'_>,
    oid: Oid,
    report_as: &str,
    columns: &ColumnsByNumber,
    tables: &mut HashMap<Oid, Table>,
    unsupported: &mut Vec<UnsupportedObject>,
) -> Result<(), InspectError> {
    const Q: &str = "constraints";
    for row in fetch(conn, ctx, Q, CONSTRAINTS_SQL, oid).await? {
        let table_oid: Oid = get(&row, "table_oid", ctx, Q)?;
        let Some(table) = tables.get_mut(&table_oid) else {
            continue;
        };
        let names = |field: &str| -> Result<Vec<String>, InspectError> {
            let nums: Option<Vec<i16>> = get(&row, field, ctx, Q)?;
            column_names(columns, table_oid, &nums.unwrap_or_default(), ctx, Q)
        };
        let name: String = get(&row, "name", ctx, Q)?;
        let kind: String = get(&row, "kind", ctx, Q)?;
        let deferrable = get::<bool>(&row, "deferrable", ctx, Q)?
            .then(|| get::<bool>(&row, "deferred", ctx, Q))
            .transpose()?;
        if deferrable.is_some() && kind != "f" {
            let initially = if get::<bool>(&row, "deferred", ctx, Q)? {
                "INITIALLY DEFERRED"
            } else {
                "INITIALLY IMMEDIATE"
            };
            table
                .unexpressed
                .push(format!("has constraint {name} DEFERRABLE {initially}"));
        }
        if kind == "x" {
            table
                .unexpressed
                .push(format!("has exclusion constraint {name}"));
        }
        match kind.as_str() {
            "p" => {
                table.primary_key = Some(KeyConstraint {
                    name,
                    columns: names("column_nums")?,
                    nulls_not_distinct: false,
                });
            }
            "u" => table.uniques.push(KeyConstraint {
                name,
                columns: names("column_nums")?,
                nulls_not_distinct: get(&row, "nulls_not_distinct", ctx, Q)?,
            }),
            "c" => table.checks.push(Check {
                name,
                definition: get(&row, "definition", ctx, Q)?,
            }),
            "f" => {
                let same_schema: bool = get(&row, "ref_same_schema", ctx, Q)?;
                let ref_schema: Option<String> = get(&row, "ref_schema", ctx, Q)?;
                let ref_table: Option<String> = get(&row, "ref_table", ctx, Q)?;
                let on_delete: String = get(&row, "on_delete", ctx, Q)?;
                let on_update: String = get(&row, "on_update", ctx, Q)?;
                // Named here unless the referenced table is in another schema.
                let ref_columns = match get::<Option<Vec<String>>>(&row, "ref_columns", ctx, Q)? {
                    Some(named) => named,
                    None => {
                        let nums: Option<Vec<i16>> = get(&row, "ref_column_nums", ctx, Q)?;
                        let ref_oid: Oid = get(&row, "ref_oid", ctx, Q)?;
                        column_names(columns, ref_oid, &nums.unwrap_or_default(), ctx, Q)?
                    }
                };
                table.foreign_keys.push(ForeignKey {
                    name,
                    columns: names("column_nums")?,
                    ref_schema: if same_schema {
                        report_as.to_string()
                    } else {
                        ref_schema.unwrap_or_default()
                    },
                    ref_table: ref_table.unwrap_or_default(),
                    ref_columns,
                    on_delete: referential_action(&on_delete, ctx, Q)?,
                    on_update: referential_action(&on_update, ctx, Q)?,
                    deferrable,
                });
            }
            "x" => unsupported.push(UnsupportedObject {
                kind: UnsupportedKind::ExclusionConstraint,
                name,
                table: Some(table.name.clone()),
            }),
            _ => {}
        }
    }
    Ok(())
}

/// `pg_get_indexdef()` with the index name and the table's schema removed:
/// `CREATE UNIQUE INDEX "Idx" ON "my schema".threads USING btree (a)` becomes
/// `CREATE UNIQUE INDEX ON threads USING btree (a)` (still valid SQL). Only those two tokens, at the
/// positions `pg_get_indexdef` prints them (`CREATE [UNIQUE ]INDEX <name> ON [ONLY ]<schema>.`), are
/// removed; a definition of another shape is returned unchanged.
pub fn mask_index_definition(definition: &str, quoted_name: &str, quoted_schema: &str) -> String {
    let masked = (|| {
        let (create, rest) = if let Some(rest) = definition.strip_prefix("CREATE UNIQUE INDEX ") {
            ("CREATE UNIQUE INDEX ON ", rest)
        } else {
            (
                "CREATE INDEX ON ",
                definition.strip_prefix("CREATE INDEX ")?,
            )
        };
        let rest = rest.strip_prefix(quoted_name)?.strip_prefix(" ON ")?;
        let (only, rest) = match rest.strip_prefix("ONLY ") {
            Some(rest) => ("ONLY ", rest),
            None => ("", rest),
        };
        let rest = rest.strip_prefix(quoted_schema)?.strip_prefix('.')?;
        Some(format!("{create}{only}{rest}"))
    })();
    masked.unwrap_or_else(|| definition.to_string())
}

/// Operator classes: those that are not the default for any type (named in an index column), and
/// the input type of those that are.
struct Opclasses {
    non_default: HashMap<Oid, String>,
    default_input_type: HashMap<Oid, Oid>,
}

impl Opclasses {
    /// Whether `pg_get_indexdef()` leaves `opclass` out for a column of type `column_type`: it is
    /// the default operator class of exactly that type, or `text`'s for a `varchar` column (which
    /// has none of its own). Other cases (domains, enums, arrays, binary-coercible types) are left
    /// to `pg_get_indexdef()` itself.
    fn is_default_for(&self, opclass: Oid, column_type: Oid) -> bool {
        const TEXT: Oid = Oid(25);
        const VARCHAR: Oid = Oid(1043);
        match self.default_input_type.get(&opclass) {
            Some(&input) => input == column_type || (column_type == VARCHAR && input == TEXT),
            None => false,
        }
    }
}

/// What [`plain_definition`] needs of an index.
struct IndexShape<'a> {
    table_oid: Oid,
    unique: bool,
    quoted_table: &'a str,
    quoted_method: &'a str,
    column_nums: &'a [i16],
    key_count: usize,
    opclasses: &'a [Oid],
    collations: &'a [Oid],
    options: &'a [i16],
}

/// The masked `pg_get_indexdef()` of an index on plain columns with default operator classes and
/// collations, no predicate, no storage options, not partitioned and with distinct NULLs, spelled as
/// `pg_get_indexdef()` spells it (`CREATE UNIQUE INDEX ON t USING btree (a DESC NULLS LAST, b)
/// INCLUDE (c)`); `None` for any other index.
fn plain_definition(
    index: &IndexShape<'_>,
    columns: &ColumnsByNumber,
    opclasses: &Opclasses,
) -> Option<String> {
    let mut keys = Vec::with_capacity(index.key_count);
    let mut included = Vec::new();
    for (i, num) in index.column_nums.iter().enumerate() {
        let column = columns.get(&(index.table_oid, *num))?;
        if i >= index.key_count {
            included.push(column.quoted_name.as_str());
            continue;
        }
        let collation = *index.collations.get(i)?;
        if collation != Oid(0) && collation != column.collation {
            return None;
        }
        if !opclasses.is_default_for(*index.opclasses.get(i)?, column.type_oid) {
            return None;
        }
        let option = index.options.get(i).copied().unwrap_or(0);
        let order = match (option & 1 != 0, option & 2 != 0) {
            (true, true) => " DESC",
            (true, false) => " DESC NULLS LAST",
            (false, true) => " NULLS FIRST",
            (false, false) => "",
        };
        keys.push(format!("{}{order}", column.quoted_name));
    }
    let mut definition = format!(
        "CREATE {}INDEX ON {} USING {} ({})",
        if index.unique { "UNIQUE " } else { "" },
        index.quoted_table,
        index.quoted_method,
        keys.join(", ")
    );
    if !included.is_empty() {
        definition.push_str(&format!(" INCLUDE ({})", included.join(", ")));
    }
    Some(definition)
}

async fn read_indexes(
    conn: &mut PgConnection,
    ctx: Ctx<'_>,
    oid: Oid,
    indexes_sql: &'static str,
    opclasses: &Opclasses,
    columns_by_number: &ColumnsByNumber,
    tables: &mut HashMap<Oid, Table>,
) -> Result<(), InspectError> {
    const Q: &str = "indexes";
    // Indexes whose definition `pg_get_indexdef()` must give: oid, table, position in the table's
    // indexes (sorted only after every query), quoted name.
    let mut unspelled: Vec<(Oid, Oid, usize, String)> = Vec::new();
    for row in fetch(conn, ctx, Q, indexes_sql, oid).await? {
        let table_oid: Oid = get(&row, "table_oid", ctx, Q)?;
        let Some(table) = tables.get_mut(&table_oid) else {
            continue;
        };
        let key_count: i32 = get(&row, "key_count", ctx, Q)?;
        let key_count = usize::try_from(key_count).unwrap_or(0);
        let column_nums: Vec<i16> = get(&row, "column_nums", ctx, Q)?;
        let named: Option<Vec<Option<String>>> = get(&row, "columns", ctx, Q)?;
        let has_expressions = named.is_some();
        let mut columns: Vec<Option<String>> = match named {
            Some(named) => named,
            None => column_names(columns_by_number, table_oid, &column_nums, ctx, Q)?
                .into_iter()
                .map(Some)
                .collect(),
        };
        let opclass_oids: Vec<Oid> = get(&row, "opclasses", ctx, Q)?;
        let collations: Vec<Oid> = get(&row, "collations", ctx, Q)?;
        let options: Vec<i16> = get(&row, "options", ctx, Q)?;
        if columns.len() < key_count {
            return Err(ctx.unexpected(
                Q,
                format!("{} columns for {key_count} key columns", columns.len()),
            ));
        }
        let predicate: Option<String> = get(&row, "predicate", ctx, Q)?;
        let reloptions: Option<Vec<String>> = get(&row, "reloptions", ctx, Q)?;
        let partitioned: bool = get(&row, "partitioned", ctx, Q)?;
        let nulls_not_distinct: bool = get(&row, "nulls_not_distinct", ctx, Q)?;
        let unique: bool = get(&row, "is_unique", ctx, Q)?;
        let quoted_table: String = get(&row, "quoted_table", ctx, Q)?;
        let quoted_method: String = get(&row, "quoted_method", ctx, Q)?;
        let plain = !has_expressions
            && predicate.is_none()
            && reloptions.is_none()
            && !partitioned
            && !nulls_not_distinct;
        let definition = if plain {
            plain_definition(
                &IndexShape {
                    table_oid,
                    unique,
                    quoted_table: &quoted_table,
                    quoted_method: &quoted_method,
                    column_nums: &column_nums,
                    key_count,
                    opclasses: &opclass_oids,
                    collations: &collations,
                    options: &options,
                },
                columns_by_number,
                opclasses,
            )
        } else {
            None
        };
        if definition.is_none() {
            unspelled.push((
                get(&row, "index_oid", ctx, Q)?,
                table_oid,
                table.indexes.len(),
                get(&row, "quoted_name", ctx, Q)?,
            ));
        }
        let include = columns
            .split_off(key_count)
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        let key_columns = key_columns(columns, &options, &opclass_oids, opclasses);
        let with = storage_parameters(reloptions);
        table.indexes.push(Index {
            name: get(&row, "name", ctx, Q)?,
            unique,
            method: get(&row, "method", ctx, Q)?,
            columns: key_columns,
            include,
            predicate,
            with,
            definition: definition.unwrap_or_default(),
            online: false,
            valid: get(&row, "valid", ctx, Q)?,
            renamed_from: None,
        });
    }
    spell_definitions(conn, ctx, unspelled, tables).await
}

/// The definitions of indexes whose plain form could not be written from the catalog, as
/// `pg_get_indexdef()` gives them (in one query), into each index's place.
async fn spell_definitions(
    conn: &mut PgConnection,
    ctx: Ctx<'_>,
    unspelled: Vec<(Oid, Oid, usize, String)>,
    tables: &mut HashMap<Oid, Table>,
) -> Result<(), InspectError> {
    if unspelled.is_empty() {
        return Ok(());
    }
    const DEFINITIONS: &str = "index definitions";
    let oids: Vec<Oid> = unspelled.iter().map(|(index, ..)| *index).collect();
    let rows = sqlx::query(DEFINITIONS_SQL)
        .bind(&oids)
        .fetch_all(&mut *conn)
        .await
        .map_err(ctx.err(DEFINITIONS))?;
    let mut definitions = HashMap::with_capacity(rows.len());
    for row in rows {
        let definition: String = get(&row, "definition", ctx, DEFINITIONS)?;
        let quoted_schema: String = get(&row, "quoted_schema", ctx, DEFINITIONS)?;
        definitions.insert(
            get::<Oid>(&row, "index_oid", ctx, DEFINITIONS)?,
            (definition, quoted_schema),
        );
    }
    for (index_oid, table_oid, position, quoted_name) in unspelled {
        let Some((definition, quoted_schema)) = definitions.get(&index_oid) else {
            return Err(ctx.unexpected(
                DEFINITIONS,
                format!("no definition of index {}", index_oid.0),
            ));
        };
        if let Some(index) = tables
            .get_mut(&table_oid)
            .and_then(|table| table.indexes.get_mut(position))
        {
            index.definition = mask_index_definition(definition, &quoted_name, quoted_schema);
        }
    }
    Ok(())
}

/// An index's key columns with their operator classes (unless the default) and orders.
fn key_columns(
    columns: Vec<Option<String>>,
    options: &[i16],
    opclass_oids: &[Oid],
    opclasses: &Opclasses,
) -> Vec<IndexColumn> {
    columns
        .into_iter()
        .enumerate()
        .map(|(i, column)| {
            let option = options.get(i).copied().unwrap_or(0);
            // INDOPTION_DESC = 0x01, INDOPTION_NULLS_FIRST = 0x02; NULLS FIRST is the default
            // of DESC, NULLS LAST that of ASC.
            let descending = option & 1 != 0;
            let nulls_first = option & 2 != 0;
            IndexColumn {
                column: column.unwrap_or_default(),
                opclass: opclass_oids
                    .get(i)
                    .and_then(|opclass| opclasses.non_default.get(opclass))
                    .cloned(),
                descending,
                nulls_first: (nulls_first != descending).then_some(nulls_first),
            }
        })
        .collect()
}

/// `pg_class.reloptions` (`fillfactor=70`) as (key, value) pairs.
fn storage_parameters(reloptions: Option<Vec<String>>) -> BTreeMap<String, String> {
    reloptions
        .unwrap_or_default()
        .into_iter()
        .map(|option| match option.split_once('=') {
            Some((key, value)) => (key.to_string(), value.to_string()),
            None => (option, String::new()),
        })
        .collect()
}

/// `pg_policy.polcmd` → the command as CREATE POLICY spells it.
fn policy_command(code: &str) -> Option<&'static str> {
    Some(match code {
        "r" => "SELECT",
        "a" => "INSERT",
        "w" => "UPDATE",
        "d" => "DELETE",
        "*" => "ALL",
        _ => return None,
    })
}

async fn read_policies(
    conn: &mut PgConnection,
    ctx: Ctx<'_>,
    oid: Oid,
    tables: &mut HashMap<Oid, Table>,
) -> Result<(), InspectError> {
    const Q: &str = "policies";
    for row in fetch(conn, ctx, Q, POLICIES_SQL, oid).await? {
        let Some(table) = tables.get_mut(&get::<Oid>(&row, "table_oid", ctx, Q)?) else {
            continue;
        };
        let command: String = get(&row, "command", ctx, Q)?;
        let command = policy_command(&command)
            .ok_or_else(|| ctx.unexpected(Q, format!("polcmd {command:?}")))?;
        let mut roles: Vec<String> = get(&row, "roles", ctx, Q)?;
        roles.sort();
        roles.dedup();
        table.policies.push(Policy {
            name: get(&row, "name", ctx, Q)?,
            command: command.to_string(),
            permissive: get(&row, "permissive", ctx, Q)?,
            roles,
            using: get(&row, "using_expr", ctx, Q)?,
            with_check: get(&row, "check_expr", ctx, Q)?,
        });
    }
    Ok(())
}

/// The preamble's extensions: name → schema, version and member types and functions.
fn extensions_of(row: &PgRow, ctx: Ctx<'_>) -> Result<BTreeMap<String, Extension>, InspectError> {
    const PREAMBLE: &str = "preamble";
    let extensions: Vec<String> = get(row, "extensions", ctx, PREAMBLE)?;
    let extension_schemas: Vec<String> = get(row, "extension_schemas", ctx, PREAMBLE)?;
    let extension_versions: Vec<String> = get(row, "extension_versions", ctx, PREAMBLE)?;
    let extension_members: Vec<Option<String>> = get(row, "extension_members", ctx, PREAMBLE)?;
    let mut members: HashMap<&str, BTreeSet<String>> = HashMap::new();
    for entry in extension_members.iter().flatten() {
        if let Some((extension, member)) = entry.split_once(' ') {
            members
                .entry(extension)
                .or_default()
                .insert(member.to_string());
        }
    }
    let extensions: BTreeMap<String, Extension> = extensions
        .into_iter()
        .zip(extension_schemas.into_iter().zip(extension_versions))
        .map(|(name, (schema, version))| {
            let extension = Extension {
                schema: Some(schema),
                version: Some(version),
                members: members.remove(name.as_str()).unwrap_or_default(),
            };
            (name, extension)
        })
        .collect();
    Ok(extensions)
}

async fn read_grants(
    conn: &mut PgConnection,
    ctx: Ctx<'_>,
    oid: Oid,
    tables: &mut HashMap<Oid, Table>,
) -> Result<(), InspectError> {
    const Q: &str = "grants";
    let rows = sqlx::query(GRANTS_SQL)
        .bind(oid)
        .bind(MANAGED_ROLES.as_slice())
        .fetch_all(conn)
        .await
        .map_err(ctx.err(Q))?;
    for row in rows {
        let Some(table) = tables.get_mut(&get::<Oid>(&row, "table_oid", ctx, Q)?) else {
            continue;
        };
        let privilege: String = get(&row, "privilege", ctx, Q)?;
        let privilege = match privilege.as_str() {
            "SELECT" => Privilege::Select,
            "INSERT" => Privilege::Insert,
            "UPDATE" => Privilege::Update,
            "DELETE" => Privilege::Delete,
            "TRUNCATE" => Privilege::Truncate,
            "REFERENCES" => Privilege::References,
            "TRIGGER" => Privilege::Trigger,
            // MAINTAIN (PostgreSQL 17+) and whatever comes later: not in the model.
            _ => continue,
        };
        table
            .grants
            .entry(get(&row, "role", ctx, Q)?)
            .or_insert_with(BTreeSet::new)
            .insert(privilege);
    }
    Ok(())
}

async fn read_enums(
    conn: &mut PgConnection,
    ctx: Ctx<'_>,
    oid: Oid,
) -> Result<BTreeMap<String, Enum>, InspectError> {
    const Q: &str = "enums";
    let mut enums = BTreeMap::new();
    for row in fetch(conn, ctx, Q, ENUMS_SQL, oid).await? {
        let name: String = get(&row, "name", ctx, Q)?;
        let values = get(&row, "labels", ctx, Q)?;
        enums.insert(name.clone(), Enum { name, values });
    }
    Ok(enums)
}

async fn read_other_objects(
    conn: &mut PgConnection,
    ctx: Ctx<'_>,
    oid: Oid,
    unsupported: &mut Vec<UnsupportedObject>,
) -> Result<(), InspectError> {
    const Q: &str = "other objects";
    for row in fetch(conn, ctx, Q, OTHER_OBJECTS_SQL, oid).await? {
        let kind: String = get(&row, "kind", ctx, Q)?;
        let kind = match kind.as_str() {
            "type:b" => UnsupportedKind::BaseType,
            "type:c" => UnsupportedKind::CompositeType,
            "type:d" => UnsupportedKind::Domain,
            "type:r" => UnsupportedKind::RangeType,
            "proc:p" => UnsupportedKind::Procedure,
            "proc:a" => UnsupportedKind::Aggregate,
            "proc:f" | "proc:w" => UnsupportedKind::Function,
            "trigger" => UnsupportedKind::Trigger,
            "rule" => UnsupportedKind::Rule,
            other => return Err(ctx.unexpected(Q, format!("object kind {other:?}"))),
        };
        unsupported.push(UnsupportedObject {
            kind,
            name: get(&row, "name", ctx, Q)?,
            table: get(&row, "table_name", ctx, Q)?,
        });
    }
    Ok(())
}

/// Buckets (`storage.buckets` rows) and appctl's policies on `storage.objects`, when the storage
/// tables exist (Supabase, or after `deploy --bootstrap`).
const STORAGE_EXISTS_SQL: &str = "
select to_regclass('storage.buckets') is not null and to_regclass('storage.objects') is not null";

const BUCKETS_SQL: &str = "
select id::text, coalesce(public, false) as public, file_size_limit::bigint,
       coalesce(allowed_mime_types::text[], '{}') as allowed_mime_types
from storage.buckets order by id";

const STORAGE_POLICIES_SQL: &str = "
select p.polname::text as name, p.polcmd::text as cmd, p.polpermissive as permissive,
       array(select case when r = 0 then 'public' else pg_catalog.pg_get_userbyid(r)::text end
             from unnest(p.polroles) as r order by 1) as roles,
       pg_catalog.pg_get_expr(p.polqual, p.polrelid) as using_expr,
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) as check_expr
from pg_catalog.pg_policy p
where p.polrelid = $1::regclass and p.polname like 'appctl\\_%'
order by p.polname";

async fn read_storage(
    conn: &mut PgConnection,
    ctx: Ctx<'_>,
    database: &mut Database,
) -> Result<(), InspectError> {
    const STORAGE: &str = "storage tables";
    let exists: bool = sqlx::query_scalar(STORAGE_EXISTS_SQL)
        .fetch_one(&mut *conn)
        .await
        .map_err(ctx.err(STORAGE))?;
    if !exists {
        return Ok(());
    }
    const BUCKETS: &str = "storage.buckets";
    let rows = sqlx::query(BUCKETS_SQL)
        .fetch_all(&mut *conn)
        .await
        .map_err(ctx.err(BUCKETS))?;
    for row in rows {
        let id: String = get(&row, "id", ctx, BUCKETS)?;
        let bucket = appctl_schema::model::Bucket {
            id: id.clone(),
            public: get(&row, "public", ctx, BUCKETS)?,
            file_size_limit: get(&row, "file_size_limit", ctx, BUCKETS)?,
            allowed_mime_types: get(&row, "allowed_mime_types", ctx, BUCKETS)?,
        };
        database.buckets.insert(id, bucket);
    }
    database.storage_policies = appctl_policies_of(conn, ctx, "storage.objects").await?;
    Ok(())
}

/// The policies named `appctl_*` on `relation` (a qualified, quoted table name).
async fn appctl_policies_of(
    conn: &mut PgConnection,
    ctx: Ctx<'_>,
    relation: &str,
) -> Result<Vec<appctl_schema::model::Policy>, InspectError> {
    const POLICIES: &str = "policies on storage.objects";
    let rows = sqlx::query(STORAGE_POLICIES_SQL)
        .bind(relation)
        .fetch_all(&mut *conn)
        .await
        .map_err(ctx.err(POLICIES))?;
    let mut policies = Vec::new();
    for row in rows {
        let cmd: String = get(&row, "cmd", ctx, POLICIES)?;
        let command = policy_command(&cmd)
            .ok_or_else(|| ctx.unexpected(POLICIES, format!("polcmd {cmd:?}")))?;
        policies.push(appctl_schema::model::Policy {
            name: get(&row, "name", ctx, POLICIES)?,
            command: command.to_string(),
            permissive: get(&row, "permissive", ctx, POLICIES)?,
            roles: get(&row, "roles", ctx, POLICIES)?,
            using: get(&row, "using_expr", ctx, POLICIES)?,
            with_check: get(&row, "check_expr", ctx, POLICIES)?,
        });
    }
    Ok(policies)
}

/// The `appctl_*` policies of `relation`, read in their own rolled-back transaction with the
/// search path of `schema` (as [`inspection`] reads a schema's policies).
pub async fn policies_of(
    conn: &mut PgConnection,
    schema: &str,
    relation: &str,
) -> Result<Vec<appctl_schema::model::Policy>, InspectError> {
    let ctx = Ctx { schema };
    let mut tx = conn.begin().await.map_err(ctx.err("begin transaction"))?;
    set_local_search_path(&mut tx, schema)
        .await
        .map_err(ctx.err("set search_path"))?;
    let result = appctl_policies_of(&mut tx, ctx, relation).await;
    tx.rollback().await.map_err(ctx.err("rollback"))?;
    result
}

/// The functions of `schema` as the last deploy recorded them in `appctl.functions` (empty when appctl
/// never deployed there). Each row is read as JSON, so a record written by an older appctl (without
/// version or configuration) reads with those fields empty and plans as a change.
pub async fn deployed_functions(
    conn: &mut PgConnection,
    schema: &str,
) -> Result<BTreeMap<String, appctl_schema::model::Function>, InspectError> {
    let ctx = Ctx { schema };
    const FUNCTIONS: &str = "appctl.functions";
    let mut functions = BTreeMap::new();
    let Some(rows) = Bookkeeping::on(conn)
        .function_records(schema)
        .await
        .map_err(ctx.err(FUNCTIONS))?
    else {
        return Ok(functions);
    };
    for (name, row) in rows {
        let text = |key: &str| row.get(key).and_then(|v| v.as_str()).map(str::to_string);
        let number = |key: &str| row.get(key).and_then(|v| v.as_u64());
        let list = |key: &str| -> Result<Vec<String>, InspectError> {
            match row.get(key) {
                None | Some(serde_json::Value::Null) => Ok(Vec::new()),
                Some(value) => serde_json::from_value(value.clone())
                    .map_err(|e| ctx.unexpected(FUNCTIONS, format!("{key} of {name}: {e}"))),
            }
        };
        let function = appctl_schema::model::Function {
            version: text("version"),
            runtime: text("runtime").unwrap_or_default(),
            entrypoint: text("entrypoint").unwrap_or_default(),
            timeout_ms: number("timeout_ms"),
            memory_bytes: number("memory_bytes"),
            schedule: text("schedule"),
            execute: list("execute")?,
            env: list("env_names")?.into_iter().collect(),
        };
        functions.insert(name, function);
    }
    Ok(functions)
}

async fn read_functions(
    conn: &mut PgConnection,
    ctx: Ctx<'_>,
    database: &mut Database,
) -> Result<(), InspectError> {
    database.functions = deployed_functions(conn, ctx.schema).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_name_and_schema_only() {
        assert_eq!(
            mask_index_definition(
                "CREATE UNIQUE INDEX \"Odd \"\"ix\" ON \"my schema\".threads USING btree (a)",
                "\"Odd \"\"ix\"",
                "\"my schema\""
            ),
            "CREATE UNIQUE INDEX ON threads USING btree (a)"
        );
        assert_eq!(
            mask_index_definition(
                "CREATE INDEX ix ON ONLY public.events USING btree (public.f(a))",
                "ix",
                "public"
            ),
            "CREATE INDEX ON ONLY events USING btree (public.f(a))"
        );
        // Not the expected shape: unchanged.
        assert_eq!(
            mask_index_definition("CREATE INDEX other ON s.t USING btree (a)", "ix", "s"),
            "CREATE INDEX other ON s.t USING btree (a)"
        );
    }
}
