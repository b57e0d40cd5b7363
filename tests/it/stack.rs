//! `appctl up / status / logs / down` end to end against a real Docker engine with the air-gapped
//! images of images/build.sh (no registry here). The stack runs db and gateway; rest, auth, storage
//! and functions are left out with the `stack:` overrides a user behind a VPC would write.
//!
//! Needs a Docker engine and the images; without them the tests say so and pass, unless
//! APPCTL_REQUIRE_DOCKER=1 (set by scripts/test.sh, as in CI), which makes their absence a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("the docker client runs")
}

fn docker_text(args: &[&str]) -> String {
    let out = docker(args);
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The image tags images/build.sh wrote.
fn image(name: &str) -> Option<String> {
    let env =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("images/images.env"))
            .ok()?;
    env.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .map(|v| v.trim().to_string())
}

struct Images {
    db: String,
    gateway: String,
    node: String,
    python: String,
}

/// The db image, and a gateway image holding the appctl under test (built once per test run on
/// top of images/build.sh's gateway image). `None` when the engine or the images are missing.
/// A test's prerequisite is missing: a failure under APPCTL_REQUIRE_DOCKER=1 (as in CI), else the
/// test skips, saying why.
fn skip_unless_required(why: &str) {
    assert!(
        std::env::var("APPCTL_REQUIRE_DOCKER").as_deref() != Ok("1"),
        "APPCTL_REQUIRE_DOCKER=1 but {why}"
    );
    eprintln!("skipping: {why}");
}

fn images() -> Option<&'static Images> {
    static IMAGES: OnceLock<Option<Images>> = OnceLock::new();
    IMAGES
        .get_or_init(|| {
            let missing = |why: String| {
                skip_unless_required(&format!("the Docker tests: {why}"));
                None
            };
            let info = Command::new("docker")
                .args(["info", "--format", "{{.ServerVersion}}"])
                .output();
            if !info.is_ok_and(|o| o.status.success()) {
                return missing("no Docker engine answers (start dockerd)".into());
            }
            let (Some(db), Some(base), Some(node), Some(python)) = (
                image("DB_IMAGE"),
                image("GATEWAY_IMAGE"),
                image("NODE_20_IMAGE"),
                image("PYTHON_IMAGE"),
            ) else {
                return missing("images/images.env lacks an image (run images/build.sh)".into());
            };
            for tag in [&db, &base, &node, &python] {
                if !docker(&["image", "inspect", tag]).status.success() {
                    return missing(format!("image {tag} is not built (run images/build.sh)"));
                }
            }
            Some(Images {
                db,
                gateway: gateway_image_with_this_appctl(&base),
                node,
                python,
            })
        })
        .as_ref()
}

fn gateway_image_with_this_appctl(base: &str) -> String {
    let context = tempfile::tempdir().unwrap();
    let binary = context.path().join("appctl");
    let stripped = Command::new("objcopy")
        .args(["--strip-debug", env!("CARGO_BIN_EXE_appctl")])
        .arg(&binary)
        .status()
        .is_ok_and(|s| s.success());
    if !stripped {
        std::fs::copy(env!("CARGO_BIN_EXE_appctl"), &binary).unwrap();
    }
    std::fs::write(
        context.path().join("Dockerfile"),
        format!("FROM {base}\nCOPY appctl /usr/local/bin/appctl\n"),
    )
    .unwrap();
    let tag = "appctl.local/gateway:under-test";
    let out = Command::new("docker")
        .env("DOCKER_BUILDKIT", "0")
        .args(["build", "-q", "-t", tag])
        .arg(context.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    tag.to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A project made by `appctl init --template ai-chat`, with its own name and ports.
struct Project {
    _dir: tempfile::TempDir,
    path: PathBuf,
    name: String,
    db_port: u16,
    gateway_port: u16,
}

impl Project {
    fn new(tag: &str, images: &Images) -> Project {
        let dir = tempfile::tempdir().unwrap();
        let name = format!("e2e-{tag}-{}", std::process::id());
        let out = appctl(
            dir.path(),
            &[
                "init",
                "app",
                "--template",
                "ai-chat",
                "--name",
                &name,
                "--yes",
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let path = dir.path().join("app");
        std::fs::copy(path.join(".env.example"), path.join(".env")).unwrap();
        let project = Project {
            _dir: dir,
            path,
            name,
            db_port: free_port(),
            gateway_port: free_port(),
        };
        project.set_stack(images, "");
        project
    }

    /// Rewrites the `stack:` section; `extra_gateway` goes into the gateway's overrides.
    fn set_stack(&self, images: &Images, extra_gateway: &str) {
        let file = self.path.join("appctl.yaml");
        let text = std::fs::read_to_string(&file).unwrap();
        let text = match text.find("\nstack:") {
            Some(at) => text[..at + 1].to_string(),
            None => text,
        };
        let stack = format!(
            "stack:\n  db: {{ image: \"{}\", port: {} }}\n  gateway: {{ image: \"{}\", port: {}{extra_gateway} }}\n  \
             storage: {{ enabled: false }}\n  functions: {{ enabled: false }}\n",
            images.db, self.db_port, images.gateway, self.gateway_port
        );
        std::fs::write(&file, format!("{text}{stack}")).unwrap();
    }

    fn appctl(&self, args: &[&str]) -> Output {
        appctl(&self.path, args)
    }

    fn password(&self) -> String {
        self.secret("db_password")
    }

    /// A value of `.appctl/secrets.json`.
    fn secret(&self, name: &str) -> String {
        let text = std::fs::read_to_string(self.path.join(".appctl/secrets.json")).unwrap();
        let secrets: serde_json::Value = serde_json::from_str(&text).unwrap();
        secrets[name].as_str().unwrap().to_string()
    }

    /// psql against the containerised db through its published port.
    fn psql(&self, sql: &str) -> Result<String, String> {
        let url = format!(
            "postgres://postgres:{}@127.0.0.1:{}/postgres",
            self.password(),
            self.db_port
        );
        let out = Command::new(psql())
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                &url,
                "-c",
                sql,
            ])
            .output()
            .unwrap();
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).to_string())
        }
    }

    /// Container ids by service, from the engine.
    fn containers(&self) -> Vec<(String, String)> {
        let text = docker_text(&[
            "ps",
            "-a",
            "--filter",
            &format!("label=dev.appctl.project={}", self.name),
            "--format",
            "{{.Label \"dev.appctl.service\"}} {{.ID}}",
        ]);
        let mut list: Vec<(String, String)> = text
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(s, id)| (s.to_string(), id.to_string()))
            .collect();
        list.sort();
        list
    }

    fn leftovers(&self) -> (String, String, String) {
        let label = format!("label=dev.appctl.project={}", self.name);
        (
            docker_text(&["ps", "-aq", "--filter", &label]),
            docker_text(&["network", "ls", "-q", "--filter", &label]),
            docker_text(&["volume", "ls", "-q", "--filter", &label]),
        )
    }
}

impl Drop for Project {
    /// Whatever a test started, it stops, even when it failed half-way.
    fn drop(&mut self) {
        let _ = self.appctl(&["down", "--volumes"]);
    }
}

fn psql() -> PathBuf {
    let debian = PathBuf::from("/usr/lib/postgresql/15/bin/psql");
    if debian.is_file() {
        debian
    } else {
        PathBuf::from("psql")
    }
}

fn appctl(dir: &Path, args: &[&str]) -> Output {
    appctl_command(dir, args).output().unwrap()
}

fn appctl_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = crate::support::cli::command(dir);
    command.args(args).env("APPCTL_PULL", "never");
    command
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", text(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

