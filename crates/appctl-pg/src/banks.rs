//! Normalising many tables through a few: "bank" tables in the scratch schema.
//!
//! Creating a table costs the server several milliseconds (catalog rows, a file for the table, its
//! TOAST table and every index, an identity sequence), so normalising a few hundred tables one
//! scratch table each took seconds. But what Postgres re-spells depends on little: a column's type
//! and default on the column alone, a check or an index on the names and types of the columns it
//! names. So tables whose columns of the same name are the same share one scratch "bank" table
//! holding the union of their columns, each distinct check and index once, and a unique index per
//! distinct key (so a key Postgres could not build still fails); each table is then put together
//! from its bank as the inspection of its own scratch copy would have given it.
//!
//! Only tables for which that is exact are banked ([`bankable`]); the others go through the scratch
//! schema as before. Keys, foreign keys, comments and RLS are not re-spelled by the server and come
//! from the desired state; a foreign key the server might refuse or spell otherwise (other types
//! on both sides, no key on the referenced columns) makes [`Banks::unpack`] fail, and the caller
//! then normalises without banks, which gives the server's own error.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use appctl_schema::model::{Check, Column, Database, ForeignKey, Index, IndexColumn, Table};

/// Columns of one bank table at most (Postgres allows 1600).
const MAX_COLUMNS: usize = 400;
/// Postgres truncates longer identifiers: such names are left to the server.
const NAME_LIMIT: usize = 63;
const PREFIX: &str = "appctl_bank_";

/// Which desired tables go to which bank, and the banks' definitions.
#[derive(Debug, Default)]
pub(crate) struct Banks {
    banks: Vec<Bank>,
    /// Desired table → (bank number, its checks and indexes: bank name → own name).
    members: BTreeMap<String, Member>,
}

#[derive(Debug, Default)]
struct Bank {
    table: Table,
    /// Lower-case names of its columns.
    columns: BTreeSet<String>,
    /// Identifier words of the members' expressions and the columns their keys and indexes name
    /// (lower case). Each one that is a column of the bank is a column of every member naming it.
    words: BTreeSet<String>,
    checks: HashMap<String, String>,
    indexes: HashMap<String, String>,
}

#[derive(Debug)]
struct Member {
    bank: usize,
    checks: Vec<(String, String)>,
    indexes: Vec<(String, String)>,
}

/// The table's columns as the server will hold them: a key's columns are NOT NULL; comments and
/// previous names are not the server's business.
fn effective_columns(table: &Table) -> Vec<Column> {
    let key: Vec<&String> = table
        .primary_key
        .iter()
        .flat_map(|k| k.columns.iter())
        .collect();
    table
        .columns
        .iter()
        .map(|c| Column {
            nullable: c.nullable && !key.contains(&&c.name),
            comment: None,
            renamed_from: None,
            ..c.clone()
        })
        .collect()
}

/// Identifier-like words of SQL text, lower case (quoted identifiers too): a superset of the
/// columns it can name.
fn words(text: &str) -> BTreeSet<String> {
    let mut words = BTreeSet::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            let mut word = String::new();
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        word.push('"');
                        continue;
                    }
                    break;
                }
                word.push(c);
            }
            words.insert(word.to_lowercase());
        } else if c.is_alphanumeric() || c == '_' {
            let mut word = c.to_string();
            while let Some(&c) = chars.peek() {
                if c.is_alphanumeric() || c == '_' || c == '$' {
                    word.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            words.insert(word.to_lowercase());
        }
    }
    words
}

