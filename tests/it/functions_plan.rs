//! Functions in the plan, against a real PostgreSQL: a function is shown as changed exactly when its
//! package's hash, its configuration or its env names change; never for an env value, and no value
//! ever appears in a plan, its SQL, the bookkeeping or the output. A deploy records the function and
//! converges. `appctl functions list` shows what is deployed.
//!
//! One PostgreSQL 15 server is shared by the tests of this binary (a database per test); it stops
//! when the last running test lets go of it.

use std::fs;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

use crate::support::engine::Yes;
use crate::support::pg::PgServer;
use appctl::deploy::{self, DeployOptions};
use appctl::plan::Plan;
use appctl::plan_output::{self, TextOptions};
use appctl::project::vars::Variables;
use appctl::project::{self, LoadOptions};
use assert_cmd::Command;

const TARGET: &str = "postgres://appctl@127.0.0.1/test";
const SECRET: &str = "sk-live-0123456789-never-show-me";
const OTHER_SECRET: &str = "sk-live-rotated-9876543210-never-show-me";

fn shared_server() -> Arc<PgServer> {
    static SHARED: Mutex<Weak<PgServer>> = Mutex::new(Weak::new());
    crate::support::pg::shared(&SHARED)
}

const BASE: &str = "version: 1
project: demo
functions:
  chat:
    runtime: node-20
    source: functions/chat
    entrypoint: index.js
    env:
      OPENAI_API_KEY: \"${OPENAI_API_KEY}\"
      MODEL: gpt-4o-mini
    timeout: 30s
    execute: [users]
  ingest:
    runtime: python-3.12
    source: functions/ingest
    entrypoint: main.py
    schedule: \"*/10 * * * *\"
    execute: [service]
";

/// A project on disk, its database, and a runtime.
struct Fixture {
    dir: tempfile::TempDir,
    server: Arc<PgServer>,
    url: String,
    runtime: tokio::runtime::Runtime,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            ("functions/chat/index.js", "console.log('chat')\n"),
            (
                "functions/chat/lib/prompt.js",
                "module.exports = 'be brief'\n",
            ),
            ("functions/ingest/main.py", "print('ingest')\n"),
        ];
        for (path, contents) in files {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, contents).unwrap();
        }
        let server = shared_server();
        let url = server.create_database(name);
        Fixture {
            dir,
            server,
            url,
            runtime: crate::support::engine::runtime(),
        }
    }

    fn path(&self, relative: &str) -> std::path::PathBuf {
        self.dir.path().join(relative)
    }

    /// The desired state of `yaml` with versions read from the sources, the secret set to `secret`.
    fn desired(&self, yaml: &str, secret: &str) -> appctl::model::Database {
        fs::write(self.path("appctl.yaml"), yaml).unwrap();
        let options = LoadOptions {
            environment: None,
            variables: Some(Variables::from_pairs([("OPENAI_API_KEY", secret)])),
        };
        let project = project::load(&self.path("appctl.yaml"), &options)
            .unwrap_or_else(|e| panic!("project loads: {e}"));
        appctl::functions::lower_with_versions(&project).unwrap_or_else(|e| panic!("{e}"))
    }

    fn plan(&self, yaml: &str, secret: &str) -> Plan {
        let desired = self.desired(yaml, secret);
        self.runtime.block_on(async {
            let mut conn = deploy::connect(&self.url, "appctl test").await.unwrap();
            deploy::make_plan(&mut conn, &desired, false)
                .await
                .unwrap_or_else(|e| panic!("plan failed: {e}"))
        })
    }

    fn deploy(&self, yaml: &str, secret: &str) -> Plan {
        let desired = self.desired(yaml, secret);
        self.runtime.block_on(async {
            let mut conn = deploy::connect(&self.url, "appctl test").await.unwrap();
            let options = DeployOptions {
                actor: "test".into(),
                ..DeployOptions::default()
            };
            deploy::deploy(&mut conn, &desired, None, &options, &mut Yes)
                .await
                .unwrap_or_else(|e| panic!("deploy failed: {e}"))
                .plan
        })
    }

    /// Deploys, then checks a new plan is empty.
    fn converge(&self, yaml: &str, secret: &str) {
        self.deploy(yaml, secret);
        let again = self.plan(yaml, secret);
        assert!(again.is_empty(), "plan after deploy:\n{}", text(&again));
    }

    fn sql(&self, sql: &str) -> String {
        self.server.psql(&self.url, sql)
    }

    fn version(&self, name: &str) -> String {
        self.desired(BASE, SECRET).functions[name]
            .version
            .clone()
            .unwrap()
    }
}

fn text(plan: &Plan) -> String {
    plan_output::render_text(
        plan,
        TARGET,
        TextOptions {
            sql: true,
            color: false,
        },
    )
}

/// Every rendering of the plan, for checks that hold in all of them.
fn all_renderings(plan: &Plan) -> String {
    format!(
        "{}\n{}\n{}",
        text(plan),
        plan_output::render_markdown(plan),
        serde_json::to_string(plan).unwrap()
    )
}

