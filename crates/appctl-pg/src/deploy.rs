//! Planning against and applying to a live database: the I/O around the pure diff and plan.
//!
//! A deploy takes a session advisory lock (a second deploy waits, saying who holds the lock), makes
//! sure the `appctl` bookkeeping schema exists, inspects, normalises the desired state, plans, and
//! applies the plan in one transaction with `lock_timeout` and `statement_timeout` set. The same
//! transaction records the deployment and the set of objects appctl manages, so a deploy killed at any
//! moment leaves the database as it was or as planned. Two exceptions, both additive and resumed by a
//! rerun: enum values that later statements use are committed first (Postgres cannot use a value in
//! the transaction that adds it), and `online` indexes are built concurrently after the commit.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sqlx::{Connection, PgConnection};

use crate::inspect;
use crate::normalize::{self, database_message};
use appctl_project::package::FunctionPackage;
use appctl_schema::diff::{Change, diff};
use appctl_schema::model::{Database, ObjectRef};
use appctl_schema::plan::{self, Hazard, Plan, Stage};

/// The advisory lock key every appctl deploy takes ("appctl" in ASCII).
pub const LOCK_KEY: i64 = 0x6170_7063_746c;

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("cannot connect to {url}: {message}")]
    Connect { url: String, message: String },
    #[error(transparent)]
    Normalize(#[from] normalize::NormalizeError),
    #[error(transparent)]
    Inspect(#[from] inspect::InspectError),
    #[error(
        "another deploy holds the lock ({holder}) and did not finish within {waited:?}; retry later or raise --lock-timeout"
    )]
    LockTimeout { holder: String, waited: Duration },
    #[error(
        "stale plan: the database changed since the plan was made (it was made from state {expected}, the database is now {actual}); run `appctl plan` again"
    )]
    StalePlan { expected: String, actual: String },
    #[error("the plan file was made by a newer appctl (format {0}); upgrade appctl")]
    PlanFormat(u32),
    #[error(
        "the plan has {count} destructive change(s):\n{list}\nnothing was changed; review them and rerun with --allow-destructive"
    )]
    Destructive { count: usize, list: String },
    #[error("{0}\nnothing was changed")]
    Precheck(String),
    #[error("deploy cancelled; nothing was changed")]
    Cancelled,
    #[error(
        "{object}: {message}\n  in: {sql}\nthe transaction was rolled back; nothing was changed"
    )]
    Statement {
        object: String,
        sql: String,
        message: String,
    },
    #[error(
        "{object}: {message}\n  in: {sql}\nthe schema changes were committed; this step runs outside the transaction and a rerun resumes it"
    )]
    AfterCommit {
        object: String,
        sql: String,
        message: String,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// `postgres://user:***@host/db`: a URL fit to print.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_string(),
    };
    let path = match path.split_once("password=") {
        Some((before, after)) => {
            let end = after.find('&').unwrap_or(after.len());
            format!("{before}password=***{}", &after[end..])
        }
        None => path.to_string(),
    };
    format!("{scheme}://{authority}{path}")
}

/// Connects, naming the session so other deploys (and DBAs) can see who holds the lock.
pub async fn connect(url: &str, application_name: &str) -> Result<PgConnection, DeployError> {
    use sqlx::postgres::PgConnectOptions;
    let options: PgConnectOptions = url.parse().map_err(|e: sqlx::Error| DeployError::Connect {
        url: redact_url(url),
        message: e.to_string(),
    })?;
    let options = options.application_name(application_name);
    PgConnection::connect_with(&options)
        .await
        .map_err(|e| DeployError::Connect {
            url: redact_url(url),
            message: database_message(&e),
        })
}

/// Who is deploying: `APPCTL_ACTOR`, else `user@host`.
pub fn actor() -> String {
    if let Ok(actor) = std::env::var("APPCTL_ACTOR")
        && !actor.is_empty()
    {
        return actor;
    }
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host}")
}

/// The plan from the live database to `desired` (not yet normalised).
pub async fn make_plan(
    conn: &mut PgConnection,
    desired: &Database,
    online: bool,
) -> Result<Plan, DeployError> {
    make_plan_with(conn, desired, online, false).await
}

/// [`make_plan`]; with `bootstrap`, as the plan will be once the platform objects exist (created in
/// the rolled-back normalisation transaction only).
pub async fn make_plan_with(
    conn: &mut PgConnection,
    desired: &Database,
    online: bool,
    bootstrap: bool,
) -> Result<Plan, DeployError> {
    let actual = inspect::inspect(conn, &desired.schema).await?;
    let prelude = if bootstrap {
        appctl_schema::bootstrap::statements(&desired.schema)
    } else {
        Vec::new()
    };
    let (plan, _) = normalize_and_plan(conn, desired, &actual, &prelude, online).await?;
    Ok(plan)
}

