//! The pure core of the local stack: project file + template → service specs → Compose file and
//! status table. Snapshots of what people read; properties of what the engine relies on.

use std::path::Path;

use appctl::project::file::ProjectFile;
use appctl::stack::docker::Existing;
use appctl::stack::spec::{self, HealthCheck, SpecError, StackSpec};
use appctl::stack::{compose, status, template};

fn ai_chat() -> String {
    include_str!("../../templates/projects/ai-chat/appctl.yaml").replace("{{project}}", "acme-chat")
}

fn stack(yaml: &str) -> Result<StackSpec, SpecError> {
    let file: ProjectFile = serde_yaml_ng::from_str(yaml).expect("test project parses");
    let (template, images) = template::builtin();
    spec::build(&file, Path::new("/project"), &template, &images)
}

fn with_stack(overrides: &str) -> String {
    format!("{}\nstack:\n{overrides}", ai_chat())
}

#[test]
fn the_full_stack_of_the_ai_chat_template_as_a_compose_file() {
    let stack = stack(&ai_chat()).unwrap();
    let names: Vec<&str> = stack.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "db",
            "storage",
            "functions.chat",
            "functions.ingest",
            "gateway"
        ]
    );
    insta::assert_snapshot!(compose::render(&stack, Path::new("/project")));
}

#[test]
fn the_gateway_serves_rest_itself_as_the_authenticator_role() {
    let full = stack(&ai_chat()).unwrap();
    assert!(full.service("rest").is_none(), "no PostgREST container");
    let gateway = full.service("gateway").unwrap();
    assert_eq!(
        gateway.env["APPCTL_REST_DB_URL"],
        "postgres://authenticator:{{authenticator_password}}@db:5432/postgres"
    );
    assert_eq!(gateway.env["APPCTL_REST_SCHEMA"], "public");
    assert_eq!(gateway.env["APPCTL_REST_ANON_ROLE"], "anon");
    assert!(!gateway.env.contains_key("APPCTL_REST_URL"));
    assert!(gateway.depends_on.contains(&"db".to_string()));
    // Auth too, as supabase_auth_admin.
    assert!(full.service("auth").is_none(), "no GoTrue container");
    assert_eq!(
        gateway.env["APPCTL_AUTH_DB_URL"],
        "postgres://supabase_auth_admin:{{auth_password}}@db:5432/postgres"
    );
    assert_eq!(
        gateway.env["APPCTL_AUTH_ISSUER"],
        "http://127.0.0.1:54321/auth/v1"
    );
    assert!(!gateway.env.contains_key("APPCTL_AUTH_URL"));
    // An upstream GoTrue is a container the gateway proxies, without the built-in's settings.
    let upstream = stack(&with_stack(
        "  auth: { image: \"supabase/gotrue:v2.177.0\" }\n",
    ))
    .unwrap();
    let gateway = upstream.service("gateway").unwrap();
    assert_eq!(
        upstream.service("auth").unwrap().image,
        "supabase/gotrue:v2.177.0"
    );
    assert_eq!(gateway.env["APPCTL_AUTH_URL"], "http://auth:9999");
    assert!(!gateway.env.contains_key("APPCTL_AUTH_DB_URL"));
}

#[test]
fn the_api_limits_reach_the_gateways_rest_service() {
    let yaml = format!(
        "{}\napi:\n  max_rows: 500\n  max_body: 2MiB\n  pool_size: 20\n  statement_timeout: {{ anon: 3s, authenticated: 1m }}\n",
        ai_chat()
    );
    let gateway = stack(&yaml).unwrap().service("gateway").unwrap().clone();
    assert_eq!(gateway.env["APPCTL_REST_MAX_ROWS"], "500");
    assert_eq!(gateway.env["APPCTL_REST_MAX_BODY_BYTES"], "2097152");
    assert_eq!(gateway.env["APPCTL_REST_POOL_SIZE"], "20");
    assert_eq!(
        gateway.env["APPCTL_REST_STATEMENT_TIMEOUT"],
        "anon=3000,authenticated=60000"
    );
    // With an upstream PostgREST the gateway serves no REST: no limits for it.
    let upstream = format!("{yaml}stack:\n  rest: {{ image: \"postgrest/postgrest:v13.0.4\" }}\n");
    let gateway = stack(&upstream)
        .unwrap()
        .service("gateway")
        .unwrap()
        .clone();
    assert!(!gateway.env.contains_key("APPCTL_REST_MAX_ROWS"));
}

