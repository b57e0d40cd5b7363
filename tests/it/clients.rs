//! The official client against appctl: `@supabase/supabase-js` (pinned in
//! tests/clients/package-lock.json, installed by scripts/test.sh with `npm ci`) runs
//! tests/clients/rest.test.mjs against `appctl gateway` serving `/rest/v1` itself.
//!
//! The stack is the one `render compose` describes, run natively: PostgreSQL 18 (pgvector) with the
//! ai-chat template deployed by `appctl deploy --bootstrap` (which, given
//! `APPCTL_AUTHENTICATOR_PASSWORD` and `APPCTL_AUTH_PASSWORD`, makes bootstrap's `authenticator`
//! and `supabase_auth_admin` roles logins), users in `auth.users`, the template's `chat` function run by node, and the gateway process connected as
//! `authenticator` and routing `/functions/v1/chat`. The node suite gets the
//! gateway's URL, the anon and service keys and the users' tokens in its environment.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::cli::{command, describe};
use crate::support::pg::PgServer;

const SECRET: &str = "client-suite-secret-at-least-32-bytes-long";
const AUTHENTICATOR_PASSWORD: &str = "client-suite-authenticator";
const AUTH_ADMIN_PASSWORD: &str = "client-suite-auth-admin";
const ALICE: &str = "11111111-1111-4111-8111-111111111111";
const BOB: &str = "22222222-2222-4222-8222-222222222222";
/// The user of tests/clients/functions.test.mjs, so it shares no rows with the REST suite.
const CAROL: &str = "33333333-3333-4333-8333-333333333333";
/// The REST body limit the gateway gets, so the suite's oversized body stays small.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Functions the template does not declare yet (database functions are their own issue): created
/// by hand so the suite can call `rpc()`.
const FUNCTIONS: &str = r#"
create function public.my_thread_count() returns bigint language sql stable
  as $$ select count(*) from public.threads $$;
create function public.threads_titled(prefix text) returns setof public.threads language sql stable
  as $$ select * from public.threads where title like prefix || '%' $$;
create function public.rename_thread(thread uuid, new_title text) returns public.threads language sql volatile
  as $$ update public.threads set title = new_title where id = thread returning * $$;
