//! The gateway (`appctl gateway`, run in the stack as a container from the same binary): one URL for
//! the whole backend. `/rest/v1`, `/auth/v1` and `/storage/v1` are passed to their services as they
//! are, headers and streaming bodies included; `/health` says which upstreams it routes.
//! Functions (`/functions/v1/<name>`, with the `execute` check) come with issue #6.

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
}

impl GatewayConfig {
    /// From the environment the stack template gives the gateway container.
    pub fn from_env() -> anyhow::Result<GatewayConfig> {
        let port: u16 = std::env::var("PORT")
            .unwrap_or_else(|_| "8000".to_string())
            .parse()
            .context("PORT is not a port number")?;
        let upstreams = ROUTES
            .iter()
            .filter_map(|(prefix, var)| {
                let url = std::env::var(var).ok().filter(|u| !u.is_empty())?;
                Some((prefix.to_string(), url.trim_end_matches('/').to_string()))
            })
            .collect();
        Ok(GatewayConfig {
            listen: SocketAddr::from(([0, 0, 0, 0], port)),
            upstreams,
        })
    }
}

#[derive(Clone)]
struct Gateway {
    upstreams: BTreeMap<String, String>,
    client: reqwest::Client,
}

/// Serves until `shutdown` completes.
pub async fn serve(
    config: GatewayConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    serve_on(listener, config.upstreams, shutdown).await
}

pub async fn serve_on(
    listener: tokio::net::TcpListener,
    upstreams: BTreeMap<String, String>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let app = Router::new()
        .route("/health", get(health))
        .fallback(proxy)
        .with_state(Gateway { upstreams, client });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .context("the gateway stopped")
}

async fn health(State(gateway): State<Gateway>) -> Response {
    let routes: Vec<&String> = gateway.upstreams.keys().collect();
    axum::Json(serde_json::json!({ "status": "ok", "routes": routes })).into_response()
}

async fn proxy(State(gateway): State<Gateway>, request: Request) -> Response {
    let path = request.uri().path().to_string();
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
            None if path.starts_with("/functions/v1/") => error(
                StatusCode::NOT_IMPLEMENTED,
                "functions are not routed by this gateway yet",
            ),
            None => error(StatusCode::NOT_FOUND, &format!("no route for {path}")),
        };
    };
    let rest = &path[prefix.len()..];
    let query = request
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let url = format!("{upstream}{rest}{query}");
    let method = request.method().clone();
    let headers = forwarded(request.headers());
    let body = reqwest::Body::wrap_stream(request.into_body().into_data_stream());
    let answer = gateway
        .client
        .request(method, &url)
        .headers(headers)
        .body(body)
        .send()
        .await;
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
        Err(e) => error(
            StatusCode::BAD_GATEWAY,
            &format!("{prefix}: upstream did not answer: {e}"),
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

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}
