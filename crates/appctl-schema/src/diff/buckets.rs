//! Storage buckets.

use super::*;

/// Bucket rows by id, and appctl's policies on `storage.objects` by name (those are appctl's by their
/// `appctl_` prefix; other policies there are never read).
pub(super) fn diff_buckets(desired: &Database, actual: &Database, out: &mut Diff) {
    for (id, wanted) in &desired.buckets {
        match actual.buckets.get(id) {
            None => out.changes.push(Change::CreateBucket {
                bucket: wanted.clone(),
            }),
            Some(existing) if existing != wanted => out.changes.push(Change::UpdateBucket {
                from: existing.clone(),
                to: wanted.clone(),
            }),
            Some(_) => {}
        }
    }
    for id in actual.buckets.keys() {
        if desired.buckets.contains_key(id) {
            continue;
        }
        let object = ObjectRef::Bucket(id.clone());
        if is_managed(actual, &object) {
            out.changes.push(Change::DeleteBucket { id: id.clone() });
        } else {
            out.unmanaged.push(object);
        }
    }
    diff_named(
        &desired.storage_policies,
        &actual.storage_policies,
        |p| &p.name,
        |p| Change::CreateStoragePolicy { policy: p.clone() },
        |p| Change::DropStoragePolicy {
            name: p.name.clone(),
        },
        out,
    );
}