/// Whether `table` can be normalised through a bank exactly: nothing in it refers to anything but
/// its own columns by name (no policies, grants, generated columns or sequences, no expression that
/// names the table itself), its foreign keys stay in `schema`, and no name is one Postgres would
/// truncate.
fn bankable(table: &Table, schema: &str) -> bool {
    let long = |name: &str| name.len() > NAME_LIMIT;
    let table_word = table.name.to_lowercase();
    let mut constraint_names = BTreeSet::new();
    let mut names_unique = true;
    for name in table
        .primary_key
        .iter()
        .chain(&table.uniques)
        .map(|k| &k.name)
        .chain(table.checks.iter().map(|c| &c.name))
        .chain(table.foreign_keys.iter().map(|f| &f.name))
    {
        names_unique &= !long(name) && constraint_names.insert(name.clone());
    }
    let mut column_names = BTreeSet::new();
    // CREATE TABLE drops a UNIQUE on the primary key's columns (or another UNIQUE's): such a table
    // is left to the server.
    let mut keys = BTreeSet::new();
    let keys_distinct = table
        .primary_key
        .iter()
        .chain(&table.uniques)
        .all(|k| keys.insert(k.columns.iter().collect::<BTreeSet<_>>()));
    keys_distinct
        && names_unique
        && table
            .columns
            .iter()
            .all(|c| column_names.insert(c.name.to_lowercase()))
        && !long(&table.name)
        && !table.name.starts_with(PREFIX)
        && table.policies.is_empty()
        && table.grants.is_empty()
        && table.unexpressed.is_empty()
        && table.comment.as_deref() != Some("")
        && table.columns.iter().all(|c| {
            !long(&c.name)
                && c.generated.is_none()
                && c.sequence.is_none()
                && c.comment.as_deref() != Some("")
                && !c
                    .default
                    .as_deref()
                    .is_some_and(|d| d.contains("nextval") || words(d).contains(&table_word))
        })
        && table
            .checks
            .iter()
            .all(|c| !words(&c.definition).contains(&table_word))
        && table.indexes.iter().all(|i| {
            !long(&i.name)
                && !i.online
                && i.predicate
                    .as_deref()
                    .is_none_or(|p| !words(p).contains(&table_word))
        })
        && table
            .foreign_keys
            .iter()
            .all(|f| f.ref_schema == schema && f.columns.len() == f.ref_columns.len())
}

/// Names in the schema's relation namespace (tables, indexes, keys' indexes): a clash among them is
/// an error only the server should report.
fn relation_names(desired: &Database) -> Option<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for table in desired.tables.values() {
        let own = std::iter::once(&table.name)
            .chain(
                table
                    .primary_key
                    .iter()
                    .chain(&table.uniques)
                    .map(|k| &k.name),
            )
            .chain(table.indexes.iter().map(|i| &i.name));
        for name in own {
            if !names.insert(name.clone()) {
                return None;
            }
        }
    }
    Some(names)
}

impl Banks {
    /// The banks for the bankable tables of `desired`; `None` when there are none (or a name clash
    /// is left for the server to report).
    pub(crate) fn pack(desired: &Database) -> Option<Banks> {
        let relations = relation_names(desired)?;
        if relations.iter().any(|n| n.starts_with(PREFIX)) {
            return None;
        }
        let mut banks = Banks::default();
        for table in desired.tables.values() {
            if bankable(table, &desired.schema) {
                banks.add(table);
            }
        }
        (!banks.members.is_empty()).then_some(banks)
    }

