//! Permissions of the project file → grants and row-level-security policies. Pure.
//!
//! | role          | database role(s)        | rows                          |
//! |---------------|-------------------------|-------------------------------|
//! | `any`         | anon, authenticated     | all                           |
//! | `guests`      | anon                    | all                           |
//! | `users`       | authenticated           | all                           |
//! | `owner`       | authenticated           | `<owner column> = auth.uid()` |
//! | `user:<uuid>` | authenticated           | `auth.uid() = '<uuid>'`       |
//! | `service`     | service_role            | all                           |
//! | `{role, where}` | those of `role`       | the role's rows where SQL holds |
//!
//! Each (action, role) becomes one permissive policy with a deterministic name
//! (`appctl_<action>_<role>_policy`), so a rerun finds it, and the database roles get exactly the privileges
//! of the actions they appear in. A table without permissions gets no policy and no grant: RLS is on,
//! so it is closed to anon and authenticated. Policies of one command are OR-ed by Postgres, as
//! permissions of one action are.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use crate::model::{Policy, Privilege};
use crate::quote::{ident, literal};
use appctl_project::file::{Permissions, RoleRule};

/// An action of the file and what it is in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
}

impl Action {
    pub const ALL: [Action; 4] = [Action::Read, Action::Create, Action::Update, Action::Delete];

    pub fn name(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }

    pub fn command(self) -> &'static str {
        match self {
            Action::Read => "SELECT",
            Action::Create => "INSERT",
            Action::Update => "UPDATE",
            Action::Delete => "DELETE",
        }
    }

    pub fn privilege(self) -> Privilege {
        match self {
            Action::Read => Privilege::Select,
            Action::Create => Privilege::Insert,
            Action::Update => Privilege::Update,
            Action::Delete => Privilege::Delete,
        }
    }
}

/// The rules that apply to `action`: its own list plus `write` for create, update and delete.
/// Reading also includes the rules of update and delete: Postgres lets a role change only rows it
/// can read (a WHERE or RETURNING reads them, and PostgREST always filters), so `update: [owner]`
/// alone would be unusable. Creating does not imply reading.
pub fn rules_for(permissions: &Permissions, action: Action) -> Vec<&RoleRule> {
    let lists: Vec<&Vec<RoleRule>> = match action {
        Action::Read => vec![
            &permissions.read,
            &permissions.update,
            &permissions.delete,
            &permissions.write,
        ],
        Action::Create => vec![&permissions.create, &permissions.write],
        Action::Update => vec![&permissions.update, &permissions.write],
        Action::Delete => vec![&permissions.delete, &permissions.write],
    };
    let mut rules: Vec<&RoleRule> = Vec::new();
    for rule in lists.into_iter().flatten() {
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
    rules
}

/// What one role of the file means in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grantee {
    /// Database roles, sorted.
    pub roles: Vec<&'static str>,
    /// The row predicate (SQL), `None` for all rows.
    pub predicate: Option<String>,
    /// A name part for the policy: `owner`, `users`, `user_<uuid>`, ...
    pub label: String,
}

/// The database roles and row predicate of a role of the file. `owner_column` is the table's owner
/// column (for buckets: `owner` of `storage.objects`). Validation has rejected unknown roles; they
/// map to nobody here.
pub fn grantee(role: &str, owner_column: Option<&str>) -> Grantee {
    let plain = |roles: Vec<&'static str>, label: &str| Grantee {
        roles,
        predicate: None,
        label: label.to_string(),
    };
    match role {
        "any" => plain(vec!["anon", "authenticated"], "any"),
        "guests" => plain(vec!["anon"], "guests"),
        "users" => plain(vec!["authenticated"], "users"),
        "service" => plain(vec!["service_role"], "service"),
        "owner" => Grantee {
            roles: vec!["authenticated"],
            predicate: owner_column.map(|c| format!("({} = auth.uid())", ident(c))),
            label: "owner".into(),
        },
        other => match other.strip_prefix("user:") {
            Some(id) => Grantee {
                roles: vec!["authenticated"],
                predicate: Some(format!("(auth.uid() = {}::uuid)", literal(id))),
                label: format!("user_{id}"),
            },
            None => plain(vec![], "nobody"),
        },
    }
}

/// A table's or bucket's permissions as a deploy records them (see
/// [`crate::model::Table::permissions_source`]).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Recorded {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub permissions: Permissions,
}

