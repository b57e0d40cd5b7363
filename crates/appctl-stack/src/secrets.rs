//! The local stack's secrets: generated once into `.appctl/secrets.json` (mode 0600, git-ignored) and
//! reused, so a rerun of `up` finds the same keys and touches no container.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

/// The directory of local state next to the project file.
pub const STATE_DIR: &str = ".appctl";
const FILE_NAME: &str = "secrets.json";

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secrets {
    pub db_password: String,
    pub jwt_secret: String,
    /// A JWT with `role: anon`, signed with `jwt_secret`: what a browser sends.
    pub anon_key: String,
    /// A JWT with `role: service_role`: bypasses row-level security. Never printed.
    pub service_key: String,
    /// The login of `authenticator`, the role the built-in REST service connects as. Empty in a
    /// secrets file written before it existed: [`Secrets::load_or_create`] adds it.
    #[serde(default)]
    pub authenticator_password: String,
    /// The login of `supabase_auth_admin`, the role the built-in auth service connects as; added
    /// to older secrets files like `authenticator_password`.
    #[serde(default)]
    pub auth_password: String,
    /// An environment's `api_database_url` (its gateway's REST login); never in a local stack.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_database_url: String,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secrets { .. }")
    }
}

/// The placeholders of the stack template that hold secrets, and the variable a Compose file uses
/// for each instead of the value.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("{{db_password}}", "APPCTL_DB_PASSWORD"),
    ("{{jwt_secret}}", "APPCTL_JWT_SECRET"),
    ("{{anon_key}}", "APPCTL_ANON_KEY"),
    ("{{service_key}}", "APPCTL_SERVICE_KEY"),
    (
        "{{authenticator_password}}",
        "APPCTL_AUTHENTICATOR_PASSWORD",
    ),
    ("{{auth_password}}", "APPCTL_AUTH_PASSWORD"),
    ("{{api_database_url}}", "APPCTL_API_DATABASE_URL"),
];

impl Secrets {
    pub fn generate() -> anyhow::Result<Secrets> {
        let db_password = random_hex(24)?;
        let jwt_secret = random_hex(32)?;
        Ok(Secrets {
            anon_key: appctl_server::jwt::sign_role_key("anon", &jwt_secret)?,
            service_key: appctl_server::jwt::sign_role_key("service_role", &jwt_secret)?,
            authenticator_password: random_hex(24)?,
            auth_password: random_hex(24)?,
            api_database_url: String::new(),
            db_password,
            jwt_secret,
        })
    }

    /// The value of a secret placeholder, e.g. `{{db_password}}`.
    pub fn value(&self, placeholder: &str) -> Option<&str> {
        match placeholder {
            "{{db_password}}" => Some(&self.db_password),
            "{{jwt_secret}}" => Some(&self.jwt_secret),
            "{{anon_key}}" => Some(&self.anon_key),
            "{{service_key}}" => Some(&self.service_key),
            "{{authenticator_password}}" => Some(&self.authenticator_password),
            "{{auth_password}}" => Some(&self.auth_password),
            "{{api_database_url}}" => Some(&self.api_database_url),
            _ => None,
        }
    }

    /// Every secret placeholder in `text` replaced by its value.
    pub fn fill(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (placeholder, _) in PLACEHOLDERS {
            if out.contains(placeholder) {
                out = out.replace(placeholder, self.value(placeholder).unwrap_or_default());
            }
        }
        out
    }

    /// `.appctl/secrets.json` of the project in `project_dir`, created on first use.
    pub fn load_or_create(project_dir: &Path) -> anyhow::Result<Secrets> {
        let path = path(project_dir);
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let mut secrets: Secrets = serde_json::from_str(&text).with_context(|| {
                format!(
                    "{} is not a secrets file written by appctl; delete it to generate new secrets \
                     (the local database keeps the old password, so also run `appctl down --volumes`)",
                    path.display()
                )
            })?;
            // Logins added since the file was written get theirs now.
            let mut added = false;
            for login in [
                &mut secrets.authenticator_password,
                &mut secrets.auth_password,
            ] {
                if login.is_empty() {
                    *login = random_hex(24)?;
                    added = true;
                }
            }
            if added {
                rewrite_private(&path, &serde_json::to_vec_pretty(&secrets)?)?;
            }
            return Ok(secrets);
        }
        let secrets = Secrets::generate()?;
        write_private(&path, &serde_json::to_vec_pretty(&secrets)?)?;
        Ok(secrets)
    }
}

