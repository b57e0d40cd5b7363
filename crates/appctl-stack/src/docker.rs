//! The Docker engine, through the Docker API (bollard): everything `up`, `down`, `status` and `logs`
//! do to containers, networks, volumes and images. The API version is negotiated, so Debian's
//! docker.io 20.10, current engines and Podman's socket all work; `DOCKER_HOST` is honoured.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, ContainerSummary, EndpointSettings, HealthConfig, HealthStatusEnum,
    HostConfig, NetworkCreateRequest, NetworkingConfig, PortBinding, VolumeCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, ListContainersOptionsBuilder,
    ListNetworksOptionsBuilder, ListVolumesOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use futures_util::{Stream, StreamExt as _};

use super::spec::{HealthCheck, LABEL_PROJECT, LABEL_SERVICE, LABEL_SPEC_HASH, ServiceSpec};

/// How often health is polled while waiting.
const POLL: Duration = Duration::from_millis(200);

/// How long one request to an engine may wait for its answer (bollard's default).
const DEFAULT_TIMEOUT_SECS: u64 = 120;

/// An error and what caused it, down the chain: bollard's own message for a failed connection
/// ("client error (Connect)") says nothing of why.
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}

pub struct Engine {
    docker: Docker,
    /// Where the engine is, for messages.
    pub endpoint: String,
}

/// What the engine has of one of the project's containers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub id: String,
    pub service: String,
    pub hash: Option<String>,
    pub running: bool,
    pub state: String,
    pub health: Option<String>,
    pub image: String,
    pub name: String,
    /// Host ports it publishes.
    pub ports: Vec<u16>,
}

impl Engine {
    /// Connects to the engine named by `DOCKER_HOST` (or the local socket) and agrees on an API
    /// version with it.
    pub async fn connect() -> anyhow::Result<Engine> {
        let endpoint = std::env::var("DOCKER_HOST")
            .unwrap_or_else(|_| "unix:///var/run/docker.sock".to_string());
        let hint = "hint: start one (`sudo systemctl start docker`, or `sudo dockerd &`), or set \
                    DOCKER_HOST to one that runs (Podman: \
                    DOCKER_HOST=unix://$XDG_RUNTIME_DIR/podman/podman.sock)";
        if endpoint.starts_with("ssh://") {
            return Engine::connect_ssh(&endpoint, "DOCKER_HOST").await;
        }
        let docker = Docker::connect_with_defaults();
        Engine::negotiate(docker, endpoint, hint).await
    }

    /// An `ssh://[user@]host[:port]` engine, through the system's ssh client (see [`super::ssh`]).
    /// `what` names where the address comes from, for the hint.
    async fn connect_ssh(endpoint: &str, what: &str) -> anyhow::Result<Engine> {
        // Not repeated in the error: a refused address may hold a password.
        let destination = super::ssh::Destination::parse(endpoint)
            .map_err(|e| anyhow::anyhow!("{what}: {e:#}"))?;
        let hint = format!(
            "hint: check {what}, and that `{}` works from here without a question: appctl runs \
             ssh with BatchMode=yes, so the key comes from ssh-agent or ~/.ssh/config and the \
             host's key must be in known_hosts",
            destination.manual_check()
        );
        let docker = super::ssh::connect(destination, DEFAULT_TIMEOUT_SECS);
        Engine::negotiate(docker, endpoint.to_string(), &hint).await
    }

