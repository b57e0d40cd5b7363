//! Permissions enforced by the database itself: each role kind and action tried the way PostgREST
//! runs a request (SET ROLE + request.jwt.claims in a transaction), allowed and denied cases both.

use crate::support::engine::{Yes, last_number, runtime};
use crate::support::pg::PgServer;
use appctl::deploy::{self, DeployOptions};
use appctl::project::file::ProjectFile;

const ALICE: &str = "11111111-1111-4111-8111-111111111111";
const BOB: &str = "22222222-2222-4222-8222-222222222222";

const PROJECT: &str = r#"
version: 1
project: perms
tables:
  notes:
    columns:
      id:       { type: bigint, primary_key: true, identity: true }
      owner_id: { type: uuid, default: auth.uid() }
      body:     { type: text }
    owner: owner_id
    permissions:
      read: [owner]
      create: [owner]
      update: [owner]
      delete: [owner]
  posts:
    columns:
      id:        { type: bigint, primary_key: true, identity: true }
      title:     { type: text }
      published: { type: boolean, default: false }
    permissions:
      read: [any, { role: users, where: "published" }]
      write: [service]
  drafts:
    columns:
      id:        { type: bigint, primary_key: true, identity: true }
      title:     { type: text }
      published: { type: boolean, default: false }
    permissions:
      read: [{ role: users, where: "published" }]
  guestbook:
    columns:
      id:   { type: bigint, primary_key: true, identity: true }
      line: { type: text }
    permissions:
      read: [guests]
      create: [guests]
  vip:
    columns:
      id:   { type: bigint, primary_key: true, identity: true }
      note: { type: text }
    permissions:
      read: ["user:11111111-1111-4111-8111-111111111111"]
  secrets:
    columns:
      id:    { type: bigint, primary_key: true, identity: true }
      value: { type: text }
"#;

/// Runs `sql` as PostgREST would for a request with these claims.
fn request(server: &PgServer, role: &str, sub: Option<&str>, sql: &str) -> Result<String, String> {
    crate::support::engine::request(server, "perms", role, sub, sql, false)
}

fn count(server: &PgServer, role: &str, sub: Option<&str>, table: &str) -> Result<i64, String> {
    let out = request(server, role, sub, &format!("SELECT count(*) FROM {table}"))?;
    Ok(last_number(&out))
}

#[test]
fn every_role_kind_is_enforced_by_postgres_15() {
    every_role_kind_is_enforced(&PgServer::start());
}

#[test]
fn every_role_kind_is_enforced_by_postgres_18() {
    match PgServer::pg18() {
        Some(server) => every_role_kind_is_enforced(&server),
        None => {
            assert!(
                std::env::var_os("APPCTL_REQUIRE_PG18").is_none(),
                "PostgreSQL 18 is required (APPCTL_REQUIRE_PG18)"
            );
            eprintln!("skipped: PostgreSQL 18 is not installed");
        }
    }
}