    fn add(&mut self, table: &Table) {
        let columns = effective_columns(table);
        let own: BTreeSet<String> = columns.iter().map(|c| c.name.to_lowercase()).collect();
        let mut mentioned = BTreeSet::new();
        for check in &table.checks {
            mentioned.extend(words(&check.definition));
        }
        for index in &table.indexes {
            if let Some(predicate) = &index.predicate {
                mentioned.extend(words(predicate));
            }
            let named = index
                .columns
                .iter()
                .map(|c| &c.column)
                .chain(&index.include);
            mentioned.extend(named.map(|c| c.to_lowercase()));
        }
        for key in table.primary_key.iter().chain(&table.uniques) {
            mentioned.extend(key.columns.iter().map(|c| c.to_lowercase()));
        }
        let fits = |bank: &Bank| {
            let new = own.difference(&bank.columns).count();
            bank.table.columns.len() + new <= MAX_COLUMNS
                // Columns of the same name are the same column.
                && columns.iter().all(|c| {
                    bank.table
                        .columns
                        .iter()
                        .find(|b| b.name.to_lowercase() == c.name.to_lowercase())
                        .is_none_or(|b| b == c)
                })
                // No expression meets a column of the bank its table does not have.
                && mentioned
                    .iter()
                    .all(|w| !bank.columns.contains(w) || own.contains(w))
                // Nor one of the members' expressions a column the bank does not have yet.
                && own
                    .iter()
                    .all(|c| bank.columns.contains(c) || !bank.words.contains(c))
        };
        let number = match self.banks.iter().position(fits) {
            Some(number) => number,
            None => {
                self.banks.push(Bank {
                    table: Table {
                        name: format!("{PREFIX}{}", self.banks.len()),
                        ..Table::default()
                    },
                    ..Bank::default()
                });
                self.banks.len() - 1
            }
        };
        let bank = &mut self.banks[number];
        for column in columns {
            if bank.columns.insert(column.name.to_lowercase()) {
                bank.table.columns.push(column);
            }
        }
        bank.words.extend(mentioned);
        let mut member = Member {
            bank: number,
            checks: Vec::new(),
            indexes: Vec::new(),
        };
        for check in &table.checks {
            let name = match bank.checks.get(&check.definition) {
                Some(name) => name.clone(),
                None => {
                    let name = format!("{}_c{}", bank.table.name, bank.table.checks.len());
                    bank.checks.insert(check.definition.clone(), name.clone());
                    bank.table.checks.push(Check {
                        name: name.clone(),
                        definition: check.definition.clone(),
                    });
                    name
                }
            };
            member.checks.push((name, check.name.clone()));
        }
        let keys = table
            .primary_key
            .iter()
            .chain(&table.uniques)
            .map(|k| Index {
                unique: true,
                method: "btree".into(),
                columns: k
                    .columns
                    .iter()
                    .map(|c| IndexColumn {
                        column: c.clone(),
                        ..IndexColumn::default()
                    })
                    .collect(),
                valid: true,
                ..Index::default()
            });
        let indexes = table
            .indexes
            .iter()
            .map(|i| (Some(&i.name), i.clone()))
            .chain(keys.map(|k| (None, k)));
        for (own_name, index) in indexes {
            let shape = Index {
                name: String::new(),
                definition: String::new(),
                online: false,
                valid: true,
                renamed_from: None,
                ..index
            };
            let shape_key = serde_json::to_string(&shape).expect("an index serializes");
            let name = match bank.indexes.get(&shape_key) {
                Some(name) => name.clone(),
                None => {
                    let name = format!("{}_i{}", bank.table.name, bank.table.indexes.len());
                    bank.indexes.insert(shape_key, name.clone());
                    bank.table.indexes.push(Index {
                        name: name.clone(),
                        ..shape
                    });
                    name
                }
            };
            if let Some(own_name) = own_name {
                member.indexes.push((name, own_name.clone()));
            }
        }
        self.members.insert(table.name.clone(), member);
    }

    /// The real tables' names, to be quoted by the server as `pg_get_indexdef` quotes them.
    pub(crate) fn member_names(&self) -> Vec<String> {
        self.members.keys().cloned().collect()
    }

    /// `copy` (the desired state moved to the scratch schema) with the banked tables replaced by
    /// their banks, and the foreign keys of the others that reference a banked table left out.
    pub(crate) fn apply(&self, copy: &mut Database) {
        copy.tables
            .retain(|name, _| !self.members.contains_key(name));
        let scratch = copy.schema.clone();
        for table in copy.tables.values_mut() {
            table
                .foreign_keys
                .retain(|f| !(f.ref_schema == scratch && self.members.contains_key(&f.ref_table)));
        }
        for bank in &self.banks {
            copy.tables
                .insert(bank.table.name.clone(), bank.table.clone());
        }
    }

