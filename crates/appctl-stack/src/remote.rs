//! Functions on an environment's Docker host: what `appctl deploy --env E` runs besides the schema.
//!
//! The environment's `docker_host` gets the same containers as the local stack's functions part:
//! one per function from its runtime's image, with its package unpacked into /app, and the gateway
//! in front (JWT checks against `execute`, schedules, invocation logs). A rollout is prepared
//! before the database is touched (engine reached, images there, packages made, what changes
//! known) and applied after the schema's transaction commits. Containers are reconciled by their
//! spec hash, exactly as `up` does: a function is replaced when its package, config, image or env
//! changed, and a rerun after a failure finishes the job.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context as _, bail};

use super::converge::{self, ContainerListener, Prepared};
use super::docker::Engine;
use super::reconcile::{Action, Reconciliation};
use super::secrets::Secrets;
use super::spec::{self, RemoteSite, StackSpec};
use super::template;
use appctl_project::Project;
use appctl_project::package::FunctionPackage;
use appctl_project::vars::Variables;
use appctl_server::jwt::sign_role_key;

/// Where the gateway listens on the Docker host unless the environment says otherwise: loopback,
/// for a TLS proxy on that host in front of it.
pub const DEFAULT_GATEWAY: &str = "127.0.0.1:54321";

/// An environment's Docker host, as its `environments.<name>` entry gives it, resolved.
#[derive(Clone)]
pub struct Target {
    pub environment: String,
    pub docker_host: String,
    pub cert_path: Option<PathBuf>,
    jwt_secret: String,
    pub gateway: SocketAddr,
    /// `api_database_url`, resolved: the gateway's REST login (a secret: never printed).
    api_database_url: Option<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("environment", &self.environment)
            .field("docker_host", &self.docker_host)
            .field("gateway", &self.gateway)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// The secret the environment's tokens are signed with.
    pub fn jwt_secret(&self) -> &str {
        &self.jwt_secret
    }

    /// The URL the gateway's REST service logs in with, when the environment has one.
    pub fn api_database_url(&self) -> Option<&str> {
        self.api_database_url.as_deref()
    }

    /// The gateway as a caller reaches it: its address, or the Docker host's name when it listens
    /// on every address (`0.0.0.0`).
    pub fn gateway_url(&self) -> String {
        if !self.gateway.ip().is_unspecified() {
            return format!("http://{}", self.gateway);
        }
        let host = self
            .docker_host
            .split_once("://")
            .map_or(self.docker_host.as_str(), |(_, rest)| rest);
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let host = host.split(['/', ':']).next().unwrap_or(host);
        format!("http://{host}:{}", self.gateway.port())
    }
}

/// The Docker host of environment `name`, or `None` when it has no `docker_host` (its functions
/// are then recorded by the deploy but run elsewhere).
pub fn target(
    project: &Project,
    name: &str,
    variables: &Variables,
) -> anyhow::Result<Option<Target>> {
    let environment = project
        .file
        .environments
        .get(name)
        .with_context(|| format!("environment `{name}` is not declared in appctl.yaml"))?;
    let Some((docker_host, cert_path)) = docker_host_of(project, name, variables)? else {
        return Ok(None);
    };
    let resolve = |key: &str, value: &str| {
        variables
            .interpolate(value)
            .with_context(|| format!("environments.{name}.{key}"))
    };
    let jwt_secret = match &environment.jwt_secret {
        Some(secret) => resolve("jwt_secret", secret)?,
        None => bail!(
            "environments.{name}.jwt_secret is missing: the functions' gateway on {docker_host} \
             checks callers' tokens with it\nhint: add `jwt_secret: \"${{{}_JWT_SECRET}}\"` (the \
             secret your auth service signs tokens with) and set that variable",
            name.to_uppercase()
        ),
    };
    if jwt_secret.len() < 32 {
        bail!(
            "environments.{name}.jwt_secret is shorter than 32 characters\nhint: use the secret \
             your auth service signs tokens with; generate one with `openssl rand -hex 32`"
        );
    }
    let gateway = gateway_of(project, name, variables)?;
    let api_database_url = match &environment.api_database_url {
        Some(url) => Some(resolve("api_database_url", url)?),
        None => None,
    };
    Ok(Some(Target {
        environment: name.to_string(),
        docker_host,
        cert_path,
        jwt_secret,
        gateway,
        api_database_url,
    }))
}

