//! What a deploy guarantees when things go wrong, with the built binary against a real PostgreSQL:
//!
//! * killed with SIGKILL at any moment, it leaves the database exactly as before or exactly as
//!   planned (and `appctl.deployments` says which), and a rerun completes; some kills provably land
//!   inside the deploy's transaction after it wrote (seen in `pg_stat_activity`), and those leave it
//!   as before;
//! * a second deploy waits for the advisory lock, names its holder, gives up after
//!   `--lock-timeout` with nothing changed, and of two deploys started at once one waits for the
//!   other's lock (which the test makes sure of) and both succeed;
//! * a failing statement rolls everything back and records a `failed` deployment.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::pg::PgServer;
use appctl::deploy::{self, LOCK_KEY};
use appctl::model::Database;
use sqlx::Connection;

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

use crate::support::cli::describe as text;

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
    /// Hold a SHARE lock on `table` (as a reader building an index would), so that the deploy's
    /// statement `LIKE` `statement` waits for it inside the deploy's transaction; kill the deploy
    /// once it is seen waiting there, then release the lock.
    Blocked {
        table: &'static str,
        statement: &'static str,
    },
}

/// The statements of the plan's transaction (its SQL names `"public".` objects; the normalisation's
/// own transaction works in a scratch schema), and its bookkeeping.
const PLAN_STATEMENTS: &[&str] = &[r#"%"public".%"#, "%appctl.managed%", "%appctl.deployments%"];

/// Whether the deploy's session is, right now, inside a transaction that has written (Postgres
/// assigns a transaction id at its first write: `backend_xid`) and runs or last ran a statement
/// `LIKE` one of `patterns`, waiting for a lock when `waiting`.
async fn deploy_mid_transaction(
    watcher: &mut sqlx::PgConnection,
    patterns: &[&str],
    waiting: bool,
) -> bool {
    let count: i64 = sqlx::query_scalar(
        "select count(*) from pg_stat_activity
         where datname = current_database() and application_name like 'appctl deploy%'
           and backend_xid is not null and state in ('active', 'idle in transaction')
           and query like any($1) and (not $2 or wait_event_type = 'Lock')",
    )
    .bind(patterns)
    .bind(waiting)
    .fetch_one(watcher)
    .await
    .unwrap();
    count > 0
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

    // Runs killed after a delay (from 0 to a little past a whole deploy, at most 5 s), runs killed
    // the moment the deploy's session is seen running a given statement of the transaction, and
    // runs killed while a statement of the transaction waits for a lock the test holds: in the
    // middle of the transaction (ALTER TABLE existing comes after the 40 CREATE TABLEs) and at its
    // very end (appctl.managed is written after every DDL statement, just before the COMMIT).
    let mut triggers: Vec<Trigger> = (0..RUNS)
        .map(|i| Trigger::After((full.mul_f64(1.2) * i / (RUNS - 1)).min(Duration::from_secs(5))))
        .collect();
    triggers.push(Trigger::Running(r#"ALTER TABLE "public"."existing"%"#));
    triggers.push(Trigger::Running(r#"CREATE TABLE "public"."t2%"#));
    triggers.push(Trigger::Running("INSERT INTO appctl.managed%"));
    triggers.push(Trigger::Running("COMMIT"));
    triggers.push(Trigger::Blocked {
        table: "public.existing",
        statement: r#"ALTER TABLE "public"."existing"%"#,
    });
    triggers.push(Trigger::Blocked {
        table: "appctl.managed",
        statement: "DELETE FROM appctl.managed%",
    });
    let (mut as_before, mut as_after) = (0, 0);
    // Runs whose deploy was seen, just before the SIGKILL, inside its transaction with writes done,
    // and that ended exactly as before: the kill landed mid-deploy (the transaction had started
    // changing the schema and never committed), and Postgres rolled it all back.
    let mut killed_mid_transaction = 0;
    for (run_index, trigger) in triggers.iter().enumerate() {
        let db = format!("kill_{run_index}");
        let url = database_with_v0(&server, &db, ROWS);
        assert_eq!(state(&url), before, "run {run_index}: the setup differs");
        let rt = runtime();
        // One open connection: a psql per poll is too slow to catch statements.
        let mut watcher = rt
            .block_on(deploy::connect(&url, "deploy_safety watcher"))
            .unwrap();
        let mut locker = match trigger {
            Trigger::Blocked { table, .. } => Some(rt.block_on(async {
                let mut conn = deploy::connect(&url, "deploy_safety locker").await.unwrap();
                sqlx::raw_sql(&format!("BEGIN; LOCK TABLE {table} IN SHARE MODE"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                conn
            })),
            _ => None,
        };
        let mut child = appctl(v1_dir.path())
            .args(["deploy", "--yes", "--database-url", &url])
            // Far longer than the run waits: the kill, not the lock timeout, ends a blocked deploy.
            .args(["--ddl-lock-timeout", "10m"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mid_transaction = match trigger {
            Trigger::After(delay) => {
                thread::sleep(*delay);
                rt.block_on(deploy_mid_transaction(&mut watcher, PLAN_STATEMENTS, false))
            }
            Trigger::Running(pattern)
            | Trigger::Blocked {
                statement: pattern, ..
            } => {
                let waiting = matches!(trigger, Trigger::Blocked { .. });
                let deadline = Instant::now() + Duration::from_secs(60);
                let seen = rt.block_on(async {
                    while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
                        if deploy_mid_transaction(&mut watcher, &[pattern], waiting).await {
                            return true;
                        }
                    }
                    false
                });
                // Polling can miss a short statement; the run still checks the state. A blocked
                // statement cannot be missed.
                if !seen {
                    assert!(
                        !waiting,
                        "run {run_index}: the deploy was never seen waiting in {pattern}"
                    );
                    eprintln!("run {run_index}: did not see the deploy run {pattern}");
                }
                seen
            }
        };
        // SIGKILL (a no-op when it has finished already).
        let _ = child.kill();
        let _ = child.wait().unwrap();
        if let Some(mut locker) = locker.take() {
            let Trigger::Blocked { statement, .. } = trigger else {
                unreachable!()
            };
            rt.block_on(async {
                // The client is gone, its transaction is still open and waiting: killed
                // mid-transaction, with no race between the look and the kill.
                assert!(
                    deploy_mid_transaction(&mut watcher, &[statement], true).await,
                    "run {run_index}: after the kill, the deploy's transaction is not waiting in \
                     {statement}"
                );
                sqlx::raw_sql("ROLLBACK")
                    .execute(&mut locker)
                    .await
                    .unwrap();
                locker.close().await.unwrap();
            });
        }
        rt.block_on(watcher.close()).unwrap();
        wait_until_idle(&server, &db);

        let now = state(&url);
        let applied = deployments(&server, &db, "applied");
        let failed = deployments(&server, &db, "failed");
        assert_eq!(
            failed, 0,
            "run {run_index} ({trigger:?}): a failure was recorded"
        );
        if now == before {
            as_before += 1;
            assert_eq!(
                applied, 1,
                "run {run_index} ({trigger:?}): state as before but a deployment was recorded"
            );
            if mid_transaction {
                killed_mid_transaction += 1;
            }
        } else if now == after {
            as_after += 1;
            assert_eq!(
                applied, 2,
                "run {run_index} ({trigger:?}): state as planned but no deployment was recorded"
            );
        } else {
            panic!(
                "run {run_index}: killed ({trigger:?}), the database is neither as before nor as planned:\n{now:#?}"
            );
        }
        if matches!(trigger, Trigger::Blocked { .. }) {
            assert!(
                mid_transaction && now == before,
                "run {run_index} ({trigger:?}): killed while waiting in its transaction, yet not as before"
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
        "a full deploy took {full:?}; killed runs left {as_before} as before ({killed_mid_transaction} \
         of them killed inside the deploy's transaction after it had written), {as_after} as planned"
    );
    // The end states alone would also hold if every kill came before the deploy began or after it
    // ended; these runs prove kills landed in the middle (the two Blocked runs always do).
    assert!(
        killed_mid_transaction >= 2,
        "only {killed_mid_transaction} run(s) were killed mid-transaction"
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
    let rt = runtime();
    let mut watcher = rt
        .block_on(deploy::connect(&url, "deploy_safety watcher"))
        .unwrap();
    // A reader holds a SHARE lock on `existing`: whichever deploy takes the deploy lock first waits
    // for it inside its transaction (ALTER TABLE existing), still holding the deploy lock, until the
    // test has seen the other deploy try the deploy lock. Without it, the first deploy could finish
    // before the second one tries, and neither would wait.
    let mut locker = rt.block_on(async {
        let mut conn = deploy::connect(&url, "deploy_safety locker").await.unwrap();
        sqlx::raw_sql("BEGIN; LOCK TABLE public.existing IN SHARE MODE")
            .execute(&mut conn)
            .await
            .unwrap();
        conn
    });
    let spawn = || {
        appctl(v1_dir.path())
            .args(["deploy", "--yes", "--database-url", &url])
            .args(["--ddl-lock-timeout", "10m"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (mut first, mut second) = (spawn(), spawn());

    // Bounded: until one deploy's session waits for the table lock in its transaction and the other
    // one's last statement is the deploy lock's try (or the look-up of its holder that follows a
    // failed try).
    let deadline = Instant::now() + Duration::from_secs(60);
    let holder = loop {
        let sessions: Vec<(i32, Option<String>, String)> = rt
            .block_on(
                sqlx::query_as(
                    "select pid, wait_event_type, query from pg_stat_activity
                     where datname = current_database() and application_name like 'appctl deploy%'",
                )
                .fetch_all(&mut watcher),
            )
            .unwrap();
        let holder = sessions.iter().find(|(_, wait, query)| {
            wait.as_deref() == Some("Lock")
                && query.starts_with(r#"ALTER TABLE "public"."existing""#)
        });
        let tried = |pid: i32| {
            sessions.iter().any(|(p, _, query)| {
                *p != pid && (query.contains("pg_try_advisory_lock") || query.contains("pg_locks"))
            })
        };
        if let Some(&(pid, _, _)) = holder
            && tried(pid)
        {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "after 60s, not one deploy waiting in its transaction and one for the deploy lock: {sessions:?}"
        );
        for child in [&mut first, &mut second] {
            assert!(
                child.try_wait().unwrap().is_none(),
                "a deploy ended while the table was locked"
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    // The deploy lock is the waiting-in-transaction session's, as pg_locks says.
    let lock_holder: i32 = rt
        .block_on(
            sqlx::query_scalar(
                "select pid from pg_locks where locktype = 'advisory' and granted
                   and classid = ($1 >> 32)::oid and objid = ($1 & 4294967295)::oid",
            )
            .bind(LOCK_KEY)
            .fetch_one(&mut watcher),
        )
        .unwrap();
    assert_eq!(lock_holder, holder);
    rt.block_on(async {
        sqlx::raw_sql("ROLLBACK")
            .execute(&mut locker)
            .await
            .unwrap();
        locker.close().await.unwrap();
        watcher.close().await.unwrap();
    });

    let first = first.wait_with_output().unwrap();
    let second = second.wait_with_output().unwrap();
    assert!(first.status.success(), "first: {}", text(&first));
    assert!(second.status.success(), "second: {}", text(&second));
    // Exactly one waited, naming the other's session; then it found nothing to do.
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
    let (waited, applied): (Vec<&Output>, Vec<&Output>) = [&first, &second]
        .into_iter()
        .partition(|o| stderr(o).contains("Waiting for the deploy lock"));
    assert_eq!(
        (waited.len(), applied.len()),
        (1, 1),
        "exactly one deploy waits:\nfirst: {}\nsecond: {}",
        text(&first),
        text(&second)
    );
    let (waited, applied) = (stderr(waited[0]), stderr(applied[0]));
    assert!(
        waited.contains("Waiting for the deploy lock, held by appctl deploy (safety-test) as ")
            && waited.contains(&format!("pid {holder}...")),
        "the waiting deploy names the other (pid {holder}): {waited}"
    );
    assert!(
        waited.contains("No changes. The database matches the project file."),
        "{waited}"
    );
    assert!(applied.contains("Applied: "), "{applied}");
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
