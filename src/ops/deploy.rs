//! `deploy`: the schema applied to a database, then the functions rolled out to the environment's
//! Docker host, in the order that fails early: everything that can fail without a change (the host
//! reached, its images there, the packages made) comes before the schema's transaction, and the
//! containers change only after it committed.

use std::collections::BTreeMap;

use anyhow::bail;
use serde::Serialize;

use crate::bookkeeping::Bookkeeping;
use crate::deploy::{self, DeployError, DeployListener, DeployOptions, DeployOutcome};
use crate::diff::Change;
use crate::plan::Plan;
use crate::project::Project;
use crate::project::vars::Variables;
use crate::stack::remote::{self, Rollout, RolloutListener, Target};

/// What a deploy tells the person running it, beyond the schema's own events.
pub trait DeployReporter: DeployListener + RolloutListener {
    fn preparing_functions(&mut self, target: &Target);
    /// What the rollout will change (one line per container), known before the plan is confirmed.
    fn rollout_planned(&mut self, rollout: &Rollout);
    /// Asked when only the functions change: the schema had nothing to confirm. False cancels.
    fn confirm_rollout(&mut self) -> bool;
    fn rolling_out(&mut self, rollout: &Rollout);
}

pub struct DeployRequest<'a> {
    pub project: &'a Project,
    pub url: &'a str,
    /// A plan saved by `appctl plan -o`, applied instead of a fresh one.
    pub saved: Option<Plan>,
    /// The deploy's settings; its `packages` are made here, from the project's functions.
    pub options: DeployOptions,
    /// Where the functions go, from [`functions_target`]; `None` deploys the schema only.
    pub functions: Option<Target>,
}

pub struct DeployReport {
    pub outcome: DeployOutcome,
    pub rollout: Option<Rollout>,
}

/// The Docker host of environment `environment`'s functions, when it has one.
pub fn functions_target(
    project: &Project,
    environment: &str,
    variables: &Variables,
) -> anyhow::Result<Option<Target>> {
    remote::target(project, environment, variables)
}

/// The variable that holds the REST service's login password in a Compose stack's `.env`.
pub const AUTHENTICATOR_PASSWORD: &str = "APPCTL_AUTHENTICATOR_PASSWORD";
/// The variable that holds the auth service's login password in a Compose stack's `.env`.
pub const AUTH_PASSWORD: &str = "APPCTL_AUTH_PASSWORD";

/// The password `deploy --bootstrap` gives `authenticator`, the role the gateway's REST service
/// logs in as (bootstrap creates it without a login): an environment's `api_database_url`'s
/// when it logs in as `authenticator`, else `APPCTL_AUTHENTICATOR_PASSWORD` (a Compose stack).
fn authenticator_password(
    target: Option<&Target>,
    variables: &Variables,
) -> anyhow::Result<Option<String>> {
    if let Some(url) = target.and_then(Target::api_database_url) {
        return appctl_project::values::password_of(url, "authenticator")
            .map_err(|e| anyhow::anyhow!("the environment's api_database_url: {e}"));
    }
    Ok(variables
        .get(AUTHENTICATOR_PASSWORD)
        .filter(|p| !p.is_empty())
        .map(str::to_string))
}

pub async fn deploy(
    request: DeployRequest<'_>,
    variables: &Variables,
    reporter: &mut dyn DeployReporter,
) -> anyhow::Result<DeployReport> {
    let DeployRequest {
        project,
        url,
        saved,
        mut options,
        functions,
    } = request;
    let (desired, packages) = crate::functions::lower_with_packages(project)?;
    options.packages = packages;
    let rollout = match &functions {
        Some(target) => {
            reporter.preparing_functions(target);
            let rollout =
                remote::prepare(project, target, &options.packages, variables, reporter).await?;
            if let Some(saved) = &saved {
                check_saved_versions(saved, &rollout.versions)?;
            }
            reporter.rollout_planned(&rollout);
            Some(rollout)
        }
        None => None,
    };
    let mut conn = deploy::connect(url, &super::application_name("deploy")).await?;
    let outcome = deploy::deploy(&mut conn, &desired, saved, &options, reporter).await?;
    if options.bootstrap {
        let logins = [
            (
                "authenticator",
                authenticator_password(functions.as_ref(), variables)?,
            ),
            (
                "supabase_auth_admin",
                variables
                    .get(AUTH_PASSWORD)
                    .filter(|p| !p.is_empty())
                    .map(str::to_string),
            ),
        ];
        for (role, password) in logins {
            if let Some(password) = password {
                let given = deploy::give_login(&mut conn, role, &password).await;
                anyhow::Context::with_context(given, || {
                    format!("cannot give the {role} role its login")
                })?;
            }
        }
    }
    if let Some(rollout) = &rollout
        && !rollout.changes_nothing()
    {
        if outcome.deployment_id.is_none() && !reporter.confirm_rollout() {
            return Err(DeployError::Cancelled.into());
        }
        reporter.rolling_out(rollout);
        let result = rollout.apply(reporter).await;
        let record = RolloutRecord {
            outcome: Some(if result.is_ok() { "applied" } else { "failed" }),
            ..RolloutRecord::of(rollout)
        };
        // The audit entry is best effort: the rollout's own outcome is what the user sees.
        if let Ok(detail) = serde_json::to_value(&record) {
            let _ = Bookkeeping::on(&mut conn)
                .record_audit("functions rollout", detail)
                .await;
        }
        result?;
    }
    Ok(DeployReport { outcome, rollout })
}

/// A functions rollout: where it went and what changed; the audit entry adds its outcome.
#[derive(Serialize)]
pub struct RolloutRecord<'a> {
    pub docker_host: &'a str,
    pub changes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'static str>,
}

impl<'a> RolloutRecord<'a> {
    pub fn of(rollout: &'a Rollout) -> Self {
        RolloutRecord {
            docker_host: rollout.endpoint(),
            changes: rollout
                .describe()
                .iter()
                .map(|l| l.trim().to_string())
                .collect(),
            outcome: None,
        }
    }
}

/// A saved plan records each function's version; the containers get the sources as they are now.
/// Both must be the same code.
fn check_saved_versions(saved: &Plan, versions: &BTreeMap<String, String>) -> anyhow::Result<()> {
    for step in &saved.steps {
        let (name, function) = match &step.change {
            Change::CreateFunction { name, function } => (name, function),
            Change::ChangeFunction { name, to, .. } => (name, to),
            _ => continue,
        };
        if let (Some(planned), Some(now)) = (&function.version, versions.get(name))
            && planned != now
        {
            bail!(
                "the sources of function `{name}` changed since the plan was saved (version {} in \
                 the plan, {} now)\nhint: make the plan again with `appctl plan --env ... -o`",
                crate::functions::short_version(Some(planned)),
                crate::functions::short_version(Some(now))
            );
        }
    }
    Ok(())
}
