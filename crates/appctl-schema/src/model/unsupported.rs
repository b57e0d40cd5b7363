//! What an inspected schema holds that the project file cannot express: reported by `pull`, `plan`
//! and `export`, never silently dropped.

use std::fmt;

use serde::Serialize;

/// An object of the inspected schema that the project file cannot express.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct UnsupportedObject {
    pub kind: UnsupportedKind,
    /// The object's name; for functions, procedures and aggregates with their identity arguments,
    /// e.g. `touch(integer, text)`.
    pub name: String,
    /// The table (or view) it belongs to: for triggers, rules, exclusion constraints and virtual
    /// generated columns; for a partition, its parent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnsupportedKind {
    View,
    MaterializedView,
    Sequence,
    ForeignTable,
    Partition,
    Function,
    Procedure,
    Aggregate,
    Trigger,
    Rule,
    ExclusionConstraint,
    VirtualGeneratedColumn,
    CompositeType,
    Domain,
    RangeType,
    BaseType,
}

impl UnsupportedKind {
    /// Words for people: `materialized view`.
    pub fn label(self) -> &'static str {
        match self {
            UnsupportedKind::View => "view",
            UnsupportedKind::MaterializedView => "materialized view",
            UnsupportedKind::Sequence => "sequence",
            UnsupportedKind::ForeignTable => "foreign table",
            UnsupportedKind::Partition => "partition",
            UnsupportedKind::Function => "function",
            UnsupportedKind::Procedure => "procedure",
            UnsupportedKind::Aggregate => "aggregate",
            UnsupportedKind::Trigger => "trigger",
            UnsupportedKind::Rule => "rule",
            UnsupportedKind::ExclusionConstraint => "exclusion constraint",
            UnsupportedKind::VirtualGeneratedColumn => "virtual generated column",
            UnsupportedKind::CompositeType => "composite type",
            UnsupportedKind::Domain => "domain",
            UnsupportedKind::RangeType => "range type",
            UnsupportedKind::BaseType => "base type",
        }
    }
}

impl fmt::Display for UnsupportedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl fmt::Display for UnsupportedObject {
    /// `trigger "touch" on "threads"`, `partition "events_2024" of "events"`, `view "stats"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.kind, self.name)?;
        if let Some(table) = &self.table {
            let joint = if self.kind == UnsupportedKind::Partition {
                "of"
            } else {
                "on"
            };
            write!(f, " {joint} {table:?}")?;
        }
        Ok(())
    }
}