#[test]
fn up_applies_the_project_reruns_touch_nothing_and_down_leaves_nothing() {
    let Some(images) = images() else { return };
    let project = Project::new("main", images);

    // Cold: both services created, the schema applied through the published port.
    let first = json(&project.appctl(&["up", "--json"]));
    assert_eq!(first["services"].as_array().unwrap().len(), 2, "{first}");
    assert!(
        first["services"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["action"] == "created")
    );
    assert!(first["schema"]["create"].as_u64().unwrap() > 10, "{first}");
    let tables = project
        .psql("select string_agg(tablename, ',' order by tablename) from pg_tables where schemaname = 'public'")
        .unwrap();
    assert_eq!(tables, "chunks,documents,messages,threads,tool_calls");
    // The vector column and its HNSW index exist in the container's PostgreSQL 18.
    let hnsw = project
        .psql("select count(*) from pg_indexes where schemaname = 'public' and indexdef like '%USING hnsw%'")
        .unwrap();
    assert_ne!(hnsw, "0");

    // Permissions are enforced in the containerised db: an owner sees their thread, another user
    // and anon do not, and anon cannot write.
    let alice = "11111111-1111-1111-1111-111111111111";
    let bob = "22222222-2222-2222-2222-222222222222";
    project
        .psql(&format!(
            "insert into auth.users (id) values ('{alice}'), ('{bob}'); \
             insert into threads (owner_id, title) values ('{alice}', 'hello')"
        ))
        .unwrap();
    let as_user = |sub: &str, sql: &str| {
        project.psql(&format!(
            "begin; set local role authenticated; \
             select set_config('request.jwt.claims', '{{\"role\":\"authenticated\",\"sub\":\"{sub}\"}}', true); \
             {sql}; commit"
        ))
    };
    assert!(
        as_user(alice, "select count(*) from threads")
            .unwrap()
            .ends_with('1')
    );
    assert!(
        as_user(bob, "select count(*) from threads")
            .unwrap()
            .ends_with('0')
    );
    let anon = project.psql(
        "begin; set local role anon; insert into threads (owner_id, title) values (gen_random_uuid(), 'x'); commit",
    );
    assert!(anon.unwrap_err().contains("permission denied"));

    // The gateway answers on its published port, and serves /rest/v1 itself as `authenticator`
    // (bootstrap's role, given its login by `up`): RLS decides what each token sees.
    let health = reqwest_get(project.gateway_port, "/health");
    assert!(health.contains("\"status\":\"ok\""), "{health}");
    assert!(health.contains("/rest/v1"), "{health}");
    let rest = |token: &str, path: &str| {
        reqwest_get_with(
            project.gateway_port,
            &format!("/rest/v1{path}"),
            &format!("Authorization: Bearer {token}"),
        )
    };
    let secret = project.secret("jwt_secret");
    let alice_token = appctl::jwt::sign_user_token(alice, &secret).unwrap();
    let bob_token = appctl::jwt::sign_user_token(bob, &secret).unwrap();
    let threads = rest(&alice_token, "/threads?select=title");
    assert!(
        threads.lines().next().unwrap().contains(" 200 "),
        "{threads}"
    );
    assert!(threads.ends_with(r#"[{"title":"hello"}]"#), "{threads}");
    let none = rest(&bob_token, "/threads?select=title");
    assert!(none.ends_with("[]"), "{none}");
    let anon = rest(&project.secret("anon_key"), "/threads");
    assert!(anon.lines().next().unwrap().contains(" 401 "), "{anon}");
    assert!(anon.contains(r#""code":"42501""#), "{anon}");

    // The gateway serves /auth/v1 too, as `supabase_auth_admin` (given its login by `up`): a
    // sign-up's token reads through REST as that user.
    let signup = http_post_json(
        project.gateway_port,
        "/auth/v1/signup",
        &project.secret("anon_key"),
        r#"{"email": "carol@example.com", "password": "carol password"}"#,
    );
    assert!(signup.lines().next().unwrap().contains(" 200 "), "{signup}");
    let body: serde_json::Value =
        serde_json::from_str(signup.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    let carol_token = body["access_token"].as_str().unwrap().to_string();
    let carol_threads = rest(&carol_token, "/threads?select=title");
    assert!(carol_threads.ends_with("[]"), "{carol_threads}");

    // Warm: nothing changed, so no container is touched and the schema plan is empty.
    let before = project.containers();
    let again = json(&project.appctl(&["up", "--json"]));
    assert_eq!(again["containers_untouched"], true, "{again}");
    assert_eq!(again["schema"]["create"], 0);
    assert_eq!(again["schema"]["change"], 0);
    assert_eq!(project.containers(), before);

    // A schema change: only it is applied; the containers stay.
    let file = project.path.join("appctl.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    let yaml = yaml.replacen(
        "      title:",
        "      pinned:     { type: boolean, default: \"false\" }\n      title:",
        1,
    );
    std::fs::write(&file, yaml).unwrap();
    let changed = json(&project.appctl(&["up", "--json"]));
    assert_eq!(changed["containers_untouched"], true, "{changed}");
    assert_eq!(changed["schema"]["create"], 1, "{changed}");
    assert_eq!(changed["schema"]["drop"], 0, "{changed}");
    assert_eq!(project.containers(), before);
    assert_eq!(
        project.psql("select count(*) from information_schema.columns where table_name = 'threads' and column_name = 'pinned'").unwrap(),
        "1"
    );
    // The deploy's NOTIFY reloaded the gateway's schema cache: the new column is served at once.
    let pinned = rest(&alice_token, "/threads?select=pinned");
    assert!(pinned.ends_with(r#"[{"pinned":false}]"#), "{pinned}");
    assert!(
        as_user(alice, "select count(*) from threads")
            .unwrap()
            .ends_with('1'),
        "data kept"
    );

    // A service's spec changes: only that container is replaced.
    project.set_stack(images, ", env: { APPCTL_TEST_MARK: \"1\" }");
    let respec = json(&project.appctl(&["up", "--json"]));
    let actions: Vec<(String, String)> = respec["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["service"].as_str().unwrap().to_string(),
                s["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("db".to_string(), "kept".to_string()),
            ("gateway".to_string(), "replaced".to_string())
        ]
    );
    let after = project.containers();
    assert_eq!(after[0], before[0], "db untouched");
    assert_ne!(after[1].1, before[1].1, "gateway replaced");

    // status and logs.
    let status = json(&project.appctl(&["status", "--json"]));
    let services = status["services"].as_array().unwrap();
    assert_eq!(services.len(), 2);
    assert_eq!(services[0]["service"], "db");
    assert_eq!(services[0]["state"], "running");
    assert_eq!(services[0]["health"], "healthy");
    assert_eq!(
        services[1]["health"], "healthy",
        "the gateway is probed on /health"
    );
    let table = project.appctl(&["status"]);
    assert!(text(&table).contains(&format!("http://127.0.0.1:{}", project.gateway_port)));
    let logs = project.appctl(&["logs", "db", "--tail", "50"]);
    assert!(logs.status.success(), "{}", text(&logs));
    assert!(
        text(&logs).contains("database system is ready to accept connections"),
        "{}",
        text(&logs)
    );
    // No secret in what appctl printed.
    let password = project.password();
    for out in [&table, &logs] {
        assert!(!text(out).contains(&password));
    }

    // down --volumes leaves no container, network or volume with the project's label.
    let down = project.appctl(&["down", "--volumes"]);
    assert!(down.status.success(), "{}", text(&down));
    assert_eq!(
        project.leftovers(),
        (String::new(), String::new(), String::new())
    );
}

#[test]
fn a_taken_port_is_refused_before_anything_starts() {
    let Some(images) = images() else { return };
    let project = Project::new("port", images);
    let _holder = std::net::TcpListener::bind(("127.0.0.1", project.gateway_port)).unwrap();
    let out = project.appctl(&["up"]);
    assert!(!out.status.success());
    let message = text(&out);
    assert!(
        message.contains(&format!("port {} on 127.0.0.1", project.gateway_port)),
        "{message}"
    );
    assert!(
        message.contains("stack: { gateway: { port: <free port> } }"),
        "{message}"
    );
    assert!(project.containers().is_empty(), "nothing started");
}

#[test]
fn a_service_that_fails_shows_its_last_lines_and_the_others_stay() {
    let Some(images) = images() else { return };
    let project = Project::new("fail", images);
    // A gateway on a port it cannot parse exits at once.
    project.set_stack(images, ", env: { PORT: \"not-a-port\" }");
    let out = project.appctl(&["up"]);
    assert!(!out.status.success());
    let message = text(&out);
    assert!(message.contains("gateway stopped"), "{message}");
    assert!(message.contains("last lines of gateway"), "{message}");
    assert!(message.contains("PORT is not a port number"), "{message}");
    // db was started first and is left running for inspection.
    let services: Vec<String> = project.containers().into_iter().map(|(s, _)| s).collect();
    assert_eq!(services, ["db", "gateway"]);
    assert!(!message.contains(&project.password()));
}

#[test]
fn the_compose_file_is_valid_for_docker_compose() {
    let Some(images) = images() else { return };
    let project = Project::new("compose", images);
    let out = project.appctl(&["render", "compose", "-o", "compose.yaml"]);
    assert!(out.status.success(), "{}", text(&out));
    let check = Command::new("docker-compose")
        .args(["-f", "compose.yaml", "config", "-q"])
        .current_dir(&project.path)
        .env("APPCTL_DB_PASSWORD", "x")
        .env("APPCTL_JWT_SECRET", "x")
        .output();
    match check {
        Ok(check) => assert!(check.status.success(), "{}", text(&check)),
        Err(e) => panic!(
            "docker-compose is not installed ({e}); scripts/install-test-deps.sh installs it"
        ),
    }
}

#[test]
fn no_engine_is_a_clear_error_naming_docker_host() {
    let dir = tempfile::tempdir().unwrap();
    let out = appctl(
        dir.path(),
        &[
            "init",
            "app",
            "--template",
            "blank",
            "--name",
            "noengine",
            "--yes",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = Command::new(env!("CARGO_BIN_EXE_appctl"))
        .args(["status"])
        .current_dir(dir.path().join("app"))
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let message = text(&out);
    assert!(
        message.contains("cannot reach a Docker engine at unix:///nonexistent/docker.sock"),
        "{message}"
    );
    assert!(message.contains("DOCKER_HOST"), "{message}");

    // An ssh:// DOCKER_HOST with a password is refused without repeating it.
    let out = Command::new(env!("CARGO_BIN_EXE_appctl"))
        .args(["status"])
        .current_dir(dir.path().join("app"))
        .env(
            "DOCKER_HOST",
            "ssh://deploy:hunter2-never-printed@127.0.0.1",
        )
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let message = text(&out);
    assert!(message.contains("cannot hold a password"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}

/// A GET through the published port, with a bounded number of tries.
fn reqwest_get(port: u16, path: &str) -> String {
    reqwest_get_with(port, path, "X-Appctl-Test: 1")
}

/// A POST of a JSON body with the `apikey` header, as auth-js sends it.
fn http_post_json(port: u16, path: &str, apikey: &str, body: &str) -> String {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.0\r\nHost: 127.0.0.1\r\napikey: {apikey}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

/// [`reqwest_get`] with one more header line.
fn reqwest_get_with(port: u16, path: &str, header: &str) -> String {
    use std::io::{Read as _, Write as _};
    for _ in 0..50 {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            write!(
                stream,
                "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{header}\r\n\r\n"
            )
            .unwrap();
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            if !answer.is_empty() {
                return answer;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("nothing answers on 127.0.0.1:{port}");
}

const ECHO_JS: &str = r#"
const http = require('node:http');
const VERSION = 'one';
http.createServer((req, res) => {
  const trigger = req.headers['x-appctl-trigger'] || 'http';
  console.log(`echo called trigger=${trigger}`);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ runtime: 'node', version: VERSION, role: req.headers['x-appctl-role'], path: req.url, secret_set: !!process.env.ECHO_SECRET, deps_copied: require('node:fs').existsSync(__dirname + '/node_modules') }));
}).listen(Number(process.env.PORT), '0.0.0.0');
"#;

const TICK_PY: &str = r#"
import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        trigger = self.headers.get("x-appctl-trigger", "http")
        print(f"tick called trigger={trigger}", flush=True)
        body = json.dumps({"runtime": "python", "version": sys.version.split()[0], "role": self.headers.get("x-appctl-role")}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

HTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()
"#;

/// A project with a node function (`echo`, users only) and a python one (`tick`, anyone, every
/// minute), on the runtime images of images/build.sh.
fn functions_project(images: &Images) -> (tempfile::TempDir, PathBuf, String, u16) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app");
    std::fs::create_dir_all(path.join("functions/echo")).unwrap();
    std::fs::create_dir_all(path.join("functions/tick")).unwrap();
    std::fs::write(path.join("functions/echo/index.js"), ECHO_JS).unwrap();
    // A dependency folder the package leaves out (no include_deps): the container must not get it.
    std::fs::create_dir_all(path.join("functions/echo/node_modules/left-out")).unwrap();
    std::fs::write(
        path.join("functions/echo/node_modules/left-out/index.js"),
        "module.exports = 1;\n",
    )
    .unwrap();
    std::fs::write(path.join("functions/tick/main.py"), TICK_PY).unwrap();
    std::fs::write(
        path.join(".env"),
        "ECHO_SECRET=s3cr3t-value-never-printed\n",
    )
    .unwrap();
    let name = format!("e2e-fn-{}", std::process::id());
    let (db_port, gateway_port) = (free_port(), free_port());
    std::fs::write(
        path.join("appctl.yaml"),
        format!(
            "version: 1\nproject: {name}\nfunctions:\n  echo:\n    runtime: node-20\n    source: functions/echo\n    \
             entrypoint: index.js\n    env: {{ ECHO_SECRET: \"${{ECHO_SECRET}}\" }}\n    execute: [users]\n  tick:\n    \
             runtime: python-3.12\n    source: functions/tick\n    entrypoint: main.py\n    schedule: \"* * * * *\"\n    \
             execute: [any]\nstack:\n  db: {{ image: \"{}\", port: {db_port} }}\n  gateway: {{ image: \"{}\", port: {gateway_port} }}\n  \
             functions: {{ images: {{ node-20: \"{}\", python-3.12: \"{}\" }} }}\n  rest: {{ enabled: false }}\n  \
             auth: {{ enabled: false }}\n  storage: {{ enabled: false }}\n",
            images.db, images.gateway, images.node, images.python
        ),
    )
    .unwrap();
    (dir, path, name, gateway_port)
}

#[test]
fn functions_run_behind_the_gateway_with_execute_checks_and_schedules() {
    let Some(images) = images() else { return };
    let (_dir, path, name, gateway_port) = functions_project(images);
    struct Down(PathBuf);
    impl Drop for Down {
        fn drop(&mut self) {
            let _ = appctl(&self.0, &["down", "--volumes"]);
        }
    }
    let _down = Down(path.clone());

    let up = appctl(&path, &["up", "--json"]);
    let report = json(&up);
    let services: Vec<&str> = report["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service"].as_str().unwrap())
        .collect();
    assert_eq!(
        services,
        ["db", "functions.echo", "functions.tick", "gateway"]
    );

    // execute: [users] — anon is refused by the gateway, a user gets through to node.
    let denied = appctl(&path, &["functions", "invoke", "echo", "--as", "anon"]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(text(&denied).contains("HTTP 403"), "{}", text(&denied));
    let user = "11111111-1111-1111-1111-111111111111";
    let allowed = appctl(
        &path,
        &[
            "functions",
            "invoke",
            "echo",
            "--as",
            &format!("user:{user}"),
            "--data",
            "{\"q\": 1}",
        ],
    );
    assert!(allowed.status.success(), "{}", text(&allowed));
    let body: serde_json::Value = serde_json::from_slice(&allowed.stdout).unwrap();
    assert_eq!(body["runtime"], "node");
    assert_eq!(body["role"], "authenticated");
    assert_eq!(
        body["secret_set"], true,
        "the function got its env from .env"
    );
    assert_eq!(
        body["deps_copied"], false,
        "the container runs the package, which leaves node_modules out, as deploy --env does"
    );
    assert!(!text(&allowed).contains("s3cr3t-value-never-printed"));
    // No token at all: 401 before the function.
    let raw = reqwest_post(gateway_port, "/functions/v1/echo");
    assert!(raw.starts_with("HTTP/1.1 401"), "{raw}");

    // execute: [any] — python answers anon.
    let tick = appctl(&path, &["functions", "invoke", "tick", "--as", "anon"]);
    assert!(tick.status.success(), "{}", text(&tick));
    let body: serde_json::Value = serde_json::from_slice(&tick.stdout).unwrap();
    assert_eq!(body["runtime"], "python");
    assert!(body["version"].as_str().unwrap().starts_with("3."));

    // The gateway's record of each invocation.
    let gateway_logs = text(&appctl(&path, &["logs", "gateway"]));
    assert!(
        gateway_logs.contains("\"function\":\"echo\""),
        "{gateway_logs}"
    );
    assert!(gateway_logs.contains("\"status\":403"), "{gateway_logs}");
    assert!(gateway_logs.contains("\"status\":401"), "{gateway_logs}");

    // A function's logs: its output and the gateway's record of the calls to it, no one else's.
    let echo_logs = text(&appctl(&path, &["logs", "functions.echo"]));
    assert!(
        echo_logs.contains("echo called trigger=http"),
        "{echo_logs}"
    );
    assert!(
        echo_logs.contains("\"function\":\"echo\",\"role\":\"authenticated\",\"status\":200"),
        "{echo_logs}"
    );
    assert!(!echo_logs.contains("\"function\":\"tick\""), "{echo_logs}");

    // `logs -f` follows: a call made after it started shows up in it (bounded: 30 s), and it
    // keeps running until stopped.
    let mut follower = Command::new(env!("CARGO_BIN_EXE_appctl"))
        .args(["logs", "functions.echo", "-f", "--tail", "0"])
        .current_dir(&path)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    let stdout = follower.stdout.take().unwrap();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    std::thread::sleep(std::time::Duration::from_secs(1));
    let followed_call = appctl(
        &path,
        &[
            "functions",
            "invoke",
            "echo",
            "--as",
            &format!("user:{user}"),
            "--data",
            "{\"followed\": true}",
        ],
    );
    assert!(followed_call.status.success(), "{}", text(&followed_call));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|l: &String| l.contains("echo called trigger=http"))
    {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match received.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => panic!("logs -f showed no new call within 30 s: {seen:?}"),
        }
    }
    assert!(
        follower.try_wait().unwrap().is_none(),
        "logs -f stopped by itself"
    );
    let _ = follower.kill();
    let _ = follower.wait();

    // The per-minute schedule fires (bounded: at most 75 s).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(75);
    loop {
        let logs = text(&appctl(&path, &["logs", "functions.tick"]));
        if logs.contains("tick called trigger=schedule") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the schedule did not fire within 75 s:\n{logs}"
        );
        std::thread::sleep(std::time::Duration::from_secs(2));
    }

    // Changing one function's code replaces only its container.
    let ids = |path: &Path| {
        let text = docker_text(&[
            "ps",
            "-a",
            "--filter",
            &format!("label=dev.appctl.project={name}"),
            "--format",
            "{{.Label \"dev.appctl.service\"}} {{.ID}}",
        ]);
        let mut list: Vec<String> = text.lines().map(str::to_string).collect();
        list.sort();
        let _ = path;
        list
    };
    let before = ids(&path);
    std::fs::write(
        path.join("functions/echo/index.js"),
        ECHO_JS.replace("'one'", "'two'"),
    )
    .unwrap();
    let again = json(&appctl(&path, &["up", "--json"]));
    let actions: Vec<(String, String)> = again["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["service"].as_str().unwrap().to_string(),
                s["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let replaced: Vec<&str> = actions
        .iter()
        .filter(|(_, a)| a != "kept")
        .map(|(s, _)| s.as_str())
        .collect();
    assert_eq!(replaced, ["functions.echo"], "{actions:?}");
    let after = ids(&path);
    assert_eq!(before.len(), after.len());
    let changed: Vec<&String> = after.iter().filter(|id| !before.contains(id)).collect();
    assert_eq!(changed.len(), 1);
    assert!(changed[0].starts_with("functions.echo "));
    let v2 = appctl(
        &path,
        &[
            "functions",
            "invoke",
            "echo",
            "--as",
            &format!("user:{user}"),
        ],
    );
    let body: serde_json::Value = serde_json::from_slice(&v2.stdout).unwrap();
    assert_eq!(body["version"], "two");

    // up --watch: editing one function's file restarts that function and nothing else.
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut watcher = Kill(
        Command::new(env!("CARGO_BIN_EXE_appctl"))
            .args(["up", "--watch"])
            .current_dir(&path)
            .env("NO_COLOR", "1")
            .env("CI", "true")
            .env("APPCTL_PULL", "never")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = watcher.0.stderr.take().unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let wait_for = |needle: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut seen = String::new();
        while std::time::Instant::now() < deadline {
            if let Ok(line) = lines.recv_timeout(std::time::Duration::from_millis(500)) {
                seen.push_str(&line);
                seen.push('\n');
                if line.contains(needle) {
                    return seen;
                }
            }
        }
        panic!("`{needle}` did not appear within 60 s:\n{seen}");
    };
    wait_for("Watching");
    let before = ids(&path);
    // A change the package leaves out (a dependency folder) restarts nothing.
    std::fs::write(
        path.join("functions/echo/node_modules/left-out/index.js"),
        "module.exports = 2;\n",
    )
    .unwrap();
    let applied = wait_for("Change applied");
    assert!(
        applied.contains("Change applied: nothing restarted"),
        "{applied}"
    );
    assert_eq!(ids(&path), before);
    std::fs::write(
        path.join("functions/echo/index.js"),
        ECHO_JS.replace("'one'", "'three'"),
    )
    .unwrap();
    let applied = wait_for("Change applied");
    assert!(
        applied.contains("Change applied: functions.echo restarted"),
        "{applied}"
    );
    let v3 = appctl(
        &path,
        &[
            "functions",
            "invoke",
            "echo",
            "--as",
            &format!("user:{user}"),
        ],
    );
    let body: serde_json::Value = serde_json::from_slice(&v3.stdout).unwrap();
    assert_eq!(body["version"], "three");
    let after = ids(&path);
    let changed: Vec<&String> = after.iter().filter(|id| !before.contains(id)).collect();
    assert_eq!(changed.len(), 1, "{before:?} -> {after:?}");
    assert!(changed[0].starts_with("functions.echo "));
    drop(watcher);
}

fn reqwest_post(port: u16, path: &str) -> String {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

/// A real registry on loopback (Debian's docker-registry, the CNCF distribution server): a missing
/// image is pulled with `--pull missing`, refused with `--pull never`.
#[test]
fn a_missing_image_is_pulled_from_a_registry_and_never_means_never() {
    let Some(images) = images() else { return };
    let registry_bin = Path::new("/usr/bin/docker-registry");
    if !registry_bin.is_file() {
        skip_unless_required(
            "docker-registry is not installed (scripts/install-test-deps.sh installs it)",
        );
        return;
    }
    struct Registry(std::process::Child);
    impl Drop for Registry {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let port = free_port();
    let storage = tempfile::tempdir().unwrap();
    let config = storage.path().join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            storage.path().join("data").display()
        ),
    )
    .unwrap();
    let registry = Registry(
        Command::new(registry_bin)
            .arg("serve")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let _ = reqwest_get(port, "/v2/");
    // The registry holds the db image; the engine does not (127.0.0.0/8 needs no TLS for Docker).
    let remote = format!(
        "127.0.0.1:{port}/appctl-test/db:pull-{}",
        std::process::id()
    );
    docker_text(&["tag", &images.db, &remote]);
    docker_text(&["push", &remote]);
    docker_text(&["rmi", &remote]);

    let project = Project::new("pull", images);
    let file = project.path.join("appctl.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap().replace(
        &format!("image: \"{}\"", images.db),
        &format!("image: \"{remote}\""),
    );
    std::fs::write(&file, yaml).unwrap();

    let never = project.appctl(&["up", "--pull", "never"]);
    assert_eq!(never.status.code(), Some(1));
    let message = text(&never);
    assert!(
        message.contains(&format!("image {remote} is not on the engine")),
        "{message}"
    );
    assert!(message.contains("images/build.sh"), "{message}");
    assert!(project.containers().is_empty());

    let pulled = project.appctl(&["up", "--pull", "missing"]);
    assert!(pulled.status.success(), "{}", text(&pulled));
    assert!(
        text(&pulled).contains(&format!("Pulled {remote}")),
        "{}",
        text(&pulled)
    );
    assert!(docker(&["image", "inspect", &remote]).status.success());
    let down = project.appctl(&["down", "--volumes"]);
    assert!(down.status.success(), "{}", text(&down));
    let _ = docker(&["rmi", &remote]);
    drop(registry);
}

/// The same stack on Podman's Docker-compatible socket (`DOCKER_HOST=unix://.../podman.sock`):
/// API version negotiated down, network, volume, containers, health, a rerun that touches nothing,
/// down. The images are copied from the Docker engine (`docker save | podman load`). Runs when
/// APPCTL_PODMAN_HOST names the socket (scripts/start-podman.sh; set by scripts/test.sh).
#[test]
fn the_stack_runs_on_podmans_socket() {
    let Some(images) = images() else { return };
    let Ok(host) = std::env::var("APPCTL_PODMAN_HOST") else {
        assert!(
            std::env::var("APPCTL_REQUIRE_DOCKER").as_deref() != Ok("1")
                || std::env::var("APPCTL_SKIP_PODMAN").is_ok(),
            "APPCTL_PODMAN_HOST is not set: run scripts/start-podman.sh (scripts/test.sh does)"
        );
        eprintln!("skipping: APPCTL_PODMAN_HOST is not set");
        return;
    };
    let copy = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "docker save '{}' '{}' | podman load -q",
            images.db, images.gateway
        ))
        .output()
        .unwrap();
    assert!(copy.status.success(), "{}", text(&copy));

    let project = Project::new("podman", images);
    let on_podman = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_appctl"))
            .args(args)
            .current_dir(&project.path)
            .env("DOCKER_HOST", &host)
            .env("NO_COLOR", "1")
            .env("CI", "true")
            .env("APPCTL_PULL", "never")
            .output()
            .unwrap()
    };
    struct Down<F: Fn(&[&str]) -> Output>(F);
    impl<F: Fn(&[&str]) -> Output> Drop for Down<F> {
        fn drop(&mut self) {
            let _ = (self.0)(&["down", "--volumes"]);
        }
    }
    let first = json(&on_podman(&["up", "--json"]));
    assert!(
        first["services"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["action"] == "created"),
        "{first}"
    );
    let cleanup = Down(&on_podman);
    assert_eq!(
        project
            .psql("select count(*) from pg_tables where schemaname = 'public'")
            .unwrap(),
        "5"
    );
    let again = json(&on_podman(&["up", "--json"]));
    assert_eq!(again["containers_untouched"], true, "{again}");
    let status = json(&on_podman(&["status", "--json"]));
    assert_eq!(status["services"][0]["health"], "healthy", "{status}");
    assert_eq!(status["services"][1]["health"], "healthy", "{status}");
    assert!(reqwest_get(project.gateway_port, "/health").contains("\"status\":\"ok\""));
    // Nothing of it is on the Docker engine.
    assert!(project.containers().is_empty());
    let down = on_podman(&["down", "--volumes"]);
    assert!(down.status.success(), "{}", text(&down));
    drop(cleanup);
    let label = format!("label=dev.appctl.project={}", project.name);
    let left = Command::new("podman")
        .args(["ps", "-aq", "--filter", &label])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&left.stdout).trim().is_empty());
}

/// A second Docker engine, listening only on loopback TCP with TLS (certificates made by openssl
/// for this test), with its own data and exec roots: the "remote" Docker host of an environment.
/// It has none of the images. Stopped (and its containers with it) on drop.
struct SecondEngine {
    child: std::process::Child,
    dir: tempfile::TempDir,
    host: String,
    /// Its default bridge, made by the test and deleted after it stops.
    bridge: String,
}

/// Whether the tests run as root (a second dockerd and an sshd need it).
fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl SecondEngine {
    /// `None` (the test skips) without root or openssl, unless APPCTL_REQUIRE_DOCKER=1.
    fn start() -> Option<SecondEngine> {
        let openssl = Command::new("openssl").arg("version").output().is_ok();
        if !running_as_root() || !openssl {
            skip_unless_required("a second dockerd needs root and openssl");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("d2-")
            .tempdir_in("/tmp")
            .unwrap();
        let certs = dir.path().join("certs");
        std::fs::create_dir_all(&certs).unwrap();
        let script = r#"set -e
            key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
            key ca-key.pem
            openssl req -x509 -new -key ca-key.pem -out ca.pem -days 2 -subj /CN=appctl-test-ca
            key server-key.pem
            openssl req -new -key server-key.pem -out server.csr -subj /CN=127.0.0.1
            printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem -days 2 -extfile server.ext 2>/dev/null
            key key.pem
            openssl req -new -key key.pem -out client.csr -subj /CN=appctl-test-client
            printf 'extendedKeyUsage=clientAuth\n' > client.ext
            openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 2 -extfile client.ext 2>/dev/null
        "#;
        let made = Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(&certs)
            .output()
            .unwrap();
        assert!(made.status.success(), "openssl: {}", text(&made));
        let port = free_port();
        let host = format!("tcp://127.0.0.1:{port}");
        let path = |name: &str| dir.path().join(name);
        let bridge = format!("apc2-{}", std::process::id() % 100_000);
        let made = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ip link add {bridge} type bridge && ip addr add {SECOND_BRIDGE_ADDRESS} dev {bridge} && ip link set {bridge} up"
            ))
            .output()
            .unwrap();
        assert!(made.status.success(), "bridge {bridge}: {}", text(&made));
        let log = std::fs::File::create(path("dockerd.log")).unwrap();
        let child = Command::new("dockerd")
            .args(["--host", &host, "--tlsverify"])
            .arg("--tlscacert")
            .arg(certs.join("ca.pem"))
            .arg("--tlscert")
            .arg(certs.join("server-cert.pem"))
            .arg("--tlskey")
            .arg(certs.join("server-key.pem"))
            .arg("--data-root")
            .arg(path("data"))
            .arg("--exec-root")
            .arg(path("exec"))
            .arg("--pidfile")
            .arg(path("dockerd.pid"))
            // Beside the first engine: a default bridge of its own (with `--bridge none` a second
            // dockerd deletes docker0, the first engine's), no iptables rules of its own (two
            // engines would flush each other's chains); published ports go through docker-proxy,
            // and its networks come from a pool of their own, let through below.
            .args(["--bridge", &bridge, "--iptables=false", "--ip-masq=false"])
            .args([
                "--default-address-pool",
                &format!("base={SECOND_POOL},size=24"),
            ])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("dockerd starts");
        // The first engine's FORWARD policy drops bridged traffic it does not know: containers of
        // the second engine reach each other through this rule (removed on drop).
        forward_rule("-I");
        let engine = SecondEngine {
            child,
            dir,
            host,
            bridge,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !engine.docker(&["info"]).status.success() {
            assert!(
                std::time::Instant::now() < deadline,
                "the second dockerd did not answer within 60 s:\n{}",
                std::fs::read_to_string(engine.dir.path().join("dockerd.log")).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        Some(engine)
    }

    fn certs(&self) -> PathBuf {
        self.dir.path().join("certs")
    }

    fn docker(&self, args: &[&str]) -> Output {
        Command::new("docker")
            .env("DOCKER_HOST", &self.host)
            .env("DOCKER_TLS_VERIFY", "1")
            .env("DOCKER_CERT_PATH", self.certs())
            .args(args)
            .output()
            .unwrap()
    }

    /// Container ids by service of `project` on this engine.
    fn containers(&self, project: &str) -> Vec<(String, String)> {
        let out = self.docker(&[
            "ps",
            "-a",
            "--filter",
            &format!("label=dev.appctl.project={project}"),
            "--format",
            "{{.Label \"dev.appctl.service\"}} {{.ID}}",
        ]);
        assert!(out.status.success(), "{}", text(&out));
        let mut list: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(s, id)| (s.to_string(), id.to_string()))
            .collect();
        list.sort();
        list
    }
}

/// The second engine's networks.
const SECOND_POOL: &str = "10.213.0.0/16";
/// Its default bridge's address.
const SECOND_BRIDGE_ADDRESS: &str = "10.214.0.1/24";

fn forward_rule(action: &str) {
    let _ = Command::new("iptables")
        .args([
            action,
            "FORWARD",
            "-s",
            SECOND_POOL,
            "-d",
            SECOND_POOL,
            "-j",
            "ACCEPT",
        ])
        .status();
}

impl Drop for SecondEngine {
    fn drop(&mut self) {
        // Its containers and networks first: a network's bridge interface outlives a stopped
        // engine (and its deleted data root) unless the network is removed.
        let ids = self.docker(&["ps", "-aq"]);
        let ids: Vec<String> = String::from_utf8_lossy(&ids.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(ids.iter().map(String::as_str));
            let _ = self.docker(&args);
        }
        let _ = self.docker(&["network", "prune", "-f"]);
        forward_rule("-D");
        // SIGTERM: dockerd stops its containers and its containerd, and unmounts.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut stopped = false;
        while !stopped && std::time::Instant::now() < deadline {
            stopped = matches!(self.child.try_wait(), Ok(Some(_)));
            if !stopped {
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        }
        if !stopped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = Command::new("ip")
            .args(["link", "del", &self.bridge])
            .status();
        // Whatever bridge of its pool is still there (a failed removal above) goes too.
        let addresses = Command::new("ip")
            .args(["-o", "-4", "addr", "show"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
            .unwrap_or_default();
        let pool_prefix = SECOND_POOL.split(".0.0/").next().unwrap_or(SECOND_POOL);
        for line in addresses.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if let [_, link, "inet", address, ..] = fields.as_slice()
                && address.starts_with(&format!("{pool_prefix}."))
            {
                let _ = Command::new("ip").args(["link", "del", link]).status();
            }
        }
    }
}

/// Declares environment `name` in the functions project at `path`: its database and JWT secret as
/// `${NAME_DATABASE_URL}` and `${NAME_JWT_SECRET}` from .env (beside echo's secret), and `host_keys`
/// (YAML lines at the environment's indentation: docker_host, gateway...).
fn add_environment(path: &Path, name: &str, database_url: &str, jwt_secret: &str, host_keys: &str) {
    let upper = name.to_uppercase();
    std::fs::write(
        path.join(".env"),
        format!(
            "ECHO_SECRET=s3cr3t-value-never-printed\n{upper}_DATABASE_URL={database_url}\n\
             {upper}_JWT_SECRET={jwt_secret}\n"
        ),
    )
    .unwrap();
    let file = path.join("appctl.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap().replace(
        "stack:\n",
        &format!(
            "environments:\n  {name}:\n    database_url: \"${{{upper}_DATABASE_URL}}\"\n    \
             jwt_secret: \"${{{upper}_JWT_SECRET}}\"\n    {host_keys}\nstack:\n"
        ),
    );
    std::fs::write(&file, yaml).unwrap();
}

/// `deploy --env staging` runs the functions on the environment's Docker host (a second engine on
/// loopback TCP with TLS) beside the schema: images it lacks are copied from the local engine, the
/// gateway there checks tokens signed with the environment's secret, a code change replaces only
/// that function, and a function no longer declared is removed.
#[test]
fn deploy_runs_functions_on_the_environments_docker_host() {
    let Some(images) = images() else { return };
    let Some(remote) = SecondEngine::start() else {
        return;
    };
    let pg = crate::support::pg::PgServer::start();
    let database_url = pg.create_database("staging");
    let (_dir, path, name, _local_gateway_port) = functions_project(images);
    let remote_gateway_port = free_port();
    let jwt_secret = "staging-jwt-secret-0123456789abcdef-never-printed";
    let file = path.join("appctl.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap().replace(
        "    execute: [users]\n",
        "    execute: [users]\n    memory: 128MiB\n",
    );
    std::fs::write(&file, yaml).unwrap();
    add_environment(
        &path,
        "staging",
        &database_url,
        jwt_secret,
        &format!(
            "docker_host: \"{}\"\n    docker_cert_path: \"{}\"\n    gateway: \"127.0.0.1:{remote_gateway_port}\"\n    \
             api_database_url: \"${{STAGING_API_DATABASE_URL}}\"",
            remote.host,
            remote.certs().display()
        ),
    );
    // The gateway's REST login: `deploy --bootstrap` gives `authenticator` this password.
    let api_password = "staging-authenticator-never-printed";
    let api_database_url = format!(
        "postgres://authenticator:{api_password}@127.0.0.1:{}/staging",
        pg.port()
    );
    let env_file = path.join(".env");
    let mut env_text = std::fs::read_to_string(&env_file).unwrap();
    env_text.push_str(&format!("STAGING_API_DATABASE_URL={api_database_url}\n"));
    std::fs::write(&env_file, env_text).unwrap();
    let staging = format!("{name}-staging");
    let deploy = |extra: &[&str]| {
        let mut args = vec!["deploy", "--env", "staging", "--yes", "--bootstrap"];
        args.extend_from_slice(extra);
        let out = appctl(&path, &args);
        let all = text(&out);
        assert!(out.status.success(), "{all}");
        assert!(!all.contains(jwt_secret), "{all}");
        assert!(!all.contains("s3cr3t-value-never-printed"), "{all}");
        assert!(!all.contains(api_password), "{all}");
        all
    };

    // First deploy: schema and function records in the database, the images copied over, the
    // functions and their gateway running on the second engine (and nothing on the first).
    let first = deploy(&[]);
    assert!(first.contains("Functions on tcp://127.0.0.1:"), "{first}");
    assert!(first.contains("+ functions.echo: create"), "{first}");
    assert!(
        first.contains(&format!("copied {} to the Docker host", images.node)),
        "{first}"
    );
    let before = remote.containers(&staging);
    let services: Vec<&str> = before.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(services, ["functions.echo", "functions.tick", "gateway"]);
    // The gateway there serves /rest/v1 as `authenticator`, which bootstrap created and the
    // deploy made a login with api_database_url's password.
    assert_eq!(
        pg.psql(&api_database_url, "select current_user"),
        "authenticator"
    );
    let health = reqwest_get(remote_gateway_port, "/health");
    assert!(health.contains("/rest/v1"), "{health}");
    // The function's `memory` is its container's limit.
    let memory = remote.docker(&["inspect", "-f", "{{.HostConfig.Memory}}", &before[0].1]);
    assert_eq!(String::from_utf8_lossy(&memory.stdout).trim(), "134217728");
    assert!(
        docker_text(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=dev.appctl.project={staging}")
        ])
        .is_empty()
    );
    let records = pg.psql(
        &database_url,
        "select string_agg(name || ':' || left(version, 12), ',' order by name) from appctl.functions",
    );
    let listed = json(&appctl(&path, &["functions", "list", "--json"]));
    let echo_version = listed["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "echo")
        .map(|f| f["version"].as_str().unwrap()[..12].to_string())
        .unwrap();
    assert!(
        records.contains(&format!("echo:{echo_version}")),
        "{records}"
    );

    // Through the remote gateway: tokens signed with the environment's secret.
    let invoke = |function: &str, caller: &str| {
        appctl(
            &path,
            &[
                "functions",
                "invoke",
                function,
                "--env",
                "staging",
                "--as",
                caller,
            ],
        )
    };
    let denied = invoke("echo", "anon");
    assert_eq!(denied.status.code(), Some(1), "{}", text(&denied));
    assert!(text(&denied).contains("HTTP 403"), "{}", text(&denied));
    let user = "11111111-1111-1111-1111-111111111111";
    let allowed = invoke("echo", &format!("user:{user}"));
    assert!(allowed.status.success(), "{}", text(&allowed));
    let body: serde_json::Value = serde_json::from_slice(&allowed.stdout).unwrap();
    assert_eq!(body["version"], "one");
    assert_eq!(body["secret_set"], true);
    let raw = reqwest_post(remote_gateway_port, "/functions/v1/echo");
    assert!(raw.starts_with("HTTP/1.1 401"), "{raw}");
    // A token of the local stack is not one of staging's.
    let local_token = appctl(
        &path,
        &[
            "functions",
            "invoke",
            "tick",
            "--url",
            &format!("http://127.0.0.1:{remote_gateway_port}"),
        ],
    );
    assert!(
        text(&local_token).contains("HTTP 401"),
        "{}",
        text(&local_token)
    );
    let tick = invoke("tick", "anon");
    assert!(tick.status.success(), "{}", text(&tick));

    // status and logs reach the environment's Docker host with --env.
    let status = json(&appctl(&path, &["status", "--env", "staging", "--json"]));
    let healthy: Vec<&str> = status["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["health"] == "healthy")
        .map(|s| s["service"].as_str().unwrap())
        .collect();
    assert_eq!(
        healthy,
        ["functions.echo", "functions.tick", "gateway"],
        "{status}"
    );
    let logs = text(&appctl(
        &path,
        &["logs", "--env", "staging", "functions.echo"],
    ));
    assert!(logs.contains("echo called trigger=http"), "{logs}");
    assert!(
        logs.contains("\"function\":\"echo\",\"role\":\"authenticated\",\"status\":200"),
        "{logs}"
    );
    assert!(!logs.contains(jwt_secret), "{logs}");

    // Nothing changed: nothing touched.
    let again = deploy(&[]);
    assert!(again.contains("up to date"), "{again}");
    assert_eq!(remote.containers(&staging), before);

    // A code change: the plan shows the new version, the deploy replaces that function only.
    std::fs::write(
        path.join("functions/echo/index.js"),
        ECHO_JS.replace("'one'", "'two'"),
    )
    .unwrap();
    let plan = appctl(&path, &["plan", "--env", "staging"]);
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan));
    assert!(
        text(&plan).contains("~ function echo: version"),
        "{}",
        text(&plan)
    );
    let changed = deploy(&[]);
    assert!(changed.contains("~ functions.echo: replace"), "{changed}");
    assert!(!changed.contains("copied"), "{changed}");
    let after = remote.containers(&staging);
    let id = |list: &[(String, String)], service: &str| {
        list.iter()
            .find(|(s, _)| s == service)
            .map(|(_, id)| id.clone())
    };
    assert_ne!(id(&after, "functions.echo"), id(&before, "functions.echo"));
    assert_eq!(id(&after, "functions.tick"), id(&before, "functions.tick"));
    assert_eq!(id(&after, "gateway"), id(&before, "gateway"));
    let allowed = invoke("echo", &format!("user:{user}"));
    let body: serde_json::Value = serde_json::from_slice(&allowed.stdout).unwrap();
    assert_eq!(body["version"], "two", "{}", text(&allowed));

    // A function no longer declared: its record and its container go.
    let yaml = std::fs::read_to_string(&file).unwrap();
    let start = yaml.find("  tick:\n").unwrap();
    let end = yaml[start..].find("environments:").unwrap() + start;
    let without_tick = format!("{}{}", &yaml[..start], &yaml[end..]);
    std::fs::write(&file, without_tick).unwrap();
    let removed = deploy(&[]);
    assert!(removed.contains("- functions.tick: remove"), "{removed}");
    let services: Vec<String> = remote
        .containers(&staging)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(services, ["functions.echo", "gateway"]);
    assert_eq!(
        pg.psql(
            &database_url,
            "select count(*) from appctl.functions where name = 'tick'"
        ),
        "0"
    );
    // The first engine's default bridge is untouched by the second engine, and the second leaves
    // no bridge behind.
    drop(remote);
    let docker0 = Command::new("ip")
        .args(["link", "show", "docker0"])
        .output()
        .unwrap();
    assert!(docker0.status.success(), "docker0 is gone");
    let routes = Command::new("ip").args(["route"]).output().unwrap();
    let routes = String::from_utf8_lossy(&routes.stdout);
    assert!(!routes.contains("10.213."), "{routes}");
    assert!(!routes.contains("10.214."), "{routes}");
}

/// Whatever stops a deploy's functions before they run stops it before the database changes: an
/// environment without its JWT secret, a Docker host without TLS, a Docker host that does not answer.
#[test]
fn a_docker_host_that_cannot_be_used_fails_the_deploy_before_the_database_changes() {
    let pg = crate::support::pg::PgServer::start();
    let database_url = pg.create_database("unreachable");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    std::fs::create_dir_all(path.join("functions/echo")).unwrap();
    std::fs::write(path.join("functions/echo/index.js"), ECHO_JS).unwrap();
    // A dependency folder the package leaves out (no include_deps): the container must not get it.
    std::fs::create_dir_all(path.join("functions/echo/node_modules/left-out")).unwrap();
    std::fs::write(
        path.join("functions/echo/node_modules/left-out/index.js"),
        "module.exports = 1;\n",
    )
    .unwrap();
    let closed_port = free_port();
    let write = |environment: &str| {
        std::fs::write(
            path.join("appctl.yaml"),
            format!(
                "version: 1\nproject: unreachable\ntables:\n  notes:\n    columns:\n      id: {{ type: bigint, primary_key: true }}\n\
                 functions:\n  echo:\n    runtime: node-20\n    source: functions/echo\n    entrypoint: index.js\n    execute: [any]\n\
                 environments:\n  staging:\n    database_url: \"{database_url}\"\n{environment}"
            ),
        )
        .unwrap();
    };
    let deploy = || {
        let out = appctl(
            path,
            &["deploy", "--env", "staging", "--yes", "--bootstrap"],
        );
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        text(&out)
    };
    let untouched = || {
        assert_eq!(
            pg.psql(
                &database_url,
                "select count(*) from pg_tables where tablename = 'notes' or schemaname = 'appctl'"
            ),
            "0"
        );
    };

    write(&format!(
        "    docker_host: \"tcp://127.0.0.1:{closed_port}\"\n"
    ));
    let message = deploy();
    assert!(message.contains("jwt_secret is missing"), "{message}");
    untouched();

    let secret = "0123456789abcdef0123456789abcdef-test";
    write(&format!(
        "    docker_host: \"tcp://10.255.255.1:2375\"\n    jwt_secret: \"{secret}\"\n"
    ));
    let message = deploy();
    assert!(message.contains("plain TCP without TLS"), "{message}");
    assert!(message.contains("docker_cert_path"), "{message}");
    untouched();

    write(&format!(
        "    docker_host: \"tcp://127.0.0.1:{closed_port}\"\n    jwt_secret: \"{secret}\"\n"
    ));
    let message = deploy();
    assert!(
        message.contains(&format!(
            "cannot reach a Docker engine at tcp://127.0.0.1:{closed_port}"
        )),
        "{message}"
    );
    assert!(!message.contains(secret), "{message}");
    untouched();
}

/// A real sshd on loopback (Debian's openssh-server, started by the test with its own host key,
/// config and authorized key, all in a temporary directory): the "remote" of an `ssh://` Docker
/// host. Whoever logs in runs `docker system dial-stdio` against the machine's engine, so the
/// environment's containers land beside the local ones (their names and labels carry the
/// environment). The ssh client never reads the real ~/.ssh: appctl runs with `bin/` of the
/// directory first on PATH, where `ssh` is a wrapper that execs `/usr/bin/ssh -F ssh_config` (and
/// writes each invocation's arguments to `ssh.log`). Stopped on drop, with any ssh process that
/// still uses its config.
struct SshHost {
    child: std::process::Child,
    dir: tempfile::TempDir,
    /// Where the sshd listens on 127.0.0.1, and whom it lets in (the test's own user).
    port: u16,
    user: String,
    /// A loopback port where nothing listens.
    closed_port: u16,
}

/// Host aliases of the test's ssh_config: the sshd, reachable with an authorized key...
const SSH_ALIAS: &str = "appctl-ssh-test";
/// ...the same sshd with a key it does not authorize...
const SSH_UNAUTHORIZED: &str = "appctl-ssh-test-unauthorized";
/// ...the same sshd, whose host key known_hosts records as another...
const SSH_WRONG_KEY: &str = "appctl-ssh-test-wrong-key";
/// ...the same sshd, whose host key known_hosts lacks (ssh's default, StrictHostKeyChecking ask)...
const SSH_UNKNOWN_KEY: &str = "appctl-ssh-test-unknown-key";
/// ...and a loopback port where nothing listens.
const SSH_CLOSED: &str = "appctl-ssh-test-closed";

impl SshHost {
    /// `None` (the test skips) without root or sshd, unless APPCTL_REQUIRE_DOCKER=1.
    fn start() -> Option<SshHost> {
        let installed = ["/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen"]
            .iter()
            .all(|p| Path::new(p).is_file());
        if !running_as_root() || !installed {
            skip_unless_required(
                "the ssh:// tests need root and openssh-server (scripts/install-test-deps.sh)",
            );
            return None;
        }
        // Short: the control sockets ssh makes under it must fit a socket path.
        let dir = tempfile::Builder::new()
            .prefix("ssh-")
            .tempdir_in("/tmp")
            .unwrap();
        let path = |name: &str| dir.path().join(name);
        // sshd's privilege separation directory (Debian's service makes it; there is none here).
        std::fs::create_dir_all("/run/sshd").unwrap();
        for key in [
            "host_key",
            "wrong_host_key",
            "client_key",
            "unauthorized_key",
        ] {
            let made = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", key, "-f"])
                .arg(path(key))
                .output()
                .unwrap();
            assert!(made.status.success(), "ssh-keygen: {}", text(&made));
        }
        let public = |key: &str| {
            let text = std::fs::read_to_string(path(&format!("{key}.pub"))).unwrap();
            let mut fields = text.split_whitespace();
            format!("{} {}", fields.next().unwrap(), fields.next().unwrap())
        };
        std::fs::write(path("authorized_keys"), public("client_key") + "\n").unwrap();
        let port = free_port();
        let closed_port = free_port();
        std::fs::write(
            path("known_hosts"),
            format!(
                "[127.0.0.1]:{port} {}\n{SSH_WRONG_KEY} {}\n",
                public("host_key"),
                public("wrong_host_key")
            ),
        )
        .unwrap();
        let d = dir.path().display();
        // The login gets the engine the test's own docker client uses.
        let docker_host = std::env::var("DOCKER_HOST")
            .ok()
            .filter(|h| !h.is_empty())
            .map(|h| format!("SetEnv DOCKER_HOST={h}\n"))
            .unwrap_or_default();
        std::fs::write(
            path("sshd_config"),
            format!(
                "ListenAddress 127.0.0.1:{port}\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\n\
                 PidFile {d}/sshd.pid\nStrictModes no\nUsePAM no\nPermitRootLogin prohibit-password\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nX11Forwarding no\n\
                 PrintMotd no\n{docker_host}"
            ),
        )
        .unwrap();
        let user = Command::new("id").arg("-un").output().unwrap();
        let user = String::from_utf8_lossy(&user.stdout).trim().to_string();
        std::fs::write(
            path("ssh_config"),
            format!(
                "Host {SSH_ALIAS}\n  IdentityFile {d}/client_key\n\
                 Host {SSH_UNAUTHORIZED}\n  IdentityFile {d}/unauthorized_key\n\
                 Host {SSH_WRONG_KEY}\n  HostKeyAlias {SSH_WRONG_KEY}\n  IdentityFile {d}/client_key\n\
                 Host {SSH_UNKNOWN_KEY}\n  HostKeyAlias {SSH_UNKNOWN_KEY}\n  IdentityFile {d}/client_key\n\
                 StrictHostKeyChecking ask\n  BatchMode no\n\
                 Host {SSH_CLOSED}\n  Port {closed_port}\n  IdentityFile {d}/client_key\n\
                 Host 127.0.0.1\n  IdentityFile {d}/client_key\n\
                 Host *\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  IdentitiesOnly yes\n\
                 UserKnownHostsFile {d}/known_hosts\n  GlobalKnownHostsFile /dev/null\n\
                 StrictHostKeyChecking yes\n  BatchMode yes\n  ConnectTimeout 10\n"
            ),
        )
        .unwrap();
        std::fs::create_dir_all(path("bin")).unwrap();
        std::fs::write(
            path("bin/ssh"),
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$*\" >> {d}/ssh.log\nexec /usr/bin/ssh -F {d}/ssh_config \"$@\"\n"
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path("bin/ssh"), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir_all(path("state")).unwrap();
        let log = std::fs::File::create(path("sshd.log")).unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(path("sshd_config"))
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("sshd starts");
        let host = SshHost {
            child,
            dir,
            port,
            user,
            closed_port,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let login = host.ssh(&[SSH_ALIAS, "true"]);
            if login.status.success() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no login through sshd within 30 s: {}\n{}",
                text(&login),
                host.log()
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        Some(host)
    }

    /// The wrapper, as appctl runs it.
    fn ssh(&self, args: &[&str]) -> Output {
        Command::new(self.dir.path().join("bin/ssh"))
            .args(args)
            .env_remove("SSH_AUTH_SOCK")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    }

    /// appctl with the wrapper first on PATH, no agent, and `$XDG_STATE_HOME` in the temporary
    /// directory, where it must leave nothing (bollard's own ssh transport, which appctl no longer
    /// uses, left ssh control directories there).
    fn appctl(&self, dir: &Path, args: &[&str]) -> Output {
        self.appctl_command(dir, args).output().unwrap()
    }

    fn appctl_command(&self, dir: &Path, args: &[&str]) -> Command {
        let path = std::env::var("PATH").unwrap_or_default();
        let mut command = appctl_command(dir, args);
        command
            .env(
                "PATH",
                format!("{}:{path}", self.dir.path().join("bin").display()),
            )
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .env_remove("SSH_AUTH_SOCK");
        command
    }

    /// sshd's log and the ssh invocations so far, for failure messages.
    fn log(&self) -> String {
        let read =
            |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        format!(
            "sshd:\n{}\nssh invocations:\n{}",
            read("sshd.log"),
            read("ssh.log")
        )
    }

    /// How many ssh connections (`... docker system dial-stdio`) appctl has opened so far.
    fn connections(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("ssh.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.ends_with(" docker system dial-stdio"))
            .count()
    }

    /// Pids and command lines of the ssh clients that use this host's config, and of the sshd's
    /// sessions (its descendants: `sshd: root@notty`, `docker system dial-stdio`).
    fn ssh_processes(&self) -> Vec<(u32, String)> {
        let config = self.dir.path().join("ssh_config");
        let config = config.to_string_lossy();
        let mut processes = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let (Ok(cmdline), Ok(stat)) = (
                std::fs::read(entry.path().join("cmdline")),
                std::fs::read_to_string(entry.path().join("stat")),
            ) else {
                continue;
            };
            // The parent is the second field after the command's name in parentheses.
            let Some(parent) = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok())
            else {
                continue;
            };
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            processes.push((pid, parent, cmdline.trim().to_string()));
        }
        let sshd = self.child.id();
        let descends_from_sshd = |mut pid: u32| {
            for _ in 0..64 {
                match processes.iter().find(|(p, _, _)| *p == pid) {
                    Some((_, parent, _)) if *parent == sshd => return true,
                    Some((_, parent, _)) if *parent > 1 => pid = *parent,
                    _ => return false,
                }
            }
            false
        };
        processes
            .iter()
            .filter(|(pid, _, cmdline)| {
                cmdline.contains(config.as_ref()) || descends_from_sshd(*pid)
            })
            .map(|(pid, _, cmdline)| (*pid, cmdline.clone()))
            .collect()
    }

    /// What appctl left behind once it exited: ssh processes (here and the sshd's sessions) and
    /// files in `$XDG_STATE_HOME`. Waits a bounded while, since a session takes a moment to end.
    fn leftovers(&self) -> Vec<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let mut left: Vec<String> = self
                .ssh_processes()
                .into_iter()
                .map(|(pid, cmdline)| format!("process {pid}: {cmdline}"))
                .collect();
            left.extend(
                std::fs::read_dir(self.dir.path().join("state"))
                    .unwrap()
                    .flatten()
                    .map(|e| format!("state file {}", e.path().display())),
            );
            if left.is_empty() || std::time::Instant::now() >= deadline {
                return left;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

impl Drop for SshHost {
    fn drop(&mut self) {
        // ssh clients left behind (a failed test) hold sessions open: they go first, by pid.
        for (pid, _) in self.ssh_processes() {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !matches!(self.child.try_wait(), Ok(Some(_))) {
            if std::time::Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

/// Removes an environment's containers and network from the machine's engine, by label.
struct EnvironmentContainers(String);

impl Drop for EnvironmentContainers {
    fn drop(&mut self) {
        let label = format!("label=dev.appctl.project={}", self.0);
        let ids = docker(&["ps", "-aq", "--filter", &label]);
        let ids: Vec<String> = String::from_utf8_lossy(&ids.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(ids.iter().map(String::as_str));
            let _ = docker(&args);
        }
        let networks = docker(&["network", "ls", "-q", "--filter", &label]);
        for id in String::from_utf8_lossy(&networks.stdout).split_whitespace() {
            let _ = docker(&["network", "rm", id]);
        }
    }
}

/// Container names by service of `project` on the machine's engine.
fn containers_named(project: &str) -> Vec<(String, String, String)> {
    let listed = docker_text(&[
        "ps",
        "-a",
        "--filter",
        &format!("label=dev.appctl.project={project}"),
        "--format",
        "{{.Label \"dev.appctl.service\"}} {{.Names}} {{.ID}}",
    ]);
    let mut list: Vec<(String, String, String)> = listed
        .lines()
        .filter_map(|l| {
            let mut fields = l.split_whitespace();
            Some((
                fields.next()?.to_string(),
                fields.next()?.to_string(),
                fields.next()?.to_string(),
            ))
        })
        .collect();
    list.sort();
    list
}

/// `deploy --env overssh` with `docker_host: ssh://appctl-ssh-test` (an alias of the ssh config):
/// each connection is the system's ssh client (the wrapper) logging in to a real sshd and running
/// `docker system dial-stdio` there. The function and its gateway run on that engine, answer
/// through the gateway, show healthy in `status --env`; a rerun through
/// `ssh://USER@127.0.0.1:PORT` touches nothing. No ssh process outlives appctl, on either side,
/// not even when `logs -f` is stopped with Ctrl-C.
#[test]
fn deploy_runs_functions_on_an_ssh_docker_host() {
    let Some(images) = images() else { return };
    let Some(ssh) = SshHost::start() else { return };
    let pg = crate::support::pg::PgServer::start();
    let database_url = pg.create_database("overssh");
    let (_dir, path, name, _local_gateway_port) = functions_project(images);
    let environment = "overssh";
    let project = format!("{name}-{environment}");
    let _cleanup = EnvironmentContainers(project.clone());
    let gateway_port = free_port();
    let jwt_secret = "overssh-jwt-secret-0123456789abcdef-never-printed";
    // echo alone: the python function adds nothing to what is tested here.
    let file = path.join("appctl.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    let start = yaml.find("  tick:\n").unwrap();
    let end = yaml.find("stack:\n").unwrap();
    std::fs::write(&file, format!("{}{}", &yaml[..start], &yaml[end..])).unwrap();
    add_environment(
        &path,
        environment,
        &database_url,
        jwt_secret,
        &format!("docker_host: \"ssh://{SSH_ALIAS}\"\n    gateway: \"127.0.0.1:{gateway_port}\""),
    );
    let run = |args: &[&str]| {
        let out = ssh.appctl(&path, args);
        let all = text(&out);
        assert!(!all.contains(jwt_secret), "{all}");
        assert!(!all.contains("s3cr3t-value-never-printed"), "{all}");
        let left = ssh.leftovers();
        assert!(
            left.is_empty(),
            "appctl {args:?} left {left:?}\n{}",
            ssh.log()
        );
        out
    };
    let deploy = || {
        let out = run(&["deploy", "--env", environment, "--yes", "--bootstrap"]);
        assert!(out.status.success(), "{}\n{}", text(&out), ssh.log());
        text(&out)
    };

    let first = deploy();
    assert!(
        first.contains(&format!("Functions on ssh://{SSH_ALIAS}")),
        "{first}"
    );
    assert!(first.contains("+ functions.echo: create"), "{first}");
    assert!(first.contains("+ gateway: create"), "{first}");
    // The "remote" is this machine's engine: it has the images, none is copied.
    assert!(!first.contains("copied"), "{first}");
    eprintln!("first deploy: {} ssh connections", ssh.connections());
    let before = containers_named(&project);
    assert_eq!(
        before
            .iter()
            .map(|(service, name, _)| (service.as_str(), name.as_str()))
            .collect::<Vec<_>>(),
        [
            (
                "functions.echo",
                format!("appctl-{project}-functions-echo").as_str()
            ),
            ("gateway", format!("appctl-{project}-gateway").as_str()),
        ]
    );
    assert_eq!(
        pg.psql(
            &database_url,
            "select string_agg(name, ',') from appctl.functions"
        ),
        "echo"
    );

    // Through the gateway on the Docker host, with tokens signed by the environment's secret.
    let user = "22222222-2222-2222-2222-222222222222";
    let allowed = run(&[
        "functions",
        "invoke",
        "echo",
        "--env",
        environment,
        "--as",
        &format!("user:{user}"),
    ]);
    assert!(allowed.status.success(), "{}", text(&allowed));
    let body: serde_json::Value = serde_json::from_slice(&allowed.stdout).unwrap();
    assert_eq!(body["runtime"], "node");
    assert_eq!(body["version"], "one");
    assert_eq!(body["role"], "authenticated");
    assert_eq!(body["secret_set"], true);
    let denied = run(&[
        "functions",
        "invoke",
        "echo",
        "--env",
        environment,
        "--as",
        "anon",
    ]);
    assert_eq!(denied.status.code(), Some(1), "{}", text(&denied));
    assert!(text(&denied).contains("HTTP 403"), "{}", text(&denied));

    // status and logs reach the Docker host through ssh too.
    let status = run(&["status", "--env", environment, "--json"]);
    let status = json(&status);
    let healthy: Vec<&str> = status["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["health"] == "healthy")
        .map(|s| s["service"].as_str().unwrap())
        .collect();
    assert_eq!(healthy, ["functions.echo", "gateway"], "{status}");
    let logs = run(&["logs", "--env", environment, "functions.echo"]);
    assert!(
        text(&logs).contains("echo called trigger=http"),
        "{}",
        text(&logs)
    );

    // `logs -f` stopped with Ctrl-C leaves no ssh behind either: the terminal sends SIGINT to its
    // foreground process group (here a group of its own), ssh included. SIGINT to appctl alone
    // leaves its ssh children without their other end: they must end too.
    use std::os::unix::process::CommandExt as _;
    for whole_group in [true, false] {
        let mut follow = ssh
            .appctl_command(
                &path,
                &["logs", "--env", environment, "-f", "functions.echo"],
            )
            .process_group(0)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = follow.stdout.take().unwrap();
        let (lines, seen) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead as _;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match seen.recv_timeout(left) {
                Ok(line) if line.contains("echo called") => break,
                Ok(_) => {}
                Err(e) => {
                    let _ = follow.kill();
                    panic!("logs -f printed no line of echo's: {e}");
                }
            }
        }
        let target = if whole_group {
            format!("-{}", follow.id())
        } else {
            follow.id().to_string()
        };
        let _ = Command::new("kill").args(["-INT", "--", &target]).status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let stopped = loop {
            if let Some(status) = follow.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() >= deadline {
                let _ = follow.kill();
                panic!("logs -f did not stop within 30 s of SIGINT");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let left = ssh.leftovers();
        assert!(
            left.is_empty(),
            "logs -f ({stopped}, whole group: {whole_group}) left {left:?}"
        );
    }

    // Nothing changed: nothing touched. This time the host is written with its user and port
    // (`ssh -l USER -p PORT`), not through an alias of the ssh config.
    let by_port = format!("ssh://{}@127.0.0.1:{}", ssh.user, ssh.port);
    let yaml = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, yaml.replace(&format!("ssh://{SSH_ALIAS}"), &by_port)).unwrap();
    let connections = ssh.connections();
    let again = deploy();
    assert!(
        again.contains(&format!("Functions on {by_port} are up to date")),
        "{again}"
    );
    assert_eq!(containers_named(&project), before);
    eprintln!(
        "second deploy: {} ssh connections",
        ssh.connections() - connections
    );
}

/// An ssh:// Docker host that cannot be used stops the deploy before the database changes, with
/// an error naming the host and ssh's reason: nothing listens on its port, the key is not
/// authorized, the host's key is not the one known_hosts records or is not there at all.
#[test]
fn an_ssh_docker_host_that_refuses_fails_the_deploy_before_the_database_changes() {
    let Some(ssh) = SshHost::start() else { return };
    let pg = crate::support::pg::PgServer::start();
    let database_url = pg.create_database("sshrefused");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    std::fs::create_dir_all(path.join("functions/echo")).unwrap();
    std::fs::write(path.join("functions/echo/index.js"), ECHO_JS).unwrap();
    let secret = "0123456789abcdef0123456789abcdef-ssh-test";
    std::fs::write(path.join(".env"), format!("JWT_SECRET={secret}\n")).unwrap();
    let write = |docker_host: &str| {
        std::fs::write(
            path.join("appctl.yaml"),
            format!(
                "version: 1\nproject: sshrefused\ntables:\n  notes:\n    columns:\n      id: {{ type: bigint, primary_key: true }}\n\
                 functions:\n  echo:\n    runtime: node-20\n    source: functions/echo\n    entrypoint: index.js\n    execute: [any]\n\
                 environments:\n  staging:\n    database_url: \"{database_url}\"\n    docker_host: \"{docker_host}\"\n    \
                 jwt_secret: \"${{JWT_SECRET}}\"\n"
            ),
        )
        .unwrap();
    };
    let untouched = || {
        assert_eq!(
            pg.psql(
                &database_url,
                "select count(*) from pg_tables where tablename = 'notes' or schemaname = 'appctl'"
            ),
            "0"
        );
    };
    let closed = format!("{}@127.0.0.1:{}", ssh.user, ssh.closed_port);
    let closed_reason = format!("port {}: Connection refused", ssh.closed_port);
    for (alias, reason) in [
        (SSH_CLOSED, "Connection refused"),
        // The port written in the URL is the one ssh tries.
        (closed.as_str(), closed_reason.as_str()),
        (SSH_UNAUTHORIZED, "Permission denied"),
        (SSH_WRONG_KEY, "Host key verification failed"),
        // Not accepted on first use either: appctl leaves that to the user's ssh config.
        (SSH_UNKNOWN_KEY, "Host key verification failed"),
    ] {
        write(&format!("ssh://{alias}"));
        let out = ssh.appctl(
            path,
            &["deploy", "--env", "staging", "--yes", "--bootstrap"],
        );
        let message = text(&out);
        assert_eq!(out.status.code(), Some(1), "{message}\n{}", ssh.log());
        assert!(
            message.contains(&format!("cannot reach a Docker engine at ssh://{alias}")),
            "{message}"
        );
        assert!(
            message.contains(reason),
            "{alias}: {message}\n{}",
            ssh.log()
        );
        assert!(!message.contains(secret), "{message}");
        untouched();
        let left = ssh.leftovers();
        assert!(left.is_empty(), "{alias}: left {left:?}");
    }
}
