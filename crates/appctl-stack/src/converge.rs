//! Bringing an engine's containers to a stack's specs: what `up` does on the local engine and
//! `deploy --env` does on an environment's `docker_host`. Each service is prepared (env resolved,
//! files, spec hash), reconciled against the engine's containers, and the changed ones are
//! replaced in dependency waves and waited on.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use futures_util::future::join_all;
use sha2::Digest as _;

use super::docker::{Engine, Existing};
use super::reconcile::{Action, Reconciliation, reconcile};
use super::secrets::{PLACEHOLDERS, Secrets};
use super::spec::{ServiceSpec, StackSpec};
use appctl_project::package::FunctionPackage;
use appctl_project::vars::Variables;

/// What converging tells the person running it, as it happens.
pub trait ContainerListener: Send {
    fn service(&mut self, name: &str, action: &Action);
    fn healthy(&mut self, name: &str, after: Duration);
    fn removed(&mut self, name: &str);
}

/// One service ready to run: its env as the container gets it, its files, and its spec hash.
pub struct Prepared {
    pub spec: ServiceSpec,
    pub env: BTreeMap<String, String>,
    /// A tar (or gzip'd tar) unpacked into /app before the container starts.
    pub files: Option<Vec<u8>>,
    pub hash: String,
}

/// Resolves each service's env and files and computes its hash. A function's files are its
/// package from `packages` (as [`appctl_project::package::packages`] makes them), which `up` and
/// `deploy --env` both run; `image_ids` holds the id of every image of the stack on the engine.
///
/// The hash covers the env with the user's `${VAR}`s filled in but the stack's secrets still as
/// placeholders, plus a digest of the secrets: a rotated secret replaces the containers that use
/// it, and tokens signed afresh on every run (an environment's keys) do not.
pub fn prepare(
    stack: &StackSpec,
    secrets: &Secrets,
    variables: &Variables,
    image_ids: &BTreeMap<String, String>,
    packages: &[FunctionPackage],
) -> anyhow::Result<Vec<Prepared>> {
    let secrets_digest = secrets_digest(secrets);
    let mut prepared = Vec::new();
    for service in &stack.services {
        let mut hashed = BTreeMap::new();
        let mut env = BTreeMap::new();
        for (name, value) in &service.env {
            let value = variables
                .interpolate(value)
                .with_context(|| format!("{}: environment variable {name}", service.name))?;
            env.insert(name.clone(), secrets.fill(&value));
            hashed.insert(name.clone(), value);
        }
        if hashed
            .values()
            .any(|v| PLACEHOLDERS.iter().any(|(p, _)| v.contains(p)))
        {
            hashed.insert(String::new(), secrets_digest.clone());
        }
        let package = service
            .name
            .strip_prefix("functions.")
            .and_then(|name| packages.iter().find(|p| p.name == name));
        // A package's version is the sha256 of its bytes.
        let files_digest = package.map(|p| p.version.clone()).unwrap_or_default();
        let files = package.map(|p| p.bytes.clone());
        let image_id = image_ids
            .get(&service.image)
            .with_context(|| format!("image {} is not on the engine", service.image))?;
        let hash = service.hash(image_id, &hashed, &files_digest);
        prepared.push(Prepared {
            spec: service.clone(),
            env,
            files,
            hash,
        });
    }
    Ok(prepared)
}

/// What the engine must do for the prepared services, from the containers it has (returned too).
pub async fn reconcile_with(
    engine: &Engine,
    stack: &StackSpec,
    prepared: &[Prepared],
) -> anyhow::Result<(Reconciliation, Vec<Existing>)> {
    let existing = engine.containers(&stack.project).await?;
    let desired: Vec<(String, String)> = prepared
        .iter()
        .map(|p| (p.spec.name.clone(), p.hash.clone()))
        .collect();
    Ok((reconcile(&desired, &existing), existing))
}