    /// Replaces the inspected banks in `normalized` by the tables they stand for, as their own
    /// scratch copies would have been inspected. `quoted`: each member's name as `quote_ident` gives
    /// it. `Err` when the result could differ from the server's: normalise without banks then.
    pub(crate) fn unpack(
        &self,
        desired: &Database,
        normalized: &mut Database,
        quoted: &HashMap<String, String>,
    ) -> Result<(), ()> {
        let mut banks = Vec::with_capacity(self.banks.len());
        for bank in &self.banks {
            banks.push(normalized.tables.remove(&bank.table.name).ok_or(())?);
        }
        for (name, member) in &self.members {
            let wanted = desired.tables.get(name).ok_or(())?;
            let bank = &banks[member.bank];
            let bank_name = &self.banks[member.bank].table.name;
            let mut table = Table {
                name: name.clone(),
                primary_key: wanted.primary_key.clone(),
                uniques: wanted.uniques.clone(),
                foreign_keys: wanted.foreign_keys.clone(),
                comment: wanted.comment.clone(),
                rls_enabled: wanted.rls_enabled,
                grants: bank.grants.clone(),
                ..Table::default()
            };
            for column in &wanted.columns {
                let banked = bank.column(&column.name).ok_or(())?;
                table.columns.push(Column {
                    name: column.name.clone(),
                    comment: column.comment.clone(),
                    renamed_from: None,
                    ..banked.clone()
                });
            }
            for (banked, own) in &member.checks {
                let check = bank.checks.iter().find(|c| &c.name == banked).ok_or(())?;
                table.checks.push(Check {
                    name: own.clone(),
                    definition: check.definition.clone(),
                });
            }
            let real = quoted.get(name).ok_or(())?;
            for (banked, own) in &member.indexes {
                let index = bank.index(banked).ok_or(())?;
                table.indexes.push(Index {
                    name: own.clone(),
                    definition: retarget(&index.definition, bank_name, real).ok_or(())?,
                    ..index.clone()
                });
            }
            table.uniques.sort_by(|a, b| a.name.cmp(&b.name));
            table.checks.sort_by(|a, b| a.name.cmp(&b.name));
            table.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
            table.indexes.sort_by(|a, b| a.name.cmp(&b.name));
            normalized.tables.insert(name.clone(), table);
        }
        // Foreign keys left out of the scratch schema: the others' that reference a banked table.
        for (name, wanted) in &desired.tables {
            if self.members.contains_key(name) {
                continue;
            }
            let Some(table) = normalized.tables.get_mut(name) else {
                continue;
            };
            for fk in &wanted.foreign_keys {
                if fk.ref_schema == desired.schema && self.members.contains_key(&fk.ref_table) {
                    table.foreign_keys.push(fk.clone());
                }
            }
            table.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
        }
        // Every foreign key the scratch schema did not check, checked as the server would (or
        // left to it): same types on both sides, a key on exactly the referenced columns.
        for (name, wanted) in &desired.tables {
            let banked = self.members.contains_key(name);
            for fk in &wanted.foreign_keys {
                if banked
                    || (fk.ref_schema == desired.schema && self.members.contains_key(&fk.ref_table))
                {
                    check_foreign_key(normalized, name, fk)?;
                }
            }
        }
        Ok(())
    }
}

fn check_foreign_key(normalized: &Database, table: &str, fk: &ForeignKey) -> Result<(), ()> {
    let from = normalized.tables.get(table).ok_or(())?;
    let to = normalized.tables.get(&fk.ref_table).ok_or(())?;
    if fk.columns.len() != fk.ref_columns.len() || fk.columns.is_empty() {
        return Err(());
    }
    for (column, referenced) in fk.columns.iter().zip(&fk.ref_columns) {
        let a = from.column(column).ok_or(())?;
        let b = to.column(referenced).ok_or(())?;
        if a.data_type != b.data_type {
            return Err(());
        }
    }
    let wanted: BTreeSet<&String> = fk.ref_columns.iter().collect();
    let keyed = to.primary_key.iter().chain(&to.uniques).any(|k| {
        k.columns.iter().collect::<BTreeSet<_>>() == wanted && k.columns.len() == wanted.len()
    });
    if keyed { Ok(()) } else { Err(()) }
}

