//! The bookkeeping schema `appctl.*`: what appctl manages, every deployment, each function's record
//! and package, the normalisation cache and the audit log. Created once, never dropped.
//!
//! Every read and write of those tables from this crate's I/O goes through [`Bookkeeping`], so one
//! file knows their columns. (The function records are written by the plan's own SQL, rendered in
//! `appctl_schema::render`, so they commit with the schema change they describe.)

use std::collections::BTreeMap;

use anyhow::Context as _;
use appctl_project::package::FunctionPackage;
use appctl_schema::diff::Change;
use appctl_schema::model::{Database, PermissionRecords};
use appctl_schema::plan::Plan;
use sqlx::{Connection, PgConnection};

use crate::connect::actor;
use crate::deploy::DeployError;

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
-- The permissions (and owner) of each table and bucket as the file wrote them, so `pull` writes
-- permissions back rather than the policies and grants they compiled to.
CREATE TABLE IF NOT EXISTS appctl.permissions (
    schema_name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('table', 'bucket')),
    name text NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (schema_name, kind, name)
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

/// The bookkeeping of one database, over a connection or a transaction.
pub struct Bookkeeping<'c> {
    conn: &'c mut PgConnection,
}

/// A row of `appctl.normalized`: a table as the last deploy normalised it.
pub struct NormalizedRow {
    pub table: String,
    /// The hash of everything the normalised form depends on.
    pub key: String,
    /// The normalised table, as JSON text.
    pub state: String,
}

impl<'c> Bookkeeping<'c> {
    pub fn on(conn: &'c mut PgConnection) -> Bookkeeping<'c> {
        Bookkeeping { conn }
    }

    /// Creates the schema and its tables where missing (and the columns later versions added).
    pub async fn ensure(&mut self) -> Result<(), DeployError> {
        let exists: bool = sqlx::query_scalar(
            "SELECT to_regclass('appctl.managed') IS NOT NULL AND to_regclass('appctl.deployments') IS NOT NULL AND to_regclass('appctl.functions') IS NOT NULL AND to_regclass('appctl.normalized') IS NOT NULL AND to_regclass('appctl.function_packages') IS NOT NULL AND to_regclass('appctl.audit_log') IS NOT NULL AND to_regclass('appctl.permissions') IS NOT NULL AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('appctl.functions') AND attname = 'deployed_at' AND NOT attisdropped)",
        )
        .fetch_one(&mut *self.conn)
        .await?;
        if !exists {
            sqlx::raw_sql(BOOKKEEPING_SQL)
                .execute(&mut *self.conn)
                .await?;
        }
        Ok(())
    }

    /// Whether `appctl.<table>` exists (a database appctl never deployed to has none).
    async fn has(&mut self, table: &str) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar("SELECT to_regclass(format('appctl.%I', $1::text)) IS NOT NULL")
            .bind(table)
            .fetch_one(&mut *self.conn)
            .await
    }

    /// The set of objects appctl manages in the plan's schema becomes the plan's.
    pub async fn write_managed(&mut self, plan: &Plan) -> Result<(), DeployError> {
        sqlx::query("DELETE FROM appctl.managed WHERE schema_name = $1")
            .bind(&plan.schema)
            .execute(&mut *self.conn)
            .await?;
        for object in &plan.managed_after {
            sqlx::query("INSERT INTO appctl.managed (schema_name, kind, name) VALUES ($1, $2, $3)")
                .bind(&plan.schema)
                .bind(object.kind())
                .bind(object.name())
                .execute(&mut *self.conn)
                .await?;
        }
        Ok(())
    }

    /// [`Bookkeeping::write_managed`] in a transaction of its own: a plan with nothing to apply
    /// may still adopt objects.
    pub async fn record_managed_only(&mut self, plan: &Plan) -> Result<(), DeployError> {
        let mut tx = self.conn.begin().await?;
        Bookkeeping::on(&mut tx).write_managed(plan).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `(kind, name)` of every object appctl manages in `schema`.
    pub async fn managed(
        &mut self,
        schema: &str,
    ) -> Result<Vec<(Option<String>, Option<String>)>, sqlx::Error> {
        sqlx::query_as(
            "select kind::text as kind, name::text as name from appctl.managed where schema_name = $1",
        )
        .bind(schema)
        .fetch_all(&mut *self.conn)
        .await
    }

    /// The permissions a deploy recorded for `schema`'s tables and buckets; empty when none were.
    pub async fn permission_records(
        &mut self,
        schema: &str,
    ) -> Result<PermissionRecords, sqlx::Error> {
        let mut records = PermissionRecords::default();
        if !self.has("permissions").await? {
            return Ok(records);
        }
        let rows: Vec<(String, String, serde_json::Value)> = sqlx::query_as(
            "select kind, name, record from appctl.permissions where schema_name = $1",
        )
        .bind(schema)
        .fetch_all(&mut *self.conn)
        .await?;
        for (kind, name, record) in rows {
            match kind.as_str() {
                "table" => records.tables.insert(name, record),
                _ => records.buckets.insert(name, record),
            };
        }
        Ok(records)
    }

    /// `desired`'s permission records replace those of its schema.
    pub async fn write_permission_records(
        &mut self,
        desired: &Database,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM appctl.permissions WHERE schema_name = $1")
            .bind(&desired.schema)
            .execute(&mut *self.conn)
            .await?;
        let records = &desired.permission_records;
        let rows = records
            .tables
            .iter()
            .map(|(name, record)| ("table", name, record))
            .chain(
                records
                    .buckets
                    .iter()
                    .map(|(name, record)| ("bucket", name, record)),
            );
        for (kind, name, record) in rows {
            sqlx::query(
                "INSERT INTO appctl.permissions (schema_name, kind, name, record) VALUES ($1, $2, $3, $4)",
            )
            .bind(&desired.schema)
            .bind(kind)
            .bind(name)
            .bind(record)
            .execute(&mut *self.conn)
            .await?;
        }
        Ok(())
    }

    /// Each function record of `schema` as JSON (so records written by an older appctl read with
    /// the newer fields absent), by name; `None` when appctl never recorded functions here.
    pub async fn function_records(
        &mut self,
        schema: &str,
    ) -> Result<Option<Vec<(String, serde_json::Value)>>, sqlx::Error> {
        if !self.has("functions").await? {
            return Ok(None);
        }
        sqlx::query_as(
            "select f.name, to_jsonb(f) from appctl.functions f where f.schema_name = $1 order by f.name",
        )
        .bind(schema)
        .fetch_all(&mut *self.conn)
        .await
        .map(Some)
    }

    /// The packages of the function versions this plan creates or changes, unless stored already.
    pub async fn store_packages(
        &mut self,
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
            .execute(&mut *self.conn)
            .await?;
        }
        Ok(())
    }