    /// Connects to the engine of an environment's `docker_host`: `unix://`,
    /// `ssh://[user@]host[:port]` (the system's ssh client and its config, as a child per
    /// connection: [`super::ssh`]), or `tcp://host:port` with TLS from `cert_path` (`ca.pem`,
    /// `cert.pem`, `key.pem`). Plain `tcp://` is refused unless the host is loopback: whoever
    /// reaches a Docker API is root on its machine.
    pub async fn connect_to(endpoint: &str, cert_path: Option<&Path>) -> anyhow::Result<Engine> {
        let hint = "hint: check the environment's `docker_host` (and `docker_cert_path` for \
                    tcp://), and that the engine there runs";
        let docker = if let Some(address) = endpoint.strip_prefix("tcp://") {
            match cert_path {
                Some(dir) => {
                    for file in ["ca.pem", "cert.pem", "key.pem"] {
                        if !dir.join(file).is_file() {
                            bail!(
                                "{} has no {file}\nhint: docker_cert_path names a directory with \
                                 ca.pem, cert.pem and key.pem, as DOCKER_CERT_PATH does",
                                dir.display()
                            );
                        }
                    }
                    Docker::connect_with_ssl(
                        &format!("https://{address}"),
                        &dir.join("key.pem"),
                        &dir.join("cert.pem"),
                        &dir.join("ca.pem"),
                        120,
                        bollard::API_DEFAULT_VERSION,
                    )
                }
                None if is_loopback(address) => {
                    Docker::connect_with_http(endpoint, 120, bollard::API_DEFAULT_VERSION)
                }
                None => bail!(
                    "docker_host {endpoint} is plain TCP without TLS: anyone on the network could \
                     run containers as root there\nhint: set the environment's `docker_cert_path` \
                     (or DOCKER_CERT_PATH) to a directory with ca.pem, cert.pem and key.pem, or \
                     use ssh://user@host"
                ),
            }
        } else if endpoint.starts_with("ssh://") {
            return Engine::connect_ssh(endpoint, "the environment's `docker_host`").await;
        } else if endpoint.starts_with("unix://") {
            Docker::connect_with_host(endpoint)
        } else {
            // The value is not repeated: it may come from a secret `${VAR}`.
            bail!(
                "the environment's docker_host is not tcp://host:port, ssh://[user@]host[:port] \
                 or unix:///path/to/docker.sock"
            )
        };
        Engine::negotiate(docker, endpoint.to_string(), hint).await
    }

    async fn negotiate(
        docker: Result<Docker, bollard::errors::Error>,
        endpoint: String,
        hint: &str,
    ) -> anyhow::Result<Engine> {
        let unreachable = |e: &dyn std::fmt::Display| {
            anyhow::anyhow!("cannot reach a Docker engine at {endpoint}: {e}\n{hint}")
        };
        let docker = docker.map_err(|e| unreachable(&causes(&e)))?;
        let docker = tokio::time::timeout(Duration::from_secs(10), docker.negotiate_version())
            .await
            .map_err(|_| unreachable(&"no answer within 10 s"))?
            .map_err(|e| unreachable(&causes(&e)))?;
        docker.ping().await.map_err(|e| unreachable(&causes(&e)))?;
        Ok(Engine { docker, endpoint })
    }

    /// The id of `image` when the engine has it.
    pub async fn image_id(&self, image: &str) -> anyhow::Result<Option<String>> {
        match self.docker.inspect_image(image).await {
            Ok(info) => Ok(info.id),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot inspect image {image}")),
        }
    }

    /// Pulls `image`, reporting bytes done and total to `progress`.
    pub async fn pull(
        &self,
        image: &str,
        mut progress: impl FnMut(u64, u64),
    ) -> anyhow::Result<()> {
        let (repo, tag) = split_image(image);
        let options = CreateImageOptionsBuilder::default()
            .from_image(repo)
            .tag(tag)
            .build();
        let mut stream = self.docker.create_image(Some(options), None, None);
        let mut layers: HashMap<String, (u64, u64)> = HashMap::new();
        while let Some(item) = stream.next().await {
            let info = item.with_context(|| format!("cannot pull {image}"))?;
            if let Some(error) = info.error_detail.and_then(|d| d.message) {
                bail!("cannot pull {image}: {error}");
            }
            if let (Some(id), Some(detail)) = (info.id, info.progress_detail) {
                let entry = layers.entry(id).or_default();
                entry.0 = detail.current.unwrap_or(entry.0 as i64).max(0) as u64;
                entry.1 = detail.total.unwrap_or(entry.1 as i64).max(0) as u64;
                let (done, total) = layers
                    .values()
                    .fold((0, 0), |(d, t), (ld, lt)| (d + ld, t + lt));
                progress(done, total);
            }
        }
        Ok(())
    }

