//! Permissions: who may read and write a table, bucket or function.

use super::*;

impl Checker<'_> {
    pub(super) fn check_permissions(
        &mut self,
        path: &DocPath,
        permissions: &Permissions,
        subject: Subject,
    ) {
        for (action, rules) in permissions.actions() {
            self.check_roles(&path.key(action), rules, subject);
        }
        if !permissions.write.is_empty() {
            for (action, rules) in [
                ("create", &permissions.create),
                ("update", &permissions.update),
                ("delete", &permissions.delete),
            ] {
                if !rules.is_empty() {
                    self.push(
                        Finding::warning(
                            "permissions",
                            path.key(action),
                            format!("`{action}` adds to `write`, which already covers create, update and delete"),
                        )
                        .at_key()
                        .hint("fine if intended; the roles of both lists are allowed"),
                    );
                }
            }
        }
    }

    pub(super) fn check_roles(&mut self, path: &DocPath, rules: &[RoleRule], subject: Subject) {
        const ROLES: [&str; 6] = ["any", "guests", "users", "owner", "service", "user:<uuid>"];
        for (i, rule) in rules.iter().enumerate() {
            let (role_path, role) = match rule {
                RoleRule::Role(role) => (path.index(i), role.as_str()),
                RoleRule::Filtered(filtered) => {
                    self.check_sql(&path.index(i).key("where"), &filtered.predicate);
                    (path.index(i).key("role"), filtered.role.as_str())
                }
            };
            let known = match role {
                "any" | "guests" | "users" | "service" => true,
                "owner" => {
                    match subject {
                        Subject::Table { name, owner_column: None } => self.push(
                            Finding::error(
                                "owner",
                                role_path.clone(),
                                format!("`owner` permission on table `{name}`, which has no owner column"),
                            )
                            .hint(format!("add `owner: <column>` to table `{name}`: the uuid column that holds auth.uid() of the row's owner")),
                        ),
                        Subject::Function { name } => self.push(
                            Finding::error(
                                "owner",
                                role_path.clone(),
                                format!("`owner` means nothing for function `{name}`: a function has no owner"),
                            )
                            .hint("use `users`, `any`, `service`, `user:<uuid>` or `{ role, where }`"),
                        ),
                        _ => {}
                    }
                    true
                }
                _ => match role.strip_prefix("user:") {
                    Some(id) => {
                        if uuid::Uuid::try_parse(id).is_err() {
                            self.push(
                                Finding::error("role", role_path.clone(), format!("`{id}` in `{role}` is not a uuid"))
                                    .hint("write `user:` followed by the user's id, e.g. `user:7b0c3e52-6f1e-4c1e-9d0a-2f6f3c1d9a10`"),
                            );
                        }
                        true
                    }
                    None => false,
                },
            };
            if !known {
                let finding = Finding::error("role", role_path, format!("unknown role `{role}`"));
                // Users of Supabase and PostgREST write the Postgres role names.
                let postgres_role = match role {
                    "anon" => Some("guests"),
                    "authenticated" => Some("users"),
                    "service_role" => Some("service"),
                    "public" => Some("any"),
                    _ => None,
                };
                let hint = match (postgres_role, did_you_mean(role, ROLES)) {
                    (Some(ours), _) => format!(
                        "`{role}` is a Postgres role; in appctl that role is written `{ours}`"
                    ),
                    (None, Some(suggestion)) => format!("did you mean `{suggestion}`?"),
                    (None, None) => {
                        format!("roles are {}, or `{{ role, where }}`", ROLES.join(", "))
                    }
                };
                self.push(finding.hint(hint));
            }
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum Subject<'a> {
    Table {
        name: &'a str,
        owner_column: Option<&'a str>,
    },
    Bucket,
    Function {
        name: &'a str,
    },
}
