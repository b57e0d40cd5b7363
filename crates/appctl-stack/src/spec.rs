//! The pure core of the local stack: a project file plus the stack template become the exact list of
//! containers to run. `up` hands these specs to the Docker engine and `render compose` writes them as a
//! Compose file, so the two cannot disagree. No I/O here.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::template::{ImagePins, PortTemplate, ServiceTemplate, StackTemplate};
use appctl_project::file::{EnvValue, Function, ProjectFile, ServiceOverride};

/// Label keys on everything appctl creates for a project.
pub const LABEL_PROJECT: &str = "dev.appctl.project";
pub const LABEL_SERVICE: &str = "dev.appctl.service";
pub const LABEL_SPEC_HASH: &str = "dev.appctl.spec-hash";

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Function runtimes, as appctl.yaml spells them.
/// The order services are listed and started in; `functions` expands to one service per function.
pub const SERVICE_ORDER: &[&str] = &["db", "rest", "auth", "storage", "functions", "gateway"];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackSpec {
    pub project: String,
    pub network: String,
    pub services: Vec<ServiceSpec>,
}

/// One container. Text fields may still hold secret placeholders (`{{db_password}}`) and the user's
/// `${VAR}`s: the engine fills both in at run time; a Compose file keeps them as variables.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceSpec {
    /// `db`, `gateway`, or `functions.<name>` for a function.
    pub name: String,
    /// The host name other services use on the project network, and the Compose service name.
    pub host: String,
    pub container: String,
    pub image: String,
    pub command: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub port: Option<PortMapping>,
    pub volume: Option<VolumeMount>,
    pub health: Health,
    /// Services (by `name`) that must be healthy before this one starts.
    pub depends_on: Vec<String>,
    /// A directory copied to /app in the container before it starts (a function's files).
    pub files: Option<PathBuf>,
    /// The container's memory limit in bytes (a function's `memory`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PortMapping {
    /// The host's address it is published on: loopback, except for an environment's gateway.
    pub address: IpAddr,
    pub host: u16,
    pub container: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumeMount {
    pub name: String,
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub check: HealthCheck,
    #[serde(with = "duration_text")]
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthCheck {
    /// A Docker health check run inside the container.
    Command(Vec<String>),
    /// A TCP connection to the published port succeeds.
    Tcp,
    /// `GET http://127.0.0.1:<published port><path>` answers below 500.
    Http(String),
    /// Running is enough.
    Running,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("`stack.{service}.port` {port} is also the host port of `{other}`")]
    PortTaken {
        service: String,
        port: u16,
        other: String,
    },
    #[error("`stack.{service}.port` {port} is not a port (1 to 65535)")]
    BadPort { service: String, port: u32 },
    #[error("`stack.{service}.health_timeout`: {message}")]
    BadTimeout { service: String, message: String },
    #[error(
        "function `{function}`: runtime `{runtime}` has no image or command in the stack template"
    )]
    UnknownRuntime { function: String, runtime: String },
}

impl StackSpec {
    pub fn service(&self, name: &str) -> Option<&ServiceSpec> {
        self.services.iter().find(|s| s.name == name)
    }

    /// Services grouped in start order: each group only depends on earlier ones, so a group starts
    /// in parallel once the one before is healthy.
    pub fn waves(&self) -> Vec<Vec<&ServiceSpec>> {
        let mut done: Vec<&str> = Vec::new();
        let mut waves = Vec::new();
        let mut left: Vec<&ServiceSpec> = self.services.iter().collect();
        while !left.is_empty() {
            let (ready, rest): (Vec<&ServiceSpec>, Vec<&ServiceSpec>) = left
                .into_iter()
                .partition(|s| s.depends_on.iter().all(|d| done.contains(&d.as_str())));
            if ready.is_empty() {
                // A cycle cannot come from the template (a test checks it); start the rest anyway.
                waves.push(rest);
                break;
            }
            done.extend(ready.iter().map(|s| s.name.as_str()));
            waves.push(ready);
            left = rest;
        }
        waves
    }
}

