//! `appctl render compose`: the same service specs `up` runs, written as a Compose file for a server
//! that runs Docker Compose. Secrets become `${APPCTL_...}` variables (Compose reads them from the
//! environment or a `.env` next to the file), never values.

use serde_json::{Map, Value, json};

use super::secrets::PLACEHOLDERS;
use super::spec::{HealthCheck, LABEL_PROJECT, LABEL_SERVICE, StackSpec};

/// The Compose file of `stack`. Function sources are bind-mounted relative to the project directory,
/// where the file belongs.
pub fn render(stack: &StackSpec, project_dir: &std::path::Path) -> String {
    let mut services = Map::new();
    let mut volumes = Map::new();
    for service in &stack.services {
        let mut s = Map::new();
        s.insert("image".into(), json!(service.image));
        s.insert("container_name".into(), json!(service.container));
        if !service.command.is_empty() {
            s.insert("command".into(), json!(service.command));
        }
        if !service.env.is_empty() {
            let env: Map<String, Value> = service
                .env
                .iter()
                .map(|(k, v)| (k.clone(), json!(compose_text(v))))
                .collect();
            s.insert("environment".into(), Value::Object(env));
        }
        if let Some(port) = service.port {
            s.insert(
                "ports".into(),
                json!([format!("{}:{}:{}", port.address, port.host, port.container)]),
            );
        }
        let mut mounts = Vec::new();
        if let Some(volume) = &service.volume {
            let key = format!("{}-data", service.host);
            mounts.push(json!(format!("{key}:{}", volume.target)));
            volumes.insert(key, json!({ "name": volume.name }));
        }
        if let Some(files) = &service.files {
            let relative = files.strip_prefix(project_dir).unwrap_or(files);
            mounts.push(json!(format!("./{}:/app:ro", relative.display())));
        }
        if !mounts.is_empty() {
            s.insert("volumes".into(), Value::Array(mounts));
        }
        if let HealthCheck::Command(test) = &service.health.check {
            let mut command = vec![json!("CMD")];
            command.extend(test.iter().map(|t| json!(t)));
            s.insert(
                "healthcheck".into(),
                json!({
                    "test": command,
                    "interval": "1s",
                    "timeout": "5s",
                    "retries": service.health.timeout.as_secs().max(1),
                }),
            );
        }
        if !service.depends_on.is_empty() {
            let mut deps = Map::new();
            for dep in &service.depends_on {
                let condition = match stack.service(dep).map(|d| &d.health.check) {
                    Some(HealthCheck::Command(_)) => "service_healthy",
                    _ => "service_started",
                };
                let host = stack
                    .service(dep)
                    .map(|d| d.host.clone())
                    .unwrap_or(dep.clone());
                deps.insert(host, json!({ "condition": condition }));
            }
            s.insert("depends_on".into(), Value::Object(deps));
        }
        s.insert(
            "labels".into(),
            json!({ LABEL_PROJECT: stack.project, LABEL_SERVICE: service.name }),
        );
        if let Some(bytes) = service.memory {
            s.insert("mem_limit".into(), json!(bytes));
        }
        s.insert("restart".into(), json!("unless-stopped"));
        services.insert(service.host.clone(), Value::Object(s));
    }
    let mut root = Map::new();
    root.insert("services".into(), Value::Object(services));
    root.insert(
        "networks".into(),
        json!({ "default": { "name": stack.network } }),
    );
    if !volumes.is_empty() {
        root.insert("volumes".into(), Value::Object(volumes));
    }
    let variables: Vec<&str> = PLACEHOLDERS
        .iter()
        .filter(|(p, _)| {
            stack
                .services
                .iter()
                .any(|s| s.env.values().any(|v| v.contains(p)))
        })
        .map(|(_, var)| *var)
        .collect();
    let mut out = String::from(
        "# Written by `appctl render compose` from appctl.yaml and appctl's stack template.\n\
         # Run it from the project directory: `docker compose up -d`.\n",
    );
    if !variables.is_empty() {
        out.push_str(&format!(
            "# Set these in the environment or in .env next to this file: {}\n\
             # (`appctl render compose --env-file` writes the local stack's values to a .env file).\n",
            variables.join(", ")
        ));
    }
    if variables.contains(&"APPCTL_AUTHENTICATOR_PASSWORD")
        || variables.contains(&"APPCTL_AUTH_PASSWORD")
    {
        out.push_str(
            "# Then apply the schema with `appctl deploy --bootstrap` (DATABASE_URL on the db's port, \
             these variables set):\n\
             # it creates the `authenticator` and `supabase_auth_admin` roles the gateway serves \
             /rest/v1 and /auth/v1 as, with those passwords.\n",
        );
    }
    out.push_str(&serde_yaml_ng::to_string(&Value::Object(root)).expect("a map of strings"));
    out
}

/// A spec text with each secret placeholder replaced by its Compose variable.
fn compose_text(text: &str) -> String {
    let mut out = text.to_string();
    for (placeholder, var) in PLACEHOLDERS {
        out = out.replace(placeholder, &format!("${{{var}}}"));
    }
    out
}

/// `.env` lines with the local stack's secrets, for `render compose --env-file`.
pub fn env_file(secrets: &super::secrets::Secrets) -> String {
    let mut out =
        String::from("# The local stack's secrets (appctl render compose). Keep out of git.\n");
    for (placeholder, var) in PLACEHOLDERS {
        // An environment's secrets have no value locally.
        let value = secrets.value(placeholder).unwrap_or_default();
        if !value.is_empty() {
            out.push_str(&format!("{var}={value}\n"));
        }
    }
    out
}
