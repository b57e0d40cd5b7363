//! The REST service: PostgREST's HTTP API over the exposed schema, on top of the pure query core
//! [`appctl_rest`] (parser, schema cache, SQL builder, errors).
//!
//! [`Rest::router`] answers PostgREST's paths relative to where it is mounted:
//!
//! - `GET`/`HEAD /table`: read (`select`, filters, `order`, `limit`/`offset` or a `Range` header,
//!   embeds, `Prefer: count=exact` with `Content-Range`, 206 for a partial page);
//! - `POST /table`: insert / upsert (201; `Prefer: return=representation` answers the rows,
//!   `return=headers-only` a `Location`, `return=minimal` (the default) no body);
//! - `PATCH`, `DELETE /table?filters` (200 with `return=representation`, else 204);
//! - `GET`/`POST /rpc/fn` (204 for a function that returns nothing; GET runs read only);
//! - `GET /`: the OpenAPI 2.0 description of the exposed schema ([`appctl_rest::openapi`]);
//!   other methods: 405 (PGRST117).
//!
//! `Accept: application/vnd.pgrst.object+json` answers the one row as an object, or PGRST116 (406)
//! and a rolled back transaction unless exactly one row is affected; `Accept: text/csv` answers
//! the rows as CSV ([`appctl_rest::csv`]); a type none of these is 406 PGRST107.
//!
//! Security is Postgres's, as in PostgREST. The pool connects as a login role without rights of
//! its own (`authenticator`, NOINHERIT, a member of the API roles). Each request:
//! 1. its `Authorization: Bearer` token is verified with the HS256 secret or the JWKS keys
//!    ([`auth`]): none is the anonymous role; a bad signature, a key not in the set, `alg: none`,
//!    another algorithm or a malformed token is 401 PGRST301, an expired one 401 PGRST303, no
//!    token without an anonymous role 401 PGRST302;
//! 2. runs in one transaction (`READ ONLY` for GET and HEAD) that first sets, transaction-locally,
//!    `role` to the token's `role` claim (Postgres refuses a role the login role is not a member
//!    of: 42501, 403), `request.jwt.claims` (the token's claims as JSON, `{"role": anon}` without
//!    one), `request.method`, `request.path`, `request.headers` (lower-case names) and
//!    `search_path` (the exposed schema), all through `set_config` with bind parameters;
//! 3. then runs the statement [`appctl_rest::build`] made, every parameter bound as text, and maps
//!    its one row (`total_result_set`, `page_total`, `body`) to the answer.
//!
//! Errors are PostgREST's JSON (`code`, `message`, `details`, `hint`): the core's own (PGRST1xx,
//! PGRST2xx, 42703), Postgres's with PostgREST's SQLSTATE → status table (42501 is 401 for anon,
//! 403 with a token), PGRST000/PGRST003 (503/504) when the database cannot be reached, and
//! `APPCTL413` (413) for a body over `max_body_bytes` (PostgREST leaves that to its proxy).
//!
//! The schema cache is loaded with [`appctl_rest::schema::LOADER_SQL`] at [`Rest::new`] (or on the
//! first request, [`Rest::lazy`]) and swapped by [`Rest::reload`], which [`Rest::watch`] calls on
//! `NOTIFY pgrst`; requests in flight keep the cache they started with. The gateway mounts
//! [`Rest::router`] at `/rest/v1` (`crate::gateway`).
//!
//! `Prefer: count=planned` reads the total from `EXPLAIN`; `count=estimated` counts exactly when the
//! planner expects at most `max_rows` rows (or there is no cap), else answers the planned total.
//!
//! Each request's `statement_timeout` is its role's: [`RestConfig::statement_timeouts`], else the
//! role's own `ALTER ROLE ... SET statement_timeout`, read with the cache.
//!
//! Not yet: other role settings, `Prefer: tx=`, `max-affected`, `timezone`.

pub mod auth;

use std::sync::{Arc, RwLock};

use anyhow::Context as _;
use appctl_rest::build::{self, RpcArgs, Shape, Statement};
use appctl_rest::media::{self, MediaType};
use appctl_rest::parse::{self, CountPreference, Preferences, QueryParams, ReturnPreference};
use appctl_rest::{ApiError, SchemaCache};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use sqlx::Row as _;