/// Policies and grants for a table's permissions.
pub fn compile(
    permissions: &Permissions,
    owner_column: Option<&str>,
    policy_prefix: &str,
) -> (Vec<Policy>, BTreeMap<String, BTreeSet<Privilege>>) {
    let mut policies: Vec<Policy> = Vec::new();
    let mut grants: BTreeMap<String, BTreeSet<Privilege>> = BTreeMap::new();
    for action in Action::ALL {
        for rule in rules_for(permissions, action) {
            let (base, extra, label) = match rule {
                RoleRule::Role(role) => {
                    let g = grantee(role, owner_column);
                    let label = g.label.clone();
                    (g, None, label)
                }
                RoleRule::Filtered(f) => {
                    let g = grantee(&f.role, owner_column);
                    // Named by its predicate, not its position: reordering the list renames nothing.
                    let digest = Sha256::digest(f.predicate.trim().as_bytes());
                    let label = format!("{}_where_{}", g.label, hex::encode(&digest[..4]));
                    (g, Some(format!("({})", f.predicate)), label)
                }
            };
            if base.roles.is_empty() {
                continue;
            }
            for role in &base.roles {
                grants
                    .entry(role.to_string())
                    .or_default()
                    .insert(action.privilege());
            }
            let predicate = match (base.predicate, extra) {
                (Some(a), Some(b)) => format!("{a} AND {b}"),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => "true".to_string(),
            };
            let mut name =
                crate::names::object_name(&[policy_prefix, action.name(), &label], "policy");
            // The same role twice in one action (e.g. in `update` and in `write`): one policy.
            if let Some(existing) = policies.iter().find(|p| p.name == name) {
                if existing.using.as_deref() == Some(predicate.as_str())
                    || existing.with_check.as_deref() == Some(predicate.as_str())
                {
                    continue;
                }
                name = crate::names::object_name(
                    &[
                        policy_prefix,
                        action.name(),
                        &label,
                        &policies.len().to_string(),
                    ],
                    "policy",
                );
            }
            let mut roles: Vec<String> = base.roles.iter().map(|r| r.to_string()).collect();
            roles.sort();
            let (using, with_check) = match action {
                Action::Read | Action::Delete => (Some(predicate), None),
                Action::Create => (None, Some(predicate)),
                Action::Update => (Some(predicate.clone()), Some(predicate)),
            };
            policies.push(Policy {
                name,
                command: action.command().to_string(),
                permissive: true,
                roles,
                using,
                with_check,
            });
        }
    }
    policies.sort_by(|a, b| a.name.cmp(&b.name));
    (policies, grants)
}

/// Policies on `storage.objects` for a bucket's permissions: the table's rules, limited to the
/// bucket's files (`bucket_id = '<bucket>'`), with `owner` meaning the uploader (`owner = auth.uid()`).
pub fn compile_bucket(bucket: &str, permissions: &Permissions) -> Vec<Policy> {
    let (policies, _) = compile(permissions, Some("owner"), &format!("appctl_{bucket}"));
    let scope = format!("(bucket_id = {})", literal(bucket));
    policies
        .into_iter()
        .map(|mut policy| {
            let limit = |predicate: Option<String>| {
                predicate.map(|p| {
                    if p == "true" {
                        scope.clone()
                    } else {
                        format!("{scope} AND {p}")
                    }
                })
            };
            policy.using = limit(policy.using.take());
            policy.with_check = limit(policy.with_check.take());
            policy
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use appctl_project::file::FilteredRole;

    fn role(name: &str) -> RoleRule {
        RoleRule::Role(name.to_string())
    }

    #[test]
    fn owner_rules_compile_to_policies_on_the_owner_column() {
        let permissions = Permissions {
            read: vec![role("owner")],
            write: vec![role("owner")],
            ..Permissions::default()
        };
        let (policies, grants) = compile(&permissions, Some("owner_id"), "appctl");
        let names: Vec<&str> = policies.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "appctl_create_owner_policy",
                "appctl_delete_owner_policy",
                "appctl_read_owner_policy",
                "appctl_update_owner_policy"
            ]
        );
        let update = policies.iter().find(|p| p.command == "UPDATE").unwrap();
        assert_eq!(update.using.as_deref(), Some("(\"owner_id\" = auth.uid())"));
        assert_eq!(update.with_check, update.using);
        assert_eq!(update.roles, ["authenticated"]);
        assert_eq!(
            grants["authenticated"],
            BTreeSet::from([
                Privilege::Select,
                Privilege::Insert,
                Privilege::Update,
                Privilege::Delete
            ])
        );
        assert!(!grants.contains_key("anon"));
    }

    #[test]
    fn filtered_and_public_roles() {
        let permissions = Permissions {
            read: vec![
                role("any"),
                RoleRule::Filtered(FilteredRole {
                    role: "users".into(),
                    predicate: "published".into(),
                }),
            ],
            ..Permissions::default()
        };
        let (policies, grants) = compile(&permissions, None, "appctl");
        assert_eq!(policies.len(), 2);
        let any = policies
            .iter()
            .find(|p| p.name == "appctl_read_any_policy")
            .unwrap();
        assert_eq!(any.roles, ["anon", "authenticated"]);
        assert_eq!(any.using.as_deref(), Some("true"));
        let filtered = policies
            .iter()
            .find(|p| p.name.starts_with("appctl_read_users_where_"))
            .unwrap();
        assert_eq!(filtered.using.as_deref(), Some("(published)"));
        assert_eq!(grants.len(), 2);
    }

    #[test]
    fn bucket_policies_are_scoped_to_the_bucket() {
        let permissions = Permissions {
            read: vec![role("owner")],
            create: vec![role("users")],
            ..Permissions::default()
        };
        let policies = compile_bucket("uploads", &permissions);
        let read = policies.iter().find(|p| p.command == "SELECT").unwrap();
        assert_eq!(read.name, "appctl_uploads_read_owner_policy");
        assert_eq!(
            read.using.as_deref(),
            Some("(bucket_id = 'uploads') AND (\"owner\" = auth.uid())")
        );
        let create = policies.iter().find(|p| p.command == "INSERT").unwrap();
        assert_eq!(
            create.with_check.as_deref(),
            Some("(bucket_id = 'uploads')")
        );
    }

    #[test]
    fn no_permissions_means_no_policy_and_no_grant() {
        let (policies, grants) = compile(&Permissions::default(), Some("owner_id"), "appctl");
        assert!(policies.is_empty());
        assert!(grants.is_empty());
    }
}