impl ServiceSpec {
    /// A hash of everything that defines the container, with the image's id: a container whose label
    /// holds a different hash is replaced. `resolved_env` is the env as the container gets it.
    pub fn hash(
        &self,
        image_id: &str,
        resolved_env: &BTreeMap<String, String>,
        files: &str,
    ) -> String {
        let mut hasher = Sha256::new();
        let canonical = serde_json::json!({
            "image": self.image,
            "image_id": image_id,
            "command": self.command,
            "env": resolved_env,
            "port": self.port,
            "volume": self.volume,
            "health": self.health,
            "host": self.host,
            "files": files,
            "memory": self.memory,
        });
        hasher.update(canonical.to_string().as_bytes());
        hex::encode(&hasher.finalize()[..16])
    }
}

/// Builds the stack of `file` (whose directory is `project_dir`) from the template.
pub fn build(
    file: &ProjectFile,
    project_dir: &Path,
    template: &StackTemplate,
    images: &ImagePins,
) -> Result<StackSpec, SpecError> {
    let project = &file.project;
    let builder = Builder::new(file, project_dir, template, images);
    let mut services = Vec::new();
    for &name in SERVICE_ORDER {
        let Some(service) = template.services.get(name) else {
            continue;
        };
        if !builder.runs_container(name) {
            continue;
        }
        let overrides = override_of(file, name);
        let base = ServiceBase {
            env: builder.env(service, overrides),
            depends_on: service
                .depends_on
                .iter()
                .filter(|d| builder.runs_container(d))
                .cloned()
                .collect(),
            timeout: health_timeout(name, service, overrides)?,
        };
        if name == "functions" {
            for (function, def) in &file.functions {
                services.push(builder.function_service(function, def, overrides, &base)?);
            }
        } else {
            services.push(builder.service(name, service, overrides, base)?);
        }
    }
    check_ports(&services)?;
    Ok(StackSpec {
        project: project.clone(),
        network: format!("appctl-{project}"),
        services,
    })
}

/// What [`build`] makes each service from: the project file, the template and what follows from
/// them for every service.
struct Builder<'a> {
    file: &'a ProjectFile,
    project_dir: &'a Path,
    template: &'a StackTemplate,
    images: &'a ImagePins,
    /// Where the gateway is published, for the template's `{{gateway_url}}`.
    gateway_url: String,
    /// Services of [`SERVICE_ORDER`] without a container: left out (`enabled: false`), or served
    /// by the gateway itself.
    absent: Vec<&'static str>,
    /// The services the gateway serves itself: of [`BUILT_IN`], those enabled without a
    /// `stack.<service>.image` naming an upstream (PostgREST, GoTrue).
    built_in: Vec<&'static str>,
}

/// The services appctl's gateway can serve itself.
pub const BUILT_IN: &[&str] = &["rest", "auth"];

/// What a template service's containers share; each function's container starts from the
/// `functions` service's.
struct ServiceBase {
    env: BTreeMap<String, String>,
    /// The services depended on that are enabled.
    depends_on: Vec<String>,
    timeout: Duration,
}

impl<'a> Builder<'a> {
    fn new(
        file: &'a ProjectFile,
        project_dir: &'a Path,
        template: &'a StackTemplate,
        images: &'a ImagePins,
    ) -> Self {
        let gateway_port = override_of(file, "gateway")
            .and_then(|o| o.port)
            .map(|p| p as u16)
            .or_else(|| {
                template
                    .services
                    .get("gateway")
                    .and_then(|g| g.port)
                    .map(|p| p.host)
            });
        let gateway_url = match gateway_port {
            Some(port) => format!("http://127.0.0.1:{port}"),
            None => "http://127.0.0.1".to_string(),
        };
        let built_in: Vec<&str> = BUILT_IN
            .iter()
            .copied()
            .filter(|s| enabled(file, s) && override_of(file, s).is_none_or(|o| o.image.is_none()))
            .collect();
        let absent: Vec<&str> = SERVICE_ORDER
            .iter()
            .copied()
            .filter(|s| !enabled(file, s) || built_in.contains(s))
            .collect();
        Builder {
            file,
            project_dir,
            template,
            images,
            gateway_url,
            absent,
            built_in,
        }
    }

    fn enabled(&self, service: &str) -> bool {
        enabled(self.file, service)
    }

    /// Whether `service` has containers of its own.
    fn runs_container(&self, service: &str) -> bool {
        !self.absent.contains(&service)
    }