use self::auth::Identity;

/// What the service needs: its database and its limits.
#[derive(Debug, Clone)]
pub struct RestConfig {
    /// Connections as the login role (`authenticator`); each request switches role inside its
    /// transaction.
    pub pool: sqlx::PgPool,
    /// The HS256 secret tokens are signed with.
    pub jwt_secret: String,
    /// Keys for tokens issued elsewhere (RS256/384/512, ES256/384, HS256/384/512 `oct` keys),
    /// chosen by the token's `kid`, else by its algorithm ([`auth`]).
    pub jwks: Option<jsonwebtoken::jwk::JwkSet>,
    /// The role of requests without a token (`anon`); `None` refuses them (PGRST302).
    pub anon_role: Option<String>,
    /// The exposed schema (`public`).
    pub schema: String,
    /// The most rows a read answers (PostgREST's `db-max-rows`); `None` for no cap.
    pub max_rows: Option<u64>,
    /// The largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// `statement_timeout` in milliseconds per role, set in each request's transaction (appctl.yaml's
    /// `api.statement_timeout`). A role without one here gets its own `ALTER ROLE ... SET
    /// statement_timeout` if it has one, as in PostgREST: `SET ROLE` alone does not apply it.
    pub statement_timeouts: std::collections::BTreeMap<String, u64>,
}

impl RestConfig {
    fn keys(&self) -> auth::Keys<'_> {
        auth::Keys {
            secret: &self.jwt_secret,
            jwks: self.jwks.as_ref(),
        }
    }
}

/// The service: its configuration and the schema cache, cheap to clone.
#[derive(Clone)]
pub struct Rest {
    inner: Arc<Inner>,
}

struct Inner {
    config: RestConfig,
    /// `None` until the first load succeeds (the database may not be up, or not bootstrapped yet).
    cache: RwLock<Option<Arc<SchemaCache>>>,
    /// Each role's own `statement_timeout` (`ALTER ROLE ... SET`), read with the cache.
    role_timeouts: RwLock<Arc<std::collections::BTreeMap<String, String>>>,
}

impl Rest {
    /// Loads the schema cache and returns the service.
    pub async fn new(config: RestConfig) -> anyhow::Result<Rest> {
        let rest = Rest::lazy(config);
        rest.reload().await?;
        Ok(rest)
    }

    /// The service without its schema cache yet: the first request loads it (503 PGRST002 while
    /// the database cannot answer), as does [`Rest::watch`] once it connects. For a gateway that
    /// starts beside its database, before the schema is applied.
    pub fn lazy(config: RestConfig) -> Rest {
        Rest {
            inner: Arc::new(Inner {
                config,
                cache: RwLock::new(None),
                role_timeouts: RwLock::default(),
            }),
        }
    }