    /// Every container of `project`, running or not.
    pub async fn containers(&self, project: &str) -> anyhow::Result<Vec<Existing>> {
        let filters = project_filter(project);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let list = self
            .docker
            .list_containers(Some(options))
            .await
            .context("cannot list containers")?;
        Ok(list.into_iter().filter_map(existing).collect())
    }

    /// Creates the project's network unless it exists.
    pub async fn ensure_network(&self, project: &str, name: &str) -> anyhow::Result<()> {
        let filters = HashMap::from([("name".to_string(), vec![name.to_string()])]);
        let networks = self
            .docker
            .list_networks(Some(
                ListNetworksOptionsBuilder::default()
                    .filters(&filters)
                    .build(),
            ))
            .await
            .context("cannot list networks")?;
        if networks.iter().any(|n| n.name.as_deref() == Some(name)) {
            return Ok(());
        }
        self.docker
            .create_network(NetworkCreateRequest {
                name: name.to_string(),
                driver: Some("bridge".to_string()),
                labels: Some(HashMap::from([(
                    LABEL_PROJECT.to_string(),
                    project.to_string(),
                )])),
                ..Default::default()
            })
            .await
            .with_context(|| format!("cannot create network {name}"))?;
        Ok(())
    }

    /// Creates a named volume unless it exists (creating an existing volume is a no-op for Docker).
    pub async fn ensure_volume(
        &self,
        project: &str,
        service: &str,
        name: &str,
    ) -> anyhow::Result<()> {
        self.docker
            .create_volume(VolumeCreateRequest {
                name: Some(name.to_string()),
                labels: Some(HashMap::from([
                    (LABEL_PROJECT.to_string(), project.to_string()),
                    (LABEL_SERVICE.to_string(), service.to_string()),
                ])),
                ..Default::default()
            })
            .await
            .with_context(|| format!("cannot create volume {name}"))?;
        Ok(())
    }

