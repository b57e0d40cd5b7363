//! Checked-in files generated from the code: the JSON Schema of appctl.yaml and the shell completions.
//! Each test fails when its file is stale; run with `UPDATE_GENERATED=1` to rewrite them.

use std::path::Path;

use clap_complete::Shell;

fn check_generated(relative: &str, expected: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, expected).unwrap();
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "{relative} is stale: run `UPDATE_GENERATED=1 cargo test --test it generated_files` and commit it"
    );
}

#[test]
fn json_schema_is_current() {
    check_generated(
        "schemas/appctl.schema.json",
        &appctl::project::schema::json_schema_text(),
    );
}

#[test]
fn completions_are_current() {
    for (shell, file) in [
        (Shell::Bash, "appctl.bash"),
        (Shell::Zsh, "_appctl"),
        (Shell::Fish, "appctl.fish"),
        (Shell::PowerShell, "_appctl.ps1"),
    ] {
        check_generated(
            &format!("completions/{file}"),
            &appctl::cli::completion_script(shell),
        );
    }
}

#[test]
fn schema_accepts_every_template_and_names_every_section() {
    let schema = appctl::project::schema::json_schema();
    let properties = schema["properties"].as_object().unwrap();
    for key in [
        "version",
        "project",
        "extensions",
        "enums",
        "tables",
        "buckets",
        "functions",
        "environments",
        "stack",
    ] {
        assert!(properties.contains_key(key), "schema lacks `{key}`");
    }
    assert_eq!(schema["additionalProperties"], serde_json::json!(false));
}

#[test]
fn archive_manifest_schema_is_current() {
    check_generated(
        "schemas/archive-manifest.schema.json",
        &appctl::archive::manifest::json_schema_text(),
    );
}
