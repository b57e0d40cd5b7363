//! S3-compatible storage: where an instance's bucket files live.
//!
//! One S3 bucket per appctl bucket, with the same name (the `storage.buckets.id`), and one S3 object
//! per `storage.objects` row, its key being the row's `name`. That is the layout Supabase Storage's
//! S3 protocol endpoint shows and the one any S3 server holds when the files are written directly.
//!
//! Everything goes through `object_store` (gets, puts, multipart uploads, listings). The one request
//! it has no method for, CreateBucket (and the HeadBucket that decides whether it is needed), is
//! built here and signed by object_store's own SigV4 signer ([`AwsAuthorizer`]) and sent with its
//! HTTP client: no signing code of ours.
//!
//! Secrets: the keys are resolved at run time (`${VAR}` in the project file, or environment
//! variables), held only in [`S3Config`], whose `Debug` hides them, and never printed or archived.

use std::fmt;
use std::time::Duration;

use anyhow::{Context as _, bail};
use object_store::aws::{AmazonS3, AmazonS3Builder, AwsAuthorizer, AwsCredential};
use object_store::client::{HttpClient, HttpConnector as _, HttpRequestBody, ReqwestConnector};
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, RetryConfig};

/// The region used when none is given (most S3-compatible servers ignore it).
pub const DEFAULT_REGION: &str = "us-east-1";

/// Environment variables that name the S3 storage when no `--env` environment does.
pub const ENDPOINT_ENV: &str = "APPCTL_S3_ENDPOINT";
pub const REGION_ENV: &str = "APPCTL_S3_REGION";
pub const ACCESS_KEY_ENV: &str = "APPCTL_S3_ACCESS_KEY_ID";
pub const SECRET_KEY_ENV: &str = "APPCTL_S3_SECRET_ACCESS_KEY";

/// Where the files are and how to sign in. Values are resolved (no `${VAR}` left).
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    /// `http://host:port` or `https://host`; buckets are addressed path-style (`endpoint/bucket/key`).
    pub endpoint: String,
    pub region: String,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key", &self.access_key.as_ref().map(|_| "<set>"))
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl S3Config {
    /// Checks the endpoint and the keys (both or neither).
    pub fn new(
        endpoint: &str,
        region: Option<&str>,
        access_key: Option<String>,
        secret_key: Option<String>,
    ) -> anyhow::Result<S3Config> {
        let endpoint = endpoint.trim_end_matches('/').to_string();
        let parsed = reqwest::Url::parse(&endpoint)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        let Some(parsed) = parsed else {
            bail!("the S3 endpoint `{endpoint}` is not an http:// or https:// URL");
        };
        if !parsed.username().is_empty() || parsed.password().is_some() {
            bail!(
                "the S3 endpoint holds credentials; give only scheme, host and port, and the keys as access_key/secret_key (or APPCTL_S3_ACCESS_KEY_ID/APPCTL_S3_SECRET_ACCESS_KEY)"
            );
        }
        let region = region
            .filter(|r| !r.is_empty())
            .unwrap_or(DEFAULT_REGION)
            .to_string();
        if !region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            bail!("the S3 region `{region}` is not a region name");
        }
        let access_key = access_key.filter(|k| !k.is_empty());
        let secret_key = secret_key.filter(|k| !k.is_empty());
        if access_key.is_some() != secret_key.is_some() {
            bail!(
                "S3 storage needs both an access key and a secret key (or neither, for anonymous access); only one is set"
            );
        }
        Ok(S3Config {
            endpoint,
            region,
            access_key,
            secret_key,
        })
    }

    fn client_options(&self) -> ClientOptions {
        appctl_pg::tls::install();
        ClientOptions::new()
            .with_allow_http(self.endpoint.starts_with("http://"))
            .with_connect_timeout(Duration::from_secs(10))
            .with_timeout(Duration::from_secs(120))
    }

    /// A store for one bucket.
    pub fn bucket(&self, bucket: &str) -> anyhow::Result<AmazonS3> {
        check_bucket_name(bucket)?;
        let mut builder = AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_region(&self.region)
            .with_bucket_name(bucket)
            .with_virtual_hosted_style_request(false)
            .with_client_options(self.client_options())
            // A few quick retries: an unreachable endpoint fails in seconds, not minutes.
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(30),
                ..RetryConfig::default()
            });
        match (&self.access_key, &self.secret_key) {
            (Some(key), Some(secret)) => {
                builder = builder
                    .with_access_key_id(key)
                    .with_secret_access_key(secret);
            }
            _ => builder = builder.with_skip_signature(true),
        }
        builder
            .build()
            .with_context(|| format!("cannot use S3 bucket `{bucket}` at {}", self.endpoint))
    }

    fn http(&self) -> anyhow::Result<HttpClient> {
        ReqwestConnector::default()
            .connect(&self.client_options())
            .context("cannot set up the S3 client")
    }

    /// Sends a bucket-level request (`PUT`/`HEAD` on `endpoint/bucket`), signed by object_store.
    async fn bucket_request(
        &self,
        method: http::Method,
        bucket: &str,
        body: String,
    ) -> anyhow::Result<http::StatusCode> {
        check_bucket_name(bucket)?;
        let url = format!("{}/{bucket}", self.endpoint);
        let mut request = http::Request::builder()
            .method(method)
            .uri(&url)
            .body(HttpRequestBody::from(body))
            .context("cannot build an S3 request")?;
        if let (Some(key), Some(secret)) = (&self.access_key, &self.secret_key) {
            let credential = AwsCredential {
                key_id: key.clone(),
                secret_key: secret.clone(),
                token: None,
            };
            AwsAuthorizer::new(&credential, "s3", &self.region)
                .try_authorize(&mut request, None)
                .context("cannot sign an S3 request")?;
        }
        let response = self
            .http()?
            .execute(request)
            .await
            .with_context(|| format!("cannot reach the S3 endpoint {}", self.endpoint))?;
        Ok(response.status())
    }

    /// Whether the bucket exists (HeadBucket).
    pub async fn bucket_exists(&self, bucket: &str) -> anyhow::Result<bool> {
        let status = self
            .bucket_request(http::Method::HEAD, bucket, String::new())
            .await?;
        match status.as_u16() {
            200..=299 => Ok(true),
            404 => Ok(false),
            403 => bail!(
                "S3 refused access to bucket `{bucket}` at {} (403): check the access key and its permissions",
                self.endpoint
            ),
            code => bail!(
                "S3 answered {code} when asked for bucket `{bucket}` at {}",
                self.endpoint
            ),
        }
    }

    /// Creates the bucket (CreateBucket, with the region as its location unless it is us-east-1).
    pub async fn create_bucket(&self, bucket: &str) -> anyhow::Result<()> {
        let body = if self.region == DEFAULT_REGION {
            String::new()
        } else {
            format!(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                self.region
            )
        };
        let status = self.bucket_request(http::Method::PUT, bucket, body).await?;
        match status.as_u16() {
            200..=299 => Ok(()),
            // BucketAlreadyOwnedByYou: created in the meantime.
            409 if self.bucket_exists(bucket).await? => Ok(()),
            code => bail!(
                "S3 answered {code} when asked to create bucket `{bucket}` at {}",
                self.endpoint
            ),
        }
    }
}

