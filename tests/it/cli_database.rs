//! `appctl plan` and `appctl deploy` run as a user (or a CI job) would, against a real PostgreSQL.

use crate::support::cli::appctl;

use crate::support::pg::PgServer;
use predicates::prelude::*;

const V1: &str = "version: 1
project: shop
tables:
  products:
    columns:
      id:    { type: bigint, primary_key: true, identity: true }
      name:  { type: text }
      price: { type: 'numeric(12,2)', default: 0 }
    indexes:
      - { columns: [name] }
";

const V2_DROPS_PRICE: &str = "version: 1
project: shop
tables:
  products:
    columns:
      id:    { type: bigint, primary_key: true, identity: true }
      name:  { type: text }
    indexes:
      - { columns: [name] }
";

fn project(yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("appctl.yaml"), yaml).unwrap();
    dir
}

#[test]
fn plan_exit_codes_deploy_and_convergence() {
    let server = PgServer::start();
    let url = server.create_database("cli_plan");
    let dir = project(V1);

    let output = appctl(dir.path())
        .args(["plan", "--database-url", &url, "--sql"])
        .assert()
        .code(2);
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("+ table products"), "{stdout}");
    assert!(
        stdout.contains("CREATE TABLE \"public\".\"products\""),
        "{stdout}"
    );
    assert!(stdout.contains("Plan: "), "{stdout}");
    assert!(
        !stdout.contains(server.password()),
        "the password is never printed"
    );

    // DATABASE_URL works the same as the flag.
    appctl(dir.path())
        .env("DATABASE_URL", &url)
        .args(["deploy", "--yes"])
        .assert()
        .success()
        .stderr(predicate::str::contains("Applied:"));
    appctl(dir.path())
        .args(["plan", "--database-url", &url])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("No changes"));
    let history = server.psql(
        "cli_plan",
        "select actor || ' ' || outcome from appctl.deployments order by id",
    );
    assert_eq!(history.trim(), "test-actor applied");
}

#[test]
fn deploy_without_a_terminal_needs_yes() {
    let server = PgServer::start();
    let url = server.create_database("cli_yes");
    let dir = project(V1);
    appctl(dir.path())
        .args(["deploy", "--database-url", &url])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--yes"));
    let tables = server.psql(
        "cli_yes",
        "select count(*) from pg_tables where schemaname = 'public'",
    );
    assert_eq!(tables.trim(), "0");
}

#[test]
fn destructive_changes_are_refused_without_the_flag() {
    let server = PgServer::start();
    let url = server.create_database("cli_destructive");
    let dir = project(V1);
    appctl(dir.path())
        .args(["deploy", "--yes", "--database-url", &url])
        .assert()
        .success();
    server.psql(
        "cli_destructive",
        "insert into products (name, price) values ('tea', 3.5)",
    );
    std::fs::write(dir.path().join("appctl.yaml"), V2_DROPS_PRICE).unwrap();
    appctl(dir.path())
        .args(["plan", "--database-url", &url])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("- column products.price"))
        .stdout(predicate::str::contains("destructive"));
    appctl(dir.path())
        .args(["deploy", "--yes", "--database-url", &url])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--allow-destructive"));
    let price = server.psql("cli_destructive", "select price from products");
    assert_eq!(price.trim(), "3.50", "nothing was changed");
    appctl(dir.path())
        .args([
            "deploy",
            "--yes",
            "--allow-destructive",
            "--database-url",
            &url,
        ])
        .assert()
        .success();
    let columns = server.psql(
        "cli_destructive",
        "select string_agg(column_name, ',' order by ordinal_position) from information_schema.columns where table_name = 'products'",
    );
    assert_eq!(columns.trim(), "id,name");
}

/// V1 grown: a check, a column with a default and an index.
const V3_GROWS: &str = "version: 1
project: shop
tables:
  products:
    columns:
      id:    { type: bigint, primary_key: true, identity: true }
      name:  { type: text }
      price: { type: 'numeric(12,2)', default: 0, check: 'price >= 0' }
      stock: { type: integer, default: 0 }
    indexes:
      - { columns: [name] }
      - { columns: [price] }
";

