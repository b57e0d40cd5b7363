//! SQL text for each [`Change`]. Pure.
//!
//! Every identifier is quoted. Objects are qualified with the target schema; types and expressions are
//! written as the catalog spells them and resolve through the search path the apply step sets
//! (`<schema>, public`), the same one inspection uses, so what is created reads back identically.

use crate::diff::Change;
use crate::model::{Column, ForeignKey, Identity, Index, KeyConstraint, Policy, Privilege, Table};
use crate::quote::{ident, literal, qualified};

fn ident_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statements of one change, in order. A change is usually one statement; a type replacement or
/// a type change with a default takes several.
pub fn statements(change: &Change, schema: &str, online: bool) -> Vec<String> {
    let table_ref = |table: &str| qualified(schema, table);
    match change {
        Change::CreateExtension { name } => {
            vec![format!("CREATE EXTENSION IF NOT EXISTS {}", ident(name))]
        }
        Change::DropExtension { name } => vec![format!("DROP EXTENSION IF EXISTS {}", ident(name))],
        Change::CreateEnum { r#enum } => vec![format!(
            "CREATE TYPE {} AS ENUM ({})",
            qualified(schema, &r#enum.name),
            r#enum
                .values
                .iter()
                .map(|v| literal(v))
                .collect::<Vec<_>>()
                .join(", ")
        )],
        Change::AddEnumValue {
            r#enum,
            value,
            before,
        } => {
            let position = match before {
                Some(before) => format!(" BEFORE {}", literal(before)),
                None => String::new(),
            };
            vec![format!(
                "ALTER TYPE {} ADD VALUE {}{position}",
                qualified(schema, r#enum),
                literal(value)
            )]
        }
        Change::ReplaceEnum { from, to, columns } => {
            let old_name = format!("{}__appctl_old", from.name);
            let mut sql = vec![format!(
                "ALTER TYPE {} RENAME TO {}",
                qualified(schema, &from.name),
                ident(&old_name)
            )];
            sql.extend(statements(
                &Change::CreateEnum { r#enum: to.clone() },
                schema,
                online,
            ));
            for usage in columns {
                let column = ident(&usage.column);
                let array = if usage.array { "[]" } else { "" };
                if usage.default.is_some() {
                    sql.push(format!(
                        "ALTER TABLE {} ALTER COLUMN {column} DROP DEFAULT",
                        table_ref(&usage.table)
                    ));
                }
                sql.push(format!(
                    "ALTER TABLE {} ALTER COLUMN {column} TYPE {ty}{array} USING {column}::text{array}::{ty}{array}",
                    table_ref(&usage.table),
                    ty = qualified(schema, &to.name),
                ));
                if let Some(default) = &usage.default {
                    sql.push(format!(
                        "ALTER TABLE {} ALTER COLUMN {column} SET DEFAULT {default}",
                        table_ref(&usage.table)
                    ));
                }
            }
            sql.push(format!("DROP TYPE {}", qualified(schema, &old_name)));
            sql
        }
        Change::DropEnum { name } => {
            vec![format!("DROP TYPE IF EXISTS {}", qualified(schema, name))]
        }
        Change::CreateTable { table, revoke_from } => {
            let mut sql = vec![create_table(schema, table)];
            if !revoke_from.is_empty() {
                let roles: Vec<String> = revoke_from.iter().map(|r| ident(r)).collect();
                sql.push(format!(
                    "REVOKE ALL ON {} FROM {}",
                    table_ref(&table.name),
                    roles.join(", ")
                ));
            }
            sql
        }
        Change::RenameTable { from, to } => vec![format!(
            "ALTER TABLE {} RENAME TO {}",
            table_ref(from),
            ident(to)
        )],
        Change::DropTable { name } => vec![format!("DROP TABLE IF EXISTS {}", table_ref(name))],
        Change::AddColumn { table, column } => vec![format!(
            "ALTER TABLE {} ADD COLUMN {}",
            table_ref(table),
            column_definition(column)
        )],
        Change::RenameColumn { table, from, to } => vec![format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {}",
            table_ref(table),
            ident(from),
            ident(to)
        )],
        Change::DropColumn { table, column } => vec![format!(
            "ALTER TABLE {} DROP COLUMN IF EXISTS {}",
            table_ref(table),
            ident(column)
        )],
        Change::AlterColumnType {
            table,
            column,
            to,
            drop_default,
            ..
        } => {
            let mut sql = Vec::new();
            if *drop_default {
                sql.push(format!(
                    "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT",
                    table_ref(table),
                    ident(column)
                ));
            }
            sql.push(format!(
                "ALTER TABLE {} ALTER COLUMN {c} TYPE {to} USING {c}::{to}",
                table_ref(table),
                c = ident(column),
            ));
            sql
        }
        Change::SetNotNull { table, column } => vec![format!(
            "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL",
            table_ref(table),
            ident(column)
        )],
        Change::DropNotNull { table, column } => vec![format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL",
            table_ref(table),
            ident(column)
        )],
        Change::SetDefault {
            table,
            column,
            default,
        } => vec![format!(
            "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {default}",
            table_ref(table),
            ident(column)
        )],
        Change::DropDefault { table, column } => vec![format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT",
            table_ref(table),
            ident(column)
        )],
        Change::AddIdentity {
            table,
            column,
            identity,
        } => vec![
            format!(
                "ALTER TABLE {} ALTER COLUMN {} ADD {}",
                table_ref(table),
                ident(column),
                identity_clause(*identity)
            ),
            // The new sequence starts at 1: move it past the values the column already holds, or the
            // next insert collides with an existing row.
            format!(
                "SELECT setval(pg_get_serial_sequence({}, {}), max({c})) FROM {} HAVING max({c}) IS NOT NULL",
                literal(&table_ref(table)),
                literal(column),
                table_ref(table),
                c = ident(column),
            ),
        ],
        Change::SetIdentity {
            table,
            column,
            identity,
        } => vec![format!(
            "ALTER TABLE {} ALTER COLUMN {} SET GENERATED {}",
            table_ref(table),
            ident(column),
            match identity {
                Identity::Always => "ALWAYS",
                Identity::ByDefault => "BY DEFAULT",
            }
        )],
        Change::DropIdentity { table, column } => vec![format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP IDENTITY IF EXISTS",
            table_ref(table),
            ident(column)
        )],
        Change::AddPrimaryKey { table, key } => vec![format!(
            "ALTER TABLE {} ADD {}",
            table_ref(table),
            key_clause(key, "PRIMARY KEY")
        )],
        Change::AddUnique { table, key } => vec![format!(
            "ALTER TABLE {} ADD {}",
            table_ref(table),
            key_clause(key, "UNIQUE")
        )],
        Change::AddCheck { table, check } => vec![format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {}",
            table_ref(table),
            ident(&check.name),
            check.definition
        )],
        Change::AddForeignKey { table, foreign_key } => vec![format!(
            "ALTER TABLE {} ADD {}",
            table_ref(table),
            foreign_key_clause(foreign_key)
        )],
        Change::DropConstraint { table, name, .. } => vec![format!(
            "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
            table_ref(table),
            ident(name)
        )],
        Change::CreateIndex { table, index } => {
            vec![create_index(schema, table, index, online && index.online)]
        }
        Change::RenameConstraint { table, from, to } => vec![format!(
            "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
            table_ref(table),
            ident(from),
            ident(to)
        )],
        Change::RenameIndex { from, to, .. } => vec![format!(
            "ALTER INDEX {} RENAME TO {}",
            qualified(schema, from),
            ident(to)
        )],
        Change::DropIndex { name, .. } => {
            vec![format!("DROP INDEX IF EXISTS {}", qualified(schema, name))]
        }
        Change::SetTableComment { table, comment } => vec![format!(
            "COMMENT ON TABLE {} IS {}",
            table_ref(table),
            comment.as_deref().map_or("NULL".to_string(), literal)
        )],
        Change::SetColumnComment {
            table,
            column,
            comment,
        } => vec![format!(
            "COMMENT ON COLUMN {}.{} IS {}",
            table_ref(table),
            ident(column),
            comment.as_deref().map_or("NULL".to_string(), literal)
        )],
        Change::EnableRls { table } => vec![format!(
            "ALTER TABLE {} ENABLE ROW LEVEL SECURITY",
            table_ref(table)
        )],
        Change::DisableRls { table } => vec![format!(
            "ALTER TABLE {} DISABLE ROW LEVEL SECURITY",
            table_ref(table)
        )],
        Change::CreatePolicy { table, policy } => vec![create_policy(schema, table, policy)],
        Change::DropPolicy { table, name } => vec![format!(
            "DROP POLICY IF EXISTS {} ON {}",
            ident(name),
            table_ref(table)
        )],
        Change::Grant {
            table,
            role,
            privileges,
        } => vec![format!(
            "GRANT {} ON {} TO {}",
            privilege_list(privileges),
            table_ref(table),
            ident(role)
        )],
        Change::Revoke {
            table,
            role,
            privileges,
        } => vec![format!(
            "REVOKE {} ON {} FROM {}",
            privilege_list(privileges),
            table_ref(table),
            ident(role)
        )],
        Change::CreateBucket { bucket } => vec![format!(
            "INSERT INTO \"storage\".\"buckets\" (\"id\", \"name\", \"public\", \"file_size_limit\", \"allowed_mime_types\") VALUES ({id}, {id}, {}, {}, {})",
            bucket.public,
            size_limit(bucket),
            mime_types(bucket),
            id = literal(&bucket.id),
        )],
        Change::UpdateBucket { to, .. } => vec![format!(
            "UPDATE \"storage\".\"buckets\" SET \"public\" = {}, \"file_size_limit\" = {}, \"allowed_mime_types\" = {} WHERE \"id\" = {}",
            to.public,
            size_limit(to),
            mime_types(to),
            literal(&to.id),
        )],
        Change::DeleteBucket { id } => vec![format!(
            "DELETE FROM \"storage\".\"buckets\" WHERE \"id\" = {}",
            literal(id)
        )],
        Change::CreateStoragePolicy { policy } => vec![create_policy("storage", "objects", policy)],
        Change::CreateFunction { name, function }
        | Change::ChangeFunction {
            name, to: function, ..
        } => vec![record_function(schema, name, function)],
        Change::RemoveFunction { name } => vec![format!(
            "DELETE FROM \"appctl\".\"functions\" WHERE \"schema_name\" = {} AND \"name\" = {}",
            literal(schema),
            literal(name)
        )],
        Change::DropStoragePolicy { name } => vec![format!(
            "DROP POLICY IF EXISTS {} ON \"storage\".\"objects\"",
            ident(name)
        )],
    }
}