#[test]
fn an_environment_with_an_api_database_url_serves_rest_from_its_gateway() {
    let file: ProjectFile =
        serde_yaml_ng::from_str(&format!("{}\napi:\n  max_rows: 100\n", ai_chat())).unwrap();
    let (template, images) = template::builtin();
    let site = spec::RemoteSite {
        environment: "production".into(),
        gateway: "127.0.0.1:8443".parse().unwrap(),
        rest: true,
    };
    let stack =
        spec::build_remote(&file, Path::new("/project"), &template, &images, &site).unwrap();
    let names: Vec<&str> = stack.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["functions.chat", "functions.ingest", "gateway"]);
    let gateway = stack.service("gateway").unwrap();
    // A placeholder: the URL holds a password, filled in only when the container is made.
    assert_eq!(gateway.env["APPCTL_REST_DB_URL"], "{{api_database_url}}");
    assert_eq!(gateway.env["APPCTL_REST_SCHEMA"], "public");
    assert_eq!(gateway.env["APPCTL_REST_MAX_ROWS"], "100");
    assert!(gateway.depends_on.is_empty());
}

#[test]
fn an_upstream_postgrest_image_runs_as_its_own_container_behind_the_gateway() {
    let stack = stack(&with_stack(
        "  rest: { image: \"postgrest/postgrest:v13.0.4\" }\n",
    ))
    .unwrap();
    let rest = stack.service("rest").unwrap();
    assert_eq!(rest.image, "postgrest/postgrest:v13.0.4");
    assert_eq!(rest.env["PGRST_DB_ANON_ROLE"], "anon");
    let gateway = stack.service("gateway").unwrap();
    assert_eq!(gateway.env["APPCTL_REST_URL"], "http://rest:3000");
    assert!(
        !gateway
            .env
            .keys()
            .any(|k| k.starts_with("APPCTL_REST_") && k != "APPCTL_REST_URL"),
        "{:?}",
        gateway.env
    );
    assert!(gateway.depends_on.contains(&"rest".to_string()));
}

#[test]
fn the_compose_file_never_holds_a_secret_value() {
    let stack = stack(&ai_chat()).unwrap();
    let text = compose::render(&stack, Path::new("/project"));
    assert!(!text.contains("{{"), "every placeholder is replaced");
    assert!(text.contains("${APPCTL_DB_PASSWORD}"));
    assert!(text.contains("${APPCTL_SERVICE_KEY}"));
    // The user's ${VAR}s stay variables for Compose to fill in.
    assert!(text.contains("${OPENAI_API_KEY}"));
}

#[test]
fn a_slim_stack_leaves_out_services_and_everything_that_points_at_them() {
    let stack = stack(&with_stack(
        "  rest: { enabled: false }\n  auth: { enabled: false }\n  storage: { enabled: false }\n  functions: { enabled: false }\n",
    ))
    .unwrap();
    let names: Vec<&str> = stack.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["db", "gateway"]);
    let gateway = stack.service("gateway").unwrap();
    assert_eq!(gateway.depends_on, ["db"]);
    assert!(!gateway.env.keys().any(|k| k.starts_with("APPCTL_REST_")));
    assert!(gateway.env.contains_key("APPCTL_JWT_SECRET"));
    insta::assert_snapshot!(compose::render(&stack, Path::new("/project")));
}

#[test]
fn overrides_change_image_port_env_and_health_timeout() {
    let stack = stack(&with_stack(
        "  db: { image: \"appctl.local/db:18\", port: 6543, env: { POSTGRES_INITDB_ARGS: \"--data-checksums\" }, health_timeout: 2m }\n",
    ))
    .unwrap();
    let db = stack.service("db").unwrap();
    assert_eq!(db.image, "appctl.local/db:18");
    assert_eq!(db.port.unwrap().host, 6543);
    assert_eq!(db.port.unwrap().container, 5432);
    assert_eq!(db.env["POSTGRES_INITDB_ARGS"], "--data-checksums");
    assert_eq!(db.env["POSTGRES_PASSWORD"], "{{db_password}}");
    assert_eq!(db.health.timeout.as_secs(), 120);
    assert!(matches!(db.health.check, HealthCheck::Command(_)));
    assert_eq!(db.volume.as_ref().unwrap().name, "appctl-acme-chat-db-data");
}

#[test]
fn an_override_port_that_collides_with_another_services_default_is_refused() {
    let error = stack(&with_stack("  storage: { port: 54322 }\n")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`stack.storage.port` 54322 is also the host port of `db`"
    );
}

#[test]
fn services_start_in_waves_of_their_dependencies() {
    let stack = stack(&ai_chat()).unwrap();
    let waves: Vec<Vec<&str>> = stack
        .waves()
        .iter()
        .map(|w| w.iter().map(|s| s.name.as_str()).collect())
        .collect();
    assert_eq!(
        waves,
        vec![
            vec!["db"],
            vec!["storage", "functions.chat", "functions.ingest"],
            vec!["gateway"]
        ]
    );
}