/// `CREATE [UNIQUE ]INDEX ON <bank> USING ...` (masked) for the real table.
fn retarget(definition: &str, bank: &str, quoted_table: &str) -> Option<String> {
    for prefix in ["CREATE UNIQUE INDEX ON ", "CREATE INDEX ON "] {
        if let Some(rest) = definition.strip_prefix(prefix) {
            let rest = rest.strip_prefix(bank)?;
            if !rest.starts_with(' ') {
                return None;
            }
            return Some(format!("{prefix}{quoted_table}{rest}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_identifiers_in_lower_case() {
        let w = words(r#"CHECK ((length("Name") > 0) AND price >= 0::numeric AND "a""b" <> x$1)"#);
        for expected in [
            "check", "length", "name", "and", "price", "0", "numeric", "a\"b", "x$1",
        ] {
            assert!(w.contains(expected), "{expected} in {w:?}");
        }
    }

    #[test]
    fn retarget_replaces_only_the_bank() {
        assert_eq!(
            retarget(
                "CREATE INDEX ON appctl_bank_0 USING btree (name)",
                "appctl_bank_0",
                "\"T\""
            ),
            Some("CREATE INDEX ON \"T\" USING btree (name)".into())
        );
        assert_eq!(
            retarget(
                "CREATE UNIQUE INDEX ON appctl_bank_1 USING btree (a)",
                "appctl_bank_1",
                "t"
            ),
            Some("CREATE UNIQUE INDEX ON t USING btree (a)".into())
        );
        assert_eq!(
            retarget(
                "CREATE INDEX ON appctl_bank_10 USING btree (a)",
                "appctl_bank_1",
                "t"
            ),
            None
        );
    }

    fn table(name: &str, columns: &[(&str, &str)], check: Option<&str>) -> Table {
        Table {
            name: name.into(),
            columns: columns
                .iter()
                .map(|(n, t)| Column {
                    name: (*n).into(),
                    data_type: (*t).into(),
                    nullable: true,
                    ..Column::default()
                })
                .collect(),
            checks: check
                .map(|c| Check {
                    name: format!("{name}_check"),
                    definition: c.into(),
                })
                .into_iter()
                .collect(),
            ..Table::default()
        }
    }

    #[test]
    fn tables_share_a_bank_only_when_their_columns_agree() {
        let mut db = Database {
            schema: "public".into(),
            ..Database::default()
        };
        for t in [
            table(
                "a",
                &[("id", "bigint"), ("x", "text")],
                Some("CHECK (length(x) > 0)"),
            ),
            table(
                "b",
                &[("id", "bigint"), ("x", "text")],
                Some("CHECK (length(x) > 0)"),
            ),
            // Same name, another type: a bank of its own.
            table("c", &[("id", "integer")], None),
            // Its check names a column `y` that `d` lacks but `e` would bring: not with e.
            table("d", &[("id", "bigint")], Some("CHECK (y > 0)")),
            table("e", &[("id", "bigint"), ("y", "integer")], None),
        ] {
            db.tables.insert(t.name.clone(), t);
        }
        let banks = Banks::pack(&db).expect("bankable");
        let bank_of = |t: &str| banks.members[t].bank;
        assert_eq!(bank_of("a"), bank_of("b"));
        assert_ne!(bank_of("a"), bank_of("c"));
        assert_ne!(bank_of("d"), bank_of("e"));
        // One check for both a and b (d, in the same bank, brings its own).
        let checks = &banks.banks[bank_of("a")].table.checks;
        let shared = checks
            .iter()
            .filter(|c| c.definition == "CHECK (length(x) > 0)")
            .count();
        assert_eq!(shared, 1, "{checks:?}");
    }

    #[test]
    fn tables_naming_themselves_or_with_policies_are_not_banked() {
        let mut own = table("t", &[("id", "bigint")], Some("CHECK (t IS NOT NULL)"));
        assert!(!bankable(&own, "public"));
        own.checks.clear();
        assert!(bankable(&own, "public"));
        own.policies.push(appctl_schema::model::Policy::default());
        assert!(!bankable(&own, "public"));
    }

    #[test]
    fn a_unique_key_on_the_primary_key_is_left_to_the_server() {
        let key = |name: &str| appctl_schema::model::KeyConstraint {
            name: name.into(),
            columns: vec!["id".into()],
            ..Default::default()
        };
        let mut t = table("t", &[("id", "bigint")], None);
        t.primary_key = Some(key("t_pkey"));
        assert!(bankable(&t, "public"));
        t.uniques.push(key("t_id_key"));
        assert!(!bankable(&t, "public"));
    }
}
