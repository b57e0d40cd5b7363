//! Enums: values added in place, otherwise the type replaced and its users rebuilt.

use super::*;

/// A replaced enum converts only columns that survive the plan: a column the same plan drops is
/// gone by the time the type changes. A table is dropped last, after the old type: its columns are
/// made text meanwhile (their values may not be values of the new type).
pub(super) fn enum_uses_after_drops(out: &mut Diff) {
    let mut dropped_tables = BTreeSet::new();
    let mut dropped_columns = BTreeSet::new();
    for change in &out.changes {
        match change {
            Change::DropTable { name } => {
                dropped_tables.insert(name.clone());
            }
            Change::DropColumn { table, column } => {
                dropped_columns.insert((table.clone(), column.clone()));
            }
            _ => {}
        }
    }
    for change in &mut out.changes {
        if let Change::ReplaceEnum { columns, .. } = change {
            columns.retain(|u| !dropped_columns.contains(&(u.table.clone(), u.column.clone())));
            for usage in columns.iter_mut() {
                usage.dropped = dropped_tables.contains(&usage.table);
            }
        }
    }
}

/// A replaced enum's columns are converted after the renames (phases run renames first): name
/// them as the renames leave them.
pub(super) fn enum_uses_after_renames(out: &mut Diff) {
    let mut tables: BTreeMap<String, String> = BTreeMap::new();
    let mut columns: BTreeMap<(String, String), String> = BTreeMap::new();
    for change in &out.changes {
        match change {
            Change::RenameTable { from, to } => {
                tables.insert(from.clone(), to.clone());
            }
            Change::RenameColumn { table, from, to } => {
                columns.insert((table.clone(), from.clone()), to.clone());
            }
            _ => {}
        }
    }
    for change in &mut out.changes {
        if let Change::ReplaceEnum { columns: uses, .. } = change {
            for usage in uses {
                if let Some(new) = tables.get(&usage.table) {
                    usage.table = new.clone();
                }
                if let Some(new) = columns.get(&(usage.table.clone(), usage.column.clone())) {
                    usage.column = new.clone();
                }
            }
        }
    }
}

/// Indexes and checks whose expressions name a replaced enum (`status = 'published'::status`) stop the
/// column's type change (`operator does not exist: status = status__appctl_old`): they are dropped
/// before the replacement and created again after it (the plan's phases put them there).
pub(super) fn rebuild_enum_dependents(desired: &Database, actual: &Database, out: &mut Diff) {
    let replaced: Vec<String> = out
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::ReplaceEnum { from, .. } => Some(from.name.clone()),
            _ => None,
        })
        .collect();
    if replaced.is_empty() {
        return;
    }
    let mentions = |sql: &str| replaced.iter().any(|name| mentions_type(sql, name));
    let mut rebuilt = Vec::new();
    for (name, existing) in &actual.tables {
        let Some(wanted) = desired.tables.get(name) else {
            continue;
        };
        for index in existing.indexes.iter().filter(|i| mentions(&i.definition)) {
            let already = out.changes.iter().any(|c| {
                matches!(c, Change::DropIndex { table, name: n } if table == name && *n == index.name)
            });
            if let (false, Some(new)) = (already, wanted.index(&index.name)) {
                rebuilt.push(Change::DropIndex {
                    table: name.clone(),
                    name: index.name.clone(),
                });
                rebuilt.push(Change::CreateIndex {
                    table: name.clone(),
                    index: new.clone(),
                });
            }
        }
        for check in existing.checks.iter().filter(|c| mentions(&c.definition)) {
            let already = out.changes.iter().any(|c| {
                matches!(c, Change::DropConstraint { table, name: n, .. } if table == name && *n == check.name)
            });
            let new = wanted.checks.iter().find(|c| c.name == check.name);
            if let (false, Some(new)) = (already, new) {
                rebuilt.push(Change::DropConstraint {
                    table: name.clone(),
                    name: check.name.clone(),
                    what: "check constraint".into(),
                });
                rebuilt.push(Change::AddCheck {
                    table: name.clone(),
                    check: new.clone(),
                });
            }
        }
    }
    out.changes.extend(rebuilt);
}

