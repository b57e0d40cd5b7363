//! The gateway routes `/rest/v1`, `/auth/v1` and `/storage/v1` to their services: path and query
//! kept, hop-by-hop headers dropped, bodies streamed both ways, status passed through; a disabled
//! service is a 503 that says so. The upstream is a real HTTP server on 127.0.0.1.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::IntoResponse;

/// An upstream that echoes what it received as JSON, and answers 418 on /teapot.
async fn echo(request: Request) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    if parts.uri.path() == "/teapot" {
        return (StatusCode::IM_A_TEAPOT, "short and stout").into_response();
    }
    let headers: BTreeMap<String, String> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    axum::Json(serde_json::json!({
        "method": parts.method.as_str(),
        "uri": parts.uri.to_string(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    }))
    .into_response()
}

#[test]
fn the_gateway_passes_requests_to_the_services_that_run() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream_url = format!("http://{}", upstream.local_addr().unwrap());
        let (stop_upstream, upstream_stopped) = tokio::sync::oneshot::channel::<()>();
        let upstream_task = tokio::spawn(async move {
            axum::serve(upstream, Router::new().fallback(echo))
                .with_graceful_shutdown(async {
                    let _ = upstream_stopped.await;
                })
                .await
                .unwrap();
        });

        let gateway = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway_url = format!("http://{}", gateway.local_addr().unwrap());
        let routes = BTreeMap::from([("/rest/v1".to_string(), upstream_url.clone())]);
        let (stop_gateway, gateway_stopped) = tokio::sync::oneshot::channel::<()>();
        let gateway_task = tokio::spawn(appctl::gateway::serve_on(gateway, routes, async {
            let _ = gateway_stopped.await;
        }));

        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let health: serde_json::Value = client
            .get(format!("{gateway_url}/health"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(health["routes"], serde_json::json!(["/rest/v1"]));

        let answer = client
            .post(format!(
                "{gateway_url}/rest/v1/threads?select=id,title&order=id"
            ))
            .header("authorization", "Bearer abc")
            .header("prefer", "return=representation")
            .header("connection", "keep-alive, x-drop-me")
            .body("{\"title\": \"héllo\"}")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let echoed: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(echoed["method"], "POST");
        assert_eq!(echoed["uri"], "/threads?select=id,title&order=id");
        assert_eq!(echoed["headers"]["authorization"], "Bearer abc");
        assert_eq!(echoed["headers"]["prefer"], "return=representation");
        assert_eq!(echoed["body"], "{\"title\": \"héllo\"}");
        assert!(
            echoed["headers"]
                .get("connection")
                .is_none_or(|c| c != "keep-alive, x-drop-me")
        );

        // Status and body pass through as they are.
        let teapot = client
            .get(format!("{gateway_url}/rest/v1/teapot"))
            .send()
            .await
            .unwrap();
        assert_eq!(teapot.status(), 418);
        assert_eq!(teapot.text().await.unwrap(), "short and stout");

        // A large body streams through unchanged.
        let big = "x".repeat(600_000);
        let echoed: serde_json::Value = client
            .put(format!("{gateway_url}/rest/v1/big"))
            .body(big.clone())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(echoed["body"].as_str().unwrap().len(), big.len());

        // A service left out of the stack, an unknown path, and a dead upstream.
        let auth = client
            .get(format!("{gateway_url}/auth/v1/user"))
            .send()
            .await
            .unwrap();
        assert_eq!(auth.status(), 503);
        assert!(
            auth.text()
                .await
                .unwrap()
                .contains("/auth/v1 is not part of this stack")
        );
        let unknown = client
            .get(format!("{gateway_url}/nope"))
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.status(), 404);
        stop_upstream.send(()).unwrap();
        upstream_task.await.unwrap();
        let dead = client
            .get(format!("{gateway_url}/rest/v1/threads"))
            .send()
            .await
            .unwrap();
        assert_eq!(dead.status(), 502);

        stop_gateway.send(()).unwrap();
        gateway_task.await.unwrap().unwrap();
    });
}