fn size_limit(bucket: &crate::model::Bucket) -> String {
    bucket
        .file_size_limit
        .map_or("NULL".to_string(), |bytes| bytes.to_string())
}

fn mime_types(bucket: &crate::model::Bucket) -> String {
    if bucket.allowed_mime_types.is_empty() {
        "NULL".to_string()
    } else {
        let list: Vec<String> = bucket
            .allowed_mime_types
            .iter()
            .map(|m| literal(m))
            .collect();
        format!("ARRAY[{}]::text[]", list.join(", "))
    }
}

fn privilege_list(privileges: &std::collections::BTreeSet<Privilege>) -> String {
    privileges
        .iter()
        .map(|p| p.sql())
        .collect::<Vec<_>>()
        .join(", ")
}

fn identity_clause(identity: Identity) -> &'static str {
    match identity {
        Identity::Always => "GENERATED ALWAYS AS IDENTITY",
        Identity::ByDefault => "GENERATED BY DEFAULT AS IDENTITY",
    }
}

/// `"name" type [GENERATED ...] [DEFAULT ...] [NOT NULL]`.
pub fn column_definition(column: &Column) -> String {
    let mut sql = format!("{} {}", ident(&column.name), column.data_type);
    if let Some(identity) = column.identity {
        sql.push(' ');
        sql.push_str(identity_clause(identity));
    } else if let Some(expression) = &column.generated {
        sql.push_str(&format!(" GENERATED ALWAYS AS ({expression}) STORED"));
    } else if let Some(default) = &column.default {
        sql.push_str(&format!(" DEFAULT {default}"));
    }
    if !column.nullable {
        sql.push_str(" NOT NULL");
    }
    sql
}

