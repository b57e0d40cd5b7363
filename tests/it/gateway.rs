//! The gateway routes `/rest/v1`, `/auth/v1` and `/storage/v1` to their services: path and query
//! kept, hop-by-hop headers dropped, bodies streamed both ways, status passed through; a disabled
//! service is a 503 that says so. The upstream is a real HTTP server on 127.0.0.1.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use appctl::gateway::{Caller, FunctionRoute, GatewayConfig, may_execute};

const SECRET: &str = "a test secret of the stack";

fn sign(claims: serde_json::Value, secret: &str) -> String {
    appctl::jwt::sign(claims, secret).unwrap()
}

#[test]
fn execute_rules_decide_who_may_call() {
    let rules = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let anon = Caller {
        role: "anon".into(),
        sub: None,
    };
    let alice = Caller {
        role: "authenticated".into(),
        sub: Some("11111111-1111-1111-1111-111111111111".into()),
    };
    let service = Caller {
        role: "service_role".into(),
        sub: None,
    };
    assert!(may_execute(&rules(&["any"]), &anon));
    assert!(may_execute(&rules(&["guests"]), &anon));
    assert!(!may_execute(&rules(&["users"]), &anon));
    assert!(may_execute(&rules(&["users"]), &alice));
    assert!(!may_execute(&rules(&["guests"]), &alice));
    assert!(may_execute(
        &rules(&["user:11111111-1111-1111-1111-111111111111"]),
        &alice
    ));
    assert!(!may_execute(
        &rules(&["user:22222222-2222-2222-2222-222222222222"]),
        &alice
    ));
    assert!(
        may_execute(&rules(&[]), &service),
        "the service role passes, as it bypasses RLS"
    );
    assert!(!may_execute(
        &rules(&["any"]),
        &Caller {
            role: "postgres".into(),
            sub: None
        }
    ));
}

/// An upstream that echoes what it received as JSON, and answers 418 on /teapot.
async fn echo(request: Request) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    if parts.uri.path() == "/teapot" {
        return (StatusCode::IM_A_TEAPOT, "short and stout").into_response();
    }
    // A header sent twice shows both values, so a test sees a duplicate.
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in parts.headers.iter() {
        let value = v.to_str().unwrap_or("");
        headers
            .entry(k.to_string())
            .and_modify(|all| *all = format!("{all}, {value}"))
            .or_insert_with(|| value.to_string());
    }
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
        let functions = BTreeMap::from([
            (
                "hello".to_string(),
                FunctionRoute {
                    url: format!("{upstream_url}/fn"),
                    execute: vec!["users".to_string()],
                    timeout_ms: 5000,
                    schedule: None,
                },
            ),
            (
                "open".to_string(),
                FunctionRoute {
                    url: format!("{upstream_url}/open"),
                    execute: vec!["any".to_string()],
                    timeout_ms: 5000,
                    schedule: None,
                },
            ),
        ]);
        let config = GatewayConfig {
            listen: gateway.local_addr().unwrap(),
            upstreams: BTreeMap::from([("/rest/v1".to_string(), upstream_url.clone())]),
            functions,
            jwt_secret: Some(SECRET.to_string()),
            rest: None,
            auth: None,
        };
        let (stop_gateway, gateway_stopped) = tokio::sync::oneshot::channel::<()>();
        let gateway_task = tokio::spawn(appctl::gateway::serve_on(gateway, config, async {
            let _ = gateway_stopped.await;
        }));

        let client = appctl::tls::http_client().no_proxy().build().unwrap();
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

        // Functions: the token is checked against `execute` before the function is reached.
        let anon = sign(serde_json::json!({ "role": "anon" }), SECRET);
        let user = sign(
            serde_json::json!({ "role": "authenticated", "sub": "11111111-1111-1111-1111-111111111111" }),
            SECRET,
        );
        let forged = sign(serde_json::json!({ "role": "service_role" }), "another secret");
        let call = |token: Option<String>, path: &str| {
            let mut request = client.post(format!("{gateway_url}/functions/v1/{path}")).body("{}");
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request.send()
        };
        assert_eq!(call(None, "hello").await.unwrap().status(), 401);
        assert_eq!(call(Some(forged), "hello").await.unwrap().status(), 401);
        let denied = call(Some(anon.clone()), "hello").await.unwrap();
        assert_eq!(denied.status(), 403);
        assert!(denied.text().await.unwrap().contains("role `anon` may not execute `hello`"));
        let allowed = client
            .post(format!("{gateway_url}/functions/v1/hello/sub/path?x=1"))
            .bearer_auth(user)
            .header("x-appctl-role", "service_role")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(allowed.status(), 200);
        let echoed: serde_json::Value = allowed.json().await.unwrap();
        assert_eq!(echoed["uri"], "/fn/sub/path?x=1");
        assert_eq!(echoed["headers"]["x-appctl-role"], "authenticated");
        assert!(echoed["headers"]["authorization"].as_str().unwrap().starts_with("Bearer "));
        // The anon key sent as `apikey` (as Supabase clients do) is enough for `any`.
        let open = client
            .post(format!("{gateway_url}/functions/v1/open"))
            .header("apikey", anon)
            .send()
            .await
            .unwrap();
        assert_eq!(open.status(), 200);
        assert_eq!(call(None, "missing").await.unwrap().status(), 404);

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