/// Normalises `desired` (reusing the last deploy's cache) and plans from `actual` to it; returns the
/// normalised state too, for the deploy to cache.
async fn normalize_and_plan(
    conn: &mut PgConnection,
    desired: &Database,
    actual: &Database,
    prelude: &[String],
    online: bool,
) -> Result<(Plan, Database), DeployError> {
    let cache = normalize::Cache::load(conn, &desired.schema).await;
    let normalized = normalize::normalize_cached(conn, desired, prelude, &cache).await?;
    let plan = plan_between(conn, &normalized, actual, online).await?;
    Ok((plan, normalized))
}

/// The schema a project file most likely declares: the value of a top-level `schema:` line, else
/// `public`. Only a guess, for reading the database before the file is loaded
/// ([`plan_while_loading`]); a wrong guess costs one more inspection, never a wrong plan.
pub fn guess_schema(path: Option<&std::path::Path>) -> String {
    let declared = path
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|source| {
            source.lines().find_map(|line| {
                let value = line.strip_prefix("schema:")?;
                let value = value.split(" #").next().unwrap_or(value).trim();
                let value = value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                    .unwrap_or(value);
                (!value.is_empty()).then(|| value.to_string())
            })
        });
    declared.unwrap_or_else(|| "public".to_string())
}

/// [`make_plan_with`] for a database known before the project file is loaded: `load` (reading,
/// checking and lowering the file: a quarter of a plan's time or more) runs on a thread of its own
/// while two connections are opened; one inspects `guessed_schema`, the other reads the
/// normalisation cache and, once the file is loaded, normalises the desired state while the
/// inspection may still run. Then the plan is made as [`make_plan_with`] makes it.
///
/// The outer error is `load`'s: a file with errors is reported as without the overlap (the database
/// work is abandoned), and a database error only when the file is valid. When the file declares
/// another schema than `guessed_schema`, that one is inspected afterwards.
pub fn plan_while_loading<E: Send>(
    runtime: &tokio::runtime::Runtime,
    url: &str,
    application_name: &str,
    guessed_schema: &str,
    load: impl FnOnce() -> Result<Database, E> + Send,
    online: bool,
    bootstrap: bool,
) -> Result<Result<Plan, DeployError>, E> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            // The receiver is gone only when planning already failed.
            let _ = sender.send(load());
        });
        runtime.block_on(async {
            let inspecting = tokio::spawn({
                let (url, name, schema) = (
                    url.to_string(),
                    application_name.to_string(),
                    guessed_schema.to_string(),
                );
                async move {
                    let mut conn = connect(&url, &name).await?;
                    let actual = inspect::inspect(&mut conn, &schema).await;
                    Ok::<_, DeployError>((conn, actual))
                }
            });
            let caching = tokio::spawn({
                let (url, name, schema) = (
                    url.to_string(),
                    application_name.to_string(),
                    guessed_schema.to_string(),
                );
                async move {
                    let mut conn = connect(&url, &name).await?;
                    let cache = normalize::Cache::load(&mut conn, &schema).await;
                    Ok::<_, DeployError>((conn, cache))
                }
            });
            let desired = match receiver.await.expect("the loader thread sends its result") {
                Ok(desired) => desired,
                Err(error) => return Err(error),
            };
            Ok(async {
                let (mut conn, cache) = caching.await.expect("the cache task runs to its end")?;
                if desired.schema != guessed_schema {
                    return make_plan_with(&mut conn, &desired, online, bootstrap).await;
                }
                let prelude = if bootstrap {
                    appctl_schema::bootstrap::statements(&desired.schema)
                } else {
                    Vec::new()
                };
                // Runs while the inspection task goes on on the other connection.
                let normalized =
                    normalize::normalize_cached(&mut conn, &desired, &prelude, &cache).await;
                let (_, actual) = inspecting
                    .await
                    .expect("the inspection task runs to its end")?;
                let actual = actual?;
                plan_between(&mut conn, &normalized?, &actual, online).await
            }
            .await)
        })
    })
}