    /// The packages of `versions` stored by deploys, by version; empty when the instance has none.
    pub async fn packages(
        &mut self,
        versions: &[String],
    ) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
        if !self.has("function_packages").await? || versions.is_empty() {
            return Ok(BTreeMap::new());
        }
        let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
            "SELECT version, package FROM appctl.function_packages WHERE version = ANY($1)",
        )
        .bind(versions)
        .fetch_all(&mut *self.conn)
        .await
        .context("cannot read appctl.function_packages")?;
        Ok(rows.into_iter().collect())
    }

    /// Records an applied deployment; returns its id.
    pub async fn record_applied(
        &mut self,
        plan: &Plan,
        actor: &str,
        started: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64, DeployError> {
        let id = sqlx::query_scalar(
            "INSERT INTO appctl.deployments (started_at, actor, appctl_version, schema_name, plan_hash, statements, outcome)
             VALUES ($1, $2, $3, $4, $5, $6, 'applied') RETURNING id",
        )
        .bind(started)
        .bind(actor)
        .bind(env!("CARGO_PKG_VERSION"))
        .bind(&plan.schema)
        .bind(plan.hash())
        .bind(all_sql(plan))
        .fetch_one(&mut *self.conn)
        .await?;
        Ok(id)
    }

    /// Records a failed deployment. Best effort: the failure itself is what the user must see.
    pub async fn record_failure(
        &mut self,
        plan: &Plan,
        actor: &str,
        started: chrono::DateTime<chrono::Utc>,
        error: &DeployError,
    ) {
        let _ = sqlx::query(
            "INSERT INTO appctl.deployments (started_at, actor, appctl_version, schema_name, plan_hash, statements, outcome, error)
             VALUES ($1, $2, $3, $4, $5, $6, 'failed', $7)",
        )
        .bind(started)
        .bind(actor)
        .bind(env!("CARGO_PKG_VERSION"))
        .bind(&plan.schema)
        .bind(plan.hash())
        .bind(all_sql(plan))
        .bind(error.to_string())
        .execute(&mut *self.conn)
        .await;
    }

    /// Appends an entry to `appctl.audit_log` (created when missing).
    pub async fn record_audit(
        &mut self,
        action: &str,
        detail: serde_json::Value,
    ) -> Result<(), DeployError> {
        self.ensure().await?;
        sqlx::query(
            "INSERT INTO appctl.audit_log (actor, appctl_version, action, detail) VALUES ($1, $2, $3, $4)",
        )
        .bind(actor())
        .bind(env!("CARGO_PKG_VERSION"))
        .bind(action)
        .bind(detail)
        .execute(&mut *self.conn)
        .await?;
        Ok(())
    }

    /// The normalisation cache of `schema`: empty when there is none or it cannot be read (it is
    /// only a cache).
    pub async fn normalized(&mut self, schema: &str) -> Vec<NormalizedRow> {
        if !self.has("normalized").await.unwrap_or(false) {
            return Vec::new();
        }
        // As text, parsed by the caller straight into tables (not through serde_json::Value).
        let rows: Result<Vec<(String, String, String)>, sqlx::Error> = sqlx::query_as(
            "SELECT table_name, key, state::text FROM appctl.normalized WHERE schema_name = $1",
        )
        .bind(schema)
        .fetch_all(&mut *self.conn)
        .await;
        rows.unwrap_or_default()
            .into_iter()
            .map(|(table, key, state)| NormalizedRow { table, key, state })
            .collect()
    }

    /// Replaces the normalisation cache of `schema`: one row per table, with its key and state.
    pub async fn store_normalized(
        &mut self,
        schema: &str,
        tables: Vec<String>,
        keys: Vec<String>,
        states: Vec<serde_json::Value>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM appctl.normalized WHERE schema_name = $1")
            .bind(schema)
            .execute(&mut *self.conn)
            .await?;
        sqlx::query(
            "INSERT INTO appctl.normalized (schema_name, table_name, key, state)
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::jsonb[])",
        )
        .bind(schema)
        .bind(tables)
        .bind(keys)
        .bind(states)
        .execute(&mut *self.conn)
        .await?;
        Ok(())
    }
}

/// Every statement of a plan, as recorded with its deployment.
fn all_sql(plan: &Plan) -> String {
    plan.steps
        .iter()
        .flat_map(|s| s.sql.iter())
        .map(|sql| format!("{sql};\n"))
        .collect()
}