/// V3 as edited after its plan was saved: price dropped, stock retyped, a default, a column, a
/// table.
const V4_EDITED_AFTER_THE_PLAN: &str = "version: 1
project: shop
tables:
  products:
    columns:
      id:    { type: bigint, primary_key: true, identity: true }
      name:  { type: text, default: \"'unnamed'\" }
      stock: { type: bigint, default: 0 }
      sku:   { type: text, nullable: true }
    indexes:
      - { columns: [name] }
  orders:
    columns:
      id:         { type: bigint, primary_key: true, identity: true }
      product_id: { type: bigint, references: products.id }
";

/// `appctl deploy --yes --plan FILE` in `dir`.
fn deploy_saved(dir: &std::path::Path, url: &str, plan: &std::path::Path) -> assert_cmd::Command {
    let mut command = appctl(dir);
    command
        .args(["deploy", "--yes", "--database-url", url, "--plan"])
        .arg(plan);
    command
}

#[test]
fn a_saved_plan_is_refused_when_the_database_changed() {
    let server = PgServer::start();

    // Into an empty database: a table created since the plan.
    let url = server.create_database("cli_stale");
    let dir = project(V1);
    let plan_path = dir.path().join("plan.json");
    appctl(dir.path())
        .args(["plan", "--database-url", &url, "-o"])
        .arg(&plan_path)
        .assert()
        .code(2);
    let saved = std::fs::read_to_string(&plan_path).unwrap();
    assert!(
        !saved.contains(server.password()),
        "no secret in the plan file"
    );
    server.psql("cli_stale", "create table intruder (id int)");
    let before = server.catalog_snapshot("cli_stale");
    deploy_saved(dir.path(), &url, &plan_path)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("stale plan"));
    assert_eq!(
        server.catalog_snapshot("cli_stale"),
        before,
        "a refused plan changes nothing (not even an appctl schema)"
    );
    server.psql("cli_stale", "drop table intruder");
    deploy_saved(dir.path(), &url, &plan_path)
        .assert()
        .success();
    appctl(dir.path())
        .args(["plan", "--database-url", &url])
        .assert()
        .code(0);

    // Over a deployed database with rows: a column added by hand to the table the plan changes.
    let url = server.create_database("cli_stale_rows");
    let dir = project(V1);
    appctl(dir.path())
        .args(["deploy", "--yes", "--database-url", &url])
        .assert()
        .success();
    server.psql(
        "cli_stale_rows",
        "insert into products (name, price) values ('tea', 3.5)",
    );
    std::fs::write(dir.path().join("appctl.yaml"), V3_GROWS).unwrap();
    let plan_path = dir.path().join("plan.json");
    appctl(dir.path())
        .args(["plan", "--database-url", &url, "-o"])
        .arg(&plan_path)
        .assert()
        .code(2);
    server.psql(
        "cli_stale_rows",
        "alter table products add column note text",
    );
    let before = server.catalog_snapshot("cli_stale_rows");
    deploy_saved(dir.path(), &url, &plan_path)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("stale plan"));
    assert_eq!(
        server.catalog_snapshot("cli_stale_rows"),
        before,
        "a refused plan changes nothing"
    );
    server.psql("cli_stale_rows", "alter table products drop column note");
    deploy_saved(dir.path(), &url, &plan_path)
        .assert()
        .success();
    appctl(dir.path())
        .args(["plan", "--database-url", &url])
        .assert()
        .code(0);
    let row = server.psql("cli_stale_rows", "select name, price, stock from products");
    assert_eq!(row.trim(), "tea|3.50|0");
}