async fn plan_between(
    conn: &mut PgConnection,
    normalized: &Database,
    actual: &Database,
    online: bool,
) -> Result<Plan, DeployError> {
    let mut changes = diff(normalized, actual);
    replace_impossible_casts(conn, &mut changes, normalized).await?;
    let mut plan = plan::plan(changes, normalized, actual, online);
    plan.managed_after = managed_after(normalized);
    plan.adopted = plan
        .managed_after
        .iter()
        .filter(|object| !actual.managed.contains(object) && exists(actual, object))
        .cloned()
        .collect();
    Ok(plan)
}

fn exists(actual: &Database, object: &ObjectRef) -> bool {
    match object {
        ObjectRef::Extension(name) => actual.extensions.contains(name),
        ObjectRef::Enum(name) => actual.enums.contains_key(name),
        ObjectRef::Table(name) => actual.tables.contains_key(name),
        ObjectRef::Bucket(name) => actual.buckets.contains_key(name),
    }
}

/// A type change Postgres has no cast for (integer → uuid, one enum → another) cannot be done with
/// `USING col::type`: it becomes a drop and an add of the column, which the plan marks destructive.
/// Castable: a cast in `pg_cast`, the same base type (a new length or precision), a string type on
/// either side (I/O conversion), or arrays whose elements are castable. A type that does not exist
/// yet (an enum this plan creates) is left to the server.
async fn replace_impossible_casts(
    conn: &mut PgConnection,
    changes: &mut appctl_schema::diff::Diff,
    desired: &Database,
) -> Result<(), DeployError> {
    let pairs: Vec<(String, String)> = changes
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::AlterColumnType { from, to, .. } => Some((from.clone(), to.clone())),
            _ => None,
        })
        .collect();
    if pairs.is_empty() {
        return Ok(());
    }
    let (from, to): (Vec<String>, Vec<String>) = pairs.iter().cloned().unzip();
    let mut tx = conn.begin().await?;
    inspect::set_local_search_path(&mut tx, &desired.schema).await?;
    let castable: Vec<bool> = sqlx::query_scalar(
        "WITH p AS (
             SELECT ord, to_regtype(s) AS s, to_regtype(t) AS t FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(s, t, ord)
         ), e AS (
             SELECT ord, s, t,
                    coalesce(nullif((SELECT typelem FROM pg_type WHERE oid = s), 0), s) AS se,
                    coalesce(nullif((SELECT typelem FROM pg_type WHERE oid = t), 0), t) AS te
             FROM p
         )
         SELECT s IS NULL OR t IS NULL OR s = t OR se = te
                OR EXISTS (SELECT 1 FROM pg_cast WHERE castsource = se AND casttarget = te)
                OR (SELECT typcategory FROM pg_type WHERE oid = se) = 'S'
                OR (SELECT typcategory FROM pg_type WHERE oid = te) = 'S'
         FROM e ORDER BY ord",
    )
    .bind(&from)
    .bind(&to)
    .fetch_all(&mut *tx)
    .await?;
    tx.rollback().await?;
    let impossible: Vec<(String, String)> = pairs
        .into_iter()
        .zip(castable)
        .filter(|(_, ok)| !ok)
        .map(|(pair, _)| pair)
        .collect();
    if impossible.is_empty() {
        return Ok(());
    }
    let mut rewritten = Vec::with_capacity(changes.changes.len());
    for change in changes.changes.drain(..) {
        match change {
            Change::AlterColumnType {
                table,
                column,
                from,
                to,
                ..
            } if impossible.contains(&(from.clone(), to.clone()))
                && independent(desired, &table, &column) =>
            {
                let Some(wanted) = desired
                    .tables
                    .get(&table)
                    .and_then(|t| t.column(&column))
                    .cloned()
                else {
                    continue;
                };
                rewritten.push(Change::DropColumn {
                    table: table.clone(),
                    column: column.clone(),
                });
                if wanted.comment.is_some() {
                    rewritten.push(Change::SetColumnComment {
                        table: table.clone(),
                        column: column.clone(),
                        comment: wanted.comment.clone(),
                    });
                }
                rewritten.push(Change::AddColumn {
                    table,
                    column: wanted,
                });
            }
            // The column is added again with its default, nullability and comment: no separate steps.
            Change::SetDefault { ref table, ref column, .. }
            | Change::DropDefault { ref table, ref column }
            | Change::SetNotNull { ref table, ref column }
            | Change::DropNotNull { ref table, ref column }
            | Change::SetColumnComment { ref table, ref column, .. }
                if rewritten.iter().any(|c| matches!(c, Change::AddColumn { table: t, column: c } if t == table && &c.name == column)) =>
            {
                continue;
            }
            other => rewritten.push(other),
        }
    }
    changes.changes = rewritten;
    Ok(())
}

