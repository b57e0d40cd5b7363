//! The gateway (`appctl gateway`, run in the stack as a container from the same binary): one URL for
//! the whole backend. `/rest/v1` is served by the gateway itself ([`crate::rest`], connected as the
//! `authenticator` role: `APPCTL_REST_DB_URL`) unless an upstream PostgREST is named
//! (`APPCTL_REST_URL`, when `stack.rest.image` is set). `/rest/v1` with an upstream, `/auth/v1` and
//! `/storage/v1` are passed to their services as they are, headers and streaming bodies included;
//! `/health` says which routes it serves. Its own errors (a disabled service, an unknown route) are
//! in PostgREST's JSON shape (`code`, `message`, `details`, `hint`), so supabase-js shows them as
//! `error.message`.
//! `/functions/v1/<name>[/path]` goes to the function's container once the caller's JWT (the
//! `Authorization: Bearer` token, else the `apikey` header) is verified with the stack's secret and
//! its role is allowed by the function's `execute`: 401 without a valid token, 403 for a role not
//! allowed, before the request reaches user code. Each invocation is logged as one JSON line on
//! stdout (`appctl logs gateway`). Functions with a `schedule` are called on it with the service
//! role and `X-Appctl-Trigger: schedule`.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use anyhow::Context as _;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::TryStreamExt as _;

/// The prefixes the gateway routes, and the environment variable that names each upstream.
pub const ROUTES: &[(&str, &str)] = &[
    ("/rest/v1", "APPCTL_REST_URL"),
    ("/auth/v1", "APPCTL_AUTH_URL"),
    ("/storage/v1", "APPCTL_STORAGE_URL"),
];

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub listen: SocketAddr,
    /// Prefix → upstream base URL, for the services of the stack that run.
    pub upstreams: BTreeMap<String, String>,
    pub functions: BTreeMap<String, FunctionRoute>,
    /// The secret the stack's JWTs are signed with; without it no function can be called.
    pub jwt_secret: Option<String>,
    /// The built-in REST service, when `/rest/v1` has no upstream.
    pub rest: Option<RestSettings>,
    /// The built-in auth service, when `/auth/v1` has no upstream.
    pub auth: Option<AuthSettings>,
}

/// The built-in auth service's settings (`APPCTL_AUTH_*`); its JWT secret is the gateway's.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthSettings {
    /// A URL that logs in as `supabase_auth_admin` (it holds a password: never printed).
    pub database_url: String,
    /// The `iss` claim: the auth service's URL as clients see it.
    pub issuer: String,
    pub jwt_expiry_secs: i64,
    pub signup_enabled: bool,
    pub autoconfirm: bool,
    pub min_password_length: usize,
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field("issuer", &self.issuer)
            .field("jwt_expiry_secs", &self.jwt_expiry_secs)
            .field("signup_enabled", &self.signup_enabled)
            .field("autoconfirm", &self.autoconfirm)
            .field("min_password_length", &self.min_password_length)
            .finish_non_exhaustive()
    }
}

impl AuthSettings {
    /// GoTrue's defaults, but confirmation: a stack without mail confirms sign-ups at once.
    pub fn new(database_url: &str, issuer: &str) -> AuthSettings {
        AuthSettings {
            database_url: database_url.to_string(),
            issuer: issuer.to_string(),
            jwt_expiry_secs: 3600,
            signup_enabled: true,
            autoconfirm: true,
            min_password_length: 6,
        }
    }

    fn from_env() -> anyhow::Result<Option<AuthSettings>> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let Some(url) = var("APPCTL_AUTH_DB_URL") else {
            return Ok(None);
        };
        let issuer =
            var("APPCTL_AUTH_ISSUER").unwrap_or_else(|| "http://127.0.0.1:54321/auth/v1".into());
        let mut settings = AuthSettings::new(&url, &issuer);
        if let Some(secs) = var("APPCTL_AUTH_JWT_EXPIRY") {
            settings.jwt_expiry_secs = secs
                .parse()
                .context("APPCTL_AUTH_JWT_EXPIRY is not a number of seconds")?;
        }
        if let Some(flag) = var("APPCTL_AUTH_SIGNUP") {
            settings.signup_enabled = flag
                .parse()
                .context("APPCTL_AUTH_SIGNUP is not true or false")?;
        }
        if let Some(flag) = var("APPCTL_AUTH_AUTOCONFIRM") {
            settings.autoconfirm = flag
                .parse()
                .context("APPCTL_AUTH_AUTOCONFIRM is not true or false")?;
        }
        if let Some(length) = var("APPCTL_AUTH_MIN_PASSWORD_LENGTH") {
            settings.min_password_length = length
                .parse()
                .context("APPCTL_AUTH_MIN_PASSWORD_LENGTH is not a number")?;
        }
        Ok(Some(settings))
    }
}

