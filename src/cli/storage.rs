//! Where the bucket files are, for `export` and `import`: `--s3-endpoint` (or `APPCTL_S3_ENDPOINT`)
//! with the keys in environment variables, else the selected environment's `storage:` section with
//! its `${VAR}`s resolved. Keys are never taken from a flag, so they never show in a process list.

use anyhow::Context as _;
use clap::Args;

use super::GlobalArgs;
use crate::project::{self, Project};
use crate::s3::{self, S3Config};

#[derive(Debug, Args)]
pub struct StorageArgs {
    /// S3 endpoint holding the bucket files, e.g. http://127.0.0.1:9000 [default: the environment's
    /// storage.endpoint]; keys come from APPCTL_S3_ACCESS_KEY_ID and APPCTL_S3_SECRET_ACCESS_KEY
    #[arg(long, env = s3::ENDPOINT_ENV, value_name = "URL")]
    pub s3_endpoint: Option<String>,
    /// S3 region [default: the environment's storage.region, else us-east-1]
    #[arg(long, env = s3::REGION_ENV, value_name = "REGION")]
    pub s3_region: Option<String>,
    /// Leave storage files and their metadata (storage.objects) out
    #[arg(long)]
    pub no_files: bool,
}

/// The S3 storage named by the flags or the selected environment, if any.
pub fn storage(
    args: &StorageArgs,
    global: &GlobalArgs,
    project: Option<&Project>,
) -> anyhow::Result<Option<S3Config>> {
    if args.no_files {
        return Ok(None);
    }
    if let Some(endpoint) = &args.s3_endpoint {
        let key = std::env::var(s3::ACCESS_KEY_ENV).ok();
        let secret = std::env::var(s3::SECRET_KEY_ENV).ok();
        return S3Config::new(endpoint, args.s3_region.as_deref(), key, secret)
            .map(Some)
            .with_context(|| format!("--s3-endpoint (or {})", s3::ENDPOINT_ENV));
    }
    let (Some(project), Some(env_name)) = (project, &global.env) else {
        return Ok(None);
    };
    let Some(environment) = project.file.environments.get(env_name) else {
        return Ok(None);
    };
    let Some(target) = &environment.storage else {
        return Ok(None);
    };
    let variables = project::vars::Variables::from_env(project.dir())
        .with_context(|| format!("cannot read {}", project.dir().join(".env").display()))?;
    let resolve = |field: &str, value: Option<&String>| -> anyhow::Result<Option<String>> {
        value
            .map(|v| variables.interpolate(v))
            .transpose()
            .with_context(|| format!("environments.{env_name}.storage.{field}"))
    };
    let endpoint = resolve("endpoint", Some(&target.endpoint))?.unwrap_or_default();
    let region = match &args.s3_region {
        Some(region) => Some(region.clone()),
        None => resolve("region", target.region.as_ref())?,
    };
    S3Config::new(
        &endpoint,
        region.as_deref(),
        resolve("access_key", target.access_key.as_ref())?,
        resolve("secret_key", target.secret_key.as_ref())?,
    )
    .map(Some)
    .with_context(|| format!("environments.{env_name}.storage"))
}
