//! Functions: what a plan compares for them (their packages are made by
//! [`appctl_project::package`]).
//!
//! A function is deployed again exactly when its version (the sha256 of its package), its
//! configuration (runtime, entrypoint, timeout, memory, schedule, execute) or the names of its env
//! variables change. Env values never take part: they are secrets, resolved when the function starts.

use std::collections::BTreeMap;

use crate::model::{Database, Function};
use appctl_project::Project;
use appctl_project::package::{self, FunctionPackage, PackageError, PackageOptions};

/// The desired state of a project, with each function's version computed from its sources (relative
/// to the project file). Packages are hashed as they are made, never written.
pub fn lower_with_versions(project: &Project) -> Result<Database, PackageError> {
    let mut database = crate::lower::lower(&project.file);
    attach_versions(&mut database, project)?;
    Ok(database)
}

/// Fills in the version of every declared function of `database` from its sources.
pub fn attach_versions(database: &mut Database, project: &Project) -> Result<(), PackageError> {
    for (name, function) in &project.file.functions {
        let info = package::version(name, function, project.dir(), PackageOptions::of(function))?;
        if let Some(record) = database.functions.get_mut(name) {
            record.version = Some(info.version);
        }
    }
    Ok(())
}

/// The desired state of a project and every declared function's package, each made once: the
/// versions in the plan are the sha256 of the very bytes the deploy stores and runs.
pub fn lower_with_packages(
    project: &Project,
) -> Result<(Database, Vec<FunctionPackage>), PackageError> {
    let packages = package::packages(project)?;
    let mut database = crate::lower::lower(&project.file);
    for package in &packages {
        if let Some(record) = database.functions.get_mut(&package.name) {
            record.version = Some(package.version.clone());
        }
    }
    Ok((database, packages))
}

/// What differs between a deployed record and a declared function, in the plan's words:
/// `version 1a2b3c4d5e6f → 9f8e7d6c5b4a`, `timeout 30s → 1m`, `env +NEW -OLD`, `execute: users (was any)`.
/// Empty when nothing does. A desired version of `None` is not compared.
pub fn differences(from: &Function, to: &Function) -> Vec<String> {
    let mut parts = Vec::new();
    if to.version.is_some() && from.version != to.version {
        parts.push(format!(
            "version {} → {}",
            short_version(from.version.as_deref()),
            short_version(to.version.as_deref())
        ));
    }
    if from.runtime != to.runtime {
        parts.push(format!("runtime {} → {}", from.runtime, to.runtime));
    }
    if from.entrypoint != to.entrypoint {
        parts.push(format!(
            "entrypoint {} → {}",
            from.entrypoint, to.entrypoint
        ));
    }
    if from.timeout_ms != to.timeout_ms {
        parts.push(format!(
            "timeout {} → {}",
            duration_words(from.timeout_ms),
            duration_words(to.timeout_ms)
        ));
    }
    if from.memory_bytes != to.memory_bytes {
        parts.push(format!(
            "memory {} → {}",
            size_words(from.memory_bytes),
            size_words(to.memory_bytes)
        ));
    }
    if from.schedule != to.schedule {
        parts.push(format!(
            "schedule {} → {}",
            from.schedule.as_deref().unwrap_or("none"),
            to.schedule.as_deref().unwrap_or("none")
        ));
    }
    if from.env != to.env {
        let added = to.env.difference(&from.env).map(|n| format!("+{n}"));
        let removed = from.env.difference(&to.env).map(|n| format!("-{n}"));
        parts.push(format!(
            "env {}",
            added.chain(removed).collect::<Vec<_>>().join(" ")
        ));
    }
    if from.execute != to.execute {
        parts.push(format!(
            "execute: {} (was {})",
            execute_words(&to.execute),
            execute_words(&from.execute)
        ));
    }
    parts
}