/// Where environment `name`'s gateway listens on its Docker host.
fn gateway_of(project: &Project, name: &str, variables: &Variables) -> anyhow::Result<SocketAddr> {
    let text = match project
        .file
        .environments
        .get(name)
        .and_then(|e| e.gateway.as_ref())
    {
        Some(text) => variables
            .interpolate(text)
            .with_context(|| format!("environments.{name}.gateway"))?,
        None => DEFAULT_GATEWAY.to_string(),
    };
    appctl_project::values::parse_gateway(&text)
        .with_context(|| format!("environments.{name}.gateway"))
}

/// The stack `deploy --env name` runs on the environment's Docker host.
pub fn stack_of(project: &Project, name: &str, variables: &Variables) -> anyhow::Result<StackSpec> {
    let (stack_template, images) = template::builtin();
    let site = RemoteSite {
        environment: name.to_string(),
        gateway: gateway_of(project, name, variables)?,
        rest: project
            .file
            .environments
            .get(name)
            .is_some_and(|e| e.api_database_url.is_some()),
    };
    Ok(spec::build_remote(
        &project.file,
        project.dir(),
        &stack_template,
        &images,
        &site,
    )?)
}

/// The environment's `docker_host` and certificate directory, resolved; `None` without one.
fn docker_host_of(
    project: &Project,
    name: &str,
    variables: &Variables,
) -> anyhow::Result<Option<(String, Option<PathBuf>)>> {
    let environment = project
        .file
        .environments
        .get(name)
        .with_context(|| format!("environment `{name}` is not declared in appctl.yaml"))?;
    let Some(docker_host) = &environment.docker_host else {
        return Ok(None);
    };
    let resolve = |key: &str, value: &str| {
        variables
            .interpolate(value)
            .with_context(|| format!("environments.{name}.{key}"))
    };
    let docker_host = resolve("docker_host", docker_host)?;
    let cert_path = match &environment.docker_cert_path {
        Some(path) => Some(project.dir().join(resolve("docker_cert_path", path)?)),
        None if docker_host.starts_with("tcp://") => {
            std::env::var_os("DOCKER_CERT_PATH").map(PathBuf::from)
        }
        None => None,
    };
    Ok(Some((docker_host, cert_path)))
}

/// The engine of environment `name`'s Docker host and the name its containers are labelled with
/// (`<project>-<env>`), for `logs` and `status`; an error when it has no `docker_host`.
pub async fn engine_of(
    project: &Project,
    name: &str,
    variables: &Variables,
) -> anyhow::Result<(Engine, String)> {
    let (docker_host, cert_path) =
        docker_host_of(project, name, variables)?.with_context(|| {
            format!("environment `{name}` has no docker_host, so appctl runs nothing there")
        })?;
    let engine = Engine::connect_to(&docker_host, cert_path.as_deref()).await?;
    Ok((engine, format!("{}-{name}", project.file.project)))
}

/// What a rollout tells the person running it, besides the containers.
pub trait RolloutListener: ContainerListener {
    /// An image the Docker host lacked was copied to it from the local engine (`bytes` sent), or
    /// pulled by it (`bytes` 0).
    fn image_sent(&mut self, image: &str, bytes: u64);
}

/// A rollout ready to apply: the engine reached, its images present, the packages made, and what
/// changes on it known.
pub struct Rollout {
    environment: String,
    gateway: SocketAddr,
    engine: Engine,
    pub stack: StackSpec,
    secrets: Secrets,
    prepared: Vec<Prepared>,
    pub plan: Reconciliation,
    /// Each function's package version (sha256), as the containers get it.
    pub versions: BTreeMap<String, String>,
}

impl Rollout {
    /// Where it goes.
    pub fn endpoint(&self) -> &str {
        &self.engine.endpoint
    }

    /// Where the gateway listens on the Docker host.
    pub fn gateway(&self) -> std::net::SocketAddr {
        self.gateway
    }

    /// True when no container would be created, replaced, started or removed.
    pub fn changes_nothing(&self) -> bool {
        self.plan.changes_nothing()
    }