    /// Fills in the template's placeholders that the project decides.
    fn fill(&self, text: &str) -> String {
        text.replace("{{schema}}", &self.file.schema)
            .replace("{{project}}", &self.file.project)
            .replace("{{gateway_url}}", &self.gateway_url)
    }

    /// An env value that names a service without a container goes with it (the gateway's
    /// upstreams, and its database URLs when there is no db); so do a built-in service's settings
    /// (`APPCTL_REST_*`, `APPCTL_AUTH_*`, but the upstream's `_URL`) when the gateway does not
    /// serve it.
    fn left_out(&self, name: &str, value: &str) -> bool {
        let names_absent = self.absent.iter().any(|s| {
            value.starts_with(&format!("http://{s}:")) || value.contains(&format!("@{s}:"))
        });
        let unserved_setting = BUILT_IN.iter().any(|service| {
            let prefix = format!("APPCTL_{}_", service.to_uppercase());
            name.starts_with(&prefix)
                && name != format!("{prefix}URL")
                && !self.built_in.contains(service)
        });
        names_absent || unserved_setting
    }

    fn built_in(&self, service: &str) -> bool {
        self.built_in.contains(&service)
    }

    /// The template's env, filled in, then the project's overrides.
    fn env(
        &self,
        service: &ServiceTemplate,
        overrides: Option<&ServiceOverride>,
    ) -> BTreeMap<String, String> {
        let mut env: BTreeMap<String, String> = service
            .env
            .iter()
            .filter(|(name, value)| !self.left_out(name, value))
            .map(|(k, v)| (k.clone(), self.fill(v)))
            .collect();
        if let Some(o) = overrides {
            env.extend(o.env.iter().map(|(k, v)| (k.clone(), env_text(v))));
        }
        env
    }

    /// The container of one function: its runtime's image and command, on its files.
    fn function_service(
        &self,
        function: &str,
        def: &Function,
        overrides: Option<&ServiceOverride>,
        base: &ServiceBase,
    ) -> Result<ServiceSpec, SpecError> {
        let project = &self.file.project;
        let runtime = def.runtime.name();
        let unknown = || SpecError::UnknownRuntime {
            function: function.to_string(),
            runtime: runtime.to_string(),
        };
        let image = self.images.runtimes.get(runtime).ok_or_else(unknown)?;
        let runtime_template = self.template.runtimes.get(runtime).ok_or_else(unknown)?;
        let mut env = base.env.clone();
        env.extend(def.env.iter().map(|(k, v)| (k.clone(), env_text(v))));
        let host = format!("functions-{function}");
        Ok(ServiceSpec {
            name: format!("functions.{function}"),
            container: format!("appctl-{project}-{host}"),
            host,
            image: overrides
                .and_then(|o| o.images.get(runtime).or(o.image.as_ref()))
                .cloned()
                .unwrap_or_else(|| image.clone()),
            command: runtime_template
                .command
                .iter()
                .map(|part| part.replace("{{entrypoint}}", &def.entrypoint))
                .collect(),
            env,
            port: None,
            volume: None,
            health: Health {
                check: HealthCheck::Command(runtime_template.health.clone()),
                timeout: base.timeout,
            },
            depends_on: base.depends_on.clone(),
            files: Some(self.project_dir.join(&def.source)),
            memory: def
                .memory
                .as_ref()
                .and_then(appctl_project::values::size_bytes),
        })
    }

    /// The container of a service other than `functions`.
    fn service(
        &self,
        name: &str,
        service: &ServiceTemplate,
        overrides: Option<&ServiceOverride>,
        base: ServiceBase,
    ) -> Result<ServiceSpec, SpecError> {
        let project = &self.file.project;
        let port = published_port(name, service.port, overrides)?;
        let mut env = base.env;
        if name == "gateway" && self.enabled("functions") && !self.file.functions.is_empty() {
            env.insert("APPCTL_FUNCTIONS".to_string(), function_routes(self.file));
        }
        if name == "gateway" && self.built_in("rest") {
            env.extend(api_limits(&self.file.api));
        }
        Ok(ServiceSpec {
            name: name.to_string(),
            host: name.to_string(),
            container: format!("appctl-{project}-{name}"),
            image: overrides
                .and_then(|o| o.image.clone())
                .or_else(|| self.images.service(name))
                .unwrap_or_default(),
            command: service.command.iter().map(|c| self.fill(c)).collect(),
            env,
            port,
            volume: service.volume.as_ref().map(|target| VolumeMount {
                name: format!("appctl-{project}-{name}-data"),
                target: target.clone(),
            }),
            health: Health {
                check: health_check(service),
                timeout: base.timeout,
            },
            depends_on: base.depends_on,
            files: None,
            memory: None,
        })
    }
}