/// No key, index, foreign key, check or policy of the table names the column: dropping it takes
/// nothing else with it. (Otherwise the type change stays, and fails in the transaction, which rolls
/// back: the message says what Postgres could not cast.)
fn independent(desired: &Database, table: &str, column: &str) -> bool {
    let Some(t) = desired.tables.get(table) else {
        return false;
    };
    let named = |columns: &[String]| columns.iter().any(|c| c == column);
    let quoted = appctl_schema::quote::ident(column);
    let mentions = |text: &str| text.contains(column) || text.contains(&quoted);
    !(t.primary_key.as_ref().is_some_and(|k| named(&k.columns))
        || t.uniques.iter().any(|k| named(&k.columns))
        || t.foreign_keys.iter().any(|f| named(&f.columns))
        || t.indexes.iter().any(|i| {
            i.columns.iter().any(|c| c.column == column)
                || named(&i.include)
                || i.predicate.as_deref().is_some_and(mentions)
        })
        || t.checks.iter().any(|c| mentions(&c.definition))
        || t.policies.iter().any(|p| {
            p.using.as_deref().is_some_and(mentions)
                || p.with_check.as_deref().is_some_and(mentions)
        })
        || t.columns
            .iter()
            .any(|c| c.generated.as_deref().is_some_and(mentions))
        || desired.tables.values().any(|other| {
            other.foreign_keys.iter().any(|f| {
                f.ref_schema == desired.schema && f.ref_table == table && named(&f.ref_columns)
            })
        }))
}

/// After a deploy, appctl manages exactly what the file declares.
fn managed_after(desired: &Database) -> Vec<ObjectRef> {
    desired
        .extensions
        .iter()
        .map(|e| ObjectRef::Extension(e.clone()))
        .chain(desired.enums.keys().map(|e| ObjectRef::Enum(e.clone())))
        .chain(desired.tables.keys().map(|t| ObjectRef::Table(t.clone())))
        .chain(desired.buckets.keys().map(|b| ObjectRef::Bucket(b.clone())))
        .collect()
}

#[derive(Debug, Clone)]
pub struct DeployOptions {
    pub allow_destructive: bool,
    pub online: bool,
    /// How long to wait for another deploy's lock.
    pub lock_wait: Duration,
    /// `lock_timeout` for each statement: a DDL statement waiting longer for a table lock fails
    /// rather than queueing every query behind it.
    pub ddl_lock_timeout: Duration,
    pub statement_timeout: Duration,
    pub actor: String,
    /// Create the platform roles, helpers and tables first (see [`appctl_schema::bootstrap`]).
    pub bootstrap: bool,
    /// Function packages: those of the versions the plan deploys are stored in
    /// `appctl.function_packages`.
    pub packages: Vec<FunctionPackage>,
}