/// A saved plan is what gets applied (as with Terraform): `deploy --plan` refuses it only when the
/// database changed. The project file, edited after the plan was saved, changes nothing of it: the
/// database ends exactly as the plan's own file makes it, not one change of the edited file is
/// applied (not even its destructive one, which would need --allow-destructive), and the next plan
/// of the edited file still shows them all.
#[test]
fn a_saved_plan_is_applied_as_saved_when_the_project_file_changed() {
    let server = PgServer::start();
    let deploy_file = |dir: &std::path::Path, url: &str, yaml: &str| {
        std::fs::write(dir.join("appctl.yaml"), yaml).unwrap();
        appctl(dir)
            .args(["deploy", "--yes", "--database-url", url])
            .assert()
            .success();
    };
    let insert = "insert into products (name, price) values ('tea', 3.5)";

    // What the plan's file gives: V1, a row, then V3, from the files.
    let reference = server.create_database("cli_saved_reference");
    let dir = project(V1);
    deploy_file(dir.path(), &reference, V1);
    server.psql("cli_saved_reference", insert);
    deploy_file(dir.path(), &reference, V3_GROWS);

    let url = server.create_database("cli_saved");
    let dir = project(V1);
    deploy_file(dir.path(), &url, V1);
    server.psql("cli_saved", insert);
    std::fs::write(dir.path().join("appctl.yaml"), V3_GROWS).unwrap();
    let plan_path = dir.path().join("plan.json");
    appctl(dir.path())
        .args(["plan", "--database-url", &url, "-o"])
        .arg(&plan_path)
        .assert()
        .code(2);
    std::fs::write(dir.path().join("appctl.yaml"), V4_EDITED_AFTER_THE_PLAN).unwrap();
    deploy_saved(dir.path(), &url, &plan_path)
        .assert()
        .success();

    // The normalisation cache is no part of the schema (a saved plan does not refresh it).
    let snapshot = |db: &str| -> String {
        server
            .catalog_snapshot(db)
            .lines()
            .filter(|line| !line.starts_with("rows appctl.normalized "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        snapshot("cli_saved"),
        snapshot("cli_saved_reference"),
        "the database is as the plan's file makes it"
    );
    // The deployment records exactly the saved plan's statements.
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_path).unwrap()).unwrap();
    let planned: String = saved["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|step| step["sql"].as_array().unwrap())
        .map(|sql| format!("{};\n", sql.as_str().unwrap()))
        .collect();
    let recorded = server.psql(
        "cli_saved",
        "select statements from appctl.deployments order by id desc limit 1",
    );
    assert_eq!(recorded.trim_end(), planned.trim_end());
    // Nothing of the edited file: its plan still has every change.
    let output = appctl(dir.path())
        .args(["plan", "--database-url", &url])
        .assert()
        .code(2);
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    for change in [
        "- column products.price",
        "+ column products.sku",
        "~ column products.stock: type integer → bigint",
        "~ column products.name: default 'unnamed'::text",
        "+ table orders",
    ] {
        assert!(
            stdout.contains(change),
            "{change} is still to do:\n{stdout}"
        );
    }
    std::fs::write(dir.path().join("appctl.yaml"), V3_GROWS).unwrap();
    appctl(dir.path())
        .args(["plan", "--database-url", &url])
        .assert()
        .code(0);
    let row = server.psql("cli_saved", "select name, price, stock from products");
    assert_eq!(row.trim(), "tea|3.50|0");
}

/// Found next to the saved-plan tests: a function's sources changed after `plan -o` give another
/// version than the plan records. With `--env` (a Docker host to roll out to) `deploy --plan`
/// refuses it; without, it applies the plan: `appctl.functions` records the planned version, whose
/// package it cannot store (the sources now give another), so `appctl.function_packages` lacks the
/// code of the deployed version and an export does not carry it. The saved plan cannot be applied
/// as saved: it should be refused, as with `--env`.
#[test]
#[ignore = "bug: deploy --plan without --env applies a plan whose function sources changed since, without its package"]
fn a_saved_plan_is_refused_when_a_function_changed_since() {
    let server = PgServer::start();
    let url = server.create_database("cli_saved_function");
    let dir = project(&format!(
        "{V1}functions:
  hello:
    runtime: node-20
    source: functions/hello
    entrypoint: index.js
"
    ));
    let source = dir.path().join("functions/hello");
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(source.join("index.js"), "console.log(1)\n").unwrap();
    let plan_path = dir.path().join("plan.json");
    appctl(dir.path())
        .args(["plan", "--database-url", &url, "-o"])
        .arg(&plan_path)
        .assert()
        .code(2);
    std::fs::write(source.join("index.js"), "console.log(2)\n").unwrap();
    let before = server.catalog_snapshot("cli_saved_function");
    deploy_saved(dir.path(), &url, &plan_path)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "the sources of function `hello` changed since the plan was saved",
        ));
    assert_eq!(server.catalog_snapshot("cli_saved_function"), before);
}