fn key_clause(key: &KeyConstraint, kind: &str) -> String {
    format!(
        "CONSTRAINT {} {kind} ({})",
        ident(&key.name),
        ident_list(&key.columns)
    )
}

fn foreign_key_clause(fk: &ForeignKey) -> String {
    format!(
        "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {} ON UPDATE {}",
        ident(&fk.name),
        ident_list(&fk.columns),
        qualified(&fk.ref_schema, &fk.ref_table),
        ident_list(&fk.ref_columns),
        fk.on_delete.sql(),
        fk.on_update.sql()
    )
}

/// CREATE TABLE with columns, primary key, unique and check constraints (foreign keys come later, so
/// tables can reference each other in any order, cycles included).
pub fn create_table(schema: &str, table: &Table) -> String {
    let mut parts: Vec<String> = table.columns.iter().map(column_definition).collect();
    if let Some(key) = &table.primary_key {
        parts.push(key_clause(key, "PRIMARY KEY"));
    }
    for key in &table.uniques {
        parts.push(key_clause(key, "UNIQUE"));
    }
    for check in &table.checks {
        parts.push(format!(
            "CONSTRAINT {} {}",
            ident(&check.name),
            check.definition
        ));
    }
    format!(
        "CREATE TABLE {} (\n  {}\n)",
        qualified(schema, &table.name),
        parts.join(",\n  ")
    )
}