/// A service is enabled unless its override says otherwise.
fn enabled(file: &ProjectFile, service: &str) -> bool {
    override_of(file, service)
        .and_then(|o| o.enabled)
        .unwrap_or(true)
}

/// The override's `health_timeout`, else the template's, else a minute.
fn health_timeout(
    name: &str,
    service: &ServiceTemplate,
    overrides: Option<&ServiceOverride>,
) -> Result<Duration, SpecError> {
    Ok(match overrides.and_then(|o| o.health_timeout.as_deref()) {
        Some(text) => humantime::parse_duration(text).map_err(|e| SpecError::BadTimeout {
            service: name.to_string(),
            message: e.to_string(),
        })?,
        None => service
            .health
            .as_ref()
            .map(|h| h.timeout)
            .unwrap_or(Duration::from_secs(60)),
    })
}

fn health_check(service: &ServiceTemplate) -> HealthCheck {
    match &service.health {
        Some(h) if h.command.is_some() => {
            HealthCheck::Command(h.command.clone().unwrap_or_default())
        }
        Some(h) if h.http.is_some() => HealthCheck::Http(h.http.clone().unwrap_or_default()),
        Some(h) if h.tcp => HealthCheck::Tcp,
        _ => HealthCheck::Running,
    }
}

/// The template's port, on the override's host port if there is one.
fn published_port(
    name: &str,
    template_port: Option<PortTemplate>,
    overrides: Option<&ServiceOverride>,
) -> Result<Option<PortMapping>, SpecError> {
    Ok(match (template_port, overrides.and_then(|o| o.port)) {
        (_, Some(host)) if host == 0 || host > u16::MAX as u32 => {
            return Err(SpecError::BadPort {
                service: name.to_string(),
                port: host,
            });
        }
        (Some(template_port), Some(host)) => Some(PortMapping {
            address: LOOPBACK,
            host: host as u16,
            container: template_port.container,
        }),
        (Some(template_port), None) => Some(PortMapping {
            address: LOOPBACK,
            host: template_port.host,
            container: template_port.container,
        }),
        (None, _) => None,
    })
}

/// Where an environment runs its functions: what [`build_remote`] needs beside the project file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSite {
    /// The environment's name (`production`): part of every container, network and label name, so
    /// two environments (and the local stack) can share one engine.
    pub environment: String,
    /// Where the gateway is published on the Docker host.
    pub gateway: SocketAddr,
    /// Whether the environment has an `api_database_url`: then its gateway serves `/rest/v1`,
    /// logging in with it (`{{api_database_url}}`, filled in from the environment's variables).
    pub rest: bool,
}

/// The in-container check of the gateway: the engine may be another machine, so its port is not
/// probed from here.
pub const GATEWAY_CHECK: &[&str] = &["/usr/local/bin/appctl", "gateway", "--check"];