    /// Reads the schema cache again (after DDL, or on `NOTIFY pgrst, 'reload schema'`).
    pub async fn reload(&self) -> anyhow::Result<()> {
        let cache = load_cache(&self.inner.config.pool, &self.inner.config.schema).await?;
        let timeouts = load_role_timeouts(&self.inner.config.pool).await?;
        *self
            .inner
            .role_timeouts
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Arc::new(timeouts);
        *self.inner.cache.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(cache));
        Ok(())
    }

    /// The `statement_timeout` requests of `role` run with, if any.
    fn statement_timeout(&self, role: &str) -> Option<String> {
        if let Some(ms) = self.inner.config.statement_timeouts.get(role) {
            return Some(format!("{ms}ms"));
        }
        let own = self
            .inner
            .role_timeouts
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        own.get(role).cloned()
    }

    /// The cache requests use now, if one has loaded.
    pub fn cache(&self) -> Option<Arc<SchemaCache>> {
        self.inner
            .cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The cache, loaded now if none has been yet.
    async fn current_cache(&self) -> Result<Arc<SchemaCache>, ApiError> {
        if let Some(cache) = self.cache() {
            return Ok(cache);
        }
        self.reload().await.map_err(|e| {
            ApiError::new(
                503,
                "PGRST002",
                "Could not query the database for the schema cache. Retrying.",
            )
            .with_details(format!("{e:#}"))
        })?;
        self.cache()
            .ok_or_else(|| ApiError::new(503, "PGRST002", "The schema cache is not loaded"))
    }

    /// Listens for `NOTIFY pgrst` as PostgREST does: `'reload schema'` (or an empty payload)
    /// reloads the cache. Each (re)connection reloads it too, since notifications sent while
    /// disconnected are lost; a lost connection is retried every few seconds until the task is
    /// aborted (the server's shutdown).
    pub fn watch(&self) -> tokio::task::JoinHandle<()> {
        let rest = self.clone();
        tokio::spawn(async move {
            let mut pause = std::time::Duration::from_millis(500);
            loop {
                if let Err(e) = rest.listen().await {
                    eprintln!("rest: schema cache listener: {e:#}; retrying in {pause:?}");
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(5));
            }
        })
    }

    async fn listen(&self) -> anyhow::Result<()> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.inner.config.pool)
            .await
            .context("cannot connect to listen for `NOTIFY pgrst`")?;
        listener.ignore_pool_close_event(true);
        listener.listen("pgrst").await?;
        self.reload().await?;
        loop {
            let Some(notification) = listener.try_recv().await? else {
                anyhow::bail!("the connection listening for `NOTIFY pgrst` was lost");
            };
            if matches!(notification.payload(), "" | "reload schema")
                && let Err(e) = self.reload().await
            {
                eprintln!("rest: cannot reload the schema cache: {e:#}");
            }
        }
    }

    /// PostgREST's paths, relative to the mount point (`/rest/v1` behind the gateway).
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", any(root))
            .route("/rpc/{function}", any(rpc))
            .route("/{table}", any(table))
            .fallback(not_found)
            .with_state(self.clone())
    }
}

/// Runs [`appctl_rest::schema::LOADER_SQL`] for `schema` with an empty search path, so the types
/// and defaults come back qualified.
async fn load_cache(pool: &sqlx::PgPool, schema: &str) -> anyhow::Result<SchemaCache> {
    let mut tx = pool
        .begin()
        .await
        .context("cannot connect to load the schema cache")?;
    sqlx::query("SET LOCAL search_path TO ''")
        .execute(&mut *tx)
        .await?;
    let json: String = sqlx::query_scalar(appctl_rest::schema::LOADER_SQL)
        .bind(vec![schema.to_string()])
        .fetch_one(&mut *tx)
        .await
        .context("cannot load the schema cache")?;
    tx.commit().await?;
    SchemaCache::from_json(&json).context("the schema cache loader answered an unexpected shape")
}

/// Each role's `statement_timeout` from `ALTER ROLE ... SET` (this database's setting before one for
/// all databases).
async fn load_role_timeouts(
    pool: &sqlx::PgPool,
) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT ON (r.rolname) r.rolname::text, substr(setting, length('statement_timeout=') + 1) \
         FROM pg_catalog.pg_db_role_setting s \
         JOIN pg_catalog.pg_roles r ON r.oid = s.setrole \
         CROSS JOIN LATERAL unnest(s.setconfig) AS setting \
         WHERE s.setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())) \
           AND setting LIKE 'statement\\_timeout=%' \
         ORDER BY r.rolname, s.setdatabase DESC",
    )
    .fetch_all(pool)
    .await
    .context("cannot read the roles' statement_timeout settings")?;
    Ok(rows.into_iter().collect())
}

fn error_response(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        e.body(),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED && e.code.starts_with("PGRST30") {
        let value = format!(
            "Bearer error=\"invalid_token\", error_description=\"{}\"",
            e.message.replace('"', "'")
        );
        if let Ok(v) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
    }
    response
}

async fn not_found() -> Response {
    error_response(&ApiError::new(
        404,
        "PGRST125",
        "Invalid path specified in request URL",
    ))
}

/// `GET /`: the OpenAPI description of the exposed schema, after the same token check as any
/// request (a bad token is 401 here too).
async fn root(State(rest): State<Rest>, request: Request) -> Response {
    match openapi(&rest, request).await {
        Ok(response) => response,
        Err(e) => error_response(&e),
    }
}