/// Whether a deploy would write `to` over the record `from`: any field differs, the version only
/// when `to` has one (a state lowered without reading the sources does not know it).
pub fn differs(from: &Function, to: &Function) -> bool {
    let without_version = |f: &Function| Function {
        version: None,
        ..f.clone()
    };
    (to.version.is_some() && from.version != to.version)
        || without_version(from) != without_version(to)
}

/// A new function in the plan's words: `node-20 index.js, version 1a2b3c4d5e6f, execute: users, ...`.
pub fn summary(function: &Function) -> String {
    let mut parts = vec![format!("{} {}", function.runtime, function.entrypoint)];
    if let Some(version) = &function.version {
        parts.push(format!("version {}", short_version(Some(version))));
    }
    parts.push(format!("execute: {}", execute_words(&function.execute)));
    if let Some(schedule) = &function.schedule {
        parts.push(format!("schedule {schedule}"));
    }
    if let Some(timeout) = function.timeout_ms {
        parts.push(format!("timeout {}", duration_words(Some(timeout))));
    }
    if let Some(memory) = function.memory_bytes {
        parts.push(format!("memory {}", size_words(Some(memory))));
    }
    if !function.env.is_empty() {
        parts.push(format!(
            "env {}",
            function.env.iter().cloned().collect::<Vec<_>>().join(" ")
        ));
    }
    parts.join(", ")
}

/// The first 12 hex digits, as shown to people; `none` when unknown.
pub fn short_version(version: Option<&str>) -> String {
    match version {
        Some(v) => v.chars().take(12).collect(),
        None => "none".into(),
    }
}

fn execute_words(execute: &[String]) -> String {
    if execute.is_empty() {
        "nobody".into()
    } else {
        execute.join(", ")
    }
}

fn duration_words(ms: Option<u64>) -> String {
    match ms {
        Some(ms) => humantime::format_duration(std::time::Duration::from_millis(ms)).to_string(),
        None => "none".into(),
    }
}

fn size_words(bytes: Option<u64>) -> String {
    match bytes {
        Some(bytes) => bytesize::ByteSize(bytes).to_string(),
        None => "none".into(),
    }
}

/// Declared functions and their records, matched by name, for `appctl functions list`.
pub fn by_name<'a>(
    declared: &'a BTreeMap<String, Function>,
    deployed: &'a BTreeMap<String, Function>,
) -> Vec<(&'a str, Option<&'a Function>, Option<&'a Function>)> {
    let mut names: Vec<&str> = declared
        .keys()
        .chain(deployed.keys())
        .map(String::as_str)
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|n| (n, declared.get(n), deployed.get(n)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Function {
        Function {
            version: Some("a".repeat(64)),
            runtime: "node-20".into(),
            entrypoint: "index.js".into(),
            timeout_ms: Some(30_000),
            execute: vec!["users".into()],
            env: ["KEY".to_string()].into(),
            ..Function::default()
        }
    }

    #[test]
    fn an_unread_version_is_not_compared() {
        let recorded = record();
        let lowered_without_sources = Function {
            version: None,
            ..record()
        };
        assert!(!differs(&recorded, &lowered_without_sources));
        let new_code = Function {
            version: Some("b".repeat(64)),
            ..record()
        };
        assert_eq!(
            differences(&recorded, &new_code),
            ["version aaaaaaaaaaaa → bbbbbbbbbbbb"]
        );
    }

    #[test]
    fn differences_are_worded_and_env_shows_names_only() {
        let to = Function {
            timeout_ms: Some(90_000),
            env: ["KEY".to_string(), "NEW".to_string()].into(),
            execute: vec![],
            ..record()
        };
        assert_eq!(
            differences(&record(), &to),
            [
                "timeout 30s → 1m 30s",
                "env +NEW",
                "execute: nobody (was users)"
            ]
        );
        assert_eq!(
            summary(&record()),
            "node-20 index.js, version aaaaaaaaaaaa, execute: users, timeout 30s, env KEY"
        );
    }
}
