//! Tables: created, dropped, and compared part by part.

use super::columns::diff_columns;
use super::grants::diff_grants;
use super::indexes::diff_indexes;
use super::renames::follow_renames;
use super::*;

pub(super) fn diff_tables(desired: &Database, actual: &Database, out: &mut Diff) {
    // Tables the desired state renames: (old name → new name), when the old one still exists.
    let mut renamed_from: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, table) in &desired.tables {
        if let Some(old) = &table.renamed_from
            && !actual.tables.contains_key(name)
            && actual.tables.contains_key(old)
        {
            renamed_from.insert(old.as_str(), name.as_str());
        }
    }
    let existing_of = |name: &String, wanted: &Table| match actual.tables.get(name) {
        Some(existing) => Some(existing),
        None => wanted
            .renamed_from
            .as_deref()
            .filter(|old| renamed_from.contains_key(old))
            .and_then(|old| actual.tables.get(old)),
    };
    // Columns the desired state renames: (table's new name, old column) → new column.
    let mut renamed_columns: BTreeMap<(String, String), String> = BTreeMap::new();
    for (name, wanted) in &desired.tables {
        let Some(existing) = existing_of(name, wanted) else {
            continue;
        };
        for column in &wanted.columns {
            if let Some(old) = &column.renamed_from
                && existing.column(&column.name).is_none()
                && wanted.column(old).is_none()
                && existing.column(old).is_some()
            {
                renamed_columns.insert((name.clone(), old.clone()), column.name.clone());
            }
        }
    }
    for (name, wanted) in &desired.tables {
        let existing = existing_of(name, wanted);
        match existing {
            None => create_table(wanted, &actual.roles, out),
            Some(existing) => {
                if existing.name != *name {
                    out.changes.push(Change::RenameTable {
                        from: existing.name.clone(),
                        to: name.clone(),
                    });
                }
                let existing =
                    follow_renames(wanted, existing, &renamed_from, &renamed_columns, out);
                diff_table(wanted, &existing, out);
            }
        }
    }
    for name in actual.tables.keys() {
        if desired.tables.contains_key(name) || renamed_from.contains_key(name.as_str()) {
            continue;
        }
        let object = ObjectRef::Table(name.clone());
        if is_managed(actual, &object) {
            // Its foreign keys go first (with the other constraint drops), so tables that reference
            // each other, or a column another dropped table references, can be dropped in any order.
            for fk in &actual.tables[name].foreign_keys {
                out.changes.push(Change::DropConstraint {
                    table: name.clone(),
                    name: fk.name.clone(),
                    what: "foreign key".into(),
                });
            }
            out.changes.push(Change::DropTable { name: name.clone() });
        } else {
            out.unmanaged.push(object);
        }
    }
}

/// A new table: the table itself, then everything that is its own change.
pub(super) fn create_table(table: &Table, roles: &BTreeSet<String>, out: &mut Diff) {
    let name = &table.name;
    out.changes.push(Change::CreateTable {
        table: table.clone(),
        revoke_from: roles.iter().cloned().collect(),
    });
    for foreign_key in &table.foreign_keys {
        out.changes.push(Change::AddForeignKey {
            table: name.clone(),
            foreign_key: foreign_key.clone(),
        });
    }
    for index in &table.indexes {
        out.changes.push(Change::CreateIndex {
            table: name.clone(),
            index: index.clone(),
        });
    }
    if table.comment.is_some() {
        out.changes.push(Change::SetTableComment {
            table: name.clone(),
            comment: table.comment.clone(),
        });
    }
    for column in &table.columns {
        if column.comment.is_some() {
            out.changes.push(Change::SetColumnComment {
                table: name.clone(),
                column: column.name.clone(),
                comment: column.comment.clone(),
            });
        }
    }
    if table.rls_enabled {
        out.changes.push(Change::EnableRls {
            table: name.clone(),
        });
    }
    for policy in &table.policies {
        out.changes.push(Change::CreatePolicy {
            table: name.clone(),
            policy: policy.clone(),
        });
    }
    diff_grants(name, &table.grants, &BTreeMap::new(), out);
}

/// Two versions of one table (`existing` may still have its old name).
pub(super) fn diff_table(wanted: &Table, existing: &Table, out: &mut Diff) {
    let table = &wanted.name;
    diff_columns(wanted, existing, out);

    // Constraints: by name; a changed one is dropped and added again.
    let same_key = |a: &Option<KeyConstraint>, b: &Option<KeyConstraint>| a == b;
    if !same_key(&wanted.primary_key, &existing.primary_key) {
        if let Some(old) = &existing.primary_key {
            out.changes.push(Change::DropConstraint {
                table: table.clone(),
                name: old.name.clone(),
                what: "primary key".into(),
            });
        }
        if let Some(new) = &wanted.primary_key {
            out.changes.push(Change::AddPrimaryKey {
                table: table.clone(),
                key: new.clone(),
            });
        }
    }
    diff_named(
        &wanted.uniques,
        &existing.uniques,
        |k| &k.name,
        |k| Change::AddUnique {
            table: table.clone(),
            key: k.clone(),
        },
        |k| Change::DropConstraint {
            table: table.clone(),
            name: k.name.clone(),
            what: "unique constraint".into(),
        },
        out,
    );
    diff_named(
        &wanted.checks,
        &existing.checks,
        |c| &c.name,
        |c| Change::AddCheck {
            table: table.clone(),
            check: c.clone(),
        },
        |c| Change::DropConstraint {
            table: table.clone(),
            name: c.name.clone(),
            what: "check constraint".into(),
        },
        out,
    );
    diff_named(
        &wanted.foreign_keys,
        &existing.foreign_keys,
        |f| &f.name,
        |f| Change::AddForeignKey {
            table: table.clone(),
            foreign_key: f.clone(),
        },
        |f| Change::DropConstraint {
            table: table.clone(),
            name: f.name.clone(),
            what: "foreign key".into(),
        },
        out,
    );
    diff_indexes(wanted, existing, out);

    if wanted.comment != existing.comment {
        out.changes.push(Change::SetTableComment {
            table: table.clone(),
            comment: wanted.comment.clone(),
        });
    }
    match (wanted.rls_enabled, existing.rls_enabled) {
        (true, false) => out.changes.push(Change::EnableRls {
            table: table.clone(),
        }),
        (false, true) => out.changes.push(Change::DisableRls {
            table: table.clone(),
        }),
        _ => {}
    }
    diff_named(
        &wanted.policies,
        &existing.policies,
        |p| &p.name,
        |p| Change::CreatePolicy {
            table: table.clone(),
            policy: p.clone(),
        },
        |p| Change::DropPolicy {
            table: table.clone(),
            name: p.name.clone(),
        },
        out,
    );
    diff_grants(table, &wanted.grants, &existing.grants, out);
}