async fn openapi(rest: &Rest, request: Request) -> Result<Response, ApiError> {
    let config = &rest.inner.config;
    let head = match *request.method() {
        Method::GET => false,
        Method::HEAD => true,
        ref other => return Err(unsupported(other)),
    };
    let media = media::negotiate(
        accept_values(request.headers()),
        &[MediaType::OpenApi, MediaType::Json],
    )?;
    auth::identify(
        request.headers(),
        config.keys(),
        config.anon_role.as_deref(),
    )?;
    let cache = rest.current_cache().await?;
    let header_value = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
    };
    // The mount point, as the client sees it (`/rest/v1` behind the gateway).
    let full_path = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| request.uri().path(), |u| u.0.path());
    let base_path = match full_path.trim_end_matches('/') {
        "" => "/",
        path => path,
    };
    let document = appctl_rest::openapi::document(
        &cache,
        &config.schema,
        &appctl_rest::openapi::Server {
            host: header_value("x-forwarded-host").or_else(|| header_value("host")),
            base_path,
            scheme: match header_value("x-forwarded-proto") {
                Some("https") => "https",
                _ => "http",
            },
        },
    );
    let body = if head {
        Body::empty()
    } else {
        Body::from(document.to_string())
    };
    Response::builder()
        .header(header::CONTENT_TYPE, media.content_type())
        .body(body)
        .map_err(|e| ApiError::new(500, "PGRST000", e.to_string()))
}

/// What a request is about.
enum Target {
    Table(String),
    Rpc(String),
}

async fn table(State(rest): State<Rest>, Path(name): Path<String>, request: Request) -> Response {
    handle(rest, Target::Table(name), request).await
}

async fn rpc(State(rest): State<Rest>, Path(name): Path<String>, request: Request) -> Response {
    handle(rest, Target::Rpc(name), request).await
}

async fn handle(rest: Rest, target: Target, request: Request) -> Response {
    match serve(&rest, target, request).await {
        Ok(response) => response,
        Err(e) => error_response(&e),
    }
}

/// A built statement and how to answer with its row.
struct Plan {
    statement: Statement,
    /// `Prefer: count=planned|estimated` on a read.
    estimate: Option<Estimate>,
    kind: Kind,
    /// What the body is answered as (JSON, one object, CSV).
    media: MediaType,
    shape: Shape,
    read_only: bool,
    /// The root offset of a read, for `Content-Range`.
    offset: u64,
    return_: ReturnPreference,
    table: Option<String>,
}

/// How a read's total comes from the planner (PostgREST's `count=planned` and `estimated`).
struct Estimate {
    /// `EXPLAIN (FORMAT JSON)` of what the read counts.
    explain: Statement,
    /// `estimated`: the read with an exact count, run instead of `statement` when the planner
    /// expects at most `threshold` rows (`max_rows`): small counts are exact, large ones planned.
    exact: Option<(Statement, u64)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Read,
    Insert,
    Mutate,
    Rpc,
}

