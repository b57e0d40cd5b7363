//! Renames declared with `renamed_from`, followed through every object that names the old name.

use super::*;

/// `existing` as the declared renames leave it. Postgres follows a rename everywhere: foreign keys
/// point at the new table and column names, constraints and indexes cover the renamed columns, but
/// their names stay (`people_pkey` on a table renamed to `persons`, `teams_code_key` on a column
/// renamed to `slug`). So constraints and indexes are compared as renamed, and those that then
/// differ from a desired one only by name are renamed rather than dropped and built again.
pub(super) fn follow_renames(
    wanted: &Table,
    existing: &Table,
    renamed_tables: &BTreeMap<&str, &str>,
    renamed_columns: &BTreeMap<(String, String), String>,
    out: &mut Diff,
) -> Table {
    let mut table = existing.clone();
    for fk in &mut table.foreign_keys {
        if let Some(new) = renamed_tables.get(fk.ref_table.as_str()) {
            fk.ref_table = new.to_string();
        }
        for column in &mut fk.ref_columns {
            if let Some(new) = renamed_columns.get(&(fk.ref_table.clone(), column.clone())) {
                *column = new.clone();
            }
        }
    }
    let own: Vec<(&str, &str)> = renamed_columns
        .iter()
        .filter(|((t, _), _)| *t == wanted.name)
        .map(|((_, old), new)| (old.as_str(), new.as_str()))
        .collect();
    if existing.name == wanted.name && own.is_empty() {
        return table;
    }
    let rename_all = |columns: &mut Vec<String>| {
        for column in columns {
            if let Some((_, new)) = own.iter().find(|(old, _)| old == column) {
                *column = new.to_string();
            }
        }
    };
    if !own.is_empty() {
        if let Some(key) = &mut table.primary_key {
            rename_all(&mut key.columns);
        }
        for key in &mut table.uniques {
            rename_all(&mut key.columns);
        }
        for fk in &mut table.foreign_keys {
            rename_all(&mut fk.columns);
        }
        for check in &mut table.checks {
            check.definition = rename_identifiers(&check.definition, &own);
        }
        for index in &mut table.indexes {
            for column in &mut index.columns {
                if let Some((_, new)) = own.iter().find(|(old, _)| *old == column.column) {
                    column.column = new.to_string();
                }
            }
            rename_all(&mut index.include);
            index.predicate = index
                .predicate
                .as_deref()
                .map(|p| rename_identifiers(p, &own));
            index.definition = rename_identifiers(&index.definition, &own);
        }
    }
    table.name = wanted.name.clone();
    let name = &wanted.name;
    let mut rename_constraint = |from: &mut String, to: &str| {
        out.changes.push(Change::RenameConstraint {
            table: name.clone(),
            from: from.clone(),
            to: to.to_string(),
        });
        *from = to.to_string();
    };
    if let (Some(old), Some(new)) = (&mut table.primary_key, &wanted.primary_key)
        && old.name != new.name
        && old.columns == new.columns
    {
        rename_constraint(&mut old.name, &new.name);
    }
    rename_by_content(
        &mut table.uniques,
        &wanted.uniques,
        |k| &mut k.name,
        &mut rename_constraint,
    );
    rename_by_content(
        &mut table.checks,
        &wanted.checks,
        |c| &mut c.name,
        &mut rename_constraint,
    );
    rename_by_content(
        &mut table.foreign_keys,
        &wanted.foreign_keys,
        |f| &mut f.name,
        &mut rename_constraint,
    );
    if existing.name != *name {
        for index in &mut table.indexes {
            index.definition = index_on_table(&index.definition, &existing.name, name);
        }
    }
    let mut rename_index = |from: &mut String, to: &str| {
        out.changes.push(Change::RenameIndex {
            table: name.clone(),
            from: from.clone(),
            to: to.to_string(),
        });
        *from = to.to_string();
    };
    rename_by_content(
        &mut table.indexes,
        &wanted.indexes,
        |i| &mut i.name,
        &mut rename_index,
    );
    table
}

/// Renames each existing object that has no desired namesake to the desired object without an
/// existing namesake that it equals apart from the name.
pub(super) fn rename_by_content<T: Clone + PartialEq>(
    existing: &mut [T],
    wanted: &[T],
    name: impl Fn(&mut T) -> &mut String,
    rename: &mut dyn FnMut(&mut String, &str),
) {
    let name_of = |item: &T| name(&mut item.clone()).clone();
    let existing_names: BTreeSet<String> = existing.iter().map(name_of).collect();
    let wanted_names: BTreeSet<String> = wanted.iter().map(name_of).collect();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    for old in existing.iter_mut() {
        if wanted_names.contains(&name_of(old)) {
            continue;
        }
        let found = wanted.iter().find(|new| {
            let new_name = name_of(new);
            if existing_names.contains(&new_name) || taken.contains(&new_name) {
                return false;
            }
            let mut renamed = old.clone();
            *name(&mut renamed) = new_name;
            renamed == **new
        });
        if let Some(new) = found {
            let new_name = name_of(new);
            taken.insert(new_name.clone());
            rename(name(old), &new_name);
        }
    }
}

/// A name as the catalog functions print it: bare when it is a plain lower-case name, else quoted.
/// (They also quote keywords; a keyword spelled bare here only makes a comparison fail, which
/// rebuilds the object rather than renaming it.)
pub(super) fn spell(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        crate::quote::ident(name)
    }
}

/// A catalog expression with column references renamed (`old` → `new`). String literals and type
/// names after `::` are left alone.
pub(super) fn rename_identifiers(sql: &str, renames: &[(&str, &str)]) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let name = if c == '\'' {
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
            out.extend(&chars[start..i]);
            continue;
        } else if c == '"' {
            let mut name = String::new();
            i += 1;
            while i < chars.len() {
                if chars[i] == '"' {
                    if chars.get(i + 1) == Some(&'"') {
                        name.push('"');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                name.push(chars[i]);
                i += 1;
            }
            name
        } else if c.is_alphabetic() || c == '_' {
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            chars[start..i].iter().collect()
        } else {
            out.push(c);
            i += 1;
            continue;
        };
        match renames.iter().find(|(old, _)| *old == name) {
            Some((_, new)) if !out.ends_with("::") => out.push_str(&spell(new)),
            _ => out.extend(&chars[start..i]),
        }
    }
    out
}

/// A masked index definition (`CREATE INDEX ON people USING ...`) with its table renamed, the table
/// spelled as `pg_get_indexdef` spells it.
pub(super) fn index_on_table(definition: &str, from: &str, to: &str) -> String {
    for prefix in ["CREATE INDEX ON ", "CREATE UNIQUE INDEX ON "] {
        for from_spelling in [spell(from), format!("\"{}\"", from.replace('"', "\"\""))] {
            let head = format!("{prefix}{from_spelling} USING ");
            if let Some(rest) = definition.strip_prefix(&head) {
                return format!("{prefix}{} USING {rest}", spell(to));
            }
        }
    }
    definition.to_string()
}