/// The built-in REST service's settings (`APPCTL_REST_*`); its JWT secret is the gateway's.
#[derive(Clone, PartialEq, Eq)]
pub struct RestSettings {
    /// A URL that logs in as `authenticator` (it holds a password: never printed).
    pub database_url: String,
    pub schema: String,
    pub anon_role: Option<String>,
    pub max_rows: Option<u64>,
    pub max_body_bytes: usize,
    pub pool_size: u32,
    /// Milliseconds per role (`APPCTL_REST_STATEMENT_TIMEOUT=anon=3000,authenticated=8000`).
    pub statement_timeouts: BTreeMap<String, u64>,
    /// Keys for tokens issued elsewhere (`APPCTL_REST_JWKS`), beside the gateway's HS256 secret.
    pub jwks: Option<jsonwebtoken::jwk::JwkSet>,
}

impl std::fmt::Debug for RestSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestSettings")
            .field("schema", &self.schema)
            .field("anon_role", &self.anon_role)
            .field("max_rows", &self.max_rows)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("pool_size", &self.pool_size)
            .field("statement_timeouts", &self.statement_timeouts)
            .field("jwks", &self.jwks.as_ref().map(|set| set.keys.len()))
            .finish_non_exhaustive()
    }
}

impl RestSettings {
    /// The defaults PostgREST's are closest to: `anon` for requests without a token, no row cap,
    /// bodies up to 10 MiB, 10 connections.
    pub fn new(database_url: &str, schema: &str) -> RestSettings {
        RestSettings {
            database_url: database_url.to_string(),
            schema: schema.to_string(),
            anon_role: Some("anon".to_string()),
            max_rows: None,
            max_body_bytes: 10 * 1024 * 1024,
            pool_size: 10,
            statement_timeouts: BTreeMap::new(),
            jwks: None,
        }
    }

    fn from_env() -> anyhow::Result<Option<RestSettings>> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let Some(url) = var("APPCTL_REST_DB_URL") else {
            return Ok(None);
        };
        let mut settings =
            RestSettings::new(&url, &var("APPCTL_REST_SCHEMA").unwrap_or("public".into()));
        if let Some(role) = var("APPCTL_REST_ANON_ROLE") {
            settings.anon_role = (role != "none").then_some(role);
        }
        if let Some(rows) = var("APPCTL_REST_MAX_ROWS") {
            settings.max_rows = Some(
                rows.parse()
                    .context("APPCTL_REST_MAX_ROWS is not a number")?,
            );
        }
        if let Some(bytes) = var("APPCTL_REST_MAX_BODY_BYTES") {
            settings.max_body_bytes = bytes
                .parse()
                .context("APPCTL_REST_MAX_BODY_BYTES is not a number")?;
        }
        if let Some(size) = var("APPCTL_REST_POOL_SIZE") {
            settings.pool_size = size
                .parse()
                .context("APPCTL_REST_POOL_SIZE is not a number")?;
        }
        if let Some(list) = var("APPCTL_REST_STATEMENT_TIMEOUT") {
            settings.statement_timeouts = parse_role_millis(&list)
                .context("APPCTL_REST_STATEMENT_TIMEOUT is not `role=milliseconds,...`")?;
        }
        if let Some(jwks) = var("APPCTL_REST_JWKS") {
            settings.jwks = Some(parse_jwks(&jwks)?);
        }
        Ok(Some(settings))
    }
}

