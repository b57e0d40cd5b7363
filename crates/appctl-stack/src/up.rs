//! `appctl up`: the project's stack running and its schema applied. Images are ensured, containers
//! reconciled to their specs (untouched when nothing changed), started in dependency order (in
//! parallel where independent) and waited on, then the project is deployed to the local db with the
//! same engine as `appctl deploy`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use futures_util::future::join_all;

use super::converge::{self, ContainerListener};
use super::docker::{Engine, Existing};
use super::reconcile::{Action, Reconciliation};
use super::secrets::Secrets;
use super::spec::{self, ServiceSpec, StackSpec};
use super::template;
use appctl_pg::deploy::{self, DeployListener, DeployOptions};
use appctl_project::Project;
use appctl_project::vars::Variables;
use appctl_schema::plan::{Plan, Step};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullPolicy {
    /// Only images the engine does not have.
    Missing,
    /// Every image, to get the newest build of its tag.
    Always,
    /// None: a missing image is an error.
    Never,
}

#[derive(Debug, Clone)]
pub struct UpOptions {
    pub pull: PullPolicy,
    pub allow_destructive: bool,
}

/// What `up` tells the person running it, as it happens.
pub trait UpListener: Send {
    fn pulling(&mut self, image: &str, done: u64, total: u64);
    fn pulled(&mut self, image: &str);
    fn service(&mut self, name: &str, action: &Action);
    fn healthy(&mut self, name: &str, after: Duration);
    fn removed(&mut self, name: &str);
    fn schema_step(&mut self, step: &Step);
}

#[derive(Debug)]
pub struct UpReport {
    pub stack: StackSpec,
    pub actions: Vec<(String, Action)>,
    pub removed: Vec<String>,
    /// The schema plan applied to the local db (`None` when the db is disabled).
    pub schema: Option<Plan>,
    pub secrets: Secrets,
}

impl UpReport {
    /// True when no container was created, replaced, started or removed.
    pub fn containers_untouched(&self) -> bool {
        self.removed.is_empty()
            && self
                .actions
                .iter()
                .all(|(_, a)| matches!(a, Action::Keep { .. }))
    }
}

/// The stack of a project as `up` would run it.
pub fn stack_of(project: &Project) -> anyhow::Result<StackSpec> {
    let (template, images) = template::builtin();
    Ok(spec::build(
        &project.file,
        project.dir(),
        &template,
        &images,
    )?)
}

pub async fn up(
    project: &Project,
    options: &UpOptions,
    listener: &mut dyn UpListener,
) -> anyhow::Result<UpReport> {
    let stack = stack_of(project)?;
    let secrets = Secrets::load_or_create(project.dir())?;
    let variables = Variables::from_env(project.dir())
        .with_context(|| format!("cannot read {}", project.dir().join(".env").display()))?;
    let engine = Engine::connect().await?;

    // The functions run their packages, the bytes `deploy --env` runs and whose sha256 is the
    // version in the plan: what works here works there (a file the package leaves out is missing
    // here too).
    let (desired, packages) = appctl_schema::functions::lower_with_packages(project)?;
    let image_ids = ensure_images(&engine, &stack, options.pull, listener).await?;
    let prepared = converge::prepare(&stack, &secrets, &variables, &image_ids, &packages)?;
    let (plan, existing) = converge::reconcile_with(&engine, &stack, &prepared).await?;
    check_ports(&existing, &prepared, &plan)?;
    let mut relay = ContainerRelay { listener };
    let removed = converge::converge(&engine, &stack, &prepared, &plan, &secrets, &mut relay)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "{e:#}\nhint: the other services were left running for inspection: \
                 `appctl logs <service>`, `appctl status`, `appctl down`"
            )
        })?;

    let schema = match stack.service("db") {
        Some(db) => Some(apply_schema(&desired, db, &secrets, options, listener).await?),
        None => None,
    };
    Ok(UpReport {
        stack,
        actions: plan.actions,
        removed,
        schema,
        secrets,
    })
}

/// Nothing starts when a port one of the changed services publishes is taken by something that is
/// not this stack.
fn check_ports(
    existing: &[Existing],
    prepared: &[converge::Prepared],
    plan: &Reconciliation,
) -> anyhow::Result<()> {
    for (p, (_, action)) in prepared.iter().zip(&plan.actions) {
        if matches!(action, Action::Keep { .. }) {
            continue;
        }
        if let Some(port) = p.spec.port {
            let ours = existing.iter().any(|e| e.ports.contains(&port.host));
            if !ours && std::net::TcpListener::bind(("127.0.0.1", port.host)).is_err() {
                bail!(
                    "port {} on 127.0.0.1, wanted by {}, is in use by another program\n\
                     hint: stop that program, or give {} another port in appctl.yaml: \
                     `stack: {{ {}: {{ port: <free port> }} }}`",
                    port.host,
                    p.spec.name,
                    p.spec.name,
                    p.spec.name.split('.').next().unwrap_or(&p.spec.name)
                );
            }
        }
    }
    Ok(())
}

struct ContainerRelay<'a> {
    listener: &'a mut dyn UpListener,
}

impl ContainerListener for ContainerRelay<'_> {
    fn service(&mut self, name: &str, action: &Action) {
        self.listener.service(name, action);
    }
    fn healthy(&mut self, name: &str, after: Duration) {
        self.listener.healthy(name, after);
    }
    fn removed(&mut self, name: &str) {
        self.listener.removed(name);
    }
}

