//! Privileges granted on a table.

use super::*;

pub(super) fn diff_grants(
    table: &str,
    wanted: &BTreeMap<String, BTreeSet<Privilege>>,
    existing: &BTreeMap<String, BTreeSet<Privilege>>,
    out: &mut Diff,
) {
    let empty = BTreeSet::new();
    let roles: BTreeSet<&String> = wanted.keys().chain(existing.keys()).collect();
    for role in roles {
        let want = wanted.get(role).unwrap_or(&empty);
        let have = existing.get(role).unwrap_or(&empty);
        let revoke: BTreeSet<Privilege> = have.difference(want).copied().collect();
        let grant: BTreeSet<Privilege> = want.difference(have).copied().collect();
        if !revoke.is_empty() {
            out.changes.push(Change::Revoke {
                table: table.to_string(),
                role: role.clone(),
                privileges: revoke,
            });
        }
        if !grant.is_empty() {
            out.changes.push(Change::Grant {
                table: table.to_string(),
                role: role.clone(),
                privileges: grant,
            });
        }
    }
}
