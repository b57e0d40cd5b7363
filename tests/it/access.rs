//! `appctl access` agrees with the database: on the ai-chat template (PostgreSQL 18 with pgvector),
//! every table × role × action of the computed matrix is checked against what a request running as
//! that role really gets (read, update and delete probed; create is covered by tests/it/permissions.rs).

use std::collections::BTreeSet;

use crate::support::engine::{Yes, last_number, runtime};
use crate::support::pg::PgServer;
use appctl::access::{self, Access};
use appctl::deploy::{self, DeployOptions};
use appctl::project::file::ProjectFile;

const ALICE: &str = "11111111-1111-4111-8111-111111111111";
const BOB: &str = "22222222-2222-4222-8222-222222222222";

fn ai_chat() -> ProjectFile {
    let text = include_str!("../../templates/projects/ai-chat/appctl.yaml")
        .replace("{{project}}", "demo")
        .replace("{{schema_url}}", "schema.json");
    serde_yaml_ng::from_str(&text).unwrap()
}

/// What a request as `role` (user ALICE when authenticated) sees of `sql`'s row count; rolled back.
fn probe(server: &PgServer, role: &str, sql: &str) -> Result<i64, String> {
    let sub = (role == "authenticated").then_some(ALICE);
    crate::support::engine::request(server, "access", role, sub, sql, true)
        .map(|out| last_number(&out))
}

#[test]
fn access_report_agrees_with_enforcement_on_the_ai_chat_template() {
    let Some(server) = PgServer::pg18() else {
        assert!(
            std::env::var_os("APPCTL_REQUIRE_PG18").is_none(),
            "PostgreSQL 18 is required (APPCTL_REQUIRE_PG18)"
        );
        eprintln!("skipped: PostgreSQL 18 with pgvector is not installed");
        return;
    };
    let url = server.create_database("access");
    let desired = appctl::lower::lower(&ai_chat());
    let runtime = runtime();
    let (live, bypass) = runtime.block_on(async {
        let mut conn = deploy::connect(&url, "access test").await.unwrap();
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
            "{:?}",
            again.steps.iter().map(|s| &s.object).collect::<Vec<_>>()
        );
        let live = appctl::inspect::inspect(&mut conn, "public").await.unwrap();
        let bypass: Vec<String> =
            sqlx::query_scalar("SELECT rolname::text FROM pg_roles WHERE rolbypassrls OR rolsuper")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        (live, bypass.into_iter().collect::<BTreeSet<String>>())
    });

    // Rows of both users in every table.
    let zeros = format!("'[{}]'", vec!["0"; 1536].join(","));
    server.psql(
        "access",
        &format!(
            "insert into auth.users (id, email) values ('{ALICE}', 'a@x'), ('{BOB}', 'b@x');
             insert into threads (id, owner_id, title) values
               ('aaaaaaaa-0000-4000-8000-000000000001', '{ALICE}', 'a'),
               ('bbbbbbbb-0000-4000-8000-000000000001', '{BOB}', 'b');
             insert into messages (thread_id, owner_id, role, content) values
               ('aaaaaaaa-0000-4000-8000-000000000001', '{ALICE}', 'user', 'hi'),
               ('bbbbbbbb-0000-4000-8000-000000000001', '{BOB}', 'user', 'yo');
             insert into documents (id, owner_id, title) values
               ('aaaaaaaa-0000-4000-8000-000000000002', '{ALICE}', 'a'),
               ('bbbbbbbb-0000-4000-8000-000000000002', '{BOB}', 'b');
             insert into chunks (document_id, owner_id, position, content, embedding) values
               ('aaaaaaaa-0000-4000-8000-000000000002', '{ALICE}', 0, 'x', {zeros}),
               ('bbbbbbbb-0000-4000-8000-000000000002', '{BOB}', 0, 'y', {zeros});
             insert into tool_calls (message_id, owner_id, tool) select id, owner_id, 'search' from messages;"
        ),
    );

    let cells = access::matrix(&live, &bypass);
    assert_eq!(cells.len(), live.tables.len() * 3 * 4);
    let mut checked = 0;
    for cell in &cells {
        let table = format!("\"{}\"", cell.table);
        let sql = match cell.action {
            "read" => format!("SELECT count(*) FROM {table}"),
            "update" => format!(
                "WITH changed AS (UPDATE {table} SET id = id RETURNING 1) SELECT count(*) FROM changed"
            ),
            "delete" => {
                format!("WITH gone AS (DELETE FROM {table} RETURNING 1) SELECT count(*) FROM gone")
            }
            _ => continue,
        };
        let total: i64 = server
            .psql("access", &format!("SELECT count(*) FROM {table}"))
            .trim()
            .parse()
            .unwrap();
        let outcome = probe(&server, &cell.role, &sql);
        let agrees = match (&cell.access, &outcome) {
            (Access::Denied, Err(e)) => e.contains("permission denied"),
            (Access::Denied, Ok(n)) => *n == 0,
            (Access::Allowed, Ok(n)) => *n == total,
            (Access::Rows(_), Ok(n)) => *n > 0 && *n < total,
            _ => false,
        };
        assert!(
            agrees,
            "{}.{} as {}: report says {:?}, the database gave {:?} of {total}",
            cell.table, cell.action, cell.role, cell.access, outcome
        );
        checked += 1;
    }
    assert!(checked >= 5 * 3 * 3);
}