impl Default for DeployOptions {
    fn default() -> Self {
        DeployOptions {
            allow_destructive: false,
            online: false,
            lock_wait: Duration::from_secs(300),
            ddl_lock_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(1800),
            actor: actor(),
            bootstrap: false,
            packages: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeployOutcome {
    pub plan: Plan,
    /// The id of the row in `appctl.deployments`; `None` when there was nothing to do.
    pub deployment_id: Option<i64>,
}

/// Everything a deploy tells the person running it, as it happens.
pub trait DeployListener {
    fn waiting_for_lock(&mut self, holder: &str);
    /// Asked once with the plan (not asked when it is empty); false cancels.
    fn confirm(&mut self, plan: &Plan) -> bool;
    fn step_done(&mut self, step: &plan::Step);
}

/// Plans (or takes `saved`) and applies it.
pub async fn deploy(
    conn: &mut PgConnection,
    desired: &Database,
    saved: Option<Plan>,
    options: &DeployOptions,
    listener: &mut dyn DeployListener,
) -> Result<DeployOutcome, DeployError> {
    if let Some(saved) = &saved
        && saved.format > plan::PLAN_FORMAT
    {
        return Err(DeployError::PlanFormat(saved.format));
    }
    acquire_lock(conn, options.lock_wait, listener).await?;
    let result = deploy_locked(conn, desired, saved, options, listener).await;
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *conn)
        .await;
    result
}

async fn deploy_locked(
    conn: &mut PgConnection,
    desired: &Database,
    saved: Option<Plan>,
    options: &DeployOptions,
    listener: &mut dyn DeployListener,
) -> Result<DeployOutcome, DeployError> {
    ensure_bookkeeping(conn).await?;
    if options.bootstrap {
        run_bootstrap(conn, &desired.schema).await?;
    }
    let schema = saved
        .as_ref()
        .map_or(desired.schema.clone(), |p| p.schema.clone());
    let actual = inspect::inspect(conn, &schema).await?;
    let mut normalized_for_cache = None;
    let plan = match saved {
        Some(saved) => {
            let now = plan::fingerprint(&actual);
            if now != saved.source_fingerprint {
                return Err(DeployError::StalePlan {
                    expected: short(&saved.source_fingerprint),
                    actual: short(&now),
                });
            }
            saved
        }
        None => {
            let (plan, normalized) =
                normalize_and_plan(conn, desired, &actual, &[], options.online).await?;
            normalized_for_cache = Some(normalized);
            plan
        }
    };
    if plan.is_empty() {
        // Still record adoption of declared objects that exist already.
        record_managed_only(conn, &plan).await?;
        remember_normalized(conn, desired, normalized_for_cache.as_ref()).await;
        return Ok(DeployOutcome {
            plan,
            deployment_id: None,
        });
    }
    let destructive: Vec<String> = plan
        .destructive_steps()
        .map(|s| {
            let reasons: Vec<String> = s
                .hazards
                .iter()
                .filter(|h| h.is_destructive())
                .map(Hazard::label)
                .collect();
            format!("  - {} ({})", s.object, reasons.join("; "))
        })
        .collect();
    if !destructive.is_empty() && !options.allow_destructive {
        return Err(DeployError::Destructive {
            count: destructive.len(),
            list: destructive.join("\n"),
        });
    }
    if !listener.confirm(&plan) {
        return Err(DeployError::Cancelled);
    }
    let started = chrono::Utc::now();
    match apply(conn, &plan, &actual, options, listener).await {
        Ok(id) => {
            remember_normalized(conn, desired, normalized_for_cache.as_ref()).await;
            run_after_commit(conn, &plan, listener).await?;
            Ok(DeployOutcome {
                plan,
                deployment_id: Some(id),
            })
        }
        Err(error) => {
            record_failure(conn, &plan, options, started, &error).await;
            Err(error)
        }
    }
}

/// Saves what this deploy normalised, so the next plan only sends changed tables through the
/// server. Best effort, in its own transaction: a lost cache only makes the next plan slower.
async fn remember_normalized(
    conn: &mut PgConnection,
    desired: &Database,
    normalized: Option<&Database>,
) {
    let Some(normalized) = normalized else { return };
    let Ok(mut tx) = conn.begin().await else {
        return;
    };
    if normalize::store_cache(&mut tx, desired, normalized)
        .await
        .is_ok()
    {
        let _ = tx.commit().await;
    }
}

fn short(fingerprint: &str) -> String {
    fingerprint.chars().take(12).collect()
}

async fn acquire_lock(
    conn: &mut PgConnection,
    wait: Duration,
    listener: &mut dyn DeployListener,
) -> Result<(), DeployError> {
    let start = Instant::now();
    let mut announced = false;
    // Bounded: one try every 250 ms until `wait` has passed.
    loop {
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(LOCK_KEY)
            .fetch_one(&mut *conn)
            .await?;
        if locked {
            return Ok(());
        }
        let holder = lock_holder(conn).await?;
        if start.elapsed() >= wait {
            return Err(DeployError::LockTimeout {
                holder,
                waited: wait,
            });
        }
        if !announced {
            listener.waiting_for_lock(&holder);
            announced = true;
        }
        tokio::time::sleep(Duration::from_millis(250).min(wait.saturating_sub(start.elapsed())))
            .await;
    }
}

/// Who holds the deploy lock, as pg_stat_activity knows them.
async fn lock_holder(conn: &mut PgConnection) -> Result<String, DeployError> {
    type Holder = (Option<String>, Option<String>, Option<String>, i32);
    let row: Option<Holder> = sqlx::query_as(
        "SELECT a.application_name, a.usename::text, a.client_addr::text, a.pid
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted
           AND l.classid = ($1 >> 32)::oid AND l.objid = ($1 & 4294967295)::oid
         LIMIT 1",
    )
    .bind(LOCK_KEY)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some((application, user, address, pid)) => format!(
            "{} as {} from {}, pid {pid}",
            application
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| "a session".into()),
            user.unwrap_or_else(|| "?".into()),
            address.unwrap_or_else(|| "a local socket".into()),
        ),
        None => "a session that just released it".into(),
    })
}