    /// Creates the container of `spec` (env already resolved), copies its files in, and starts it.
    pub async fn create_and_start(
        &self,
        project: &str,
        network: &str,
        spec: &ServiceSpec,
        env: &BTreeMap<String, String>,
        hash: &str,
        files: Option<Vec<u8>>,
    ) -> anyhow::Result<String> {
        let mut labels = HashMap::from([
            (LABEL_PROJECT.to_string(), project.to_string()),
            (LABEL_SERVICE.to_string(), spec.name.clone()),
            (LABEL_SPEC_HASH.to_string(), hash.to_string()),
        ]);
        labels.insert("dev.appctl.image".to_string(), spec.image.clone());
        let mut port_bindings = HashMap::new();
        let mut exposed = Vec::new();
        if let Some(port) = spec.port {
            let key = format!("{}/tcp", port.container);
            port_bindings.insert(
                key.clone(),
                Some(vec![PortBinding {
                    host_ip: Some(port.address.to_string()),
                    host_port: Some(port.host.to_string()),
                }]),
            );
            exposed.push(key);
        }
        let healthcheck = match &spec.health.check {
            HealthCheck::Command(test) => {
                let mut command = vec!["CMD".to_string()];
                command.extend(test.iter().cloned());
                Some(HealthConfig {
                    test: Some(command),
                    interval: Some(nanos(Duration::from_secs(1))),
                    timeout: Some(nanos(Duration::from_secs(5))),
                    retries: Some(spec.health.timeout.as_secs().max(1) as i64),
                    start_period: Some(0),
                    start_interval: None,
                })
            }
            _ => None,
        };
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            cmd: (!spec.command.is_empty()).then(|| spec.command.clone()),
            env: Some(env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            labels: Some(labels),
            exposed_ports: (!exposed.is_empty()).then_some(exposed),
            healthcheck,
            host_config: Some(HostConfig {
                port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
                binds: spec
                    .volume
                    .as_ref()
                    .map(|v| vec![format!("{}:{}", v.name, v.target)]),
                network_mode: Some(network.to_string()),
                memory: spec.memory.and_then(|bytes| i64::try_from(bytes).ok()),
                restart_policy: Some(bollard::models::RestartPolicy {
                    name: Some(bollard::models::RestartPolicyNameEnum::UNLESS_STOPPED),
                    maximum_retry_count: None,
                }),
                ..Default::default()
            }),
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(
                    network.to_string(),
                    EndpointSettings {
                        aliases: Some(vec![spec.host.clone()]),
                        ..Default::default()
                    },
                )])),
            }),
            ..Default::default()
        };
        let options = CreateContainerOptionsBuilder::default()
            .name(&spec.container)
            .build();
        let created = self
            .docker
            .create_container(Some(options), body)
            .await
            .with_context(|| format!("cannot create container {}", spec.container))?;
        if let Some(tar) = files {
            let options = UploadToContainerOptionsBuilder::default()
                .path("/app")
                .build();
            self.docker
                .upload_to_container(&created.id, Some(options), bollard::body_full(tar.into()))
                .await
                .with_context(|| format!("cannot copy {}'s files into its container", spec.name))?;
        }
        self.docker
            .start_container(&created.id, None)
            .await
            .with_context(|| format!("cannot start {}", spec.container))?;
        Ok(created.id)
    }

    pub async fn start(&self, id: &str) -> anyhow::Result<()> {
        self.docker
            .start_container(id, None)
            .await
            .with_context(|| format!("cannot start container {id}"))
    }

    /// Stops and removes a container (its named volume stays).
    pub async fn remove(&self, id: &str) -> anyhow::Result<()> {
        let options = RemoveContainerOptionsBuilder::default().force(true).build();
        match self.docker.remove_container(id, Some(options)).await {
            Ok(()) => Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(e) => Err(e).with_context(|| format!("cannot remove container {id}")),
        }
    }

    /// Waits until the container is healthy by the spec's check, or fails with the reason.
    pub async fn wait_healthy(&self, spec: &ServiceSpec, id: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        let deadline = started + spec.health.timeout;
        let client = probe_client();
        loop {
            let info = self
                .docker
                .inspect_container(id, None)
                .await
                .with_context(|| format!("cannot inspect {}", spec.container))?;
            let state = info.state.unwrap_or_default();
            // Under the restart policy a crashing service loops; its first exit is the answer.
            if state.restarting == Some(true) || info.restart_count.unwrap_or(0) > 0 {
                bail!(
                    "{} stopped (exit code {}) and keeps restarting",
                    spec.name,
                    state.exit_code.unwrap_or_default()
                );
            }
            if state.running != Some(true) {
                bail!(
                    "{} stopped (exit code {})",
                    spec.name,
                    state.exit_code.unwrap_or_default()
                );
            }
            let healthy = match &spec.health.check {
                HealthCheck::Command(test) => {
                    let status = state.health.and_then(|h| h.status);
                    if status == Some(HealthStatusEnum::UNHEALTHY) {
                        bail!("{} reports itself unhealthy", spec.name);
                    }
                    // Docker runs the check once a second (20.10 has no faster start interval);
                    // running it here too notices health up to a second sooner.
                    status == Some(HealthStatusEnum::HEALTHY) || self.exec_succeeds(id, test).await
                }
                HealthCheck::Tcp | HealthCheck::Http(_) => probe(spec, &client).await,
                HealthCheck::Running => true,
            };
            if healthy {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "{} was not healthy after {} (set `stack.{}.health_timeout` to wait longer)",
                    spec.name,
                    humantime::format_duration(spec.health.timeout),
                    spec.name.split('.').next().unwrap_or(&spec.name)
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Runs `command` in the container and says whether it exited 0.
    pub async fn exec_succeeds(&self, id: &str, command: &[String]) -> bool {
        let options = bollard::exec::CreateExecOptions {
            cmd: Some(command.to_vec()),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            ..Default::default()
        };
        let Ok(exec) = self.docker.create_exec(id, options).await else {
            return false;
        };
        match self.docker.start_exec(&exec.id, None).await {
            Ok(bollard::exec::StartExecResults::Attached { mut output, .. }) => {
                while let Some(Ok(_)) = output.next().await {}
            }
            _ => return false,
        }
        self.docker
            .inspect_exec(&exec.id)
            .await
            .is_ok_and(|i| i.exit_code == Some(0))
    }

    /// The last `lines` lines a container wrote.
    pub async fn last_logs(&self, id: &str, lines: usize) -> String {
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .tail(&lines.to_string())
            .build();
        let mut out = String::new();
        let mut stream = self.docker.logs(id, Some(options));
        while let Some(Ok(chunk)) = stream.next().await {
            out.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        }
        out
    }

    /// A container's output as it comes (`follow`), from `tail` lines back.
    pub fn logs(
        &self,
        id: &str,
        follow: bool,
        tail: Option<usize>,
    ) -> impl Stream<Item = Result<bytes::Bytes, bollard::errors::Error>> + use<> {
        let tail = tail.map_or_else(|| "all".to_string(), |n| n.to_string());
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .follow(follow)
            .tail(&tail)
            .build();
        self.docker
            .logs(id, Some(options))
            .map(|item| item.map(|chunk| chunk.into_bytes()))
    }

    /// Removes the project's network when no container uses it.
    pub async fn remove_network(&self, name: &str) -> anyhow::Result<bool> {
        match self.docker.remove_network(name).await {
            Ok(()) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(e) => Err(e).with_context(|| format!("cannot remove network {name}")),
        }
    }

    /// Names of the project's volumes.
    pub async fn volumes(&self, project: &str) -> anyhow::Result<Vec<String>> {
        let filters = project_filter(project);
        let list = self
            .docker
            .list_volumes(Some(
                ListVolumesOptionsBuilder::default()
                    .filters(&filters)
                    .build(),
            ))
            .await
            .context("cannot list volumes")?;
        Ok(list
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.name)
            .collect())
    }

    pub async fn remove_volume(&self, name: &str) -> anyhow::Result<()> {
        self.docker
            .remove_volume(name, None::<bollard::query_parameters::RemoveVolumeOptions>)
            .await
            .with_context(|| format!("cannot remove volume {name}"))
    }

    /// Copies `image` from this engine to `target` (`docker save | docker load` through both APIs),
    /// streamed in bounded chunks: how an engine without a registry gets the exact image tested
    /// here. Returns the bytes sent.
    pub async fn ship_image(&self, target: &Engine, image: &str) -> anyhow::Result<u64> {
        // A bounded channel between the two streams: memory stays at a few chunks whatever the
        // image's size, and the load request owns its body ('static) as bollard requires.
        let (sender, receiver) =
            tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(8);
        let source = self.docker.clone();
        let name = image.to_string();
        let reader = tokio::spawn(async move {
            let mut sent = 0u64;
            let mut chunks = source.export_image(&name);
            while let Some(chunk) = chunks.next().await {
                let chunk = chunk.map_err(std::io::Error::other);
                if let Ok(bytes) = &chunk {
                    sent += bytes.len() as u64;
                }
                let failed = chunk.is_err();
                if sender.send(chunk).await.is_err() || failed {
                    break;
                }
            }
            sent
        });
        let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|item| (item, receiver))
        });
        let options = bollard::query_parameters::ImportImageOptionsBuilder::default()
            .quiet(true)
            .build();
        let mut progress = target.docker.import_image_stream(options, body, None);
        while let Some(item) = progress.next().await {
            let info = item.with_context(|| {
                format!("cannot load {image} into the engine at {}", target.endpoint)
            })?;
            if let Some(error) = info.error_detail.and_then(|d| d.message) {
                bail!(
                    "cannot load {image} into the engine at {}: {error}",
                    target.endpoint
                );
            }
        }
        let sent = reader
            .await
            .with_context(|| format!("reading {image} from the engine at {}", self.endpoint))?;
        Ok(sent)
    }
}

