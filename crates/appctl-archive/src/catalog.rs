//! What export reads from the catalog: which tables travel, their columns and encodings, primary keys,
//! owned sequences, and the foreign-key order import loads them in.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context as _;
use sqlx::PgConnection;

use super::encode::Encoding;
use super::manifest::{Column, SequenceValue, TableEntry, TableRole};
use appctl_schema::quote::{ident, qualified};

/// Which tables an export takes.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub schema: String,
    /// Only these project tables (empty: all).
    pub tables: Vec<String>,
    pub exclude: Vec<String>,
    pub users: bool,
    pub files: bool,
}

impl Selection {
    fn wants(&self, table: &str) -> bool {
        let named = |list: &[String]| {
            list.iter()
                .any(|t| t == table || *t == format!("{}.{table}", self.schema))
        };
        (self.tables.is_empty() || named(&self.tables)) && !named(&self.exclude)
    }
}

/// A table as found, before its rows are read.
#[derive(Debug, Clone)]
pub struct FoundTable {
    pub oid: u32,
    pub entry: TableEntry,
    /// `pg_class.reltuples`, for progress bars (-1 or 0 when never analysed).
    pub estimated_rows: i64,
}

/// The tables to export, referenced tables first.
pub async fn tables(
    conn: &mut PgConnection,
    selection: &Selection,
) -> anyhow::Result<Vec<FoundTable>> {
    let mut wanted: Vec<(String, String, TableRole)> = Vec::new();
    // appctl's own records travel as history: deployments, the audit log, the functions as last
    // deployed and the package of every version deployed (the code that ran).
    let platform: [(&str, &str, TableRole, bool); 8] = [
        ("auth", "users", TableRole::Auth, selection.users),
        ("auth", "identities", TableRole::Auth, selection.users),
        ("storage", "buckets", TableRole::Storage, true),
        ("storage", "objects", TableRole::Storage, selection.files),
        ("appctl", "deployments", TableRole::History, true),
        ("appctl", "audit_log", TableRole::History, true),
        ("appctl", "functions", TableRole::History, true),
        ("appctl", "function_packages", TableRole::History, true),
    ];
    for (schema, name, role, include) in platform {
        if include {
            wanted.push((schema.into(), name.into(), role));
        }
    }
    let project: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname",
    )
    .bind(&selection.schema)
    .fetch_all(&mut *conn)
    .await
    .context("cannot list the tables")?;
    for name in [&selection.tables, &selection.exclude]
        .into_iter()
        .flatten()
    {
        let bare = name
            .strip_prefix(&format!("{}.", selection.schema))
            .unwrap_or(name);
        if !project.iter().any(|t| t == bare) {
            anyhow::bail!(
                "--tables/--exclude name `{name}`, which is not a table of schema `{}`; the tables are: {}",
                selection.schema,
                project.join(", ")
            );
        }
    }
    for name in project {
        if selection.wants(&name) {
            wanted.push((selection.schema.clone(), name, TableRole::Project));
        }
    }

    let mut found = Vec::new();
    for (schema, name, role) in wanted {
        let Some((oid, estimated_rows)) = sqlx::query_as::<_, (i64, f32)>(
            "SELECT c.oid::int8, c.reltuples FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')",
        )
        .bind(&schema)
        .bind(&name)
        .fetch_optional(&mut *conn)
        .await?
        else {
            continue; // a platform table this instance does not have
        };
        let oid = u32::try_from(oid).context("an oid out of range")?;
        let columns = columns(conn, oid).await?;
        let primary_key: Vec<String> = sqlx::query_scalar(
            "SELECT a.attname::text FROM pg_catalog.pg_index i
               CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE i.indrelid = $1::int8::oid AND i.indisprimary ORDER BY k.ord",
        )
        .bind(i64::from(oid))
        .fetch_all(&mut *conn)
        .await?;
        let sequences = sequences(conn, &schema, &name, oid).await?;
        found.push(FoundTable {
            oid,
            estimated_rows: estimated_rows as i64,
            entry: TableEntry {
                schema,
                name,
                role,
                columns,
                primary_key,
                rows: 0,
                parts: Vec::new(),
                sequences,
                rows_digest: None,
            },
        });
    }
    order_by_foreign_keys(conn, found).await
}

async fn columns(conn: &mut PgConnection, oid: u32) -> anyhow::Result<Vec<Column>> {
    // Domains are encoded as their base type; arrays by their element type.
    let rows: Vec<(String, String, String, bool)> = sqlx::query_as(
        "WITH c AS (
             SELECT a.attnum, a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS pg_type,
                    CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END AS tid
             FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
             WHERE a.attrelid = $1::int8::oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
         )
         SELECT c.name, c.pg_type,
                CASE WHEN b.typcategory = 'A' AND b.typelem <> 0
                     THEN (SELECT e.typname::text FROM pg_catalog.pg_type e WHERE e.oid = b.typelem)
                     ELSE b.typname::text END,
                b.typcategory = 'A' AND b.typelem <> 0
         FROM c JOIN pg_catalog.pg_type b ON b.oid = c.tid ORDER BY c.attnum",
    )
    .bind(i64::from(oid))
    .fetch_all(&mut *conn)
    .await
    .context("cannot read the columns")?;
    Ok(rows
        .into_iter()
        .map(|(name, pg_type, type_name, is_array)| Column {
            name,
            pg_type,
            encoding: Encoding::of(&type_name, is_array),
        })
        .collect())
}