/// S3's bucket naming rules (3-63 characters: lowercase letters, digits, `.` and `-`, starting and
/// ending with a letter or digit), checked before any request so the error names the bucket.
pub fn check_bucket_name(bucket: &str) -> anyhow::Result<()> {
    let valid = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && bucket
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && bucket
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && !bucket.contains("..");
    if !valid {
        bail!(
            "bucket `{bucket}` cannot be an S3 bucket name (3 to 63 lowercase letters, digits, `.` or `-`, starting and ending with a letter or digit); files are kept in an S3 bucket of the same name"
        );
    }
    Ok(())
}

/// The object key as object_store addresses it: exactly the key, or an error for a key it cannot
/// address (an empty segment as in `a//b`, a leading or trailing `/`, a `.` or `..` segment, a
/// control character).
pub fn object_path(bucket: &str, key: &str) -> anyhow::Result<ObjectPath> {
    let path = ObjectPath::parse(key)
        .ok()
        .filter(|p| !key.is_empty() && p.as_ref() == key);
    path.with_context(|| {
        format!(
            "object `{key}` of bucket `{bucket}` has a name that cannot be transferred (empty, `.` or `..` segments, a leading or trailing `/`, or control characters); rename it"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_show_in_debug() {
        let config = S3Config::new(
            "http://127.0.0.1:9000/",
            None,
            Some("AKID".into()),
            Some("very-secret".into()),
        )
        .unwrap();
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("very-secret") && !shown.contains("AKID"),
            "{shown}"
        );
        assert_eq!(config.endpoint, "http://127.0.0.1:9000");
        assert_eq!(config.region, DEFAULT_REGION);
    }

    #[test]
    fn checks_endpoints_keys_and_names() {
        assert!(S3Config::new("ftp://x", None, None, None).is_err());
        let error = S3Config::new("http://k:hunter2@x", None, None, None).unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(S3Config::new("http://x", None, Some("a".into()), None).is_err());
        assert!(S3Config::new("http://x", Some("eu west"), None, None).is_err());
        assert!(check_bucket_name("uploads").is_ok());
        for bad in ["Up", "ab", "a_b", "-ab", "a..b", "abc-"] {
            assert!(check_bucket_name(bad).is_err(), "{bad}");
        }
        assert!(object_path("b", "docs/été 2024/report (1).pdf").is_ok());
        for bad in ["a//b", "/a", "a/", "a/../b", "a\nb", ""] {
            assert!(object_path("b", bad).is_err(), "{bad:?}");
        }
    }
}