/// The `appctl` schema: what appctl manages and every deployment. Created once, never dropped.
pub const BOOKKEEPING_SQL: &str = "
CREATE SCHEMA IF NOT EXISTS appctl;
CREATE TABLE IF NOT EXISTS appctl.managed (
    schema_name text NOT NULL,
    kind text NOT NULL,
    name text NOT NULL,
    since timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (schema_name, kind, name)
);
CREATE TABLE IF NOT EXISTS appctl.deployments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    appctl_version text NOT NULL,
    schema_name text NOT NULL,
    plan_hash text NOT NULL,
    statements text NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('applied', 'failed')),
    error text
);
CREATE TABLE IF NOT EXISTS appctl.normalized (
    schema_name text NOT NULL,
    table_name text NOT NULL,
    key text NOT NULL,
    state jsonb NOT NULL,
    PRIMARY KEY (schema_name, table_name)
);
CREATE TABLE IF NOT EXISTS appctl.functions (
    schema_name text NOT NULL,
    name text NOT NULL,
    execute jsonb NOT NULL,
    PRIMARY KEY (schema_name, name)
);
-- What a function's deploy depends on (see crates/appctl-schema/src/functions.rs); added to records made before.
ALTER TABLE appctl.functions
    ADD COLUMN IF NOT EXISTS version text,
    ADD COLUMN IF NOT EXISTS runtime text,
    ADD COLUMN IF NOT EXISTS entrypoint text,
    ADD COLUMN IF NOT EXISTS timeout_ms bigint,
    ADD COLUMN IF NOT EXISTS memory_bytes bigint,
    ADD COLUMN IF NOT EXISTS schedule text,
    ADD COLUMN IF NOT EXISTS env_names jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN IF NOT EXISTS deployed_at timestamptz NOT NULL DEFAULT now();
-- The package of every function version deployed (its sha256 is the version): the code that runs
-- lives with the instance, so an export carries exactly what was deployed.
CREATE TABLE IF NOT EXISTS appctl.function_packages (
    version text PRIMARY KEY,
    name text NOT NULL,
    package bytea NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now()
);
-- What was done to the instance besides deployments: imports, function rollouts.
CREATE TABLE IF NOT EXISTS appctl.audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    appctl_version text NOT NULL,
    action text NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}'
);
";

