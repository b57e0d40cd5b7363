//! Privileges granted on a table.

use super::*;
use crate::model::MANAGED_ROLES;

pub(super) fn diff_grants(
    table: &str,
    wanted: &BTreeMap<String, BTreeSet<Privilege>>,
    existing: &BTreeMap<String, BTreeSet<Privilege>>,
    out: &mut Diff,
) {
    let empty = BTreeSet::new();
    // The API roles are always appctl's; another role's grants only where the file names the role
    // (`grants: { reporting: [] }` revokes them), so a DBA's grants are left alone.
    let roles: BTreeSet<&String> = wanted
        .keys()
        .chain(
            existing
                .keys()
                .filter(|role| MANAGED_ROLES.contains(&role.as_str())),
        )
        .collect();
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
