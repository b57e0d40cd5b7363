//! Environments (database URLs, Docker hosts, gateways), the stack overrides and the API's limits.

use super::*;

/// The roles REST requests run as.
const API_ROLES: &[&str] = &["anon", "authenticated", "service_role"];

impl Checker<'_> {
    pub(super) fn check_environments(&mut self) {
        if let Some(selected) = self.context.environment
            && !self.file.environments.contains_key(selected)
        {
            let finding = Finding::error(
                "environment",
                root().key("environments"),
                format!("environment `{selected}` is not declared"),
            )
            .at_key();
            let hint =
                match did_you_mean(selected, self.file.environments.keys().map(String::as_str)) {
                    Some(suggestion) => format!("did you mean `{suggestion}`?"),
                    None => {
                        "declare it under `environments:`, or pick one that is declared".to_string()
                    }
                };
            self.push(finding.hint(hint));
        }
        for (name, environment) in &self.file.environments {
            let path = root().key("environments").key(name.clone());
            let required = self.context.environment == Some(name.as_str());
            let mut values = vec![
                ("database_url", environment.database_url.as_deref()),
                ("docker_host", environment.docker_host.as_deref()),
                ("docker_cert_path", environment.docker_cert_path.as_deref()),
                ("jwt_secret", environment.jwt_secret.as_deref()),
                ("gateway", environment.gateway.as_deref()),
                ("api_database_url", environment.api_database_url.as_deref()),
            ];
            if let Some(storage) = &environment.storage {
                values.push(("endpoint", Some(storage.endpoint.as_str())));
                values.push(("region", storage.region.as_deref()));
                values.push(("access_key", storage.access_key.as_deref()));
                values.push(("secret_key", storage.secret_key.as_deref()));
            }
            for (key, value) in values {
                let Some(value) = value else { continue };
                let value_path = match key {
                    "endpoint" | "region" | "access_key" | "secret_key" => {
                        path.key("storage").key(key)
                    }
                    _ => path.key(key),
                };
                self.check_variables(&value_path, value, required);
                // A value written out (no `${VAR}`) is checked now rather than at deploy time.
                let literal = vars::references(value).is_ok_and(|r| r.is_empty());
                let problem = match key {
                    "gateway" if literal => crate::values::parse_gateway(value)
                        .err()
                        .map(|e| e.to_string()),
                    "docker_host" if literal && value.starts_with("ssh://") => {
                        crate::ssh_destination::Destination::parse(value)
                            .err()
                            .map(|e| format!("{e:#}"))
                    }
                    "docker_host"
                        if literal
                            && !["tcp://", "unix://"]
                                .iter()
                                .any(|scheme| value.starts_with(scheme)) =>
                    {
                        Some(format!(
                            "`{value}` is not tcp://host:port, ssh://[user@]host[:port] or \
                             unix:///path"
                        ))
                    }
                    _ => None,
                };
                if let Some(message) = problem {
                    let finding = match message.split_once("\nhint: ") {
                        Some((message, hint)) => {
                            Finding::error("environment", value_path.clone(), message).hint(hint)
                        }
                        None => Finding::error("environment", value_path.clone(), message),
                    };
                    self.push(finding);
                }
                let holds_secret = matches!(key, "secret_key" | "access_key" | "jwt_secret")
                    || (matches!(key, "database_url" | "api_database_url")
                        && url_has_password(value));
                if holds_secret && vars::references(value).is_ok_and(|r| r.is_empty()) {
                    self.push(
                        Finding::warning("secret", value_path, format!("`{key}` holds a secret written in the file"))
                            .hint("write `${VAR}` and keep the value in the environment or .env, which git ignores"),
                    );
                }
            }
        }
    }

    pub(super) fn check_api(&mut self) {
        let api = &self.file.api;
        let path = root().key("api");
        if let Some(size) = &api.max_body {
            self.check_size(&path.key("max_body"), size);
        }
        // max_rows and pool_size: their ranges are the JSON Schema's, checked with it.
        for (role, timeout) in &api.statement_timeout {
            let role_path = path.key("statement_timeout").key(role.clone());
            if !API_ROLES.contains(&role.as_str()) {
                self.push(
                    Finding::error(
                        "api",
                        role_path.clone(),
                        format!("`{role}` is not an API role"),
                    )
                    .at_key()
                    .hint(format!(
                        "the roles requests run as are {}",
                        API_ROLES.join(", ")
                    )),
                );
            }
            self.check_duration(&role_path, timeout);
        }
    }

    pub(super) fn check_stack(&mut self) {
        let mut ports: HashMap<u32, &'static str> = HashMap::new();
        for (service, overrides) in self.file.stack.services() {
            let Some(overrides) = overrides else { continue };
            let path = root().key("stack").key(service);
            if let Some(port) = overrides.port
                && let Some(other) = ports.insert(port, service)
            {
                self.push(
                    Finding::error(
                        "port",
                        path.key("port"),
                        format!("port {port} is also given to `{other}`"),
                    )
                    .hint("give each service its own host port"),
                );
            }
            if let Some(timeout) = &overrides.health_timeout {
                self.check_duration(&path.key("health_timeout"), timeout);
            }
            if let Some(image) = &overrides.image {
                self.check_variables(&path.key("image"), image, true);
            }
            for (runtime, image) in &overrides.images {
                let runtime_path = path.key("images").key(runtime.clone());
                if service != "functions" {
                    self.push(
                        Finding::error(
                            "stack",
                            runtime_path.clone(),
                            format!("`images` is for functions only; `{service}` has one image"),
                        )
                        .hint(format!("write `stack.{service}.image`")),
                    );
                } else if Runtime::from_name(runtime).is_none() {
                    self.push(
                        Finding::error(
                            "stack",
                            runtime_path.clone(),
                            format!("`{runtime}` is not a runtime"),
                        )
                        .hint(format!(
                            "runtimes: {}",
                            Runtime::ALL.map(Runtime::name).join(", ")
                        )),
                    );
                }
                self.check_variables(&runtime_path, image, true);
            }
            for (var, value) in &overrides.env {
                let var_path = path.key("env").key(var.clone());
                self.check_env_name(&var_path, var);
                if let crate::file::EnvValue::Text(text) = value {
                    self.check_variables(&var_path, text, true);
                }
            }
        }
    }
}

pub(super) fn url_has_password(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    match authority.rsplit_once('@') {
        Some((userinfo, _)) => userinfo.contains(':'),
        None => false,
    }
}
