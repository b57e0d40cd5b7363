//! The crate graph is the data flow (docs/architecture.md): each crate may depend on the stages
//! before it and never on one after it. Read from `cargo metadata`, so a back edge, a new crate not
//! placed in the table, I/O creeping into a pure stage, or terminal UI outside the binary fails
//! here.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Each crate and the appctl crates it may depend on (normal, dev or build).
const ALLOWED: &[(&str, &[&str])] = &[
    ("appctl-project", &[]),
    ("appctl-rest", &[]),
    ("appctl-schema", &["appctl-project"]),
    ("appctl-pg", &["appctl-project", "appctl-schema"]),
    (
        "appctl-archive",
        &["appctl-project", "appctl-schema", "appctl-pg"],
    ),
    (
        "appctl-server",
        &[
            "appctl-project",
            "appctl-schema",
            "appctl-pg",
            "appctl-rest",
        ],
    ),
    (
        "appctl-stack",
        &[
            "appctl-project",
            "appctl-schema",
            "appctl-pg",
            "appctl-server",
            "appctl-rest",
        ],
    ),
    (
        "appctl",
        &[
            "appctl-project",
            "appctl-schema",
            "appctl-pg",
            "appctl-archive",
            "appctl-server",
            "appctl-stack",
            "appctl-rest",
        ],
    ),
    ("appctl-fuzz", &["appctl-project"]),
];

/// Crates that do no I/O of their own may not link a database driver, an async runtime or an HTTP
/// stack.
const PURE: &[&str] = &["appctl-project", "appctl-schema", "appctl-rest"];
const IO_CRATES: &[&str] = &[
    "sqlx",
    "tokio",
    "reqwest",
    "bollard",
    "axum",
    "hyper",
    "object_store",
];

/// Flags, prompts and progress bars are the binary's: the stages report through traits.
const TERMINAL_CRATES: &[&str] = &["clap", "clap_complete", "dialoguer", "indicatif"];

fn metadata(manifest: &Path) -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .arg("--manifest-path")
        .arg(manifest)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// (package, its dependencies' names) of every package of the manifest's workspace.
fn packages(manifest: &Path) -> Vec<(String, Vec<String>)> {
    metadata(manifest)["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|package| {
            let deps = package["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .map(|d| d["name"].as_str().expect("name").to_string())
                .collect();
            (package["name"].as_str().expect("name").to_string(), deps)
        })
        .collect()
}

#[test]
fn crates_depend_only_on_earlier_stages() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = packages(&root.join("Cargo.toml"));
    all.extend(packages(&root.join("fuzz/Cargo.toml")));
    let names: BTreeSet<&str> = all.iter().map(|(name, _)| name.as_str()).collect();
    let placed: BTreeSet<&str> = ALLOWED.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names, placed,
        "every crate has a place in ALLOWED (and docs/architecture.md)"
    );
    let mut back_edges = Vec::new();
    for (name, deps) in &all {
        let allowed = ALLOWED.iter().find(|(n, _)| n == name).unwrap().1;
        for dep in deps.iter().filter(|d| d.starts_with("appctl")) {
            if !allowed.contains(&dep.as_str()) {
                back_edges.push(format!("{name} -> {dep}"));
            }
        }
        if name != "appctl" {
            for dep in deps
                .iter()
                .filter(|d| TERMINAL_CRATES.contains(&d.as_str()))
            {
                back_edges.push(format!("{name} (not the binary) -> {dep}"));
            }
        }
        if PURE.contains(&name.as_str()) {
            for dep in deps.iter().filter(|d| IO_CRATES.contains(&d.as_str())) {
                back_edges.push(format!("{name} (pure) -> {dep}"));
            }
        }
    }
    assert!(
        back_edges.is_empty(),
        "edges against the data flow: {back_edges:?}"
    );
}
