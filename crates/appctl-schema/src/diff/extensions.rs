//! Extensions.

use super::*;

pub(super) fn diff_extensions(desired: &Database, actual: &Database, out: &mut Diff) {
    for name in desired.extensions.difference(&actual.extensions) {
        out.changes
            .push(Change::CreateExtension { name: name.clone() });
    }
    for name in actual.extensions.difference(&desired.extensions) {
        let object = ObjectRef::Extension(name.clone());
        if is_managed(actual, &object) {
            out.changes
                .push(Change::DropExtension { name: name.clone() });
        } else {
            out.unmanaged.push(object);
        }
    }
}