fn every_role_kind_is_enforced(server: &PgServer) {
    let url = server.create_database("perms");
    let file: ProjectFile = serde_yaml_ng::from_str(PROJECT).unwrap();
    let desired = appctl::lower::lower(&file);
    let runtime = runtime();
    runtime.block_on(async {
        let mut conn = deploy::connect(&url, "permissions test").await.unwrap();
        let options = DeployOptions {
            bootstrap: true,
            ..DeployOptions::default()
        };
        deploy::deploy(&mut conn, &desired, None, &options, &mut Yes)
            .await
            .unwrap();
        let again = deploy::make_plan(&mut conn, &desired, false).await.unwrap();
        assert!(
            again.is_empty(),
            "permissions converge: {:?}",
            again
                .steps
                .iter()
                .map(|s| (&s.object, &s.detail))
                .collect::<Vec<_>>()
        );
    });

    server.psql(
        "perms",
        &format!(
            "insert into notes (owner_id, body) values ('{ALICE}', 'alice 1'), ('{ALICE}', 'alice 2'), ('{BOB}', 'bob 1');
             insert into posts (title, published) values ('a', true), ('b', false);
             insert into drafts (title, published) values ('a', true), ('b', false);
             insert into vip (note) values ('v');
             insert into secrets (value) values ('s');"
        ),
    );

    // owner: each user sees and changes only their rows.
    assert_eq!(count(server, "authenticated", Some(ALICE), "notes"), Ok(2));
    assert_eq!(count(server, "authenticated", Some(BOB), "notes"), Ok(1));
    let updated = request(
        server,
        "authenticated",
        Some(ALICE),
        "UPDATE notes SET body = 'hijacked' WHERE owner_id <> auth.uid() RETURNING id",
    )
    .unwrap();
    assert!(
        !updated.lines().any(|l| l.trim().parse::<i64>().is_ok()),
        "{updated}"
    );
    request(
        server,
        "authenticated",
        Some(ALICE),
        "DELETE FROM notes WHERE body = 'bob 1'",
    )
    .unwrap();
    assert_eq!(
        server
            .psql("perms", "select count(*) from notes where body = 'bob 1'")
            .trim(),
        "1"
    );
    let forged = request(
        server,
        "authenticated",
        Some(ALICE),
        &format!("INSERT INTO notes (owner_id, body) VALUES ('{BOB}', 'forged')"),
    );
    assert!(
        forged.unwrap_err().contains("row-level security"),
        "cannot insert a row owned by B"
    );
    request(
        server,
        "authenticated",
        Some(ALICE),
        "INSERT INTO notes (body) VALUES ('mine')",
    )
    .unwrap();
    assert_eq!(count(server, "authenticated", Some(ALICE), "notes"), Ok(3));
    let anon_notes = count(server, "anon", None, "notes");
    assert!(anon_notes.unwrap_err().contains("permission denied"));

    // any: anon and users read everything; only service writes.
    assert_eq!(count(server, "anon", None, "posts"), Ok(2));
    assert_eq!(count(server, "authenticated", Some(BOB), "posts"), Ok(2));
    assert!(
        request(
            server,
            "authenticated",
            Some(BOB),
            "INSERT INTO posts (title) VALUES ('x')"
        )
        .unwrap_err()
        .contains("permission denied")
    );
    request(
        server,
        "service_role",
        None,
        "INSERT INTO posts (title) VALUES ('x')",
    )
    .unwrap();

    // { role: users, where }: filtered as written; anon gets nothing.
    assert_eq!(count(server, "authenticated", Some(BOB), "drafts"), Ok(1));
    assert!(count(server, "anon", None, "drafts").is_err());

    // guests: anon only.
    request(
        server,
        "anon",
        None,
        "INSERT INTO guestbook (line) VALUES ('hi')",
    )
    .unwrap();
    assert_eq!(count(server, "anon", None, "guestbook"), Ok(1));
    assert!(count(server, "authenticated", Some(ALICE), "guestbook").is_err());

    // user:<uuid>: that user only.
    assert_eq!(count(server, "authenticated", Some(ALICE), "vip"), Ok(1));
    assert_eq!(count(server, "authenticated", Some(BOB), "vip"), Ok(0));

    // No permissions: closed to anon and authenticated.
    assert!(count(server, "anon", None, "secrets").is_err());
    assert!(count(server, "authenticated", Some(ALICE), "secrets").is_err());

    // Drift: a policy and a grant added by hand on a managed table show up in the plan (and go);
    // on a table appctl does not manage they are left alone.
    server.psql(
        "perms",
        "create policy sneaky on secrets for select to anon using (true);
         grant select on secrets to anon;
         create table legacy (id int);
         alter table legacy enable row level security;
         create policy legacy_read on legacy for select to anon using (true);",
    );
    runtime.block_on(async {
        let mut conn = deploy::connect(&url, "permissions test").await.unwrap();
        let plan = deploy::make_plan(&mut conn, &desired, false).await.unwrap();
        let text = appctl::plan_output::render_text(&plan, "db", Default::default());
        assert!(text.contains("- policy sneaky on secrets"), "{text}");
        assert!(text.contains("revoke SELECT from anon"), "{text}");
        assert!(text.contains("secrets.read: nobody (was guests)"), "{text}");
        assert!(!text.contains("legacy_read"), "{text}");
        assert!(text.contains("table legacy"), "listed as unmanaged: {text}");
    });
}

/// Supabase grants everything to anon, authenticated and service_role on new tables (default
/// privileges). Those grants must not survive a deploy, or the next plan would revoke them forever.
#[test]
fn default_privileges_do_not_add_grants_the_file_does_not_declare() {
    let server = PgServer::start();
    let url = server.create_database("defaults");
    let yaml = "version: 1\nproject: d\ntables:\n  t:\n    columns:\n      id: { type: bigint, primary_key: true }\n    permissions:\n      read: [any]\n";
    let file: ProjectFile = serde_yaml_ng::from_str(yaml).unwrap();
    let desired = appctl::lower::lower(&file);
    let runtime = runtime();
    runtime.block_on(async {
        let mut conn = deploy::connect(&url, "defaults test").await.unwrap();
        let bootstrap = appctl::bootstrap::statements("public").join(";\n");
        sqlx::raw_sql(&bootstrap).execute(&mut conn).await.unwrap();
        sqlx::raw_sql(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        deploy::deploy(&mut conn, &desired, None, &DeployOptions::default(), &mut Yes)
            .await
            .unwrap();
        let again = deploy::make_plan(&mut conn, &desired, false).await.unwrap();
        assert!(
            again.is_empty(),
            "{:?}",
            again.steps.iter().map(|s| (&s.object, &s.detail)).collect::<Vec<_>>()
        );
    });
    let grants = server.psql(
        "defaults",
        "select string_agg(grantee || ':' || privilege_type, ' ' order by grantee, privilege_type) from information_schema.role_table_grants where table_name = 't' and grantee in ('anon', 'authenticated', 'service_role')",
    );
    assert_eq!(grants.trim(), "anon:SELECT authenticated:SELECT");
}
