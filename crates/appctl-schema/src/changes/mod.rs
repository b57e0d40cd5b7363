//! Every kind of [`Change`], each described (for the plan), rendered (to SQL) and named for
//! normalisation errors ([`subject`]) in its own module.
//!
//! [`kind`] is one exhaustive match: a new `Change` variant does not compile until it has a kind.

use crate::diff::Change;
use crate::plan::{Action, Hazard, Phase};

pub(crate) mod bucket;
pub(crate) mod column;
pub(crate) mod comment;
pub(crate) mod constraint;
pub(crate) mod enum_type;
pub(crate) mod extension;
pub(crate) mod function;
pub(crate) mod index;
pub(crate) mod policy;
pub(crate) mod privilege;
pub(crate) mod rls;
pub(crate) mod table;

/// Phase, action, object, detail and hazards of a change, as [`crate::plan`] orders and shows it.
pub(crate) type Described = (Phase, Action, String, String, Vec<Hazard>);

/// The object a change is about; each has a module here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Extension,
    EnumType,
    Table,
    Column,
    Constraint,
    Index,
    Comment,
    Rls,
    Policy,
    Privilege,
    Bucket,
    Function,
}

/// The kind of a change. No `_` arm, on purpose.
pub fn kind(change: &Change) -> ChangeKind {
    match change {
        Change::CreateExtension { .. }
        | Change::UpdateExtension { .. }
        | Change::SetExtensionSchema { .. }
        | Change::DropExtension { .. } => ChangeKind::Extension,
        Change::CreateEnum { .. }
        | Change::AddEnumValue { .. }
        | Change::ReplaceEnum { .. }
        | Change::DropEnum { .. } => ChangeKind::EnumType,
        Change::CreateTable { .. } | Change::RenameTable { .. } | Change::DropTable { .. } => {
            ChangeKind::Table
        }
        Change::AddColumn { .. }
        | Change::RenameColumn { .. }
        | Change::DropColumn { .. }
        | Change::AlterColumnType { .. }
        | Change::SetNotNull { .. }
        | Change::DropNotNull { .. }
        | Change::SetDefault { .. }
        | Change::DropDefault { .. }
        | Change::AddIdentity { .. }
        | Change::SetIdentity { .. }
        | Change::SetIdentityOptions { .. }
        | Change::SetCollation { .. }
        | Change::DropIdentity { .. }
        | Change::DropExpression { .. } => ChangeKind::Column,
        Change::AddPrimaryKey { .. }
        | Change::AddUnique { .. }
        | Change::AddCheck { .. }
        | Change::AddForeignKey { .. }
        | Change::DropConstraint { .. }
        | Change::RenameConstraint { .. } => ChangeKind::Constraint,
        Change::CreateIndex { .. } | Change::RenameIndex { .. } | Change::DropIndex { .. } => {
            ChangeKind::Index
        }
        Change::SetTableComment { .. } | Change::SetColumnComment { .. } => ChangeKind::Comment,
        Change::EnableRls { .. } | Change::DisableRls { .. } => ChangeKind::Rls,
        Change::CreatePolicy { .. }
        | Change::DropPolicy { .. }
        | Change::CreateStoragePolicy { .. }
        | Change::DropStoragePolicy { .. } => ChangeKind::Policy,
        Change::Grant { .. } | Change::Revoke { .. } => ChangeKind::Privilege,
        Change::CreateBucket { .. } | Change::UpdateBucket { .. } | Change::DeleteBucket { .. } => {
            ChangeKind::Bucket
        }
        Change::CreateFunction { .. }
        | Change::ChangeFunction { .. }
        | Change::RemoveFunction { .. } => ChangeKind::Function,
    }
}

/// `column table.name`, how a step names a column.
pub(crate) fn column_subject(table: &str, column: &str) -> String {
    format!("column {table}.{column}")
}

/// What a creation change is about, in the words of the project file: `table `t`: index `i``.
/// Kinds whose creations cannot fail on their own show the change as it is.
pub fn subject(change: &Change) -> String {
    match kind(change) {
        ChangeKind::Extension => extension::subject(change),
        ChangeKind::EnumType => enum_type::subject(change),
        ChangeKind::Table => table::subject(change),
        ChangeKind::Constraint => constraint::subject(change),
        ChangeKind::Index => index::subject(change),
        ChangeKind::Policy => policy::subject(change),
        ChangeKind::Comment => comment::subject(change),
        ChangeKind::Privilege => privilege::subject(change),
        ChangeKind::Column | ChangeKind::Rls | ChangeKind::Bucket | ChangeKind::Function => {
            format!("{change:?}")
        }
    }
}