/// `anon=3000,authenticated=8000` as a map.
fn parse_role_millis(list: &str) -> anyhow::Result<BTreeMap<String, u64>> {
    list.split(',')
        .filter(|item| !item.trim().is_empty())
        .map(|item| {
            let (role, ms) = item
                .split_once('=')
                .with_context(|| format!("`{item}` has no `=`"))?;
            let ms = ms
                .trim()
                .parse()
                .with_context(|| format!("`{ms}` is not a number of milliseconds"))?;
            Ok((role.trim().to_string(), ms))
        })
        .collect()
}

/// `APPCTL_REST_JWKS`: a JWK set (`{"keys": [...]}`) or one JWK, as PostgREST's `jwt-secret`
/// takes either.
fn parse_jwks(text: &str) -> anyhow::Result<jsonwebtoken::jwk::JwkSet> {
    let value: serde_json::Value =
        serde_json::from_str(text).context("APPCTL_REST_JWKS is not JSON")?;
    let set = if value.get("keys").is_some() {
        serde_json::from_value(value)
    } else {
        serde_json::from_value(value).map(|key| jsonwebtoken::jwk::JwkSet { keys: vec![key] })
    };
    let set = set.context("APPCTL_REST_JWKS is not a JWK set (RFC 7517)")?;
    anyhow::ensure!(!set.keys.is_empty(), "APPCTL_REST_JWKS holds no key");
    Ok(set)
}

/// A function as the gateway sees it (`APPCTL_FUNCTIONS`, written by the stack).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct FunctionRoute {
    pub url: String,
    pub execute: Vec<String>,
    pub timeout_ms: u64,
    #[serde(default)]
    pub schedule: Option<String>,
}

/// Who a verified token says the caller is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub role: String,
    pub sub: Option<String>,
}

/// Whether `caller` may invoke a function whose `execute` is `rules`. The service role passes
/// everything, as it bypasses row-level security.
pub fn may_execute(rules: &[String], caller: &Caller) -> bool {
    match caller.role.as_str() {
        "service_role" => true,
        "anon" => rules.iter().any(|r| r == "any" || r == "guests"),
        "authenticated" => rules.iter().any(|r| {
            r == "any"
                || r == "users"
                || r.strip_prefix("user:").is_some_and(|id| {
                    caller
                        .sub
                        .as_deref()
                        .is_some_and(|sub| sub.eq_ignore_ascii_case(id))
                })
        }),
        _ => false,
    }
}

/// The caller of a request: its bearer token (else `apikey`) verified with `secret`.
pub fn verify(headers: &HeaderMap, secret: &str) -> Result<Caller, &'static str> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .or_else(|| headers.get("apikey").and_then(|v| v.to_str().ok()))
        .ok_or("no token: send `Authorization: Bearer <jwt>` (the anon key, a user's token or the service key)")?;
    let claims = crate::jwt::verify(token.trim(), secret).map_err(
        |_| "the token is not valid for this stack (bad signature, expired or malformed)",
    )?;
    let role = claims["role"]
        .as_str()
        .ok_or("the token has no role claim")?
        .to_string();
    let sub = claims["sub"].as_str().map(str::to_string);
    Ok(Caller { role, sub })
}

impl GatewayConfig {
    /// From the environment the stack template gives the gateway container.
    pub fn from_env() -> anyhow::Result<GatewayConfig> {
        let port: u16 = std::env::var("PORT")
            .unwrap_or_else(|_| "8000".to_string())
            .parse()
            .context("PORT is not a port number")?;
        // All interfaces in a container; `HOST=127.0.0.1` for a gateway run on a developer's host.
        let host: std::net::IpAddr = match std::env::var("HOST") {
            Ok(text) if !text.is_empty() => text.parse().context("HOST is not an IP address")?,
            _ => std::net::IpAddr::from([0, 0, 0, 0]),
        };
        let upstreams: BTreeMap<String, String> = ROUTES
            .iter()
            .filter_map(|(prefix, var)| {
                let url = std::env::var(var).ok().filter(|u| !u.is_empty())?;
                Some((prefix.to_string(), url.trim_end_matches('/').to_string()))
            })
            .collect();
        let functions = match std::env::var("APPCTL_FUNCTIONS") {
            Ok(json) if !json.is_empty() => {
                serde_json::from_str(&json).context("APPCTL_FUNCTIONS is not the stack's JSON")?
            }
            _ => BTreeMap::new(),
        };
        let rest = match upstreams.contains_key("/rest/v1") {
            true => None,
            false => RestSettings::from_env()?,
        };
        let auth = match upstreams.contains_key("/auth/v1") {
            true => None,
            false => AuthSettings::from_env()?,
        };
        Ok(GatewayConfig {
            listen: SocketAddr::new(host, port),
            rest,
            auth,
            upstreams,
            functions,
            jwt_secret: std::env::var("APPCTL_JWT_SECRET")
                .ok()
                .filter(|s| !s.is_empty()),
        })
    }
}