/// The stack an environment runs on its `docker_host`: one container per function and the gateway
/// in front of them, from the same template as the local stack. No db, rest, auth or storage: the
/// environment has its own (`database_url`, `storage`). The local stack's `env` and `port`
/// overrides are the developer's and stay local; image overrides and health timeouts apply.
pub fn build_remote(
    file: &ProjectFile,
    project_dir: &Path,
    template: &StackTemplate,
    images: &ImagePins,
    site: &RemoteSite,
) -> Result<StackSpec, SpecError> {
    let mut remote = file.clone();
    remote.project = format!("{}-{}", file.project, site.environment);
    let keep = |o: &Option<ServiceOverride>| ServiceOverride {
        image: o.as_ref().and_then(|o| o.image.clone()),
        images: o.as_ref().map(|o| o.images.clone()).unwrap_or_default(),
        health_timeout: o.as_ref().and_then(|o| o.health_timeout.clone()),
        ..ServiceOverride::default()
    };
    let off = ServiceOverride {
        enabled: Some(false),
        ..ServiceOverride::default()
    };
    remote.stack.functions = Some(keep(&file.stack.functions));
    remote.stack.gateway = Some(ServiceOverride {
        port: Some(u32::from(site.gateway.port())),
        ..keep(&file.stack.gateway)
    });
    for service in [
        &mut remote.stack.db,
        &mut remote.stack.auth,
        &mut remote.stack.storage,
    ] {
        *service = Some(off.clone());
    }
    // The built-in REST service, or none: an upstream PostgREST would need the db it names.
    remote.stack.rest = Some(match site.rest {
        true => ServiceOverride::default(),
        false => off.clone(),
    });
    let mut stack = build(&remote, project_dir, template, images)?;
    for service in &mut stack.services {
        if service.name == "gateway" {
            if let Some(port) = &mut service.port {
                port.address = site.gateway.ip();
            }
            service.health.check =
                HealthCheck::Command(GATEWAY_CHECK.iter().map(|s| s.to_string()).collect());
            if site.rest {
                service.env.insert(
                    "APPCTL_REST_DB_URL".to_string(),
                    "{{api_database_url}}".to_string(),
                );
            }
        }
    }
    Ok(stack)
}

/// appctl.yaml's `api:` limits as the gateway's REST settings (`APPCTL_REST_*`); validation has
/// checked the sizes and durations, so one that does not parse is left to the default.
fn api_limits(api: &appctl_project::file::Api) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    if let Some(rows) = api.max_rows {
        env.insert("APPCTL_REST_MAX_ROWS".to_string(), rows.to_string());
    }
    if let Some(bytes) = api
        .max_body
        .as_ref()
        .and_then(appctl_project::values::size_bytes)
    {
        env.insert("APPCTL_REST_MAX_BODY_BYTES".to_string(), bytes.to_string());
    }
    if let Some(pool) = api.pool_size {
        env.insert("APPCTL_REST_POOL_SIZE".to_string(), pool.to_string());
    }
    let timeouts: Vec<String> = api
        .statement_timeout
        .iter()
        .filter_map(|(role, text)| {
            let duration = humantime::parse_duration(text).ok()?;
            Some(format!("{role}={}", duration.as_millis()))
        })
        .collect();
    if !timeouts.is_empty() {
        env.insert(
            "APPCTL_REST_STATEMENT_TIMEOUT".to_string(),
            timeouts.join(","),
        );
    }
    env
}

/// What the gateway needs to know of each function, as JSON in its env: where it runs, who may
/// call it, its timeout and schedule.
fn function_routes(file: &ProjectFile) -> String {
    let routes: serde_json::Map<String, serde_json::Value> = file
        .functions
        .iter()
        .map(|(name, function)| {
            let timeout = function
                .timeout
                .as_deref()
                .and_then(|t| humantime::parse_duration(t).ok())
                .unwrap_or(Duration::from_secs(60));
            let execute: Vec<&str> = function.execute.iter().map(|r| r.role()).collect();
            (
                name.clone(),
                serde_json::json!({
                    "url": format!("http://functions-{name}:8000"),
                    "execute": execute,
                    "timeout_ms": timeout.as_millis() as u64,
                    "schedule": function.schedule,
                }),
            )
        })
        .collect();
    serde_json::Value::Object(routes).to_string()
}

fn check_ports(services: &[ServiceSpec]) -> Result<(), SpecError> {
    let mut seen: BTreeMap<u16, &str> = BTreeMap::new();
    for service in services {
        if let Some(port) = service.port
            && let Some(other) = seen.insert(port.host, &service.name)
        {
            return Err(SpecError::PortTaken {
                service: service.name.clone(),
                port: port.host,
                other: other.to_string(),
            });
        }
    }
    Ok(())
}

fn override_of<'f>(file: &'f ProjectFile, service: &str) -> Option<&'f ServiceOverride> {
    file.stack
        .services()
        .find(|(name, _)| *name == service)
        .and_then(|(_, o)| o)
}

fn env_text(value: &EnvValue) -> String {
    match value {
        EnvValue::Text(text) => text.clone(),
        EnvValue::Integer(n) => n.to_string(),
        EnvValue::Float(x) => x.to_string(),
        EnvValue::Bool(b) => b.to_string(),
    }
}

mod duration_text {
    use std::time::Duration;

    use serde::Serializer;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }
}