pub fn path(project_dir: &Path) -> PathBuf {
    project_dir.join(STATE_DIR).join(FILE_NAME)
}

fn random_hex(bytes: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no randomness from the OS: {e}"))?;
    Ok(hex::encode(buf))
}

/// Replaces the file at `path` with `contents`, readable by the owner only.
fn rewrite_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    std::fs::remove_file(path).with_context(|| format!("cannot replace {}", path.display()))?;
    write_private(path, contents)
}

/// Writes `contents` readable by the owner only, in a directory git ignores.
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().expect("a file in .appctl/");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(
            &ignore,
            "# appctl's local state and secrets: never commit them\n*\n",
        )
        .with_context(|| format!("cannot write {}", ignore.display()))?;
    }
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = Secrets::load_or_create(dir.path()).unwrap();
        let second = Secrets::load_or_create(dir.path()).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.db_password.len(), 48);
        assert!(dir.path().join(".appctl/.gitignore").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(format!("{first:?}"), "Secrets { .. }");
    }

    #[test]
    fn a_secrets_file_from_before_the_authenticator_gains_its_password_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let old = Secrets::load_or_create(dir.path()).unwrap();
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path(dir.path())).unwrap()).unwrap();
        json.as_object_mut()
            .unwrap()
            .remove("authenticator_password");
        std::fs::write(path(dir.path()), json.to_string()).unwrap();

        let upgraded = Secrets::load_or_create(dir.path()).unwrap();
        assert_eq!(upgraded.authenticator_password.len(), 48);
        assert_eq!(upgraded.auth_password.len(), 48);
        assert_ne!(upgraded.authenticator_password, old.authenticator_password);
        assert_eq!(
            (&upgraded.db_password, &upgraded.jwt_secret),
            (&old.db_password, &old.jwt_secret)
        );
        assert_eq!(Secrets::load_or_create(dir.path()).unwrap(), upgraded);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn role_keys_verify_with_the_secret_and_carry_the_role() {
        let secrets = Secrets::generate().unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.validate_aud = false;
        let key = jsonwebtoken::DecodingKey::from_secret(secrets.jwt_secret.as_bytes());
        let anon = jsonwebtoken::decode::<serde_json::Value>(&secrets.anon_key, &key, &validation)
            .unwrap();
        assert_eq!(anon.claims["role"], "anon");
        let service =
            jsonwebtoken::decode::<serde_json::Value>(&secrets.service_key, &key, &validation)
                .unwrap();
        assert_eq!(service.claims["role"], "service_role");
        let wrong = jsonwebtoken::DecodingKey::from_secret(b"another secret");
        assert!(
            jsonwebtoken::decode::<serde_json::Value>(&secrets.anon_key, &wrong, &validation)
                .is_err()
        );
    }

    #[test]
    fn every_secret_has_a_placeholder_that_fill_replaces() {
        let mut secrets = Secrets::generate().unwrap();
        secrets.api_database_url = "postgres://authenticator:pw@h/db".into();
        for (placeholder, _) in PLACEHOLDERS {
            let value = secrets.value(placeholder).unwrap();
            assert!(!value.is_empty(), "{placeholder}");
            assert_eq!(
                secrets.fill(&format!("<{placeholder}>")),
                format!("<{value}>")
            );
        }
        let json = serde_json::to_value(&secrets).unwrap();
        assert_eq!(json.as_object().unwrap().len(), PLACEHOLDERS.len());
    }

    #[test]
    fn fill_replaces_only_secret_placeholders() {
        let secrets = Secrets::generate().unwrap();
        let text = "postgres://postgres:{{db_password}}@db:5432/{{schema}}";
        let filled = secrets.fill(text);
        assert_eq!(
            filled,
            format!(
                "postgres://postgres:{}@db:5432/{{{{schema}}}}",
                secrets.db_password
            )
        );
    }
}