#[derive(Clone)]
struct Gateway {
    upstreams: BTreeMap<String, String>,
    functions: std::sync::Arc<BTreeMap<String, FunctionRoute>>,
    jwt_secret: Option<std::sync::Arc<str>>,
    client: reqwest::Client,
    rest_built_in: bool,
    auth_built_in: bool,
}

/// Serves until `shutdown` completes.
pub async fn serve(
    config: GatewayConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    serve_on(listener, config, shutdown).await
}

pub async fn serve_on(
    listener: tokio::net::TcpListener,
    config: GatewayConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let client = appctl_pg::tls::http_client()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let gateway = Gateway {
        upstreams: config.upstreams,
        functions: std::sync::Arc::new(config.functions),
        jwt_secret: config.jwt_secret.map(std::sync::Arc::from),
        client,
        rest_built_in: config.rest.is_some(),
        auth_built_in: config.auth.is_some(),
    };
    let rest = match (&config.rest, &gateway.jwt_secret) {
        (Some(settings), Some(secret)) => Some(built_in_rest(settings, secret)?),
        (Some(_), None) => anyhow::bail!("the built-in REST service needs APPCTL_JWT_SECRET"),
        (None, _) => None,
    };
    let scheduler = tokio::spawn(run_schedules(gateway.clone()));
    let watcher = rest.as_ref().map(crate::rest::Rest::watch);
    let auth = match (&config.auth, &gateway.jwt_secret) {
        (Some(settings), Some(secret)) => Some(built_in_auth(settings, secret)?),
        (Some(_), None) => anyhow::bail!("the built-in auth service needs APPCTL_JWT_SECRET"),
        (None, _) => None,
    };
    let mut app = Router::new()
        .route("/health", get(health))
        .fallback(proxy)
        .with_state(gateway);
    if let Some(rest) = &rest {
        app = app.nest("/rest/v1", rest.router());
    }
    if let Some(auth) = &auth {
        app = app.nest("/auth/v1", auth.router());
    }
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .context("the gateway stopped");
    scheduler.abort();
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    served
}

/// The auth service on a lazily connecting pool.
fn built_in_auth(settings: &AuthSettings, secret: &str) -> anyhow::Result<crate::auth::Auth> {
    let options: sqlx::postgres::PgConnectOptions = settings
        .database_url
        .parse()
        .context("APPCTL_AUTH_DB_URL is not a postgres:// URL")?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect_lazy_with(options.application_name("appctl auth"));
    Ok(crate::auth::Auth::new(crate::auth::AuthConfig {
        pool,
        jwt_secret: secret.to_string(),
        jwt_expiry_secs: settings.jwt_expiry_secs,
        issuer: settings.issuer.clone(),
        signup_enabled: settings.signup_enabled,
        autoconfirm: settings.autoconfirm,
        min_password_length: settings.min_password_length,
    }))
}

/// The REST service on a lazily connecting pool: the database may start after the gateway.
fn built_in_rest(settings: &RestSettings, secret: &str) -> anyhow::Result<crate::rest::Rest> {
    let options: sqlx::postgres::PgConnectOptions = settings
        .database_url
        .parse()
        .context("APPCTL_REST_DB_URL is not a postgres:// URL")?;
    // No ping before each acquire (sqlx's default): a round trip per request. A connection that
    // died fails its request with PGRST000 (503) and is dropped from the pool.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(settings.pool_size.max(1))
        .acquire_timeout(std::time::Duration::from_secs(10))
        .test_before_acquire(false)
        .connect_lazy_with(options.application_name("appctl rest"));
    Ok(crate::rest::Rest::lazy(crate::rest::RestConfig {
        pool,
        jwt_secret: secret.to_string(),
        jwks: settings.jwks.clone(),
        anon_role: settings.anon_role.clone(),
        schema: settings.schema.clone(),
        max_rows: settings.max_rows,
        max_body_bytes: settings.max_body_bytes,
        statement_timeouts: settings.statement_timeouts.clone(),
    }))
}

