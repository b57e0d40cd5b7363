//! The built binary, run as a user would: help, exit codes, init and validate.

use crate::support::cli::appctl;

use predicates::prelude::*;

#[test]
fn help_lists_every_command_of_the_product() {
    let dir = tempfile::tempdir().unwrap();
    let output = appctl(dir.path()).arg("--help").assert().success();
    let help = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    for command in [
        "init",
        "validate",
        "plan",
        "deploy",
        "pull",
        "access",
        "up",
        "down",
        "status",
        "logs",
        "functions",
        "export",
        "import",
        "completions",
    ] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(command)),
            "--help lacks `{command}`:\n{help}"
        );
    }
}

#[test]
fn version_prints_the_crate_version() {
    let dir = tempfile::tempdir().unwrap();
    appctl(dir.path())
        .arg("--version")
        .assert()
        .success()
        .stdout(format!("appctl {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn usage_errors_exit_1_not_2() {
    let dir = tempfile::tempdir().unwrap();
    appctl(dir.path())
        .arg("--no-such-flag")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--no-such-flag"));
}

#[test]
fn init_without_a_terminal_names_the_missing_flag_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    appctl(dir.path())
        .args(["init", "proj", "--template", "blank"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--name"));
    appctl(dir.path())
        .args(["init", "proj", "--name", "demo"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--template"));
    assert!(!dir.path().join("proj/appctl.yaml").exists());
}

#[test]
fn init_ai_chat_writes_a_project_that_validates() {
    let dir = tempfile::tempdir().unwrap();
    appctl(dir.path())
        .args([
            "init",
            "demo",
            "--template",
            "ai-chat",
            "--name",
            "demo",
            "--yes",
        ])
        .assert()
        .success();
    let project = dir.path().join("demo");
    for file in [
        "appctl.yaml",
        ".gitignore",
        ".env.example",
        "functions/chat/index.js",
        "functions/ingest/main.py",
    ] {
        assert!(project.join(file).is_file(), "{file} missing");
    }
    let yaml = std::fs::read_to_string(project.join("appctl.yaml")).unwrap();
    assert!(yaml.starts_with("# yaml-language-server: $schema="));
    assert!(yaml.contains("project: demo"));
    let gitignore = std::fs::read_to_string(project.join(".gitignore")).unwrap();
    assert!(gitignore.lines().any(|l| l == ".appctl/"));
    assert!(gitignore.lines().any(|l| l == ".env"));

    // The template's secrets come from .env, as a user would set them up.
    std::fs::copy(project.join(".env.example"), project.join(".env")).unwrap();
    appctl(&project)
        .arg("validate")
        .assert()
        .success()
        .stderr(predicate::str::contains("appctl.yaml is valid"));
}

#[test]
fn init_json_prints_the_project_template_and_files_on_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let output = appctl(dir.path())
        .args([
            "init",
            "proj",
            "--template",
            "blank",
            "--name",
            "demo",
            "--json",
        ])
        .assert()
        .success();
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let files: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(files.contains(&"proj/appctl.yaml"), "{stdout}");
    assert_eq!(files.last(), Some(&"proj/.gitignore"), "{stdout}");
    for file in &files {
        assert!(dir.path().join(file).is_file(), "{file} was not written");
    }
    // Compact, one line, keys in this order.
    assert_eq!(
        stdout,
        format!(
            "{{\"project\":\"demo\",\"template\":\"blank\",\"files\":{}}}\n",
            serde_json::to_string(&files).unwrap()
        )
    );
}

#[test]
fn init_never_overwrites_without_force() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("appctl.yaml"), "mine\n").unwrap();
    appctl(dir.path())
        .args(["init", ".", "--template", "blank", "--name", "demo"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--force"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("appctl.yaml")).unwrap(),
        "mine\n"
    );
    assert!(
        !dir.path().join(".env.example").exists(),
        "nothing is written"
    );
    appctl(dir.path())
        .args([
            "init",
            ".",
            "--template",
            "blank",
            "--name",
            "demo",
            "--force",
        ])
        .assert()
        .success();
    let yaml = std::fs::read_to_string(dir.path().join("appctl.yaml")).unwrap();
    assert!(yaml.contains("project: demo"));
}

#[test]
fn init_keeps_an_existing_gitignore_and_adds_what_it_lacks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".gitignore"), "node_modules/\n.env").unwrap();
    appctl(dir.path())
        .args(["init", "--template", "blank", "--name", "demo"])
        .assert()
        .success();
    let gitignore = std::fs::read_to_string(dir.path().join(".gitignore")).unwrap();
    assert_eq!(gitignore, "node_modules/\n.env\n.appctl/\n");
}

