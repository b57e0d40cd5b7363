//! What a deploy guarantees when things go wrong, with the built binary against a real PostgreSQL:
//!
//! * killed with SIGKILL at any moment, it leaves the database exactly as before or exactly as
//!   planned (and `appctl.deployments` says which), and a rerun completes;
//! * a second deploy waits for the advisory lock, names its holder, gives up after
//!   `--lock-timeout` with nothing changed, and two deploys started at once both succeed;
//! * a failing statement rolls everything back and records a `failed` deployment.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::pg::PgServer;
use appctl::deploy::{self, LOCK_KEY};
use appctl::model::Database;

fn appctl(dir: &Path) -> Command {
    let mut command = crate::support::cli::command(dir);
    command
        .env("APPCTL_ACTOR", "safety-test")
        .stdin(Stdio::null());
    command
}

fn run(dir: &Path, args: &[&str]) -> Output {
    appctl(dir).args(args).output().expect("run appctl")
}

fn text(output: &Output) -> String {
    format!(
        "exit: {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn project(yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("appctl.yaml"), yaml).unwrap();
    dir
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The schema as appctl sees it, `managed` included.
fn state(url: &str) -> Database {
    runtime().block_on(async {
        let mut conn = deploy::connect(url, "deploy_safety inspect").await.unwrap();
        appctl::inspect::inspect(&mut conn, "public").await.unwrap()
    })
}

/// Waits (bounded) until no session but psql's own is connected to `db`: a killed client's
/// transaction ends only when its server process notices the closed connection.
fn wait_until_idle(server: &PgServer, db: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let others = server.psql(
            db,
            &format!(
                "select count(*) from pg_stat_activity where datname = '{db}' and pid <> pg_backend_pid()"
            ),
        );
        if others.trim() == "0" {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "sessions still connected to {db} after 60s"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

fn deployments(server: &PgServer, db: &str, outcome: &str) -> usize {
    server
        .psql(
            db,
            &format!("select count(*) from appctl.deployments where outcome = '{outcome}'"),
        )
        .trim()
        .parse()
        .unwrap()
}

const V0: &str = "version: 1
project: safety
tables:
  existing:
    columns:
      id:   { type: bigint, primary_key: true }
      qty:  { type: integer }
      note: { type: text, nullable: true }
";

/// V0 grown into many statements: 40 new tables in a cycle of foreign keys, each with indexes, and
/// changes to `existing` (which holds rows): a type change that rewrites it, a column with a default,
/// an index and a check.
fn v1() -> String {
    let mut yaml = String::from(
        "version: 1
project: safety
tables:
  existing:
    columns:
      id:    { type: bigint, primary_key: true }
      qty:   { type: bigint, check: \"qty >= 0\" }
      note:  { type: text, nullable: true }
      added: { type: text, default: \"'x'\" }
    indexes:
      - { columns: [qty desc, id] }
",
    );
    for i in 0..40 {
        let parent = (i + 39) % 40;
        yaml.push_str(&format!(
            "  t{i:02}:
    comment: table {i}
    columns:
      id:          {{ type: bigint, primary_key: true, identity: true }}
      parent_id:   {{ type: bigint, nullable: true, references: t{parent:02}.id, on_delete: set_null }}
      existing_id: {{ type: bigint, nullable: true, references: existing.id }}
      name:        {{ type: text, default: \"''\" }}
      created_at:  {{ type: timestamptz, default: now() }}
    unique:
      - [name, id]
    indexes:
      - {{ columns: [parent_id] }}
      - {{ columns: [created_at desc], where: \"name <> ''\" }}
"
        ));
    }
    yaml
}

/// A fresh database holding V0 with `rows` rows in `existing`.
fn database_with_v0(server: &PgServer, name: &str, rows: usize) -> String {
    let url = server.create_database(name);
    let dir = project(V0);
    let output = run(dir.path(), &["deploy", "--yes", "--database-url", &url]);
    assert!(output.status.success(), "{}", text(&output));
    server.psql(
        name,
        &format!(
            "insert into existing (id, qty, note) select g, g % 100, 'row ' || g from generate_series(1, {rows}) g"
        ),
    );
    url
}

#[derive(Debug)]
enum Trigger {
    /// Kill after this long.
    After(Duration),
    /// Kill as soon as the deploy's session runs a statement `LIKE` this.
    Running(&'static str),
}

#[test]
fn a_killed_deploy_leaves_the_database_as_before_or_as_planned() {
    const RUNS: u32 = 10;
    const ROWS: usize = 20_000;
    let server = PgServer::start();
    let v1_dir = project(&v1());

    // The state a complete deploy gives, and how long one takes here.
    let url = database_with_v0(&server, "kill_reference", ROWS);
    let before = state(&url);
    let started = Instant::now();
    let output = run(v1_dir.path(), &["deploy", "--yes", "--database-url", &url]);
    let full = started.elapsed();
    assert!(output.status.success(), "{}", text(&output));
    let after = state(&url);
    assert_ne!(before, after);

    // Runs killed after a delay (from 0 to a little past a whole deploy, at most 5 s), then runs
    // killed the moment the deploy's session is seen running a given statement of the transaction.
    let mut triggers: Vec<Trigger> = (0..RUNS)
        .map(|i| Trigger::After((full.mul_f64(1.2) * i / (RUNS - 1)).min(Duration::from_secs(5))))
        .collect();
    triggers.push(Trigger::Running(r#"ALTER TABLE "public"."existing"%"#));
    triggers.push(Trigger::Running(r#"CREATE TABLE "public"."t2%"#));
    triggers.push(Trigger::Running("INSERT INTO appctl.managed%"));
    triggers.push(Trigger::Running("COMMIT"));
    let (mut as_before, mut as_after) = (0, 0);
    for (run_index, trigger) in triggers.iter().enumerate() {
        let db = format!("kill_{run_index}");
        let url = database_with_v0(&server, &db, ROWS);
        assert_eq!(state(&url), before, "run {run_index}: the setup differs");
        let delay = trigger;
        let mut child = appctl(v1_dir.path())
            .args(["deploy", "--yes", "--database-url", &url])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        match trigger {
            Trigger::After(delay) => thread::sleep(*delay),
            Trigger::Running(pattern) => {
                // Polled over one open connection: a psql per poll is too slow to catch statements.
                let rt = runtime();
                let seen = rt.block_on(async {
                    let mut watcher = deploy::connect(&url, "deploy_safety watcher")
                        .await
                        .unwrap();
                    let deadline = Instant::now() + Duration::from_secs(30);
                    while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
                        let running: i64 = sqlx::query_scalar(
                            "select count(*) from pg_stat_activity
                             where datname = current_database()
                               and application_name like 'appctl deploy%' and query like $1",
                        )
                        .bind(pattern)
                        .fetch_one(&mut watcher)
                        .await
                        .unwrap();
                        if running > 0 {
                            return true;
                        }
                    }
                    false
                });
                // Polling can miss a short statement; the run still checks the state.
                if !seen {
                    eprintln!("run {run_index}: did not see the deploy run {pattern}");
                }
            }
        }
        // SIGKILL (a no-op when it has finished already).
        let _ = child.kill();
        let _ = child.wait().unwrap();
        wait_until_idle(&server, &db);

        let now = state(&url);
        let applied = deployments(&server, &db, "applied");
        if now == before {
            as_before += 1;
            assert_eq!(
                applied, 1,
                "run {run_index} ({delay:?}): state as before but a deployment was recorded"
            );
        } else if now == after {
            as_after += 1;
            assert_eq!(
                applied, 2,
                "run {run_index} ({delay:?}): state as planned but no deployment was recorded"
            );
        } else {
            panic!(
                "run {run_index}: killed after {delay:?}, the database is neither as before nor as planned:\n{now:#?}"
            );
        }
        let rows = server.psql(&db, "select count(*) from existing");
        assert_eq!(rows.trim(), ROWS.to_string(), "run {run_index}: rows lost");

        // A rerun completes whatever is left, and then there is nothing to do.
        let output = run(v1_dir.path(), &["deploy", "--yes", "--database-url", &url]);
        assert!(
            output.status.success(),
            "run {run_index}: {}",
            text(&output)
        );
        assert_eq!(state(&url), after, "run {run_index}: rerun state");
        let output = run(v1_dir.path(), &["plan", "--database-url", &url]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "run {run_index}: {}",
            text(&output)
        );
        assert_eq!(deployments(&server, &db, "applied"), 2);
    }
    eprintln!(
        "a full deploy took {full:?}; killed runs left {as_before} as before, {as_after} as planned"
    );
}

#[test]
fn a_deploy_waits_for_the_lock_and_gives_up_with_nothing_changed() {
    let server = PgServer::start();
    let url = server.create_database("lock_wait");
    let dir = project(V0);
    let rt = runtime();
    let mut holder = rt.block_on(async {
        let mut conn = deploy::connect(&url, "lock-holder-of-test").await.unwrap();
        sqlx::query("select pg_advisory_lock($1)")
            .bind(LOCK_KEY)
            .execute(&mut conn)
            .await
            .unwrap();
        conn
    });

    let started = Instant::now();
    let output = run(
        dir.path(),
        &[
            "deploy",
            "--yes",
            "--lock-timeout",
            "2s",
            "--database-url",
            &url,
        ],
    );
    let waited = started.elapsed();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Waiting for the deploy lock, held by lock-holder-of-test"),
        "it says it waits, naming the holder: {}",
        text(&output)
    );
    assert!(
        stderr.contains("another deploy holds the lock (lock-holder-of-test"),
        "the timeout names the holder: {}",
        text(&output)
    );
    assert!(
        waited >= Duration::from_secs(2),
        "gave up after {waited:?}, before the timeout"
    );
    let tables = server.psql(
        "lock_wait",
        "select count(*) from pg_tables where schemaname = 'public'",
    );
    assert_eq!(tables.trim(), "0", "nothing was changed");

    rt.block_on(async {
        sqlx::query("select pg_advisory_unlock($1)")
            .bind(LOCK_KEY)
            .execute(&mut holder)
            .await
            .unwrap();
    });
    let output = run(
        dir.path(),
        &[
            "deploy",
            "--yes",
            "--lock-timeout",
            "2s",
            "--database-url",
            &url,
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    let output = run(dir.path(), &["plan", "--database-url", &url]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[test]
fn two_deploys_started_at_once_both_succeed() {
    let server = PgServer::start();
    let reference = database_with_v0(&server, "twice_reference", 1000);
    let v1_dir = project(&v1());
    let output = run(
        v1_dir.path(),
        &["deploy", "--yes", "--database-url", &reference],
    );
    assert!(output.status.success(), "{}", text(&output));
    let after = state(&reference);

    let url = database_with_v0(&server, "twice", 1000);
    let spawn = || {
        appctl(v1_dir.path())
            .args(["deploy", "--yes", "--database-url", &url])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(), spawn());
    let first = first.wait_with_output().unwrap();
    let second = second.wait_with_output().unwrap();
    assert!(first.status.success(), "first: {}", text(&first));
    assert!(second.status.success(), "second: {}", text(&second));
    assert_eq!(state(&url), after);
    // V0 and V1 once: the deploy that got the lock second found nothing to do.
    assert_eq!(deployments(&server, "twice", "applied"), 2);
    assert_eq!(deployments(&server, "twice", "failed"), 0);
    let output = run(v1_dir.path(), &["plan", "--database-url", &url]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[test]
fn a_failing_statement_rolls_everything_back_and_is_recorded() {
    let server = PgServer::start();
    let url = database_with_v0(&server, "failing", 100);
    // Rows the new check rejects.
    server.psql("failing", "update existing set qty = -1 where id <= 3");
    let before = state(&url);
    let v1_dir = project(&v1());
    let output = run(v1_dir.path(), &["deploy", "--yes", "--database-url", &url]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("existing_qty_check") && stderr.contains("rolled back"),
        "the error names the constraint and the rollback: {}",
        text(&output)
    );
    assert_eq!(state(&url), before, "the schema is as before");
    assert_eq!(deployments(&server, "failing", "applied"), 1);
    assert_eq!(deployments(&server, "failing", "failed"), 1);
    let error = server.psql(
        "failing",
        "select error from appctl.deployments where outcome = 'failed'",
    );
    assert!(error.contains("existing_qty_check"), "{error}");
    let qty = server.psql("failing", "select pg_typeof(qty) from existing limit 1");
    assert_eq!(qty.trim(), "integer", "the type change was rolled back");
}
