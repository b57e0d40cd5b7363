//! The schema engine against a real PostgreSQL: deploy, then plan again and find nothing to do.

use crate::support::engine::{Yes, desired, runtime};
use crate::support::pg::PgServer;
use appctl::deploy::{self, DeployOptions};

const CHAT: &str = r#"
version: 1
project: chat
enums:
  message_role: [system, user, assistant]
tables:
  threads:
    comment: A conversation
    columns:
      id:         { type: uuid, primary_key: true, default: gen_random_uuid() }
      title:      { type: varchar(200), nullable: true, comment: Shown in the sidebar }
      last_message_id: { type: bigint, nullable: true, references: messages.id, on_delete: set_null }
      created_at: { type: timestamptz, default: now() }
    indexes:
      - { columns: [created_at desc] }
  messages:
    columns:
      id:        { type: bigint, primary_key: true, identity: true }
      thread_id: { type: uuid, references: threads.id, on_delete: cascade }
      role:      { type: message_role, default: "'user'" }
      content:   { type: text, check: "length(content) > 0" }
      tokens:    { type: integer, default: 0 }
      words:     { type: integer, generated: "array_length(regexp_split_to_array(content, ' '), 1)" }
      tags:      { type: "text[]", default: "'{}'" }
    unique:
      - [thread_id, id]
    checks:
      tokens_positive: "tokens >= 0"
    indexes:
      - { columns: [thread_id, id desc], include: [role] }
      - { columns: [content], where: "role = 'assistant'", name: assistant_content }
"#;

#[test]
fn deploy_then_plan_is_empty() {
    let server = PgServer::start();
    let url = server.create_database("engine_converge");
    runtime().block_on(async {
        let mut conn = deploy::connect(&url, "appctl test").await.unwrap();
        let desired = desired(CHAT);
        let plan = deploy::make_plan(&mut conn, &desired, false).await.unwrap();
        assert!(!plan.is_empty());
        let outcome = deploy::deploy(
            &mut conn,
            &desired,
            None,
            &DeployOptions::default(),
            &mut Yes,
        )
        .await
        .unwrap();
        assert!(outcome.deployment_id.is_some());
        let again = deploy::make_plan(&mut conn, &desired, false).await.unwrap();
        assert!(
            again.is_empty(),
            "plan after deploy is not empty:\n{:#?}",
            again
                .steps
                .iter()
                .map(|s| (&s.object, &s.detail, &s.sql))
                .collect::<Vec<_>>()
        );
    });
}