async fn serve(rest: &Rest, target: Target, request: Request) -> Result<Response, ApiError> {
    let config = &rest.inner.config;
    let (parts, body) = request.into_parts();
    let method = parts.method.clone();
    let head = method == Method::HEAD;
    if let Some(length) = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && length > config.max_body_bytes as u64
    {
        return Err(too_large(config.max_body_bytes));
    }
    let identity = auth::identify(&parts.headers, config.keys(), config.anon_role.as_deref())?;
    let body = axum::body::to_bytes(body, config.max_body_bytes)
        .await
        .map_err(|_| too_large(config.max_body_bytes))?;

    let cache = rest.current_cache().await?;
    let pairs: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let prefs = Preferences::parse(
        parts
            .headers
            .get_all("prefer")
            .iter()
            .filter_map(|v| v.to_str().ok()),
    )?;
    let media = media::negotiate(
        accept_values(&parts.headers),
        &[MediaType::Json, MediaType::SingularJson, MediaType::Csv],
    )?;
    let shape = Shape::from_preferences(&prefs, media == MediaType::SingularJson);
    let json_body = || -> Result<serde_json::Value, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::invalid_body("Empty or invalid json"));
        }
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::invalid_body(format!("Empty or invalid json: {e}")))
    };

    let plan = match target {
        Target::Table(name) => {
            let mut query = QueryParams::parse(&pairs, &|_| false)?;
            match method {
                Method::GET | Method::HEAD => {
                    let offset = read_range(&mut query, &parts.headers, config.max_rows)?;
                    Plan {
                        estimate: estimate(&cache, config, &name, &query, &prefs, shape)?,
                        statement: build::read(
                            &cache,
                            &config.schema,
                            &name,
                            &query,
                            Shape {
                                // `estimated` without a row cap has no threshold: exact.
                                count: shape.count
                                    || (prefs.count == Some(CountPreference::Estimated)
                                        && config.max_rows.is_none()),
                                ..shape
                            },
                        )?,
                        kind: Kind::Read,
                        media,
                        shape,
                        read_only: true,
                        offset,
                        return_: ReturnPreference::Representation,
                        table: Some(name),
                    }
                }
                Method::POST | Method::PATCH | Method::DELETE => {
                    let (schema, table) = (&config.schema, name.as_str());
                    let (statement, kind) = match method {
                        Method::POST => (
                            build::insert(
                                &cache,
                                schema,
                                table,
                                &query,
                                &prefs,
                                shape,
                                &json_body()?,
                            )?,
                            Kind::Insert,
                        ),
                        Method::PATCH => (
                            build::update(
                                &cache,
                                schema,
                                table,
                                &query,
                                &prefs,
                                shape,
                                &json_body()?,
                            )?,
                            Kind::Mutate,
                        ),
                        _ => (
                            build::delete(&cache, schema, table, &query, &prefs, shape)?,
                            Kind::Mutate,
                        ),
                    };
                    Plan {
                        estimate: None,
                        statement,
                        kind,
                        media,
                        shape,
                        read_only: false,
                        offset: 0,
                        return_: prefs.return_.unwrap_or(ReturnPreference::Minimal),
                        table: Some(name),
                    }
                }
                other => return Err(unsupported(&other)),
            }
        }
        Target::Rpc(name) => {
            let is_get = matches!(method, Method::GET | Method::HEAD);
            if !is_get && method != Method::POST {
                return Err(unsupported(&method));
            }
            let is_arg = |key: &str| {
                is_get
                    && cache
                        .functions_named(&config.schema, &name)
                        .any(|f| f.args.iter().any(|a| a.name == key))
            };
            let mut query = QueryParams::parse(&pairs, &is_arg)?;
            let offset = read_range(&mut query, &parts.headers, config.max_rows)?;
            let body_value;
            let args = if is_get {
                RpcArgs::Query(&query.rpc_args)
            } else {
                body_value = if body.iter().all(u8::is_ascii_whitespace) {
                    serde_json::Value::Object(serde_json::Map::new())
                } else {
                    json_body()?
                };
                RpcArgs::Body(&body_value)
            };
            Plan {
                estimate: None,
                statement: build::rpc(&cache, &config.schema, &name, &query, &prefs, shape, args)?,
                kind: Kind::Rpc,
                media,
                shape,
                read_only: is_get,
                offset,
                return_: ReturnPreference::Representation,
                table: None,
            }
        }
    };

    let timeout = rest.statement_timeout(&identity.role);
    let row = run(config, &identity, &parts, &plan, timeout).await?;
    let mut response = respond(&plan, row)?;
    if head {
        *response.body_mut() = Body::empty();
    }
    Ok(response)
}

