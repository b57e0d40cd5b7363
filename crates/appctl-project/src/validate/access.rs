//! A table's access written as SQL: row-level security off, hand-written policies and grants. Also
//! the hazards of the permission grammar that are legal but surprising.

use super::*;
use crate::file::{Policy, PolicyCommand};
use crate::values::MANAGED_ROLES;

impl Checker<'_> {
    pub(super) fn check_table_access(&mut self, name: &str, table: &Table) {
        let path = root().key("tables").key(name);
        if table.row_level_security == Some(false) {
            let message = if table.permissions.is_empty() {
                format!(
                    "row level security is off on table `{name}`: every role with a grant reads and writes every row"
                )
            } else {
                format!(
                    "row level security is off on table `{name}`: its permissions' policies are not enforced, every role with a grant reads and writes every row"
                )
            };
            self.push(
                Finding::warning("rls", path.key("row_level_security"), message)
                    .hint("fine for a table only trusted roles can reach; remove the line to turn it on (closed unless permissions open it)"),
            );
        }
        for (policy_name, policy) in &table.policies {
            self.check_policy(
                &path.key("policies").key(policy_name),
                name,
                policy_name,
                policy,
                table,
            );
        }
        for (role, privileges) in &table.grants {
            let role_path = path.key("grants").key(role);
            self.check_key_identifier(&role_path, role, "role");
            // For another role, an empty list says "revoke what it has"; for an API role it is
            // the same as no entry.
            if privileges.is_empty() && MANAGED_ROLES.contains(&role.as_str()) {
                self.push(
                    Finding::warning("grants", role_path, format!("no privilege listed for `{role}`"))
                        .hint("list privileges (select, insert, update, delete, truncate, references, trigger) or remove the entry"),
                );
            }
        }
        self.check_owner_hazard(name, table, &path);
    }

    fn check_policy(
        &mut self,
        path: &DocPath,
        table_name: &str,
        name: &str,
        policy: &Policy,
        table: &Table,
    ) {
        self.check_key_identifier(path, name, "policy");
        if name.starts_with("appctl_") && !table.permissions.is_empty() {
            self.push(
                Finding::error(
                    "policy",
                    path.clone(),
                    format!("policy names starting with `appctl_` are the ones table `{table_name}`'s permissions compile to"),
                )
                .at_key()
                .hint("rename the policy"),
            );
        }
        for (i, role) in policy.to.iter().enumerate() {
            self.check_identifier(&path.key("to").index(i), role, "role");
        }
        if policy.using.is_none() && policy.check.is_none() {
            self.push(
                Finding::error("policy", path.clone(), format!("policy `{name}` has neither `using` nor `check`"))
                    .at_key()
                    .hint("write `using: <SQL>` (the rows it lets through) and/or `check: <SQL>` (the rows it lets be written)"),
            );
        }
        if let Some(using) = &policy.using {
            self.check_sql(&path.key("using"), using);
            if policy.command == PolicyCommand::Insert {
                self.push(
                    Finding::error(
                        "policy",
                        path.key("using"),
                        "an insert policy has no `using`: there are no existing rows to filter",
                    )
                    .hint("write the condition as `check:`"),
                );
            }
        }
        if let Some(check) = &policy.check {
            self.check_sql(&path.key("check"), check);
            if matches!(
                policy.command,
                PolicyCommand::Select | PolicyCommand::Delete
            ) {
                self.push(
                    Finding::error(
                        "policy",
                        path.key("check"),
                        "a select or delete policy has no `check`: it writes no rows",
                    )
                    .hint("write the condition as `using:`"),
                );
            }
        }
    }

    /// `create: [users]` on a table with an owner column lets any signed-in user create rows owned
    /// by someone else: legal, and a way in for an injected prompt that writes on another's behalf.
    fn check_owner_hazard(&mut self, name: &str, table: &Table, path: &DocPath) {
        let Some(owner) = &table.owner else { return };
        for (action, rules) in [
            ("create", &table.permissions.create),
            ("write", &table.permissions.write),
        ] {
            for (i, rule) in rules.iter().enumerate() {
                let (role, filtered) = match rule {
                    RoleRule::Role(role) => (role.as_str(), false),
                    RoleRule::Filtered(f) => (f.role.as_str(), true),
                };
                if matches!(role, "users" | "any" | "guests") && !filtered {
                    self.push(
                        Finding::warning(
                            "owner",
                            path.key("permissions").key(action).index(i),
                            format!(
                                "`{action}: [{role}]` on table `{name}` lets a caller create rows whose `{owner}` is another user's id"
                            ),
                        )
                        .hint(format!(
                            "write `owner` to make callers create only their own rows, or `{{ role: {role}, where: \"{owner} = auth.uid()\" }}`"
                        )),
                    );
                }
            }
        }
    }
}