/// Does `plan` on the engine: removes orphans, makes the network and volumes, and brings every
/// service up in dependency waves (in parallel inside a wave), waiting for each to be healthy.
/// Returns the services removed.
pub async fn converge(
    engine: &Engine,
    stack: &StackSpec,
    prepared: &[Prepared],
    plan: &Reconciliation,
    secrets: &Secrets,
    listener: &mut dyn ContainerListener,
) -> anyhow::Result<Vec<String>> {
    let mut removed = Vec::new();
    for orphan in &plan.orphans {
        engine.remove(&orphan.id).await?;
        listener.removed(&orphan.service);
        removed.push(orphan.service.clone());
    }
    if !plan.changes_nothing() {
        engine
            .ensure_network(&stack.project, &stack.network)
            .await?;
        for p in prepared {
            if let Some(volume) = &p.spec.volume {
                engine
                    .ensure_volume(&stack.project, &p.spec.name, &volume.name)
                    .await?;
            }
        }
    }
    let actions: BTreeMap<&str, &Action> = plan
        .actions
        .iter()
        .map(|(name, action)| (name.as_str(), action))
        .collect();
    for wave in stack.waves() {
        let mut jobs = Vec::new();
        for service in wave {
            let p = prepared
                .iter()
                .find(|p| p.spec.name == service.name)
                .expect("every service is prepared");
            let action = actions[service.name.as_str()].clone();
            listener.service(&service.name, &action);
            jobs.push(bring_up(engine, stack, p, action, secrets));
        }
        for result in join_all(jobs).await {
            let (name, after) = result?;
            listener.healthy(&name, after);
        }
    }
    Ok(removed)
}

/// Does one service's action and waits for it to be healthy; on failure, the error carries the
/// service's last log lines and the container is left for inspection.
async fn bring_up(
    engine: &Engine,
    stack: &StackSpec,
    p: &Prepared,
    action: Action,
    secrets: &Secrets,
) -> anyhow::Result<(String, Duration)> {
    let started = Instant::now();
    let id = match action {
        Action::Keep { id } => id,
        Action::Start { id } => {
            engine.start(&id).await?;
            id
        }
        Action::Create | Action::Replace { .. } => {
            if let Action::Replace { old_id } = &action {
                engine.remove(old_id).await?;
            }
            engine
                .create_and_start(
                    &stack.project,
                    &stack.network,
                    &p.spec,
                    &p.env,
                    &p.hash,
                    p.files.clone(),
                )
                .await?
        }
    };
    if let Err(error) = engine.wait_healthy(&p.spec, &id).await {
        let logs = engine.last_logs(&id, 30).await;
        let logs = redact(&logs, secrets, &p.env);
        bail!(
            "{error}\nlast lines of {} ({} on {}):\n{}",
            p.spec.name,
            p.spec.container,
            engine.endpoint,
            indent(logs.trim_end()),
        );
    }
    Ok((p.spec.name.clone(), started.elapsed()))
}

/// The secrets a container's spec depends on. The anon and service keys are left out: they are
/// signed with the JWT secret (so its digest covers them), and an environment's are signed afresh on
/// every deploy.
fn secrets_digest(secrets: &Secrets) -> String {
    let mut hasher = sha2::Sha256::new();
    for value in [
        &secrets.db_password,
        &secrets.jwt_secret,
        &secrets.authenticator_password,
        &secrets.auth_password,
        &secrets.api_database_url,
    ] {
        hasher.update(value.as_bytes());
        hasher.update([0]);
    }
    hex::encode(&hasher.finalize()[..16])
}

/// Log lines with the stack's secrets and every long env value replaced, so an error never prints a
/// secret the container happened to log.
pub fn redact(text: &str, secrets: &Secrets, env: &BTreeMap<String, String>) -> String {
    let mut out = text.to_string();
    let values = [
        &secrets.db_password,
        &secrets.jwt_secret,
        &secrets.anon_key,
        &secrets.service_key,
        &secrets.authenticator_password,
        &secrets.auth_password,
        &secrets.api_database_url,
    ];
    for value in values.into_iter().chain(env.values()) {
        if value.len() >= 12 {
            out = out.replace(value.as_str(), "***");
        }
    }
    out
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
