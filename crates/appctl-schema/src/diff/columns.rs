//! Columns of a table: added, dropped, and altered field by field.

use super::renames::rename_identifiers;
use super::*;

/// A column added to an existing table keeps its comment (a new table's columns get theirs in
/// `create_table`).
pub(super) fn push_column_comment(table: &str, column: &Column, out: &mut Diff) {
    if column.comment.is_some() {
        out.changes.push(Change::SetColumnComment {
            table: table.to_string(),
            column: column.name.clone(),
            comment: column.comment.clone(),
        });
    }
}

pub(super) fn diff_columns(wanted: &Table, existing: &Table, out: &mut Diff) {
    let table = &wanted.name;
    let current_of = |column: &Column| {
        existing.column(&column.name).or_else(|| {
            column
                .renamed_from
                .as_deref()
                .filter(|old| wanted.column(old).is_none())
                .and_then(|old| existing.column(old))
        })
    };
    // Postgres refuses to change the type of a column a generated column reads: such generated
    // columns are dropped first and added again once every type has changed.
    let retyped: Vec<&str> = wanted
        .columns
        .iter()
        .filter_map(|c| current_of(c).filter(|e| e.data_type != c.data_type))
        .map(|e| e.name.as_str())
        .collect();
    let reads_retyped = |column: &Column| {
        column.generated.as_deref().is_some_and(|expression| {
            retyped
                .iter()
                .any(|name| rename_identifiers(expression, &[(name, "\u{1}")]) != expression)
        })
    };
    let mut generated_again = Vec::new();
    let mut matched: BTreeSet<&str> = BTreeSet::new();
    for column in &wanted.columns {
        let current = current_of(column);
        if let Some(current) = current
            && current.generated.is_some()
            && column.generated.is_none()
        {
            // Made plain (or identity): DROP EXPRESSION keeps the values; the rest is an ordinary
            // change of a plain column.
            matched.insert(current.name.as_str());
            if current.name != column.name {
                out.changes.push(Change::RenameColumn {
                    table: table.clone(),
                    from: current.name.clone(),
                    to: column.name.clone(),
                });
            }
            out.changes.push(Change::DropExpression {
                table: table.clone(),
                column: column.name.clone(),
            });
            let plain = Column {
                generated: None,
                ..current.clone()
            };
            diff_column(table, column, &plain, out);
            continue;
        }
        if let Some(current) = current
            && current.generated.is_some()
            && (current.generated != column.generated || reads_retyped(current))
        {
            // Derived values: dropping loses nothing.
            matched.insert(current.name.as_str());
            if current.name != column.name {
                out.changes.push(Change::RenameColumn {
                    table: table.clone(),
                    from: current.name.clone(),
                    to: column.name.clone(),
                });
            }
            out.changes.push(Change::DropColumn {
                table: table.clone(),
                column: column.name.clone(),
            });
            generated_again.push(Change::AddColumn {
                table: table.clone(),
                column: column.clone(),
            });
            if let Some(comment) = &column.comment {
                generated_again.push(Change::SetColumnComment {
                    table: table.clone(),
                    column: column.name.clone(),
                    comment: Some(comment.clone()),
                });
            }
            continue;
        }
        let Some(current) = current else {
            out.changes.push(Change::AddColumn {
                table: table.clone(),
                column: column.clone(),
            });
            push_column_comment(table, column, out);
            continue;
        };
        matched.insert(current.name.as_str());
        if current.name != column.name {
            out.changes.push(Change::RenameColumn {
                table: table.clone(),
                from: current.name.clone(),
                to: column.name.clone(),
            });
        }
        diff_column(table, column, current, out);
    }
    for column in &existing.columns {
        if !matched.contains(column.name.as_str()) {
            out.changes.push(Change::DropColumn {
                table: table.clone(),
                column: column.name.clone(),
            });
        }
    }
    out.changes.extend(generated_again);
}

pub(super) fn diff_column(table: &str, wanted: &Column, existing: &Column, out: &mut Diff) {
    let table = table.to_string();
    let column = wanted.name.clone();
    // A generated column's expression cannot be altered in place on every version: drop and re-add
    // (its values are derived, so nothing is lost).
    if wanted.generated != existing.generated {
        out.changes.push(Change::DropColumn {
            table: table.clone(),
            column: column.clone(),
        });
        out.changes.push(Change::AddColumn {
            table: table.clone(),
            column: wanted.clone(),
        });
        push_column_comment(&table, wanted, out);
        return;
    }
    if wanted.data_type != existing.data_type {
        out.changes.push(Change::AlterColumnType {
            table: table.clone(),
            column: column.clone(),
            from: existing.data_type.clone(),
            to: wanted.data_type.clone(),
            drop_default: existing.default.is_some() && existing.identity.is_none(),
        });
    }
    // A type change resets the collation to the new type's default: set it again after.
    if wanted.collation != existing.collation
        || (wanted.collation.is_some() && wanted.data_type != existing.data_type)
    {
        out.changes.push(Change::SetCollation {
            table: table.clone(),
            column: column.clone(),
            data_type: wanted.data_type.clone(),
            collation: wanted.collation.clone(),
        });
    }
    if !wanted.nullable && existing.nullable {
        out.changes.push(Change::SetNotNull {
            table: table.clone(),
            column: column.clone(),
        });
    }
    match (&wanted.identity, &existing.identity) {
        (Some(identity), None) => {
            if existing.default.is_some() {
                out.changes.push(Change::DropDefault {
                    table: table.clone(),
                    column: column.clone(),
                    sequence: existing.sequence.clone(),
                });
            }
            out.changes.push(Change::AddIdentity {
                table: table.clone(),
                column: column.clone(),
                identity: *identity,
                options: wanted.identity_options,
            });
        }
        (None, Some(_)) => out.changes.push(Change::DropIdentity {
            table: table.clone(),
            column: column.clone(),
        }),
        (Some(a), Some(b)) if a != b => out.changes.push(Change::SetIdentity {
            table: table.clone(),
            column: column.clone(),
            identity: *a,
        }),
        _ => {}
    }
    if wanted.identity.is_some()
        && existing.identity.is_some()
        && wanted.identity_options != existing.identity_options
    {
        out.changes.push(Change::SetIdentityOptions {
            table: table.clone(),
            column: column.clone(),
            options: wanted.identity_options,
        });
    }
    let type_changed = wanted.data_type != existing.data_type;
    if wanted.identity.is_none() {
        match (&wanted.default, &existing.default) {
            (Some(new), Some(old)) if new == old && !type_changed => {}
            (Some(new), _) => out.changes.push(Change::SetDefault {
                table: table.clone(),
                column: column.clone(),
                default: new.clone(),
                sequence: wanted
                    .sequence
                    .clone()
                    .filter(|s| existing.sequence.as_ref() != Some(s))
                    .map(|s| (s, wanted.data_type.clone())),
            }),
            // A type change already dropped it.
            (None, Some(_)) if existing.identity.is_none() && !type_changed => {
                out.changes.push(Change::DropDefault {
                    table: table.clone(),
                    column: column.clone(),
                    sequence: existing.sequence.clone(),
                })
            }
            _ => {}
        }
    }
    // Identity needs NOT NULL first; NOT NULL goes only after the identity did.
    if wanted.nullable && !existing.nullable {
        out.changes.push(Change::DropNotNull {
            table: table.clone(),
            column: column.clone(),
        });
    }
    if wanted.comment != existing.comment {
        out.changes.push(Change::SetColumnComment {
            table,
            column,
            comment: wanted.comment.clone(),
        });
    }
}