async fn sequences(
    conn: &mut PgConnection,
    schema: &str,
    table: &str,
    oid: u32,
) -> anyhow::Result<Vec<SequenceValue>> {
    let owned: Vec<(String, String)> = sqlx::query_as(
        "SELECT a.attname::text, pg_get_serial_sequence($2, a.attname) FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = $1::int8::oid AND a.attnum > 0 AND NOT a.attisdropped
           AND pg_get_serial_sequence($2, a.attname) IS NOT NULL ORDER BY a.attnum",
    )
    .bind(i64::from(oid))
    .bind(qualified(schema, table))
    .fetch_all(&mut *conn)
    .await
    .context("cannot read the table's sequences")?;
    let mut values = Vec::new();
    for (column, sequence) in owned {
        // pg_get_serial_sequence returns a quoted, qualified name.
        let (last_value, is_called): (String, bool) = sqlx::query_as(&format!(
            "SELECT last_value::text, is_called FROM {sequence}"
        ))
        .fetch_one(&mut *conn)
        .await
        .with_context(|| format!("cannot read sequence {sequence}"))?;
        values.push(SequenceValue {
            column,
            last_value,
            is_called,
        });
    }
    Ok(values)
}

/// Sorts tables so a referenced table comes before the tables referencing it (platform tables first,
/// then project tables, history last); within a rank, by name. A cycle keeps the remaining order.
async fn order_by_foreign_keys(
    conn: &mut PgConnection,
    tables: Vec<FoundTable>,
) -> anyhow::Result<Vec<FoundTable>> {
    let oids: Vec<i64> = tables.iter().map(|t| i64::from(t.oid)).collect();
    let edges: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT conrelid::int8, confrelid::int8 FROM pg_catalog.pg_constraint
         WHERE contype = 'f' AND conrelid = ANY($1::int8[]::oid[]) AND confrelid = ANY($1::int8[]::oid[]) AND conrelid <> confrelid",
    )
    .bind(&oids)
    .fetch_all(&mut *conn)
    .await
    .context("cannot read foreign keys")?;
    let mut depends: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    for (from, to) in edges {
        depends.entry(from as u32).or_default().insert(to as u32);
    }
    Ok(topological(tables, &depends))
}

fn rank(role: TableRole) -> u8 {
    match role {
        TableRole::Auth => 0,
        TableRole::Storage => 1,
        TableRole::Project => 2,
        TableRole::History => 3,
    }
}

fn topological(
    mut pending: Vec<FoundTable>,
    depends: &BTreeMap<u32, BTreeSet<u32>>,
) -> Vec<FoundTable> {
    pending.sort_by(|a, b| {
        (rank(a.entry.role), &a.entry.name).cmp(&(rank(b.entry.role), &b.entry.name))
    });
    let mut done: BTreeSet<u32> = BTreeSet::new();
    let mut ordered = Vec::with_capacity(pending.len());
    // Bounded: each round moves at least one table.
    while !pending.is_empty() {
        let ready = pending.iter().position(|t| {
            depends.get(&t.oid).is_none_or(|d| {
                d.iter()
                    .all(|o| done.contains(o) || !pending.iter().any(|p| p.oid == *o))
            })
        });
        let next = pending.remove(ready.unwrap_or(0));
        done.insert(next.oid);
        ordered.push(next);
    }
    ordered
}

/// `COPY "s"."t" ("a", "b") TO STDOUT`
pub fn copy_out_sql(table: &TableEntry) -> String {
    format!(
        "COPY {} ({}) TO STDOUT",
        qualified(&table.schema, &table.name),
        column_list(table)
    )
}

pub fn column_list(table: &TableEntry) -> String {
    table
        .columns
        .iter()
        .map(|c| ident(&c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(oid: u32, name: &str, role: TableRole) -> FoundTable {
        FoundTable {
            oid,
            estimated_rows: 0,
            entry: TableEntry {
                schema: "public".into(),
                name: name.into(),
                role,
                columns: Vec::new(),
                primary_key: Vec::new(),
                rows: 0,
                parts: Vec::new(),
                sequences: Vec::new(),
                rows_digest: None,
            },
        }
    }

    #[test]
    fn referenced_tables_come_first_and_cycles_end() {
        let tables = vec![
            table(1, "a_messages", TableRole::Project),
            table(2, "b_threads", TableRole::Project),
            table(3, "users", TableRole::Auth),
            table(4, "x", TableRole::Project),
            table(5, "y", TableRole::Project),
        ];
        let mut depends = BTreeMap::new();
        depends.insert(1, BTreeSet::from([2, 3]));
        depends.insert(2, BTreeSet::from([3]));
        depends.insert(4, BTreeSet::from([5]));
        depends.insert(5, BTreeSet::from([4]));
        let names: Vec<String> = topological(tables, &depends)
            .into_iter()
            .map(|t| t.entry.name)
            .collect();
        assert_eq!(names, ["users", "b_threads", "a_messages", "x", "y"]);
    }
}