#[test]
fn the_environment_gives_the_database_url_from_a_variable() {
    let server = PgServer::start();
    let url = server.create_database("cli_env");
    let dir = project(&format!(
        "{V1}environments:\n  staging:\n    database_url: \"${{STAGING_DB}}\"\n"
    ));
    appctl(dir.path())
        .env("STAGING_DB", &url)
        .args(["plan", "--env", "staging"])
        .assert()
        .code(2);
    appctl(dir.path())
        .args(["plan"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--database-url"));
}

#[test]
fn access_reports_the_live_permissions_and_where_they_differ_from_the_file() {
    let server = PgServer::start();
    let url = server.create_database("cli_access");
    let dir = project(
        "version: 1
project: notes
tables:
  notes:
    columns:
      id:       { type: bigint, primary_key: true, identity: true }
      owner_id: { type: uuid, default: auth.uid() }
    owner: owner_id
    permissions:
      read: [owner]
",
    );
    // A plain Postgres lacks the roles and auth helpers: the plan says how to get them.
    appctl(dir.path())
        .args(["plan", "--database-url", &url])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--bootstrap"));
    appctl(dir.path())
        .args(["plan", "--bootstrap", "--database-url", &url])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("notes.read: owner (was nobody)"));
    appctl(dir.path())
        .args(["deploy", "--yes", "--bootstrap", "--database-url", &url])
        .assert()
        .success();
    let output = appctl(dir.path())
        .args(["access", "--database-url", &url])
        .assert()
        .code(0);
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("notes"), "{stdout}");
    assert!(
        stdout.contains("read rows where (owner_id = auth.uid())"),
        "{stdout}"
    );
    assert!(stdout.contains("anon"), "{stdout}");

    server.psql(
        "cli_access",
        "grant select on notes to anon; create policy open_to_all on notes for select to anon using (true)",
    );
    let output = appctl(dir.path())
        .args(["access", "--database-url", &url, "--json"])
        .assert()
        .code(2);
    let json: serde_json::Value = serde_json::from_slice(&output.get_output().stdout).unwrap();
    let differences = json["differences"].as_array().unwrap();
    assert_eq!(differences.len(), 1, "{json:#}");
    assert_eq!(differences[0]["role"], "anon");
    assert_eq!(differences[0]["action"], "read");
    assert_eq!(differences[0]["live"]["access"], "allowed");
    assert_eq!(differences[0]["declared"]["access"], "denied");
}

/// The top-level keys of a `--json` object, in the order printed.
fn keys(stdout: &str) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_str(stdout).unwrap();
    json.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn plan_and_deploy_json_keep_their_keys_and_order() {
    let server = PgServer::start();
    let url = server.create_database("cli_json");
    let dir = project(V1);

    let output = appctl(dir.path())
        .args(["plan", "--database-url", &url, "--json"])
        .assert()
        .code(2);
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    assert!(stdout.starts_with("{\n  \"plan\": {"), "pretty: {stdout}");
    assert_eq!(keys(&stdout), ["plan", "summary", "changes"]);
    let plan: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(plan["changes"], true);
    let summary: Vec<&String> = plan["summary"].as_object().unwrap().keys().collect();
    assert_eq!(summary, ["create", "change", "drop", "destructive"]);

    let output = appctl(dir.path())
        .args(["deploy", "--database-url", &url, "--yes", "--json"])
        .assert()
        .success();
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    assert_eq!(
        keys(&stdout),
        ["applied", "deployment_id", "summary", "plan", "functions"]
    );
    let deployed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(deployed["applied"], true);
    assert!(deployed["deployment_id"].is_i64(), "{stdout}");
    assert_eq!(deployed["summary"], plan["summary"]);
    assert!(deployed["functions"].is_null(), "{stdout}");

    let output = appctl(dir.path())
        .args(["plan", "--database-url", &url, "--json"])
        .assert()
        .code(0);
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    let again: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(again["changes"], false);
}
