//! Functions: a record is written again when any field differs.

use super::*;

/// Functions by name; a change when the version, the configuration or the env names differ (a
/// desired version of `None` means "not read" and is not compared).
pub(super) fn diff_functions(desired: &Database, actual: &Database, out: &mut Diff) {
    for (name, wanted) in &desired.functions {
        match actual.functions.get(name) {
            None => out.changes.push(Change::CreateFunction {
                name: name.clone(),
                function: wanted.clone(),
            }),
            Some(recorded) if crate::functions::differs(recorded, wanted) => {
                out.changes.push(Change::ChangeFunction {
                    name: name.clone(),
                    from: recorded.clone(),
                    to: wanted.clone(),
                })
            }
            Some(_) => {}
        }
    }
    for name in actual.functions.keys() {
        if !desired.functions.contains_key(name) {
            out.changes
                .push(Change::RemoveFunction { name: name.clone() });
        }
    }
}