pub fn create_index(schema: &str, table: &str, index: &Index, concurrently: bool) -> String {
    let columns: Vec<String> = index
        .columns
        .iter()
        .map(|c| {
            let mut part = ident(&c.column);
            if let Some(opclass) = &c.opclass {
                part.push(' ');
                part.push_str(opclass);
            }
            if c.descending {
                part.push_str(" DESC");
            }
            match c.nulls_first {
                Some(true) => part.push_str(" NULLS FIRST"),
                Some(false) => part.push_str(" NULLS LAST"),
                None => {}
            }
            part
        })
        .collect();
    let mut sql = format!(
        "CREATE {}INDEX {}{} ON {} USING {} ({})",
        if index.unique { "UNIQUE " } else { "" },
        if concurrently { "CONCURRENTLY " } else { "" },
        ident(&index.name),
        qualified(schema, table),
        index.method,
        columns.join(", ")
    );
    if !index.include.is_empty() {
        sql.push_str(&format!(" INCLUDE ({})", ident_list(&index.include)));
    }
    if !index.with.is_empty() {
        let params: Vec<String> = index
            .with
            .iter()
            .map(|(k, v)| format!("{} = {v}", ident(k)))
            .collect();
        sql.push_str(&format!(" WITH ({})", params.join(", ")));
    }
    if let Some(predicate) = &index.predicate {
        sql.push_str(&format!(" WHERE ({predicate})"));
    }
    sql
}

fn create_policy(schema: &str, table: &str, policy: &Policy) -> String {
    let roles: Vec<String> = policy
        .roles
        .iter()
        .map(|r| {
            if r == "public" {
                "PUBLIC".to_string()
            } else {
                ident(r)
            }
        })
        .collect();
    let mut sql = format!(
        "CREATE POLICY {} ON {} AS {} FOR {} TO {}",
        ident(&policy.name),
        qualified(schema, table),
        if policy.permissive {
            "PERMISSIVE"
        } else {
            "RESTRICTIVE"
        },
        policy.command,
        roles.join(", ")
    );
    if let Some(using) = &policy.using {
        sql.push_str(&format!(" USING ({using})"));
    }
    if let Some(check) = &policy.with_check {
        sql.push_str(&format!(" WITH CHECK ({check})"));
    }
    sql
}

/// Upserts a function's record. A version of `None` (not read from the sources) keeps the recorded one.
fn record_function(schema: &str, name: &str, function: &crate::model::Function) -> String {
    let optional = |value: Option<String>| value.unwrap_or_else(|| "NULL".into());
    format!(
        "INSERT INTO \"appctl\".\"functions\" (\"schema_name\", \"name\", \"execute\", \"version\", \"runtime\", \"entrypoint\", \"timeout_ms\", \"memory_bytes\", \"schedule\", \"env_names\") \
         VALUES ({}, {}, {}::jsonb, {}, {}, {}, {}, {}, {}, {}::jsonb) \
         ON CONFLICT (\"schema_name\", \"name\") DO UPDATE SET \"execute\" = EXCLUDED.\"execute\", \"version\" = coalesce(EXCLUDED.\"version\", \"functions\".\"version\"), \"runtime\" = EXCLUDED.\"runtime\", \"entrypoint\" = EXCLUDED.\"entrypoint\", \"timeout_ms\" = EXCLUDED.\"timeout_ms\", \"memory_bytes\" = EXCLUDED.\"memory_bytes\", \"schedule\" = EXCLUDED.\"schedule\", \"env_names\" = EXCLUDED.\"env_names\", \"deployed_at\" = now()",
        literal(schema),
        literal(name),
        literal(&serde_json::to_string(&function.execute).expect("strings serialize")),
        optional(function.version.as_deref().map(literal)),
        literal(&function.runtime),
        literal(&function.entrypoint),
        optional(function.timeout_ms.map(|v| v.to_string())),
        optional(function.memory_bytes.map(|v| v.to_string())),
        optional(function.schedule.as_deref().map(literal)),
        literal(&serde_json::to_string(&function.env).expect("strings serialize")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_every_identifier() {
        assert_eq!(ident("user"), "\"user\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(
            qualified("public", "Émoji table"),
            "\"public\".\"Émoji table\""
        );
        assert_eq!(literal("it's"), "'it''s'");
    }
}