    /// The rollout in the plan's words: `+ functions.chat (create)`, `~ gateway (replace)`...
    pub fn describe(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .plan
            .actions
            .iter()
            .filter_map(|(name, action)| match action {
                Action::Keep { .. } => None,
                Action::Start { .. } => Some(format!("  ~ {name}: start (stopped)")),
                Action::Create => Some(format!("  + {name}: create")),
                Action::Replace { .. } => Some(format!("  ~ {name}: replace")),
            })
            .collect();
        lines.extend(
            self.plan
                .orphans
                .iter()
                .map(|o| format!("  - {}: remove (no longer declared)", o.service)),
        );
        lines
    }

    /// Replaces what changed and waits until every container is healthy. Returns the services
    /// removed.
    pub async fn apply(&self, listener: &mut dyn ContainerListener) -> anyhow::Result<Vec<String>> {
        converge::converge(
            &self.engine,
            &self.stack,
            &self.prepared,
            &self.plan,
            &self.secrets,
            listener,
        )
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "{e:#}\nhint: the schema is deployed; fix the function and run `appctl deploy --env \
                 {}` again: it replaces only what still differs",
                self.environment
            )
        })
    }
}

/// Reaches the Docker host, makes sure it has every image (copied from the local engine when it
/// lacks one and the local engine has it, else pulled by it), makes the packages and works out
/// what changes. Touches no container. `packages` are the functions' packages, as
/// [`appctl_project::package::packages`] makes them.
pub async fn prepare(
    project: &Project,
    target: &Target,
    packages: &[FunctionPackage],
    variables: &Variables,
    listener: &mut dyn RolloutListener,
) -> anyhow::Result<Rollout> {
    let (stack_template, images) = template::builtin();
    let site = RemoteSite {
        environment: target.environment.clone(),
        gateway: target.gateway,
        rest: target.api_database_url.is_some(),
    };
    let stack = spec::build_remote(
        &project.file,
        project.dir(),
        &stack_template,
        &images,
        &site,
    )?;
    let engine = Engine::connect_to(&target.docker_host, target.cert_path.as_deref()).await?;
    let image_ids = ensure_images(&engine, &stack, listener).await?;

    let versions: BTreeMap<String, String> = packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    let secrets = Secrets {
        db_password: String::new(),
        anon_key: sign_role_key("anon", &target.jwt_secret)?,
        service_key: sign_role_key("service_role", &target.jwt_secret)?,
        jwt_secret: target.jwt_secret.clone(),
        authenticator_password: String::new(),
        auth_password: String::new(),
        api_database_url: target.api_database_url.clone().unwrap_or_default(),
    };
    let prepared = converge::prepare(&stack, &secrets, variables, &image_ids, packages)?;
    let (plan, _) = converge::reconcile_with(&engine, &stack, &prepared).await?;
    Ok(Rollout {
        environment: target.environment.clone(),
        gateway: target.gateway,
        engine,
        stack,
        secrets,
        prepared,
        plan,
        versions,
    })
}

/// Every image of the stack on `engine`, with its id.
async fn ensure_images(
    engine: &Engine,
    stack: &StackSpec,
    listener: &mut dyn RolloutListener,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut images: Vec<&str> = stack.services.iter().map(|s| s.image.as_str()).collect();
    images.sort();
    images.dedup();
    let mut ids = BTreeMap::new();
    let mut local: Option<Option<Engine>> = None;
    for image in images {
        if let Some(id) = engine.image_id(image).await? {
            ids.insert(image.to_string(), id);
            continue;
        }
        // The local engine (DOCKER_HOST or the socket), reached once, and only when needed: a CI
        // runner without one still deploys images the host can pull.
        if local.is_none() {
            local = Some(Engine::connect().await.ok());
        }
        let from = local.as_ref().and_then(Option::as_ref);
        let has_it = match from {
            Some(from) => from.image_id(image).await?.is_some(),
            None => false,
        };
        let bytes = match from {
            Some(from) if has_it => from.ship_image(engine, image).await?,
            _ => {
                engine.pull(image, |_, _| {}).await.map_err(|e| {
                    anyhow::anyhow!(
                        "{e:#}\nhint: the Docker host at {} lacks {image} and cannot pull it; \
                         build it on the local engine (images/build.sh, docs/images.md) and deploy \
                         again: appctl copies images the host lacks from the local engine",
                        engine.endpoint
                    )
                })?;
                0
            }
        };
        listener.image_sent(image, bytes);
        let id = engine
            .image_id(image)
            .await?
            .with_context(|| format!("{image} is still missing on {}", engine.endpoint))?;
        ids.insert(image.to_string(), id);
    }
    Ok(ids)
}