/// The host-side probe of a TCP or HTTP health check, once: the published port accepts a
/// connection, or answers the path below 500.
pub async fn probe(spec: &ServiceSpec, client: &reqwest::Client) -> bool {
    let Some(port) = spec.port else { return true };
    match &spec.health.check {
        HealthCheck::Tcp => tokio::net::TcpStream::connect(("127.0.0.1", port.host))
            .await
            .is_ok(),
        HealthCheck::Http(path) => client
            .get(format!("http://127.0.0.1:{}{path}", port.host))
            .send()
            .await
            .is_ok_and(|r| r.status().as_u16() < 500),
        HealthCheck::Command(_) | HealthCheck::Running => true,
    }
}

/// A client for health probes: short timeout, no proxy (loopback only).
pub fn probe_client() -> reqwest::Client {
    appctl_pg::tls::http_client()
        .timeout(Duration::from_secs(2))
        .no_proxy()
        .build()
        .expect("a plain HTTP client builds")
}

fn existing(summary: ContainerSummary) -> Option<Existing> {
    let labels = summary.labels.unwrap_or_default();
    let service = labels.get(LABEL_SERVICE)?.clone();
    let state = summary.state.map(|s| s.to_string()).unwrap_or_default();
    let health = summary
        .status
        .as_deref()
        .and_then(|s| {
            ["healthy", "unhealthy", "starting"]
                .into_iter()
                .find(|h| s.contains(&format!("({h}")))
        })
        .map(str::to_string);
    Some(Existing {
        id: summary.id?,
        running: state == "running",
        hash: labels.get(LABEL_SPEC_HASH).cloned(),
        image: labels
            .get("dev.appctl.image")
            .cloned()
            .or(summary.image)
            .unwrap_or_default(),
        name: summary
            .names
            .and_then(|n| n.into_iter().next())
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_string(),
        ports: summary
            .ports
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p.public_port)
            .collect(),
        service,
        state,
        health,
    })
}

