//! The stack template and image pins embedded from `templates/stack/`: what each service of the local
//! stack is (ports, volume, env, health, dependencies) before a project's overrides are applied.

use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

const STACK_YAML: &str = include_str!("../../../templates/stack/stack.yaml");
const IMAGES_YAML: &str = include_str!("../../../templates/stack/images.yaml");

/// `templates/stack/stack.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackTemplate {
    pub services: IndexMap<String, ServiceTemplate>,
    pub runtimes: IndexMap<String, RuntimeTemplate>,
}

/// How a function runtime starts `{{entrypoint}}` and checks that it listens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeTemplate {
    pub command: Vec<String>,
    pub health: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceTemplate {
    #[serde(default)]
    pub port: Option<PortTemplate>,
    /// Where the service's named volume is mounted.
    #[serde(default)]
    pub volume: Option<String>,
    #[serde(default)]
    pub depends_on: Vec<String>,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub env: IndexMap<String, String>,
    #[serde(default)]
    pub health: Option<HealthTemplate>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortTemplate {
    pub host: u16,
    pub container: u16,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthTemplate {
    #[serde(default)]
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub tcp: bool,
    #[serde(default)]
    pub http: Option<String>,
    #[serde(with = "humantime_serde_compat")]
    pub timeout: Duration,
}

/// `templates/stack/images.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagePins {
    pub services: IndexMap<String, String>,
    pub runtimes: IndexMap<String, String>,
}

impl ImagePins {
    /// The pinned image of a service, `{version}` filled in with this appctl's version.
    pub fn service(&self, name: &str) -> Option<String> {
        self.services
            .get(name)
            .map(|image| image.replace("{version}", env!("CARGO_PKG_VERSION")))
    }
}

/// The template built into this appctl. Both files are checked by a test, so this cannot fail at run time.
pub fn builtin() -> (StackTemplate, ImagePins) {
    let template = serde_yaml_ng::from_str(STACK_YAML).expect("templates/stack/stack.yaml parses");
    let images = serde_yaml_ng::from_str(IMAGES_YAML).expect("templates/stack/images.yaml parses");
    (template, images)
}

mod humantime_serde_compat {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_template_parses_and_is_complete() {
        let (template, images) = builtin();
        for service in ["db", "rest", "auth", "storage", "functions", "gateway"] {
            assert!(template.services.contains_key(service), "{service} missing");
        }
        for service in ["rest", "auth"] {
            assert!(
                images.service(service).is_none(),
                "the gateway serves {service}"
            );
        }
        for service in ["db", "storage", "gateway"] {
            let image = images.service(service).unwrap();
            assert!(image.contains(':'), "{service}: {image} is not pinned");
            assert!(
                !image.contains("latest"),
                "{service}: {image} is not pinned"
            );
        }
        for runtime in appctl_project::file::Runtime::ALL.map(appctl_project::file::Runtime::name) {
            assert!(
                template.runtimes.contains_key(runtime),
                "{runtime} has no command"
            );
            assert!(
                images.runtimes.contains_key(runtime),
                "{runtime} has no image"
            );
        }
        // Every dependency names a service of the template.
        for (name, service) in &template.services {
            for dep in &service.depends_on {
                assert!(
                    template.services.contains_key(dep),
                    "{name} depends on unknown {dep}"
                );
            }
        }
    }
}
