//! Indexes of a table.

use super::*;

pub(super) fn diff_indexes(wanted: &Table, existing: &Table, out: &mut Diff) {
    let table = &wanted.name;
    let mut matched: BTreeSet<&str> = BTreeSet::new();
    for index in &wanted.indexes {
        let current = existing.index(&index.name).or_else(|| {
            index
                .renamed_from
                .as_deref()
                .filter(|old| wanted.index(old).is_none())
                .and_then(|old| existing.index(old))
        });
        match current {
            Some(current) if same_index(index, current) => {
                matched.insert(current.name.as_str());
                if current.name != index.name {
                    out.changes.push(Change::RenameIndex {
                        table: table.clone(),
                        from: current.name.clone(),
                        to: index.name.clone(),
                    });
                }
            }
            Some(current) => {
                // Changed (or left invalid by a failed concurrent build): build it again.
                matched.insert(current.name.as_str());
                out.changes.push(Change::DropIndex {
                    table: table.clone(),
                    name: current.name.clone(),
                });
                out.changes.push(Change::CreateIndex {
                    table: table.clone(),
                    index: index.clone(),
                });
            }
            None => out.changes.push(Change::CreateIndex {
                table: table.clone(),
                index: index.clone(),
            }),
        }
    }
    for index in &existing.indexes {
        if !matched.contains(index.name.as_str()) {
            out.changes.push(Change::DropIndex {
                table: table.clone(),
                name: index.name.clone(),
            });
        }
    }
}

/// Indexes are the same when their catalog definitions (names masked) agree and the old one is valid.
pub(super) fn same_index(wanted: &Index, existing: &Index) -> bool {
    existing.valid && wanted.definition == existing.definition
}