#[test]
fn validate_finds_the_file_in_a_parent_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("appctl.yaml"),
        "version: 1\nproject: demo\n",
    )
    .unwrap();
    let nested = dir.path().join("a/b");
    std::fs::create_dir_all(&nested).unwrap();
    appctl(&nested).arg("validate").assert().success();
    appctl(&nested)
        .args(["validate", "-f", "missing.yaml"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("missing.yaml"));
}

#[test]
fn validate_reports_every_problem_with_its_place_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("appctl.yaml"),
        "version: 1\nproject: demo\ntables:\n  t:\n    columns:\n      id: { type: uuid, nulable: true }\n      n: { type: strng }\n",
    )
    .unwrap();
    let output = appctl(dir.path()).arg("validate").assert().code(1);
    let stderr = String::from_utf8(output.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("--> appctl.yaml:6:25"), "{stderr}");
    assert!(stderr.contains("did you mean `nullable`?"), "{stderr}");
}

#[test]
fn validate_json_is_machine_readable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("appctl.yaml"),
        "version: 1\nproject: demo\ntables:\n  t:\n    columns:\n      n: { type: strng }\n",
    )
    .unwrap();
    let output = appctl(dir.path())
        .args(["validate", "--json"])
        .assert()
        .code(1);
    let json: serde_json::Value = serde_json::from_slice(&output.get_output().stdout).unwrap();
    assert_eq!(json["valid"], false);
    let first = &json["diagnostics"][0];
    assert_eq!(first["code"], "column-type");
    assert_eq!(first["line"], 6);
    assert_eq!(first["column"], 18);
    assert_eq!(first["path"], "tables.t.columns.n.type");
    assert_eq!(first["message"], "unknown column type `strng`");
}

#[test]
fn validate_never_prints_a_variable_value() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("fn")).unwrap();
    std::fs::write(dir.path().join("fn/index.js"), "").unwrap();
    std::fs::write(
        dir.path().join("appctl.yaml"),
        "version: 1\nproject: demo\nfunctions:\n  f:\n    runtime: node-20\n    source: fn\n    entrypoint: index.js\n    env: { A: \"${SECRET_A}\", B: \"${SECRET_B}\" }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join(".env"), "SECRET_A=hunter2-value\n").unwrap();
    let output = appctl(dir.path())
        .args(["validate", "--json"])
        .assert()
        .code(1);
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("variable `SECRET_B` is not set"),
        "{stdout}"
    );
    assert!(!stdout.contains("hunter2"), "{stdout}");
}

#[test]
fn completions_print_a_script_for_each_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        appctl(dir.path())
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("appctl"));
    }
}

#[test]
fn init_asks_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("chat");
    let output = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/interactive/init_prompts.py"
        ))
        .arg(env!("CARGO_BIN_EXE_appctl"))
        .arg(&target)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let yaml = std::fs::read_to_string(target.join("appctl.yaml")).unwrap();
    assert!(yaml.contains("project: my-chat"), "{yaml}");
    assert!(
        target.join("functions/chat/index.js").is_file(),
        "the second template (ai-chat) was picked with the arrow keys"
    );
}
