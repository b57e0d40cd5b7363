//! Buckets: rows of storage.buckets and their permissions as policies on storage.objects, converging
//! and enforced by the database (as Supabase Storage queries it: SET ROLE + request.jwt.claims).

use crate::support::engine::{Yes, desired, last_number, runtime};
use crate::support::pg::PgServer;
use appctl::deploy::{self, DeployOptions};

const ALICE: &str = "11111111-1111-4111-8111-111111111111";
const BOB: &str = "22222222-2222-4222-8222-222222222222";

const V1: &str = r#"
version: 1
project: files
buckets:
  uploads:
    max_file_size: 10MiB
    allowed_mime_types: [image/png, application/pdf]
    permissions:
      read: [owner]
      create: [users]
      delete: [owner]
  avatars:
    public: true
    permissions:
      read: [any]
"#;

const V2: &str = r#"
version: 1
project: files
buckets:
  uploads:
    max_file_size: 20MiB
    allowed_mime_types: [image/png]
    permissions:
      read: [owner, service]
      create: [users]
      delete: [owner]
"#;

fn request(server: &PgServer, role: &str, sub: Option<&str>, sql: &str) -> Result<String, String> {
    crate::support::engine::request(server, "buckets", role, sub, sql, false)
}

#[test]
fn buckets_converge_and_their_permissions_are_enforced() {
    let server = PgServer::start();
    let url = server.create_database("buckets");
    let runtime = runtime();
    let mut conn = runtime
        .block_on(deploy::connect(&url, "buckets test"))
        .unwrap();
    let options = DeployOptions {
        bootstrap: true,
        allow_destructive: true,
        ..DeployOptions::default()
    };
    let v1 = desired(V1);
    runtime.block_on(async {
        deploy::deploy(&mut conn, &v1, None, &options, &mut Yes)
            .await
            .unwrap();
        let again = deploy::make_plan(&mut conn, &v1, false).await.unwrap();
        assert!(
            again.is_empty(),
            "{:?}",
            again
                .steps
                .iter()
                .map(|s| (&s.object, &s.sql))
                .collect::<Vec<_>>()
        );
    });
    let rows = server.psql(
        "buckets",
        "select id || ' ' || public || ' ' || coalesce(file_size_limit::text, '-') || ' ' || coalesce(array_to_string(allowed_mime_types, ','), '-') from storage.buckets order by id",
    );
    assert_eq!(
        rows.trim(),
        "avatars true - -\nuploads false 10485760 image/png,application/pdf"
    );

    server.psql(
        "buckets",
        &format!(
            "insert into storage.objects (bucket_id, name, owner) values
               ('uploads', 'a.png', '{ALICE}'), ('uploads', 'b.png', '{BOB}'), ('avatars', 'x.png', '{BOB}')"
        ),
    );
    let visible = |role, sub, bucket| {
        request(
            &server,
            role,
            sub,
            &format!("SELECT count(*) FROM storage.objects WHERE bucket_id = '{bucket}'"),
        )
        .map(|out| last_number(&out))
    };
    assert_eq!(visible("authenticated", Some(ALICE), "uploads"), Ok(1));
    assert_eq!(visible("anon", None, "uploads"), Ok(0));
    assert_eq!(visible("anon", None, "avatars"), Ok(1));
    request(
        &server,
        "authenticated",
        Some(ALICE),
        &format!("INSERT INTO storage.objects (bucket_id, name, owner) VALUES ('uploads', 'c.pdf', '{ALICE}')"),
    )
    .unwrap();
    assert!(
        request(
            &server,
            "authenticated",
            Some(ALICE),
            "INSERT INTO storage.objects (bucket_id, name) VALUES ('avatars', 'y.png')",
        )
        .unwrap_err()
        .contains("row-level security")
    );
    request(
        &server,
        "authenticated",
        Some(ALICE),
        "DELETE FROM storage.objects WHERE name = 'b.png'",
    )
    .unwrap();
    assert_eq!(
        server
            .psql(
                "buckets",
                "select count(*) from storage.objects where name = 'b.png'"
            )
            .trim(),
        "1",
        "a user cannot delete another user's file"
    );

    // A bucket created by hand is not appctl's: listed, never deleted.
    server.psql(
        "buckets",
        "insert into storage.buckets (id, name) values ('legacy', 'legacy')",
    );
    server.psql(
        "buckets",
        "delete from storage.objects where bucket_id = 'avatars'",
    );
    let v2 = desired(V2);
    runtime.block_on(async {
        let plan = deploy::make_plan(&mut conn, &v2, false).await.unwrap();
        let text = appctl::plan_output::render_text(&plan, "db", Default::default());
        assert!(text.contains("~ bucket uploads"), "{text}");
        assert!(text.contains("- bucket avatars"), "{text}");
        assert!(text.contains("destructive"), "{text}");
        assert!(text.contains("bucket legacy"), "{text}");
        deploy::deploy(&mut conn, &v2, None, &options, &mut Yes)
            .await
            .unwrap();
        let again = deploy::make_plan(&mut conn, &v2, false).await.unwrap();
        assert!(
            again.is_empty(),
            "{:?}",
            again.steps.iter().map(|s| &s.object).collect::<Vec<_>>()
        );
    });
    let rows = server.psql(
        "buckets",
        "select string_agg(id || ':' || coalesce(file_size_limit::text, '-'), ' ' order by id) from storage.buckets",
    );
    assert_eq!(rows.trim(), "legacy:- uploads:20971520");
    assert_eq!(visible("service_role", None, "uploads"), Ok(3));
}
