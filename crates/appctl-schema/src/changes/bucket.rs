//! Storage buckets: rows of `storage.buckets` inserted, updated, deleted.

use crate::diff::Change;
use crate::model::Database;
use crate::plan::{Action, Hazard, Phase};
use crate::quote::literal;

use super::Described;

/// Phase, action, object, detail and hazards of a bucket change.
pub(crate) fn describe(change: &Change, _actual: &Database) -> Described {
    use Action::{Create, Drop};
    match change {
        Change::CreateBucket { bucket } => (
            Phase::Configure,
            Create,
            format!("bucket {}", bucket.id),
            bucket_detail(bucket),
            vec![],
        ),
        Change::UpdateBucket { to, .. } => (
            Phase::Configure,
            Action::Change,
            format!("bucket {}", to.id),
            bucket_detail(to),
            vec![],
        ),
        Change::DeleteBucket { id } => (
            Phase::DropObjects,
            Drop,
            format!("bucket {id}"),
            String::new(),
            vec![Hazard::Destructive(
                "the bucket is deleted (refused by the database while it holds files)".into(),
            )],
        ),
        other => unreachable!("{other:?} is not a bucket change"),
    }
}

/// The statements of a bucket change, in order.
pub(crate) fn statements(change: &Change, _schema: &str, _online: bool) -> Vec<String> {
    match change {
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
        other => unreachable!("{other:?} is not a bucket change"),
    }
}

fn bucket_detail(bucket: &crate::model::Bucket) -> String {
    let mut parts = vec![if bucket.public { "public" } else { "private" }.to_string()];
    if let Some(limit) = bucket.file_size_limit {
        parts.push(format!("max {limit} bytes"));
    }
    if !bucket.allowed_mime_types.is_empty() {
        parts.push(bucket.allowed_mime_types.join(", "));
    }
    parts.join(", ")
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