fn function_lines(plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .map(|s| format!("{} {}: {}", s.action.symbol(), s.object, s.detail))
        .collect()
}

#[test]
fn new_functions_are_created_recorded_and_converge() {
    let fx = Fixture::new("functions_create");
    let plan = fx.plan(BASE, SECRET);
    insta::assert_snapshot!("functions_created", text(&plan));
    assert!(!all_renderings(&plan).contains(SECRET));

    fx.converge(BASE, SECRET);
    let chat = fx.version("chat");
    assert_eq!(
        fx.sql(
            "SELECT name, version, runtime, entrypoint, timeout_ms, coalesce(schedule, '-'), execute, env_names \
             FROM appctl.functions ORDER BY name"
        ),
        format!(
            "chat|{chat}|node-20|index.js|30000|-|[\"users\"]|[\"MODEL\", \"OPENAI_API_KEY\"]\ningest|{}|python-3.12|main.py||*/10 * * * *|[\"service\"]|[]",
            fx.version("ingest")
        )
    );
    let everything = fx.sql(
        "SELECT string_agg(statements, ' ') FROM appctl.deployments UNION ALL \
         SELECT string_agg(f::text, ' ') FROM appctl.functions f",
    );
    assert!(!everything.contains(SECRET), "{everything}");
    assert!(
        !everything.contains("gpt-4o-mini"),
        "env values are not recorded: {everything}"
    );
}

#[test]
fn a_function_changes_exactly_when_its_code_config_or_env_names_change() {
    let fx = Fixture::new("functions_change");
    fx.converge(BASE, SECRET);

    // An env value (secret or not) is not a change.
    let rotated = BASE.replace("gpt-4o-mini", "gpt-4.1");
    assert!(fx.plan(&rotated, OTHER_SECRET).is_empty());
    // Neither are the spelling of a duration, the order of execute, or spaces in a cron.
    let respelled = BASE
        .replace("timeout: 30s", "timeout: 30000ms")
        .replace("execute: [users]", "execute: [users, users]")
        .replace("\"*/10 * * * *\"", "\"*/10  *  * * *\"");
    assert!(fx.plan(&respelled, SECRET).is_empty());
    // Neither is a file the package leaves out (dependency folders, caches, .env).
    let old_chat = fx.version("chat");
    fs::create_dir_all(fx.path("functions/chat/node_modules/dep")).unwrap();
    fs::write(fx.path("functions/chat/node_modules/dep/index.js"), "x").unwrap();
    fs::write(
        fx.path("functions/chat/.env"),
        format!("OPENAI_API_KEY={SECRET}"),
    )
    .unwrap();
    assert!(fx.plan(BASE, SECRET).is_empty());
    assert_eq!(old_chat, fx.version("chat"));

    // The code.
    fs::write(
        fx.path("functions/chat/lib/prompt.js"),
        "module.exports = 'be kind'\n",
    )
    .unwrap();
    let new_chat = fx.version("chat");
    let plan = fx.plan(BASE, SECRET);
    assert_eq!(
        function_lines(&plan),
        [format!(
            "~ function chat: version {} → {}",
            &old_chat[..12],
            &new_chat[..12]
        )]
    );
    fx.converge(BASE, SECRET);

    // Config and env names, each alone.
    for (from, to, words) in [
        ("timeout: 30s", "timeout: 1m", "timeout 30s → 1m"),
        (
            "runtime: node-20",
            "runtime: node-22",
            "runtime node-20 → node-22",
        ),
        (
            "entrypoint: index.js",
            "entrypoint: lib/prompt.js",
            "entrypoint index.js → lib/prompt.js",
        ),
        (
            "execute: [users]",
            "execute: [any]",
            "execute: any (was users)",
        ),
        (
            "      MODEL: gpt-4o-mini\n",
            "      MODEL: gpt-4o-mini\n      REGION: eu\n",
            "env +REGION",
        ),
        ("      MODEL: gpt-4o-mini\n", "", "env -MODEL"),
        (
            "    execute: [users]\n",
            "    execute: [users]\n    memory: 256MiB\n",
            "memory none → 256.0 MiB",
        ),
    ] {
        let changed = BASE.replace(from, to);
        assert_ne!(changed, BASE, "{from}");
        let plan = fx.plan(&changed, SECRET);
        assert_eq!(
            function_lines(&plan),
            [format!("~ function chat: {words}")],
            "{from} → {to}"
        );
        assert!(!all_renderings(&plan).contains(SECRET));
    }
    let rescheduled = BASE.replace("*/10 * * * *", "0 * * * *");
    assert_eq!(
        function_lines(&fx.plan(&rescheduled, SECRET)),
        ["~ function ingest: schedule */10 * * * * → 0 * * * *"]
    );
}