#[test]
fn function_containers_run_their_runtime_on_their_entrypoint_with_their_files() {
    let stack = stack(&ai_chat()).unwrap();
    let chat = stack.service("functions.chat").unwrap();
    assert_eq!(chat.host, "functions-chat");
    assert_eq!(chat.container, "appctl-acme-chat-functions-chat");
    assert_eq!(chat.command, ["node", "/app/index.js"]);
    assert_eq!(
        chat.files.as_deref(),
        Some(Path::new("/project/functions/chat"))
    );
    assert_eq!(chat.env["PORT"], "8000");
    assert!(chat.port.is_none(), "only the gateway publishes functions");
}

#[test]
fn the_status_table() {
    let stack = stack(&with_stack(
        "  rest: { enabled: false }\n  auth: { enabled: false }\n  storage: { enabled: false }\n  functions: { enabled: false }\n",
    ))
    .unwrap();
    let existing = [
        Existing {
            id: "1".into(),
            service: "db".into(),
            hash: Some("h".into()),
            running: true,
            state: "running".into(),
            health: Some("healthy".into()),
            image: "appctl.local/db:18".into(),
            name: "appctl-acme-chat-db".into(),
            ports: vec![54322],
        },
        Existing {
            id: "2".into(),
            service: "rest".into(),
            hash: Some("h".into()),
            running: false,
            state: "exited".into(),
            health: None,
            image: "postgrest/postgrest:v13.0.4".into(),
            name: "appctl-acme-chat-rest".into(),
            ports: vec![],
        },
    ];
    let rows = status::rows(&stack, &existing);
    insta::assert_snapshot!(status::render_table(&rows));
}

#[test]
fn a_functions_memory_limits_its_container() {
    let yaml = ai_chat().replace(
        "    timeout: 60s\n",
        "    timeout: 60s\n    memory: 256MiB\n",
    );
    assert!(yaml.contains("memory: 256MiB"), "the template changed");
    let stack = stack(&yaml).unwrap();
    let limited: Vec<(&str, Option<u64>)> = stack
        .services
        .iter()
        .filter(|s| s.memory.is_some())
        .map(|s| (s.name.as_str(), s.memory))
        .collect();
    assert_eq!(limited.len(), 1, "{limited:?}");
    assert_eq!(limited[0].1, Some(256 * 1024 * 1024));
    let text = compose::render(&stack, Path::new("/project"));
    assert!(text.contains("mem_limit: 268435456"), "{text}");
}

/// An environment's Docker host runs the functions and their gateway only, named for the
/// environment, with the gateway on the environment's address and checked inside its container;
/// the developer's local env and port overrides stay local.
#[test]
fn an_environments_stack_is_its_functions_and_gateway() {
    let yaml = with_stack(
        "  gateway: { port: 50001, env: { LOCAL_ONLY: \"1\" }, health_timeout: 45s }\n  functions: { env: { DEBUG: \"1\" } }\n",
    );
    let file: ProjectFile = serde_yaml_ng::from_str(&yaml).unwrap();
    let (template, images) = template::builtin();
    let site = spec::RemoteSite {
        environment: "production".into(),
        gateway: "0.0.0.0:8443".parse().unwrap(),
        rest: false,
    };
    let stack =
        spec::build_remote(&file, Path::new("/project"), &template, &images, &site).unwrap();
    let names: Vec<&str> = stack.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["functions.chat", "functions.ingest", "gateway"]);
    assert_eq!(stack.project, "acme-chat-production");
    assert_eq!(stack.network, "appctl-acme-chat-production");
    let gateway = stack.service("gateway").unwrap();
    assert_eq!(gateway.container, "appctl-acme-chat-production-gateway");
    let port = gateway.port.unwrap();
    assert_eq!(
        (port.address.to_string(), port.host),
        ("0.0.0.0".into(), 8443)
    );
    assert_eq!(
        gateway.health.check,
        HealthCheck::Command(spec::GATEWAY_CHECK.iter().map(|s| s.to_string()).collect())
    );
    assert_eq!(gateway.health.timeout, std::time::Duration::from_secs(45));
    assert!(!gateway.env.contains_key("LOCAL_ONLY"));
    assert!(gateway.env.contains_key("APPCTL_FUNCTIONS"));
    assert!(
        gateway.env.keys().all(|k| !k.ends_with("_URL")),
        "no rest, auth or storage upstream: {:?}",
        gateway.env.keys()
    );
    assert!(gateway.depends_on.is_empty());
    for function in stack
        .services
        .iter()
        .filter(|s| s.name.starts_with("functions."))
    {
        assert!(!function.env.contains_key("DEBUG"));
        assert!(function.depends_on.is_empty(), "{:?}", function.depends_on);
        assert!(
            function
                .container
                .starts_with("appctl-acme-chat-production-functions-")
        );
    }
}
