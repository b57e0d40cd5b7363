//! Extensions: created where and at the version the file says, updated, moved, dropped.

use super::*;

pub(super) fn diff_extensions(desired: &Database, actual: &Database, out: &mut Diff) {
    for (name, wanted) in &desired.extensions {
        let Some(existing) = actual.extensions.get(name) else {
            out.changes.push(Change::CreateExtension {
                name: name.clone(),
                schema: wanted.schema.clone(),
                version: wanted.version.clone(),
            });
            continue;
        };
        // Only what the file says is compared: an extension without a version takes any.
        if let (Some(to), Some(from)) = (&wanted.schema, &existing.schema)
            && to != from
        {
            out.changes.push(Change::SetExtensionSchema {
                name: name.clone(),
                from: from.clone(),
                to: to.clone(),
            });
        }
        if let (Some(to), Some(from)) = (&wanted.version, &existing.version)
            && to != from
        {
            out.changes.push(Change::UpdateExtension {
                name: name.clone(),
                from: from.clone(),
                to: to.clone(),
            });
        }
    }
    for name in actual.extensions.keys() {
        if desired.extensions.contains_key(name) {
            continue;
        }
        let object = ObjectRef::Extension(name.clone());
        if is_managed(actual, &object) {
            out.changes
                .push(Change::DropExtension { name: name.clone() });
        } else {
            out.unmanaged.push(object);
        }
    }
}