#[test]
fn combined_changes_and_a_removal_render_in_words() {
    let fx = Fixture::new("functions_words");
    fx.converge(BASE, SECRET);
    fs::write(
        fx.path("functions/chat/index.js"),
        "console.log('chat v2')\n",
    )
    .unwrap();
    let changed = BASE
        .replace("timeout: 30s", "timeout: 2m")
        .replace("      MODEL: gpt-4o-mini\n", "      TEMPERATURE: \"0.2\"\n")
        .replace("execute: [users]", "execute: [users, service]");
    let without_ingest = &changed[..changed.find("  ingest:").unwrap()];
    let plan = fx.plan(without_ingest, SECRET);
    insta::assert_snapshot!("functions_changed_and_removed", text(&plan));
    insta::assert_snapshot!(
        "functions_changed_and_removed_markdown",
        plan_output::render_markdown(&plan)
    );
    assert!(!all_renderings(&plan).contains(SECRET));
    // Removing a function is not destructive: only its record goes (no data lives in it).
    assert_eq!(plan.summary().destructive, 0);
    fx.converge(without_ingest, SECRET);
    assert_eq!(
        fx.sql("SELECT string_agg(name, ',') FROM appctl.functions"),
        "chat"
    );
}

#[test]
fn a_record_from_an_older_appctl_is_upgraded() {
    let fx = Fixture::new("functions_old_record");
    // What appctl wrote before it recorded versions: execute only.
    fx.sql(
        "CREATE SCHEMA appctl; \
         CREATE TABLE appctl.functions (schema_name text NOT NULL, name text NOT NULL, execute jsonb NOT NULL, PRIMARY KEY (schema_name, name)); \
         INSERT INTO appctl.functions VALUES ('public', 'chat', '[\"users\"]');",
    );
    let plan = fx.plan(BASE, SECRET);
    let lines = function_lines(&plan);
    assert!(
        lines[0].starts_with("~ function chat: version none → ")
            && lines[0].contains("runtime  → node-20"),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("+ function ingest: python-3.12 main.py"),
        "{lines:?}"
    );
    fx.converge(BASE, SECRET);
}

// ---------------------------------------------------------------------------------------------
// The commands
// ---------------------------------------------------------------------------------------------

fn appctl(dir: &Path) -> Command {
    let mut command = crate::support::cli::appctl(dir);
    command.env("OPENAI_API_KEY", SECRET);
    command
}

fn output_text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn plan_deploy_and_list_from_the_command_line() {
    let fx = Fixture::new("functions_cli");
    fs::write(fx.path("appctl.yaml"), BASE).unwrap();
    let dir = fx.dir.path();

    // Not deployed yet.
    let output = appctl(dir)
        .args(["functions", "list", "--database-url", &fx.url])
        .output()
        .unwrap();
    let listing = output_text(&output);
    assert!(output.status.success(), "{listing}");
    assert!(
        listing.lines().next().unwrap().ends_with("DEPLOYED"),
        "{listing}"
    );
    assert_eq!(listing.matches("not deployed").count(), 2, "{listing}");

    let output = appctl(dir)
        .args(["plan", "--database-url", &fx.url])
        .output()
        .unwrap();
    let plan = output_text(&output);
    assert_eq!(output.status.code(), Some(2), "{plan}");
    assert!(
        plan.contains("+ function chat: node-20 index.js, version "),
        "{plan}"
    );
    assert!(!plan.contains(SECRET), "{plan}");

    let output = appctl(dir)
        .args(["deploy", "--yes", "--database-url", &fx.url])
        .output()
        .unwrap();
    let deployed = output_text(&output);
    assert!(output.status.success(), "{deployed}");
    assert!(!deployed.contains(SECRET), "{deployed}");
    appctl(dir)
        .args(["plan", "--database-url", &fx.url])
        .assert()
        .code(0);

    // Up to date, then the code changes: list says which and how, through DATABASE_URL.
    let chat = fx.version("chat");
    let output = appctl(dir)
        .args(["functions", "list"])
        .env("DATABASE_URL", &fx.url)
        .output()
        .unwrap();
    let listing = output_text(&output);
    assert!(
        listing.contains(&format!("{} (up to date)", &chat[..12])),
        "{listing}"
    );
    fs::write(fx.path("functions/chat/index.js"), "console.log('v2')\n").unwrap();
    let output = appctl(dir)
        .args(["functions", "list", "--json", "--database-url", &fx.url])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", output_text(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let row = &json["functions"][0];
    assert_eq!(row["name"], "chat");
    assert_eq!(row["deployed"]["version"], chat);
    assert_eq!(row["deployed"]["differs"], true);
    assert_ne!(row["version"], chat);
    assert_eq!(json["functions"][1]["deployed"]["differs"], false);
    assert!(!output_text(&output).contains(SECRET));

    // A database that cannot be reached is an error, not a silent local listing.
    let output = appctl(dir)
        .args([
            "functions",
            "list",
            "--database-url",
            "postgres://nobody:pw@127.0.0.1:1/none",
        ])
        .output()
        .unwrap();
    let error = output_text(&output);
    assert_eq!(output.status.code(), Some(1), "{error}");
    assert!(
        error.contains("cannot read the deployed functions"),
        "{error}"
    );
    assert!(!error.contains(":pw@"), "the password is redacted: {error}");
}