/// Platform objects, created where absent, committed before the plan is made: they only add what is
/// missing, and the plan's policies and grants need them to exist.
async fn run_bootstrap(conn: &mut PgConnection, schema: &str) -> Result<(), DeployError> {
    let mut tx = conn.begin().await?;
    for sql in appctl_schema::bootstrap::statements(schema) {
        if let Err(error) = sqlx::raw_sql(&sql).execute(&mut *tx).await {
            return Err(DeployError::Statement {
                object: "bootstrap".into(),
                sql,
                message: database_message(&error),
            });
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn ensure_bookkeeping(conn: &mut PgConnection) -> Result<(), DeployError> {
    let exists: bool = sqlx::query_scalar(
        "SELECT to_regclass('appctl.managed') IS NOT NULL AND to_regclass('appctl.deployments') IS NOT NULL AND to_regclass('appctl.functions') IS NOT NULL AND to_regclass('appctl.normalized') IS NOT NULL AND to_regclass('appctl.function_packages') IS NOT NULL AND to_regclass('appctl.audit_log') IS NOT NULL AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('appctl.functions') AND attname = 'deployed_at' AND NOT attisdropped)",
    )
    .fetch_one(&mut *conn)
    .await?;
    if !exists {
        sqlx::raw_sql(BOOKKEEPING_SQL).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Checks that would otherwise fail half-way: NOT NULL on a column holding NULLs, a NOT NULL column
/// without default added to a table with rows.
async fn prechecks(
    conn: &mut PgConnection,
    plan: &Plan,
    actual: &Database,
) -> Result<(), DeployError> {
    let schema = &plan.schema;
    let names = CurrentNames::of(plan);
    let mut problems = Vec::new();
    for step in &plan.steps {
        match &step.change {
            Change::SetNotNull { table, column } => {
                let sql = format!(
                    "SELECT count(*) FROM {} WHERE {} IS NULL",
                    appctl_schema::quote::qualified(schema, names.table(table)),
                    appctl_schema::quote::ident(names.column(table, column))
                );
                let count: i64 = sqlx::query_scalar(&sql).fetch_one(&mut *conn).await?;
                if count > 0 {
                    problems.push(format!(
                        "cannot make {table}.{column} NOT NULL: {count} row(s) hold NULL; fill them in (or keep `nullable: true`) and deploy again"
                    ));
                }
            }
            Change::AddColumn { table, column }
                if !column.nullable
                    && column.default.is_none()
                    && column.identity.is_none()
                    && column.generated.is_none()
                    && actual.tables.contains_key(names.table(table)) =>
            {
                let sql = format!(
                    "SELECT count(*) FROM (SELECT 1 FROM {} LIMIT 1) AS rows",
                    appctl_schema::quote::qualified(schema, names.table(table))
                );
                let count: i64 = sqlx::query_scalar(&sql).fetch_one(&mut *conn).await?;
                if count > 0 {
                    problems.push(format!(
                        "cannot add {table}.{column_name} NOT NULL without a default: the table has rows; give it a `default:` or make it `nullable: true`",
                        column_name = column.name
                    ));
                }
            }
            _ => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(DeployError::Precheck(problems.join("\n")))
    }
}

/// The names tables and columns have before a plan runs, from the names they have after it: prechecks
/// look at the database as it is, before its renames.
struct CurrentNames<'a> {
    tables: HashMap<&'a str, &'a str>,
    columns: HashMap<(&'a str, &'a str), &'a str>,
}

impl<'a> CurrentNames<'a> {
    fn of(plan: &'a Plan) -> Self {
        let mut names = CurrentNames {
            tables: HashMap::new(),
            columns: HashMap::new(),
        };
        for step in &plan.steps {
            match &step.change {
                Change::RenameTable { from, to } => {
                    names.tables.insert(to, from);
                }
                Change::RenameColumn { table, from, to } => {
                    names.columns.insert((table, to), from);
                }
                _ => {}
            }
        }
        names
    }

    fn table<'b>(&self, name: &'b str) -> &'b str
    where
        'a: 'b,
    {
        self.tables.get(name).copied().unwrap_or(name)
    }

    /// `table` is the table's new name, as changes name it.
    fn column<'b>(&self, table: &'b str, name: &'b str) -> &'b str
    where
        'a: 'b,
    {
        self.columns.get(&(table, name)).copied().unwrap_or(name)
    }
}

async fn run_statements(
    conn: &mut PgConnection,
    step: &plan::Step,
    after_commit: bool,
) -> Result<(), DeployError> {
    for sql in &step.sql {
        if let Err(error) = sqlx::raw_sql(sql).execute(&mut *conn).await {
            let (object, sql, message) =
                (step.object.clone(), sql.clone(), database_message(&error));
            return Err(if after_commit {
                DeployError::AfterCommit {
                    object,
                    sql,
                    message,
                }
            } else {
                DeployError::Statement {
                    object,
                    sql,
                    message,
                }
            });
        }
    }
    Ok(())
}

/// Applies the transactional part of the plan and records it; returns the deployment id.
async fn apply(
    conn: &mut PgConnection,
    plan: &Plan,
    actual: &Database,
    options: &DeployOptions,
    listener: &mut dyn DeployListener,
) -> Result<i64, DeployError> {
    let started = chrono::Utc::now();
    // Before anything is committed, including the enum values of the first stage.
    prechecks(conn, plan, actual).await?;
    let before: Vec<&plan::Step> = plan
        .steps
        .iter()
        .filter(|s| s.stage == Stage::Before)
        .collect();
    if !before.is_empty() {
        let mut tx = conn.begin().await?;
        for step in before {
            run_statements(&mut tx, step, false).await?;
            listener.step_done(step);
        }
        tx.commit().await?;
    }

    let mut tx = conn.begin().await?;
    sqlx::query(
        "SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)",
    )
    .bind(format!("{}ms", options.ddl_lock_timeout.as_millis()))
    .bind(format!("{}ms", options.statement_timeout.as_millis()))
    .execute(&mut *tx)
    .await?;
    inspect::set_local_search_path(&mut tx, &plan.schema).await?;
    for step in plan.steps.iter().filter(|s| s.stage == Stage::Transaction) {
        run_statements(&mut tx, step, false).await?;
        listener.step_done(step);
    }
    write_managed(&mut tx, plan).await?;
    store_packages(&mut tx, plan, &options.packages).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO appctl.deployments (started_at, actor, appctl_version, schema_name, plan_hash, statements, outcome)
         VALUES ($1, $2, $3, $4, $5, $6, 'applied') RETURNING id",
    )
    .bind(started)
    .bind(&options.actor)
    .bind(env!("CARGO_PKG_VERSION"))
    .bind(&plan.schema)
    .bind(plan.hash())
    .bind(all_sql(plan))
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The packages of the function versions this plan creates or changes, unless stored already.
async fn store_packages(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    plan: &Plan,
    packages: &[FunctionPackage],
) -> Result<(), DeployError> {
    for step in &plan.steps {
        let function = match &step.change {
            Change::CreateFunction { function, .. } => function,
            Change::ChangeFunction { to, .. } => to,
            _ => continue,
        };
        let Some(package) = packages
            .iter()
            .find(|p| function.version.as_ref() == Some(&p.version))
        else {
            continue;
        };
        sqlx::query(
            "INSERT INTO appctl.function_packages (version, name, package) VALUES ($1, $2, $3)
             ON CONFLICT (version) DO NOTHING",
        )
        .bind(&package.version)
        .bind(&package.name)
        .bind(&package.bytes)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Appends an entry to `appctl.audit_log` (created when missing).
pub async fn record_audit(
    conn: &mut PgConnection,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), DeployError> {
    ensure_bookkeeping(conn).await?;
    sqlx::query(
        "INSERT INTO appctl.audit_log (actor, appctl_version, action, detail) VALUES ($1, $2, $3, $4)",
    )
    .bind(actor())
    .bind(env!("CARGO_PKG_VERSION"))
    .bind(action)
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Concurrent index builds, one by one after the commit. A rerun's plan includes whatever did not
/// finish (an index left invalid by a failed build is dropped and built again).
async fn run_after_commit(
    conn: &mut PgConnection,
    plan: &Plan,
    listener: &mut dyn DeployListener,
) -> Result<(), DeployError> {
    for step in plan.steps.iter().filter(|s| s.stage == Stage::After) {
        run_statements(conn, step, true).await?;
        listener.step_done(step);
    }
    Ok(())
}

fn all_sql(plan: &Plan) -> String {
    plan.steps
        .iter()
        .flat_map(|s| s.sql.iter())
        .map(|sql| format!("{sql};\n"))
        .collect()
}

async fn write_managed(conn: &mut PgConnection, plan: &Plan) -> Result<(), DeployError> {
    sqlx::query("DELETE FROM appctl.managed WHERE schema_name = $1")
        .bind(&plan.schema)
        .execute(&mut *conn)
        .await?;
    for object in &plan.managed_after {
        sqlx::query("INSERT INTO appctl.managed (schema_name, kind, name) VALUES ($1, $2, $3)")
            .bind(&plan.schema)
            .bind(object.kind())
            .bind(object.name())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn record_managed_only(conn: &mut PgConnection, plan: &Plan) -> Result<(), DeployError> {
    let mut tx = conn.begin().await?;
    write_managed(&mut tx, plan).await?;
    tx.commit().await?;
    Ok(())
}

async fn record_failure(
    conn: &mut PgConnection,
    plan: &Plan,
    options: &DeployOptions,
    started: chrono::DateTime<chrono::Utc>,
    error: &DeployError,
) {
    // Best effort: the failure itself is what the user must see.
    let _ = sqlx::query(
        "INSERT INTO appctl.deployments (started_at, actor, appctl_version, schema_name, plan_hash, statements, outcome, error)
         VALUES ($1, $2, $3, $4, $5, $6, 'failed', $7)",
    )
    .bind(started)
    .bind(&options.actor)
    .bind(env!("CARGO_PKG_VERSION"))
    .bind(&plan.schema)
    .bind(plan.hash())
    .bind(all_sql(plan))
    .bind(error.to_string())
    .execute(&mut *conn)
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_url("postgres://h/db?user=u&password=secret&sslmode=require"),
            "postgres://h/db?user=u&password=***&sslmode=require"
        );
    }

    #[test]
    fn guesses_the_schema_from_a_top_level_line() {
        let dir = tempfile::tempdir().unwrap();
        let guess = |text: &str| {
            let path = dir.path().join("appctl.yaml");
            std::fs::write(&path, text).unwrap();
            guess_schema(Some(&path))
        };
        assert_eq!(guess("version: 1\nproject: p\n"), "public");
        assert_eq!(guess("version: 1\nschema: app # ours\n"), "app");
        assert_eq!(guess("schema: \"my app\"\n"), "my app");
        assert_eq!(guess("schema: 'x'\n"), "x");
        // Not top level: a column called schema.
        assert_eq!(
            guess("tables:\n  t:\n    columns:\n      schema: { type: text }\n"),
            "public"
        );
        assert_eq!(guess_schema(None), "public");
        assert_eq!(
            guess_schema(Some(&dir.path().join("missing.yaml"))),
            "public"
        );
    }
}
