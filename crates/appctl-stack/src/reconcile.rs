//! Which containers `up` must touch: a pure function of the desired specs (with their hashes) and the
//! containers the engine has. Nothing changed means nothing to do.

use super::docker::Existing;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Running with the same spec: not touched.
    Keep { id: String },
    /// Same spec, stopped: started again.
    Start { id: String },
    /// Not there: created.
    Create,
    /// There with another spec (image, env, ports, files...): removed and created again.
    Replace { old_id: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    /// One action per desired service, in the order given.
    pub actions: Vec<(String, Action)>,
    /// Containers of the project that no desired service owns (a service disabled, a function
    /// removed): removed.
    pub orphans: Vec<Existing>,
}

impl Reconciliation {
    pub fn changes_nothing(&self) -> bool {
        self.orphans.is_empty()
            && self
                .actions
                .iter()
                .all(|(_, a)| matches!(a, Action::Keep { .. }))
    }
}

/// `desired` is (service name, spec hash) in start order.
pub fn reconcile(desired: &[(String, String)], existing: &[Existing]) -> Reconciliation {
    let mut actions = Vec::new();
    for (service, hash) in desired {
        let mine: Vec<&Existing> = existing.iter().filter(|e| &e.service == service).collect();
        let action = match mine.as_slice() {
            [] => Action::Create,
            [one] if one.hash.as_deref() == Some(hash.as_str()) => {
                if one.running {
                    Action::Keep { id: one.id.clone() }
                } else {
                    Action::Start { id: one.id.clone() }
                }
            }
            [one] => Action::Replace {
                old_id: one.id.clone(),
            },
            // Two containers for one service cannot come from appctl; keep none of them.
            [first, ..] => Action::Replace {
                old_id: first.id.clone(),
            },
        };
        actions.push((service.clone(), action));
    }
    let mut orphans: Vec<Existing> = existing
        .iter()
        .filter(|e| !desired.iter().any(|(s, _)| s == &e.service))
        .cloned()
        .collect();
    // Extra duplicates of a desired service are orphans too.
    for (service, action) in &actions {
        if let Action::Replace { old_id } = action {
            orphans.extend(
                existing
                    .iter()
                    .filter(|e| &e.service == service && &e.id != old_id)
                    .cloned(),
            );
        }
    }
    Reconciliation { actions, orphans }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(service: &str, id: &str, hash: &str, running: bool) -> Existing {
        Existing {
            id: id.into(),
            service: service.into(),
            hash: Some(hash.into()),
            running,
            state: if running { "running" } else { "exited" }.into(),
            health: None,
            image: "img".into(),
            name: format!("appctl-p-{service}"),
            ports: Vec::new(),
        }
    }

    fn desired(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(s, h)| (s.to_string(), h.to_string()))
            .collect()
    }

    #[test]
    fn an_unchanged_running_stack_is_left_alone() {
        let existing = [
            container("db", "1", "a", true),
            container("gateway", "2", "b", true),
        ];
        let r = reconcile(&desired(&[("db", "a"), ("gateway", "b")]), &existing);
        assert!(r.changes_nothing());
    }

    #[test]
    fn only_the_changed_service_is_replaced() {
        let existing = [
            container("db", "1", "a", true),
            container("gateway", "2", "b", true),
        ];
        let r = reconcile(&desired(&[("db", "a"), ("gateway", "c")]), &existing);
        assert_eq!(r.actions[0].1, Action::Keep { id: "1".into() });
        assert_eq!(r.actions[1].1, Action::Replace { old_id: "2".into() });
        assert!(r.orphans.is_empty());
    }

    #[test]
    fn stopped_containers_start_missing_ones_are_created_and_disabled_ones_go() {
        let existing = [
            container("db", "1", "a", false),
            container("rest", "3", "r", true),
        ];
        let r = reconcile(&desired(&[("db", "a"), ("gateway", "b")]), &existing);
        assert_eq!(r.actions[0].1, Action::Start { id: "1".into() });
        assert_eq!(r.actions[1].1, Action::Create);
        assert_eq!(r.orphans.len(), 1);
        assert_eq!(r.orphans[0].service, "rest");
        assert!(!r.changes_nothing());
    }
}