async fn health(State(gateway): State<Gateway>) -> Response {
    let mut routes: Vec<&str> = gateway.upstreams.keys().map(String::as_str).collect();
    if gateway.rest_built_in {
        routes.push("/rest/v1");
    }
    if gateway.auth_built_in {
        routes.push("/auth/v1");
    }
    routes.sort_unstable();
    let functions: Vec<&String> = gateway.functions.keys().collect();
    axum::Json(serde_json::json!({ "status": "ok", "routes": routes, "functions": functions }))
        .into_response()
}

async fn proxy(State(gateway): State<Gateway>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    if let Some(rest) = path.strip_prefix("/functions/v1/") {
        return invoke(gateway, request, rest.to_string()).await;
    }
    let Some((prefix, upstream)) = gateway
        .upstreams
        .iter()
        .find(|(prefix, _)| path == **prefix || path.starts_with(&format!("{prefix}/")))
    else {
        let known = ROUTES.iter().find(|(p, _)| path.starts_with(p));
        return match known {
            Some((prefix, _)) => error(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("{prefix} is not part of this stack (its service is disabled)"),
            ),
            None => error(StatusCode::NOT_FOUND, &format!("no route for {path}")),
        };
    };
    let base = format!("{upstream}{}", &path[prefix.len()..]);
    let answer = pass_on(&gateway.client, request, &base).send().await;
    relay(answer, prefix)
}

/// `request` as a request to `base` (its query appended), with the caller's headers but the
/// hop-by-hop ones, and its body streamed.
fn pass_on(client: &reqwest::Client, request: Request, base: &str) -> reqwest::RequestBuilder {
    let query = request
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let method = request.method().clone();
    let headers = forwarded(request.headers());
    let body = reqwest::Body::wrap_stream(request.into_body().into_data_stream());
    client
        .request(method, format!("{base}{query}"))
        .headers(headers)
        .body(body)
}

/// `/functions/v1/<name>[/path]`: the token checked against the function's `execute`, then the
/// request passed to its container with the caller's headers, within the function's timeout.
async fn invoke(gateway: Gateway, request: Request, rest: String) -> Response {
    let started = std::time::Instant::now();
    let (name, path) = match rest.split_once('/') {
        Some((name, path)) => (name.to_string(), format!("/{path}")),
        None => (rest.clone(), "/".to_string()),
    };
    let Some(function) = gateway.functions.get(&name) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("no function `{name}` in this stack"),
        );
    };
    let Some(secret) = &gateway.jwt_secret else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the gateway has no APPCTL_JWT_SECRET",
        );
    };
    let caller = match verify(request.headers(), secret) {
        Ok(caller) => caller,
        Err(reason) => {
            log_invocation(&name, "-", 401, started, "http");
            return error(StatusCode::UNAUTHORIZED, reason);
        }
    };
    if !may_execute(&function.execute, &caller) {
        log_invocation(&name, &caller.role, 403, started, "http");
        return error(
            StatusCode::FORBIDDEN,
            &format!(
                "role `{}` may not execute `{name}` (execute: {})",
                caller.role,
                function.execute.join(", ")
            ),
        );
    }
    let base = format!("{}{path}", function.url.trim_end_matches('/'));
    // Replaces any X-Appctl-Role the caller sent: the function may trust it.
    let mut role = HeaderMap::new();
    if let Ok(value) = caller.role.parse() {
        role.insert("x-appctl-role", value);
    }
    let answer = pass_on(&gateway.client, request, &base)
        .headers(role)
        .timeout(std::time::Duration::from_millis(function.timeout_ms))
        .send()
        .await;
    let response = relay(answer, &format!("function `{name}`"));
    log_invocation(
        &name,
        &caller.role,
        response.status().as_u16(),
        started,
        "http",
    );
    response
}