revoke execute on function public.my_thread_count(), public.threads_titled(text), public.rename_thread(uuid, text) from public;
grant execute on function public.my_thread_count(), public.threads_titled(text), public.rename_thread(uuid, text) to authenticated, service_role;
"#;

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (at most 20 s) for the gateway's `/health`.
fn wait_healthy(base: &str, gateway: &mut Running) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _inside = runtime.enter();
    let client = appctl::tls::http_client()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    loop {
        let health = runtime.block_on(client.get(format!("{base}/health")).send());
        if health.is_ok_and(|answer| answer.status().is_success()) {
            return;
        }
        if let Ok(Some(status)) = gateway.0.try_wait() {
            panic!("the gateway exited: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "the gateway never became healthy"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn token(claims: serde_json::Value) -> String {
    appctl::jwt::sign(claims, SECRET).unwrap()
}

#[test]
fn supabase_js_speaks_to_the_gateways_rest_service() {
    let node_modules = clients_dir().join("node_modules/@supabase/supabase-js");
    assert!(
        node_modules.is_dir(),
        "{} is missing: run `npm ci` in tests/clients (scripts/test.sh does)",
        node_modules.display()
    );
    let Some(server) = PgServer::pg18() else {
        eprintln!("skipped: PostgreSQL 18 with pgvector is not installed");
        return;
    };
    let project = tempfile::tempdir().unwrap();
    let init = command(project.path())
        .args([
            "init",
            "app",
            "--template",
            "ai-chat",
            "--name",
            "acme",
            "--yes",
        ])
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", describe(&init));
    let app = project.path().join("app");
    std::fs::copy(app.join(".env.example"), app.join(".env")).unwrap();

    let url = server.create_database("clients");
    let deploy = command(&app)
        .args(["deploy", "--bootstrap", "--yes", "--database-url", &url])
        .env("APPCTL_AUTHENTICATOR_PASSWORD", AUTHENTICATOR_PASSWORD)
        .env("APPCTL_AUTH_PASSWORD", AUTH_ADMIN_PASSWORD)
        .output()
        .unwrap();
    assert!(deploy.status.success(), "{}", describe(&deploy));
    server.psql(
        &url,
        &format!(
            "insert into auth.users (id, email, role, aud) values \
             ('{ALICE}', 'alice@example.com', 'authenticated', 'authenticated'), \
             ('{BOB}', 'bob@example.com', 'authenticated', 'authenticated'), \
             ('{CAROL}', 'carol@example.com', 'authenticated', 'authenticated');
             {FUNCTIONS}"
        ),
    );

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    // The template's chat function, as its container would run it: node on its entrypoint, the
    // gateway as its API, no model key (it answers offline).
    let chat_port = free_port();
    let _chat = Running(
        Command::new("node")
            .arg(app.join("functions/chat/index.js"))
            .env("PORT", chat_port.to_string())
            .env("APPCTL_API_URL", &base)
            .env("OPENAI_API_KEY", "")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let functions = serde_json::json!({
        "chat": { "url": format!("http://127.0.0.1:{chat_port}"), "execute": ["users"], "timeout_ms": 60000 },
    });
    let mut gateway = Running(
        command(&app)
            .arg("gateway")
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("APPCTL_JWT_SECRET", SECRET)
            .env(
                "APPCTL_REST_DB_URL",
                format!(
                    "postgres://authenticator:{AUTHENTICATOR_PASSWORD}@127.0.0.1:{}/clients",
                    server.port()
                ),
            )
            .env("APPCTL_REST_SCHEMA", "public")
            .env("APPCTL_REST_MAX_BODY_BYTES", MAX_BODY_BYTES.to_string())
            .env("APPCTL_FUNCTIONS", functions.to_string())
            .env(
                "APPCTL_AUTH_DB_URL",
                format!(
                    "postgres://supabase_auth_admin:{AUTH_ADMIN_PASSWORD}@127.0.0.1:{}/clients",
                    server.port()
                ),
            )
            .env("APPCTL_AUTH_ISSUER", format!("{base}/auth/v1"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    wait_healthy(&base, &mut gateway);

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let user = |sub: &str| {
        token(serde_json::json!({
            "role": "authenticated", "aud": "authenticated", "sub": sub, "iat": now, "exp": now + 3600,
        }))
    };
    let expired = token(serde_json::json!({
        "role": "authenticated", "sub": ALICE, "iat": now - 7200, "exp": now - 3600,
    }));
    let other_secret = appctl::jwt::sign(
        serde_json::json!({ "role": "service_role", "exp": now + 3600 }),
        "another-secret-that-is-32-bytes-long!!",
    )
    .unwrap();
    let suite = Command::new("node")
        .args([
            "--test",
            "--test-reporter=spec",
            "--test-timeout=60000",
            "rest.test.mjs",
            "functions.test.mjs",
            "auth.test.mjs",
        ])
        .current_dir(clients_dir())
        .env("APPCTL_URL", &base)
        .env(
            "APPCTL_ANON_KEY",
            appctl::jwt::sign_role_key("anon", SECRET).unwrap(),
        )
        .env(
            "APPCTL_SERVICE_KEY",
            appctl::jwt::sign_role_key("service_role", SECRET).unwrap(),
        )
        .env("APPCTL_USER_A", ALICE)
        .env("APPCTL_USER_B", BOB)
        .env("APPCTL_TOKEN_A", user(ALICE))
        .env("APPCTL_TOKEN_B", user(BOB))
        .env("APPCTL_USER_C", CAROL)
        .env("APPCTL_TOKEN_C", user(CAROL))
        .env("APPCTL_TOKEN_EXPIRED", expired)
        .env("APPCTL_TOKEN_OTHER_SECRET", other_secret)
        .env("APPCTL_MAX_BODY_BYTES", MAX_BODY_BYTES.to_string())
        .output()
        .unwrap();
    let report = describe(&suite);
    println!("{report}");
    assert!(
        suite.status.success(),
        "the supabase-js suite failed:\n{report}"
    );
    // The hostile cases left the schema as it was, and the gateway still answers.
    assert_eq!(
        server.psql(
            &url,
            "select count(*) from pg_tables where schemaname = 'public'"
        ),
        "5"
    );
    wait_healthy(&base, &mut gateway);
}