/// Whether a catalog expression casts to type `name` (`::status`, `::"Mood"`, `::status[]`).
pub(super) fn mentions_type(sql: &str, name: &str) -> bool {
    [name.to_string(), crate::quote::ident(name)]
        .iter()
        .any(|spelling| {
            let needle = format!("::{spelling}");
            sql.match_indices(&needle).any(|(at, _)| {
                sql[at + needle.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '$'))
            })
        })
}

pub(super) fn diff_enums(desired: &Database, actual: &Database, out: &mut Diff) {
    for (name, wanted) in &desired.enums {
        match actual.enums.get(name) {
            None => out.changes.push(Change::CreateEnum {
                r#enum: wanted.clone(),
            }),
            Some(existing) if existing.values == wanted.values => {}
            Some(existing) => match added_values(&existing.values, &wanted.values) {
                Some(additions) => {
                    for (value, before) in additions {
                        out.changes.push(Change::AddEnumValue {
                            r#enum: name.clone(),
                            value,
                            before,
                        });
                    }
                }
                None => out.changes.push(Change::ReplaceEnum {
                    from: existing.clone(),
                    to: wanted.clone(),
                    columns: enum_uses(desired, actual, name),
                }),
            },
        }
    }
    for name in actual.enums.keys() {
        if desired.enums.contains_key(name) {
            continue;
        }
        let object = ObjectRef::Enum(name.clone());
        if is_managed(actual, &object) {
            out.changes.push(Change::DropEnum { name: name.clone() });
        } else {
            out.unmanaged.push(object);
        }
    }
}

/// When `wanted` is `existing` with values inserted (existing ones kept, in the same order), the new
/// values with the existing value each goes before (`None`: appended). Otherwise `None`.
pub(super) fn added_values(
    existing: &[String],
    wanted: &[String],
) -> Option<Vec<(String, Option<String>)>> {
    let kept: Vec<&String> = wanted.iter().filter(|v| existing.contains(v)).collect();
    if kept.len() != existing.len() || kept.iter().zip(existing).any(|(a, b)| *a != b) {
        return None;
    }
    let mut additions = Vec::new();
    for (i, value) in wanted.iter().enumerate() {
        if existing.contains(value) {
            continue;
        }
        let before = wanted[i + 1..]
            .iter()
            .find(|v| existing.contains(v))
            .cloned();
        additions.push((value.clone(), before));
    }
    // Values are added one by one; inserting each before the next existing value keeps their order
    // only if we add later ones first when they share an anchor. Postgres places each new value
    // immediately before its anchor, so adding in file order yields file order.
    Some(additions)
}

pub(super) fn enum_uses(desired: &Database, actual: &Database, enum_name: &str) -> Vec<EnumUse> {
    // `format_type` prints the name bare or quoted, as it needs.
    let quoted = crate::quote::ident(enum_name);
    let is_type = |ty: &str| ty == enum_name || ty == quoted;
    let is_array = |ty: &str| ty.strip_suffix("[]").is_some_and(is_type);
    actual
        .tables
        .values()
        .flat_map(|table| {
            table
                .columns
                .iter()
                .filter(|&column| is_type(&column.data_type) || is_array(&column.data_type))
                .map(|column| {
                    // The desired column, under its new names when the file renames them.
                    let wanted = desired.tables.values().find(|t| {
                        t.name == table.name || t.renamed_from.as_ref() == Some(&table.name)
                    });
                    let wanted = wanted.and_then(|t| {
                        t.columns.iter().find(|c| {
                            c.name == column.name || c.renamed_from.as_ref() == Some(&column.name)
                        })
                    });
                    let kept = wanted.is_some_and(|wanted| wanted.default == column.default);
                    EnumUse {
                        table: table.name.clone(),
                        column: column.name.clone(),
                        array: is_array(&column.data_type),
                        default: column.default.clone().filter(|_| kept),
                        drop_default: column.default.is_some(),
                        // Set by `enum_uses_after_drops`.
                        dropped: false,
                    }
                })
        })
        .collect()
}
