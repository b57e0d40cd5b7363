//! Planning against and applying to a live database: the I/O around the pure diff and plan.
//!
//! A deploy takes a session advisory lock (a second deploy waits, saying who holds the lock), makes
//! sure the `appctl` bookkeeping schema exists, inspects, normalises the desired state, plans, and
//! applies the plan in one transaction with `lock_timeout` and `statement_timeout` set. The same
//! transaction records the deployment and the set of objects appctl manages, so a deploy killed at any
//! moment leaves the database as it was or as planned. Two exceptions, both additive and resumed by a
//! rerun: enum values that later statements use are committed first (Postgres cannot use a value in
//! the transaction that adds it), and `online` indexes are built concurrently after the commit.

pub use crate::bookkeeping::BOOKKEEPING_SQL;
use crate::bookkeeping::Bookkeeping;
pub use crate::connect::{actor, connect, redact_url};
use crate::live_plan::normalize_and_plan;
pub use crate::live_plan::{make_plan, make_plan_with, plan_while_loading};
pub use crate::lock::LOCK_KEY;
use crate::lock::acquire_lock;
use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::{Connection, PgConnection};

use crate::inspect;
use crate::normalize::{self, database_message};
use appctl_project::package::FunctionPackage;
use appctl_schema::diff::Change;
use appctl_schema::model::Database;
use appctl_schema::plan::{self, Hazard, Plan, Stage};

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
    #[error(
        "the plan changes tables that hold what appctl.yaml cannot express:\n{0}\nnothing was changed; make such a table's changes by hand and write them into appctl.yaml (a table that matches is adopted as it is)"
    )]
    Unexpressed(String),
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
    // The `appctl` schema is created only once something is written: a deploy that fails before
    // (in normalisation, on a destructive change, cancelled) leaves the database as it was.
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
        Bookkeeping::on(conn).ensure().await?;
        Bookkeeping::on(conn).record_managed_only(&plan).await?;
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
    Bookkeeping::on(conn).ensure().await?;
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
            Bookkeeping::on(conn)
                .record_failure(&plan, &options.actor, started, &error)
                .await;
            Err(error)
        }
    }
}

/// Saves the permissions as the file wrote them (for `pull`) and what this deploy normalised, so the
/// next plan only sends changed tables through the server. Best effort, each in its own
/// transaction: without the records `pull` writes policies instead of permissions (the same
/// statements), and a lost cache only makes the next plan slower.
async fn remember_normalized(
    conn: &mut PgConnection,
    desired: &Database,
    normalized: Option<&Database>,
) {
    if let Ok(mut tx) = conn.begin().await
        && Bookkeeping::on(&mut tx)
            .write_permission_records(desired)
            .await
            .is_ok()
    {
        let _ = tx.commit().await;
    }
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

/// The logins of appctl's services, which bootstrap creates without one: `authenticator` (REST)
/// and `supabase_auth_admin` (auth).
pub const SERVICE_LOGINS: &[&str] = &["authenticator", "supabase_auth_admin"];

/// Lets `role` (one of [`SERVICE_LOGINS`]) log in with `password`, then tells the REST service to
/// reload (`NOTIFY pgrst`): the login it retried may work now. False, and nothing done, where the
/// role does not exist.
pub async fn give_login(
    conn: &mut PgConnection,
    role: &str,
    password: &str,
) -> Result<bool, sqlx::Error> {
    assert!(
        SERVICE_LOGINS.contains(&role),
        "{role} is not a service login"
    );
    let exists: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1")
            .bind(role)
            .fetch_optional(&mut *conn)
            .await?;
    if exists.is_none() {
        return Ok(false);
    }
    // A role's password cannot be a bind parameter: a quoted literal, never logged by appctl.
    let password = appctl_schema::quote::literal(password);
    let role = appctl_schema::quote::ident(role);
    sqlx::query(&format!("ALTER ROLE {role} WITH LOGIN PASSWORD {password}"))
        .execute(&mut *conn)
        .await?;
    sqlx::query("NOTIFY pgrst, 'reload schema'")
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

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
    let mut bookkeeping = Bookkeeping::on(&mut tx);
    bookkeeping.write_managed(plan).await?;
    bookkeeping.store_packages(plan, &options.packages).await?;
    let id = bookkeeping
        .record_applied(plan, &options.actor, started)
        .await?;
    // Delivered on commit: the REST service (built-in or PostgREST) reloads its schema cache.
    sqlx::query("NOTIFY pgrst, 'reload schema'")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
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