/// The planner's part of a read's count, when `Prefer` asks for one.
fn estimate(
    cache: &SchemaCache,
    config: &RestConfig,
    table: &str,
    query: &QueryParams,
    prefs: &Preferences,
    shape: Shape,
) -> Result<Option<Estimate>, ApiError> {
    let exact = match prefs.count {
        Some(CountPreference::Planned) => None,
        // Without a row cap there is no threshold: PostgREST counts exactly then too.
        Some(CountPreference::Estimated) => match config.max_rows {
            Some(threshold) => {
                let counted = Shape {
                    count: true,
                    ..shape
                };
                Some((
                    build::read(cache, &config.schema, table, query, counted)?,
                    threshold,
                ))
            }
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    Ok(Some(Estimate {
        explain: build::planned_count(cache, &config.schema, table, query)?,
        exact,
    }))
}

fn accept_values(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        413,
        "APPCTL413",
        format!("The request body is larger than the limit of {limit} bytes"),
    )
}

fn unsupported(method: &Method) -> ApiError {
    ApiError::new(
        405,
        "PGRST117",
        format!("Unsupported HTTP method: {method}"),
    )
}

/// Applies a `Range` header (when the query string gives no root range) and `max_rows`; answers
/// the root offset.
fn read_range(
    query: &mut QueryParams,
    headers: &HeaderMap,
    max_rows: Option<u64>,
) -> Result<u64, ApiError> {
    let root: Vec<String> = Vec::new();
    if !query.ranges.contains_key(&root)
        && let Some(range) = headers.get(header::RANGE).and_then(|v| v.to_str().ok())
    {
        query
            .ranges
            .insert(root.clone(), parse::parse_range_header(range)?);
    }
    let range = query.ranges.entry(root).or_default();
    if let Some(max) = max_rows {
        range.limit = Some(range.limit.map_or(max, |l| l.min(max)));
    }
    Ok(range.offset.unwrap_or(0))
}

/// The statement's one row.
struct Answer {
    total: Option<i64>,
    page_total: i64,
    body: Option<String>,
}

async fn run(
    config: &RestConfig,
    identity: &Identity,
    parts: &axum::http::request::Parts,
    plan: &Plan,
    statement_timeout: Option<String>,
) -> Result<Answer, ApiError> {
    let db = |e: sqlx::Error| db_error(e, identity.authenticated);
    let mut tx = config.pool.begin().await.map_err(db)?;
    let headers: serde_json::Map<String, serde_json::Value> = parts
        .headers
        .iter()
        .filter_map(|(name, value)| {
            Some((
                name.as_str().to_string(),
                serde_json::Value::String(value.to_str().ok()?.to_string()),
            ))
        })
        .collect();
    sqlx::query(
        "SELECT pg_catalog.set_config('search_path', $1, true), \
                pg_catalog.set_config('role', $2, true), \
                pg_catalog.set_config('request.jwt.claims', $3, true), \
                pg_catalog.set_config('request.method', $4, true), \
                pg_catalog.set_config('request.path', $5, true), \
                pg_catalog.set_config('request.headers', $6, true), \
                pg_catalog.set_config('statement_timeout', \
                    coalesce($7, pg_catalog.current_setting('statement_timeout')), true), \
                CASE WHEN $8 THEN pg_catalog.set_config('transaction_read_only', 'on', true) END",
    )
    .bind(build::ident(&config.schema))
    .bind(&identity.role)
    .bind(identity.claims.to_string())
    .bind(parts.method.as_str())
    .bind(parts.uri.path())
    .bind(serde_json::Value::Object(headers).to_string())
    .bind(statement_timeout)
    // GET and HEAD run read only; set here rather than by its own statement: one round trip less.
    .bind(plan.read_only)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let mut statement = &plan.statement;
    let mut planned = None;
    if let Some(estimate) = &plan.estimate {
        let explained: serde_json::Value =
            bind(sqlx::query_scalar(&estimate.explain.sql), &estimate.explain)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        let rows = build::plan_rows(&explained)
            .ok_or_else(|| ApiError::new(500, "PGRST000", "EXPLAIN answered no row estimate"))?;
        match &estimate.exact {
            Some((exact, threshold)) if rows <= *threshold => statement = exact,
            _ => planned = Some(rows as i64),
        }
    }
    let row = bind(sqlx::query(&statement.sql), statement)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let answer = Answer {
        total: row
            .try_get::<Option<i64>, _>("total_result_set")
            .map_err(db)?
            .or(planned),
        page_total: row.try_get("page_total").map_err(db)?,
        body: row.try_get("body").map_err(db)?,
    };
    if plan.shape.singular && answer.page_total != 1 {
        tx.rollback().await.map_err(db)?;
        return Err(ApiError::not_singular(answer.page_total.max(0) as u64));
    }
    tx.commit().await.map_err(db)?;
    Ok(answer)
}

/// `query` with the statement's parameters bound, each as text.
fn bind<'q, Q: BindText<'q>>(query: Q, statement: &'q Statement) -> Q {
    statement
        .params
        .iter()
        .fold(query, |query, param| query.bind_text(param.as_str()))
}

/// sqlx's `query` and `query_scalar` both bind; this names what [`bind`] needs of them.
trait BindText<'q> {
    fn bind_text(self, value: &'q str) -> Self;
}

impl<'q> BindText<'q> for sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    fn bind_text(self, value: &'q str) -> Self {
        self.bind(value)
    }
}