/// Calls every function that has a `schedule`, on it, as the service role.
async fn run_schedules(gateway: Gateway) {
    let Some(secret) = gateway.jwt_secret.clone() else {
        return;
    };
    let Ok(token) = crate::jwt::sign_role_key("service_role", &secret) else {
        return;
    };
    let mut jobs = Vec::new();
    for (name, function) in gateway.functions.iter() {
        let Some(expression) = &function.schedule else {
            continue;
        };
        let Ok(cron) = croner::parser::CronParser::new().parse(expression) else {
            eprintln!(
                "function `{name}`: schedule `{expression}` is not a cron expression; not scheduled"
            );
            continue;
        };
        let (name, function, client, token) = (
            name.clone(),
            function.clone(),
            gateway.client.clone(),
            token.clone(),
        );
        jobs.push(tokio::spawn(async move {
            loop {
                let now = chrono::Utc::now();
                let Ok(next) = cron.find_next_occurrence(&now, false) else {
                    return;
                };
                let wait = (next - now).to_std().unwrap_or_default();
                tokio::time::sleep(wait).await;
                let started = std::time::Instant::now();
                let status = client
                    .post(&function.url)
                    .bearer_auth(&token)
                    .header("x-appctl-trigger", "schedule")
                    .header("x-appctl-role", "service_role")
                    .timeout(std::time::Duration::from_millis(function.timeout_ms))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(502);
                log_invocation(&name, "service_role", status, started, "schedule");
            }
        }));
    }
    for job in jobs {
        let _ = job.await;
    }
}

/// One JSON line per invocation on stdout: what `appctl logs gateway` shows.
fn log_invocation(
    function: &str,
    role: &str,
    status: u16,
    started: std::time::Instant,
    trigger: &str,
) {
    println!(
        "{}",
        serde_json::json!({
            "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "function": function,
            "role": role,
            "status": status,
            "duration_ms": started.elapsed().as_millis() as u64,
            "trigger": trigger,
        })
    );
}

/// An upstream's answer passed back as it is, or 502/504 when there is none.
fn relay(answer: Result<reqwest::Response, reqwest::Error>, what: &str) -> Response {
    match answer {
        Ok(answer) => {
            let mut response = Response::builder().status(answer.status());
            for (name, value) in forwarded(answer.headers()) {
                if let Some(name) = name {
                    response = response.header(name, value);
                }
            }
            response
                .body(Body::from_stream(
                    answer.bytes_stream().map_err(std::io::Error::other),
                ))
                .unwrap_or_else(|_| error(StatusCode::BAD_GATEWAY, "bad answer from upstream"))
        }
        Err(e) if e.is_timeout() => error(
            StatusCode::GATEWAY_TIMEOUT,
            &format!("{what} did not answer in time"),
        ),
        Err(e) => error(
            StatusCode::BAD_GATEWAY,
            &format!("{what} did not answer: {e}"),
        ),
    }
}

/// Headers without the hop-by-hop ones (RFC 9110, 7.6.1) and Host.
fn forwarded(headers: &HeaderMap) -> HeaderMap {
    const HOP: &[HeaderName] = &[
        header::CONNECTION,
        header::HOST,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
        header::PROXY_AUTHORIZATION,
        header::PROXY_AUTHENTICATE,
        header::CONTENT_LENGTH,
    ];
    headers
        .iter()
        .filter(|(name, _)| !HOP.contains(name) && name.as_str() != "keep-alive")
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect()
}

/// The gateway's own errors, in PostgREST's shape; `code` is `APPCTL` and the status.
fn error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({
        "code": format!("APPCTL{}", status.as_u16()),
        "message": message,
        "details": null,
        "hint": null,
    });
    (status, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwks_is_a_set_or_one_key() {
        let key = r#"{"kty":"oct","kid":"k1","k":"c2VjcmV0"}"#;
        let one = parse_jwks(key).unwrap();
        assert_eq!(one.keys.len(), 1);
        assert_eq!(one.keys[0].common.key_id.as_deref(), Some("k1"));
        let set = parse_jwks(&format!(r#"{{"keys":[{key},{key}]}}"#)).unwrap();
        assert_eq!(set.keys.len(), 2);
        assert!(parse_jwks("not json").is_err());
        assert!(parse_jwks(r#"{"keys":[]}"#).is_err());
        assert!(parse_jwks(r#"{"keys":"not a list"}"#).is_err());
    }
}