/// The engine filter for everything labelled as the project's.
fn project_filter(project: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([(
        "label".to_string(),
        vec![format!("{LABEL_PROJECT}={project}")],
    )])
}

/// `repo:tag` → (`repo`, `tag`); a digest or a missing tag is left to the engine.
fn split_image(image: &str) -> (&str, &str) {
    match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (image, "latest"),
    }
}

fn nanos(d: Duration) -> i64 {
    d.as_nanos() as i64
}

/// True when `address` (`host:port`) names this machine's loopback.
fn is_loopback(address: &str) -> bool {
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::{is_loopback, split_image};

    #[test]
    fn images_split_at_the_tag_not_at_a_registry_port() {
        assert_eq!(split_image("postgres:18"), ("postgres", "18"));
        assert_eq!(
            split_image("localhost:5000/db:1"),
            ("localhost:5000/db", "1")
        );
        assert_eq!(
            split_image("localhost:5000/db"),
            ("localhost:5000/db", "latest")
        );
        assert_eq!(
            split_image("appctl.local/db:18.1-pgvector0.8"),
            ("appctl.local/db", "18.1-pgvector0.8")
        );
    }

    #[test]
    fn only_loopback_hosts_may_go_without_tls() {
        assert!(is_loopback("127.0.0.1:2375"));
        assert!(is_loopback("localhost:2375"));
        assert!(is_loopback("[::1]:2375"));
        assert!(!is_loopback("10.0.0.5:2375"));
        assert!(!is_loopback("docker.example.com:2375"));
    }
}