impl<'q, O> BindText<'q>
    for sqlx::query::QueryScalar<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>
{
    fn bind_text(self, value: &'q str) -> Self {
        self.bind(value)
    }
}

fn db_error(e: sqlx::Error, authenticated: bool) -> ApiError {
    match e {
        sqlx::Error::Database(db) => {
            match db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                Some(pg) => ApiError::from_postgres(
                    pg.code(),
                    pg.message(),
                    pg.detail().map(str::to_string),
                    pg.hint().map(str::to_string),
                    authenticated,
                ),
                None => ApiError::from_postgres(
                    db.code().as_deref().unwrap_or("XX000"),
                    db.message(),
                    None,
                    None,
                    authenticated,
                ),
            }
        }
        sqlx::Error::PoolTimedOut => ApiError::new(
            504,
            "PGRST003",
            "Timed out acquiring connection from connection pool.",
        ),
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolClosed => ApiError::new(
            503,
            "PGRST000",
            "Database connection error. Retrying the connection.",
        )
        .with_details(e.to_string()),
        other => ApiError::new(500, "PGRST000", "Database error").with_details(other.to_string()),
    }
}

fn respond(plan: &Plan, answer: Answer) -> Result<Response, ApiError> {
    let content_type = plan.media.content_type();
    let page = answer.page_total.max(0) as u64;
    let total = answer.total.map(|t| t.max(0) as u64);
    let range = |offset: u64| {
        let total_text = total.map_or("*".to_string(), |t| t.to_string());
        if page == 0 {
            format!("*/{total_text}")
        } else {
            format!("{}-{}/{total_text}", offset, offset + page - 1)
        }
    };
    let mut builder = Response::builder();
    let status = match plan.kind {
        Kind::Read | Kind::Rpc => {
            builder = builder.header(header::CONTENT_RANGE, range(plan.offset));
            match (plan.kind, &answer.body) {
                (Kind::Rpc, None) => StatusCode::NO_CONTENT,
                _ => match total {
                    Some(t) if page > 0 && plan.offset + page < t => StatusCode::PARTIAL_CONTENT,
                    Some(t) if plan.offset > 0 && plan.offset >= t && t > 0 => {
                        StatusCode::RANGE_NOT_SATISFIABLE
                    }
                    _ => StatusCode::OK,
                },
            }
        }
        Kind::Insert => {
            builder = builder.header(header::CONTENT_RANGE, range(0));
            if plan.return_ == ReturnPreference::HeadersOnly
                && let (Some(table), Some(body)) = (&plan.table, &answer.body)
                && let Some(location) = location(table, body)
            {
                builder = builder.header(header::LOCATION, location);
            }
            StatusCode::CREATED
        }
        Kind::Mutate => {
            builder = builder.header(header::CONTENT_RANGE, range(0));
            if plan.return_ == ReturnPreference::Representation {
                StatusCode::OK
            } else {
                StatusCode::NO_CONTENT
            }
        }
    };
    let body = match (&answer.body, plan.return_) {
        (Some(body), ReturnPreference::Representation) if status != StatusCode::NO_CONTENT => {
            builder = builder.header(header::CONTENT_TYPE, content_type);
            if plan.media == MediaType::Csv {
                Body::from(appctl_rest::csv::from_json(body)?)
            } else {
                Body::from(body.clone())
            }
        }
        _ => Body::empty(),
    };
    builder
        .status(status)
        .body(body)
        .map_err(|e| ApiError::new(500, "PGRST000", e.to_string()))
}

/// `Location: /table?pk=eq.value` from the first row of a `return=headers-only` answer.
fn location(table: &str, body: &str) -> Option<String> {
    let rows: serde_json::Value = serde_json::from_str(body).ok()?;
    let first = match &rows {
        serde_json::Value::Array(items) => items.first()?,
        other => other,
    };
    let object = first.as_object()?;
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in object {
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        query.append_pair(key, &format!("eq.{text}"));
    }
    Some(format!(
        "/{}?{}",
        url::form_urlencoded::byte_serialize(table.as_bytes()).collect::<String>(),
        query.finish()
    ))
}