/// Every image the stack needs, present on the engine: the missing ones (or all, with `always`)
/// are pulled in parallel. Returns each image's id.
async fn ensure_images(
    engine: &Engine,
    stack: &StackSpec,
    pull: PullPolicy,
    listener: &mut dyn UpListener,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut ids = BTreeMap::new();
    let mut images: Vec<&str> = stack.services.iter().map(|s| s.image.as_str()).collect();
    images.sort();
    images.dedup();
    let mut to_pull = Vec::new();
    for image in images {
        match (engine.image_id(image).await?, pull) {
            (Some(id), PullPolicy::Missing | PullPolicy::Never) => {
                ids.insert(image.to_string(), id);
            }
            (None, PullPolicy::Never) => bail!(
                "image {image} is not on the engine and --pull never forbids pulling it\n\
                 hint: build the air-gapped images with images/build.sh (docs/images.md) and set \
                 `stack.<service>.image` in appctl.yaml, or pull with --pull missing"
            ),
            (_, PullPolicy::Missing | PullPolicy::Always) => to_pull.push(image),
        }
    }
    // One pull per image at once; progress reports take turns on the listener (one thread).
    let listener = std::sync::Mutex::new(listener);
    let pulls = to_pull.iter().map(|&image| {
        let listener = &listener;
        async move {
            let report = |done, total| {
                if let Ok(mut l) = listener.lock() {
                    l.pulling(image, done, total);
                }
            };
            engine.pull(image, report).await.map_err(|e| {
                anyhow::anyhow!(
                    "{e:#}\nhint: without a registry, build the air-gapped images with \
                     images/build.sh (docs/images.md) and set `stack.<service>.image` in \
                     appctl.yaml to them"
                )
            })?;
            if let Ok(mut l) = listener.lock() {
                l.pulled(image);
            }
            anyhow::Ok(image)
        }
    });
    for result in join_all(pulls).await {
        let image = result?;
        let id = engine
            .image_id(image)
            .await?
            .with_context(|| format!("{image} is still missing after the pull"))?;
        ids.insert(image.to_string(), id);
    }
    Ok(ids)
}

/// The local database as the host reaches it.
pub fn local_database_url(db: &ServiceSpec, secrets: &Secrets) -> Option<String> {
    let port = db.port?;
    Some(format!(
        "postgres://postgres:{}@127.0.0.1:{}/postgres",
        secrets.db_password, port.host
    ))
}

async fn apply_schema(
    desired: &appctl_schema::model::Database,
    db: &ServiceSpec,
    secrets: &Secrets,
    options: &UpOptions,
    listener: &mut dyn UpListener,
) -> anyhow::Result<Plan> {
    let url = local_database_url(db, secrets)
        .context("the db service publishes no port, so the schema cannot be applied")?;
    // Healthy means accepting connections; a fresh db may still restart once after its init scripts.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut conn = loop {
        match deploy::connect(&url, "appctl up").await {
            Ok(conn) => break conn,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(250)).await
            }
            Err(e) => return Err(e).context("cannot connect to the local db"),
        }
    };
    let plan = deploy_project(&mut conn, desired, options, listener).await?;
    // Set on every run, so a new secrets file or a reused volume still match.
    for (role, password) in [
        ("authenticator", &secrets.authenticator_password),
        ("supabase_auth_admin", &secrets.auth_password),
    ] {
        deploy::give_login(&mut conn, role, password)
            .await
            .with_context(|| format!("cannot give the {role} role its login"))?;
    }
    Ok(plan)
}

async fn deploy_project(
    conn: &mut appctl_pg::PgConnection,
    desired: &appctl_schema::model::Database,
    options: &UpOptions,
    listener: &mut dyn UpListener,
) -> anyhow::Result<Plan> {
    let deploy_options = DeployOptions {
        allow_destructive: options.allow_destructive,
        bootstrap: true,
        actor: format!("{} (appctl up)", deploy::actor()),
        ..DeployOptions::default()
    };
    // Most reruns change nothing: a read-only plan answers that without the deploy's lock and
    // bookkeeping writes.
    if let Ok(plan) = deploy::make_plan_with(conn, desired, false, true).await
        && plan.steps.is_empty()
    {
        return Ok(plan);
    }
    let mut relay = Relay { listener };
    let outcome = deploy::deploy(conn, desired, None, &deploy_options, &mut relay)
        .await
        .map_err(|e| match e {
            deploy::DeployError::Destructive { .. } => anyhow::anyhow!(
                "{e}\nhint: the local db holds data this change would lose; run `appctl up \
                 --allow-destructive` to apply it anyway, or `appctl down --volumes` to start over"
            ),
            other => anyhow::Error::new(other).context("cannot apply the project to the local db"),
        })?;
    Ok(outcome.plan)
}

struct Relay<'a> {
    listener: &'a mut dyn UpListener,
}

impl DeployListener for Relay<'_> {
    fn waiting_for_lock(&mut self, _holder: &str) {}

    fn confirm(&mut self, _plan: &Plan) -> bool {
        // The local stack is the developer's own: no question, but destructive changes still need
        // --allow-destructive (checked by the deploy itself).
        true
    }

    fn step_done(&mut self, step: &Step) {
        self.listener.schema_step(step);
    }
}
