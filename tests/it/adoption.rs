//! Schemas appctl did not write: hand-made tables adopted by a project file, planned and deployed
//! with the built binary against a real PostgreSQL. Every destructive effect is announced, no value
//! is lost that the plan did not name, and a failed deploy leaves the database literally as it was.

use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex, Weak};

use crate::support::pg::PgServer;

static SHARED: Mutex<Weak<PgServer>> = Mutex::new(Weak::new());

fn server() -> Arc<PgServer> {
    crate::support::pg::shared(&SHARED)
}

fn project(yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("appctl.yaml"), yaml).unwrap();
    dir
}

fn appctl(dir: &Path, args: &[&str]) -> Output {
    crate::support::cli::command(dir)
        .env("APPCTL_ACTOR", "adoption-test")
        .stdin(std::process::Stdio::null())
        .args(args)
        .output()
        .expect("run appctl")
}

use crate::support::cli::describe as text;

/// A fresh database `name` holding `sql`, written by hand.
fn database(server: &PgServer, name: &str, sql: &str) -> String {
    let url = server.create_database(name);
    server.psql(name, sql);
    url
}

/// The plan with its SQL; `appctl plan` exits 2 when there are changes.
fn plan_text(dir: &Path, url: &str) -> String {
    let out = appctl(dir, &["plan", "--sql", "--database-url", url]);
    assert!(matches!(out.status.code(), Some(0 | 2)), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn deploy(dir: &Path, url: &str, extra: &[&str]) -> Output {
    let mut args = vec!["deploy", "--yes", "--database-url", url];
    args.extend_from_slice(extra);
    appctl(dir, &args)
}

/// Deploys, then checks the same file plans nothing more: one deploy converges.
fn deploy_and_converge(dir: &Path, url: &str, extra: &[&str]) {
    let out = deploy(dir, url, extra);
    assert!(out.status.success(), "{}", text(&out));
    let again = appctl(dir, &["plan", "--database-url", url]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "a second plan is not empty:\n{}",
        text(&again)
    );
}

#[test]
fn a_generated_column_made_plain_keeps_its_values() {
    let server = server();
    let url = database(
        &server,
        "generated_to_plain",
        "create table items (id bigint primary key, a int not null, b int not null, \
           total int generated always as (a + b) stored);
         insert into items (id, a, b) values (1, 1, 2), (2, 10, 20);",
    );
    let dir = project(
        "version: 1
project: adoption
tables:
  items:
    columns:
      id:    { type: bigint, primary_key: true }
      a:     { type: integer }
      b:     { type: integer }
      total: { type: integer, nullable: true }
",
    );
    let plan = plan_text(dir.path(), &url);
    assert!(
        plan.contains("DROP EXPRESSION"),
        "the generated column is not kept with DROP EXPRESSION:\n{plan}"
    );
    assert!(!plan.contains("DROP COLUMN"), "{plan}");
    deploy_and_converge(dir.path(), &url, &[]);
    assert_eq!(
        server
            .psql(
                "generated_to_plain",
                "select string_agg(total::text, ',' order by id) from items"
            )
            .trim(),
        "3,30"
    );
    // A plain column now: writable.
    server.psql(
        "generated_to_plain",
        "update items set total = 7 where id = 1",
    );
}

#[test]
fn an_identity_column_made_plain_keeps_its_values() {
    let server = server();
    let url = database(
        &server,
        "identity_to_plain",
        "create table items (id bigint generated always as identity primary key, name text not null);
         insert into items (name) values ('a'), ('b');",
    );
    let dir = project(
        "version: 1
project: adoption
tables:
  items:
    columns:
      id:   { type: bigint, primary_key: true }
      name: { type: text }
",
    );
    let plan = plan_text(dir.path(), &url);
    assert!(plan.contains("DROP IDENTITY"), "{plan}");
    assert!(!plan.contains("DROP COLUMN"), "{plan}");
    deploy_and_converge(dir.path(), &url, &[]);
    assert_eq!(
        server
            .psql(
                "identity_to_plain",
                "select string_agg(id::text, ',' order by id) from items"
            )
            .trim(),
        "1,2"
    );
}

#[test]
fn identity_added_to_a_nullable_column_sets_not_null_first() {
    let server = server();
    let url = database(
        &server,
        "identity_on_nullable",
        "create table items (id bigint, name text not null);
         insert into items values (1, 'a'), (2, 'b');",
    );
    let dir = project(
        "version: 1
project: adoption
tables:
  items:
    columns:
      id:   { type: bigint, identity: true }
      name: { type: text }
",
    );
    deploy_and_converge(dir.path(), &url, &[]);
    assert_eq!(
        server.psql("identity_on_nullable", "select attidentity from pg_attribute where attrelid = 'items'::regclass and attname = 'id'").trim(),
        "d"
    );
}

/// Every schema, relation and column of `db`, for before/after comparisons.
fn catalog(server: &PgServer, db: &str) -> String {
    server.psql(
        db,
        "select string_agg(format('%s.%s.%s', n.nspname, c.relname, a.attname), ',' order by 1) \
         from pg_namespace n left join pg_class c on c.relnamespace = n.oid \
         left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 \
         where n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'",
    )
}

#[test]
fn a_deploy_that_fails_in_normalisation_leaves_the_database_as_it_was() {
    let server = server();
    let url = database(
        &server,
        "failed_normalisation",
        "create table notes (id bigint primary key, body text);",
    );
    let before = catalog(&server, "failed_normalisation");
    let dir = project(
        "version: 1
project: adoption
tables:
  notes:
    columns:
      id:   { type: bigint, primary_key: true }
      body: { type: text, nullable: true, default: \"no_such_function()\" }
",
    );
    let out = deploy(dir.path(), &url, &[]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("no_such_function"), "{}", text(&out));
    assert_eq!(catalog(&server, "failed_normalisation"), before);
    assert_eq!(
        server
            .psql(
                "failed_normalisation",
                "select count(*) from pg_namespace where nspname = 'appctl'"
            )
            .trim(),
        "0"
    );
}

#[test]
fn a_generated_column_made_identity_keeps_its_values() {
    let server = server();
    let url = database(
        &server,
        "generated_to_identity",
        "create table items (id bigint primary key, n bigint generated always as (id * 10) stored);
         insert into items (id) values (1), (2);",
    );
    let dir = project(
        "version: 1
project: adoption
tables:
  items:
    columns:
      id: { type: bigint, primary_key: true }
      n:  { type: bigint, identity: true }
",
    );
    let plan = plan_text(dir.path(), &url);
    assert!(plan.contains("DROP EXPRESSION"), "{plan}");
    assert!(!plan.contains("DROP COLUMN"), "{plan}");
    deploy_and_converge(dir.path(), &url, &[]);
    assert_eq!(
        server
            .psql(
                "generated_to_identity",
                "select string_agg(n::text, ',' order by id) from items"
            )
            .trim(),
        "10,20"
    );
    // The identity's sequence starts past the values kept.
    server.psql("generated_to_identity", "insert into items (id) values (3)");
    assert_eq!(
        server
            .psql("generated_to_identity", "select n from items where id = 3")
            .trim(),
        "21"
    );
}

/// Pulls `url`'s schema into a new project directory.
fn pull(url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = appctl(
        dir.path(),
        &[
            "pull",
            "--database-url",
            url,
            "-o",
            "appctl.yaml",
            "--name",
            "adoption",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    dir
}

/// Creates the API roles (cluster-wide, so another test may have made them already, or be making them
/// now: a concurrent CREATE ROLE fails with unique_violation rather than duplicate_object).
const API_ROLES: &str = "do $$ begin
  begin create role anon nologin; exception when duplicate_object or unique_violation then null; end;
  begin create role authenticated nologin; exception when duplicate_object or unique_violation then null; end;
  begin create role service_role nologin bypassrls; exception when duplicate_object or unique_violation then null; end;
end $$;";

/// Row-level security, policies and grants of `db`'s public tables, as text.
fn access(server: &PgServer, db: &str) -> String {
    server.psql(
        db,
        "select string_agg(line, E'\\n' order by line) from (
           select format('rls %s %s', relname, relrowsecurity) as line from pg_class
            where relnamespace = 'public'::regnamespace and relkind = 'r'
           union all
           select format('policy %s.%s %s %s %s %s %s', tablename, policyname, permissive, roles, cmd, qual, with_check)
             from pg_policies where schemaname = 'public'
           union all
           select format('grant %s %s %s', table_name, grantee, string_agg(privilege_type, ',' order by privilege_type))
             from information_schema.role_table_grants
            where table_schema = 'public' and grantee in ('anon', 'authenticated', 'service_role')
            group by table_name, grantee) lines",
    )
}

#[test]
fn a_pulled_file_adopts_policies_grants_and_rls_off_without_a_change() {
    let server = server();
    let url = database(
        &server,
        "access_source",
        &format!(
            "{API_ROLES}
             create table notes (id bigint primary key, owner uuid, body text);
             grant all on notes to anon, authenticated, service_role;
             grant select on notes to anon;
             alter table notes enable row level security;
             create policy read_all on notes for select to authenticated using (true);
             create policy only_owned on notes as restrictive for all to authenticated
               using (owner is not null) with check (owner is not null);
             create policy insert_any on notes for insert with check (body <> '');
             create table settings (key text primary key, value text);
             grant select on settings to authenticated;"
        ),
    );
    let dir = pull(&url);
    let yaml = std::fs::read_to_string(dir.path().join("appctl.yaml")).unwrap();
    assert!(yaml.contains("row_level_security: false"), "{yaml}");
    assert!(yaml.contains("restrictive: true"), "{yaml}");
    // Adoption changes nothing: the self-plan is empty.
    let plan = appctl(dir.path(), &["plan", "--database-url", &url]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    let validate = appctl(dir.path(), &["validate"]);
    assert!(
        String::from_utf8_lossy(&validate.stderr)
            .contains("row level security is off on table `settings`"),
        "{}",
        text(&validate)
    );
    // `appctl access` counts the restrictive policy: authenticated reads only rows it lets through.
    let report = appctl(dir.path(), &["access", "--database-url", &url]);
    let report = text(&report);
    assert!(
        report.contains("authenticated  read rows where (owner IS NOT NULL)"),
        "{report}"
    );
    // The same access, deployed into an empty database.
    let copy = server.create_database("access_copy");
    deploy_and_converge(dir.path(), &copy, &["--bootstrap"]);
    let source = access(&server, "access_source");
    for line in [
        "policy notes.only_owned RESTRICTIVE {authenticated} ALL",
        "rls settings f",
        "grant notes anon DELETE,INSERT,REFERENCES,SELECT,TRIGGER,TRUNCATE,UPDATE",
        "grant settings authenticated SELECT",
    ] {
        assert!(source.contains(line), "{line} not in:\n{source}");
    }
    assert_eq!(access(&server, "access_copy"), source);
}

#[test]
fn access_names_create_rows_for_another_owner_as_a_hazard() {
    let server = server();
    let url = server.create_database("owner_hazard");
    let dir = project(
        "version: 1
project: adoption
tables:
  notes:
    columns:
      id:       { type: uuid, primary_key: true, default: gen_random_uuid() }
      owner_id: { type: uuid }
    owner: owner_id
    permissions:
      read: [owner]
      create: [users]
",
    );
    deploy_and_converge(dir.path(), &url, &["--bootstrap"]);
    let out = appctl(dir.path(), &["access", "--json", "--database-url", &url]);
    assert!(out.status.success(), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["hazards"],
        serde_json::json!([
            "`create: [users]` on table `notes` lets a caller create rows whose `owner_id` is another user's id"
        ])
    );
}

#[test]
fn serial_columns_pull_and_deploy_with_their_sequences() {
    let server = server();
    let url = database(
        &server,
        "serial_source",
        "create table small (id smallserial primary key, name text);
         create table big (id bigserial primary key, n int);
         insert into small (name) values ('a'), ('b');",
    );
    let dir = pull(&url);
    let plan = appctl(dir.path(), &["plan", "--database-url", &url]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    // Into an empty database: the sequences are created, typed and owned as serial makes them.
    let copy = server.create_database("serial_copy");
    deploy_and_converge(dir.path(), &copy, &[]);
    let sequences = "select string_agg(format('%s %s %s', s.seqrelid::regclass, format_type(s.seqtypid, null), \
                     pg_get_serial_sequence(c.table_name, c.column_name)), ',' order by s.seqrelid::regclass::text) \
                     from pg_sequence s, information_schema.columns c \
                     where c.table_schema = 'public' and c.column_default like 'nextval%' \
                       and pg_get_serial_sequence(c.table_name, c.column_name)::regclass = s.seqrelid";
    assert_eq!(
        server.psql("serial_copy", sequences),
        server.psql("serial_source", sequences)
    );
    assert!(
        server
            .psql("serial_copy", sequences)
            .contains("small_id_seq smallint public.small_id_seq")
    );
    server.psql("serial_copy", "insert into small (name) values ('x')");
    // Dropping the column drops its sequence, as with serial.
    std::fs::write(
        dir.path().join("appctl.yaml"),
        std::fs::read_to_string(dir.path().join("appctl.yaml"))
            .unwrap()
            .replace("default: nextval('big_id_seq'::regclass)", ""),
    )
    .unwrap();
    let plan = plan_text(dir.path(), &copy);
    assert!(plan.contains("DROP DEFAULT"), "{plan}");
}

#[test]
fn tables_with_what_the_file_cannot_say_are_named_by_pull_and_never_changed() {
    let server = server();
    let url = database(
        &server,
        "unexpressed",
        "create table parent (id int primary key, a text);
         create table child (b text) inherits (parent);
         insert into child values (1, 'kept', 'x');
         create table events (id int, at date) partition by range (at);
         create table events_2024 partition of events for values from ('2024-01-01') to ('2025-01-01');
         create unlogged table scratch (id int);
         create table targets (id int primary key, code text unique deferrable);",
    );
    let before = catalog(&server, "unexpressed");
    let dir = pull(&url);
    let out = appctl(
        dir.path(),
        &["pull", "--database-url", &url, "--name", "adoption"],
    );
    let notes = String::from_utf8_lossy(&out.stderr).into_owned();
    for named in [
        "table child inherits from parent",
        "table parent is inherited by child",
        "table events is partitioned (PARTITION BY RANGE (at))",
        "partition events_2024 on events",
        "table scratch is UNLOGGED",
        "table targets has constraint targets_code_key DEFERRABLE INITIALLY IMMEDIATE",
    ] {
        assert!(
            notes.contains(named),
            "pull does not name `{named}`:\n{notes}"
        );
    }
    // Adopted as they are: nothing to do.
    let plan = appctl(dir.path(), &["plan", "--database-url", &url]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    // Dropping the parent's column would take the child's values: refused, nothing changed.
    let path = dir.path().join("appctl.yaml");
    let yaml = std::fs::read_to_string(&path).unwrap();
    let without_a = yaml.replace("      a:\n        type: text\n        nullable: true\n", "");
    assert_ne!(yaml, without_a, "{yaml}");
    std::fs::write(&path, &without_a).unwrap();
    let out = deploy(dir.path(), &url, &["--allow-destructive"]);
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("- column parent.a: table parent is inherited by child"),
        "{said}"
    );
    assert_eq!(catalog(&server, "unexpressed"), before);
    assert_eq!(
        server.psql("unexpressed", "select a from child").trim(),
        "kept"
    );
    // A partition declared as a table is refused with what it is, not "already exists".
    std::fs::write(
        &path,
        format!(
            "{yaml}  events_2024:\n    columns:\n      id: {{ type: integer, nullable: true }}\n"
        ),
    )
    .unwrap();
    let out = deploy(dir.path(), &url, &[]);
    let said = text(&out);
    assert!(
        said.contains("+ table events_2024: `events_2024` is a partition of events"),
        "{said}"
    );
    assert_eq!(catalog(&server, "unexpressed"), before);
}

#[test]
fn pull_says_which_schemas_it_did_not_read_and_which_types_live_there() {
    let server = server();
    let url = database(
        &server,
        "several_schemas",
        "create schema other; create type other.mood as enum ('calm');
         create table other.x (id int); create table other.y (id int);
         create table t (id int primary key, m other.mood);",
    );
    let dir = tempfile::tempdir().unwrap();
    let out = appctl(
        dir.path(),
        &["pull", "--database-url", &url, "--name", "adoption"],
    );
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("Read schema public. Other schemas hold tables, not read (`--schema NAME` reads one): other (2)."),
        "{said}"
    );
    assert!(
        said.contains("type other.mood of column t.m: it lives in schema other"),
        "{said}"
    );
}

const WITH_PERMISSIONS: &str = "version: 1
project: adoption
tables:
  notes:
    columns:
      id:       { type: uuid, primary_key: true, default: gen_random_uuid() }
      owner_id: { type: uuid }
      public:   { type: boolean, default: 'false' }
    owner: owner_id
    permissions:
      read: [owner, { role: guests, where: \"public\" }]
      write: [owner]
  tags:
    columns:
      name: { type: text, primary_key: true }
    permissions:
      read: [any]
buckets:
  uploads:
    max_file_size: 10MiB
    allowed_mime_types: [image/png]
    permissions: { read: [owner], create: [users], delete: [owner] }
";

/// `appctl access --json` of `url`: the live matrix only.
fn access_matrix(dir: &Path, url: &str) -> serde_json::Value {
    let out = appctl(dir, &["access", "--json", "--database-url", url]);
    assert!(matches!(out.status.code(), Some(0 | 2)), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["cells"].clone()
}

#[test]
fn permissions_pull_back_as_written_and_survive_an_export_and_import() {
    let server = server();
    let source = server.create_database("permissions_source");
    let dir = project(WITH_PERMISSIONS);
    deploy_and_converge(dir.path(), &source, &["--bootstrap"]);
    // Pulled as the file wrote them: permissions, owner and the bucket, no policies as SQL.
    let pulled = pull(&source);
    let yaml = std::fs::read_to_string(pulled.path().join("appctl.yaml")).unwrap();
    for expected in [
        "owner: owner_id",
        "permissions:",
        "uploads:",
        "max_file_size: 10485760",
    ] {
        assert!(yaml.contains(expected), "{expected} not in:\n{yaml}");
    }
    assert!(!yaml.contains("policies:"), "{yaml}");
    let plan = appctl(pulled.path(), &["plan", "--database-url", &source]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    // An archive carries them: imported into an empty database, the access is the source's.
    let archive = pulled.path().join("backup.tar");
    let out = appctl(
        dir.path(),
        &[
            "export",
            "--database-url",
            &source,
            "--no-files",
            "-o",
            archive.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let copy = server.create_database("permissions_copy");
    server.psql(
        "permissions_copy",
        &format!(
            "{API_ROLES} create schema if not exists auth; create schema if not exists storage;"
        ),
    );
    let out = appctl(
        dir.path(),
        &[
            "import",
            "--database-url",
            &copy,
            "--no-files",
            archive.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        access_matrix(dir.path(), &copy),
        access_matrix(dir.path(), &source)
    );
    assert_eq!(
        access(&server, "permissions_copy"),
        access(&server, "permissions_source")
    );
    let storage = "select string_agg(format('%s %s %s', id, public, file_size_limit), ',') from storage.buckets
                   union all
                   select string_agg(policyname || ' ' || qual, ',' order by policyname) from pg_policies
                    where schemaname = 'storage' and tablename = 'objects'";
    let buckets = server.psql("permissions_source", storage);
    assert!(buckets.contains("uploads f 10485760"), "{buckets}");
    assert!(buckets.contains("appctl_uploads_read_owner"), "{buckets}");
    assert_eq!(server.psql("permissions_copy", storage), buckets);
}

#[test]
fn columns_in_another_order_than_the_files_are_reported_not_hidden() {
    let server = server();
    let url = database(
        &server,
        "column_order",
        "create table t (id int primary key, a text, b text);",
    );
    let dir = project(
        "version: 1
project: order
tables:
  t:
    columns:
      id: { type: integer, primary_key: true }
      b: { type: text, nullable: true }
      a: { type: text, nullable: true }
    row_level_security: false
",
    );
    let out = appctl(dir.path(), &["plan", "--database-url", &url]);
    // Nothing to change (Postgres cannot reorder columns), but the plan says the order differs.
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "Note: columns of table t stay in the database's order (id, a, b), not the file's (id, b, a)"
        ),
        "{stdout}"
    );
    let json = appctl(dir.path(), &["plan", "--json", "--database-url", &url]);
    let plan: serde_json::Value = serde_json::from_slice(&json.stdout).expect("plan JSON");
    assert_eq!(
        plan["plan"]["notes"].as_array().map(Vec::len),
        Some(1),
        "{plan}"
    );
}

#[test]
fn pull_writes_the_extensions_the_tables_use_where_they_live_and_names_the_others() {
    let server = server();
    let url = database(
        &server,
        "extension_schemas",
        "create schema extensions;
         create extension \"uuid-ossp\" schema extensions;
         create extension hstore schema extensions version '1.5';
         create extension citext;
         create table t (id uuid primary key default extensions.uuid_generate_v4(), name citext);",
    );
    let dir = pull(&url);
    let file = std::fs::read_to_string(dir.path().join("appctl.yaml")).unwrap();
    let file: serde_yaml_ng::Value = serde_yaml_ng::from_str(&file).unwrap();
    let extensions = serde_json::to_value(&file["extensions"]).unwrap();
    let citext_version = server.psql(
        "extension_schemas",
        "select extversion from pg_extension where extname = 'citext'",
    );
    let uuid_version = server.psql(
        "extension_schemas",
        "select extversion from pg_extension where extname = 'uuid-ossp'",
    );
    // citext in the project's schema; uuid-ossp where it lives, because a default names it there;
    // hstore is used by no table: not adopted.
    assert_eq!(
        extensions,
        serde_json::json!([
            { "name": "citext", "version": citext_version },
            { "name": "uuid-ossp", "schema": "extensions", "version": uuid_version },
        ])
    );
    let out = appctl(
        dir.path(),
        &[
            "pull",
            "--database-url",
            &url,
            "-o",
            "again.yaml",
            "--name",
            "adoption",
        ],
    );
    assert!(
        text(&out).contains("extension hstore (schema extensions)"),
        "{}",
        text(&out)
    );
    let plan = appctl(dir.path(), &["plan", "--database-url", &url]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
}

/// Supabase's shape: pgvector in schema `extensions`, a vector column and an hnsw index with its
/// operator class. The pulled file plans nothing on its source and rebuilds it in an empty database.
#[test]
fn pgvector_in_the_extensions_schema_pulls_plans_and_deploys() {
    let Some(server) = PgServer::pg18() else {
        eprintln!("PostgreSQL 18 not installed: skipped");
        return;
    };
    let url = database(
        &server,
        "vector_source",
        "create schema extensions;
         create extension vector schema extensions;
         create table documents (id bigint generated always as identity primary key,
           body text, embedding extensions.vector(3));
         create index documents_embedding on documents using hnsw (embedding extensions.vector_cosine_ops);",
    );
    let dir = pull(&url);
    let plan = appctl(dir.path(), &["plan", "--sql", "--database-url", &url]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    let copy = server.create_database("vector_copy");
    deploy_and_converge(dir.path(), &copy, &[]);
    assert_eq!(
        server.schema_dump("vector_copy", &["public", "extensions"]),
        server.schema_dump("vector_source", &["public", "extensions"])
    );
}

/// Supabase's platform schemas are never a project's: pull says which it did not read, names the
/// project's trigger on `auth.users` instead of dropping it silently, and refuses to pull or plan a
/// platform schema wholesale (that would drop the platform's policies and grants).
#[test]
fn platform_schemas_are_named_never_pulled_or_planned_wholesale() {
    let server = server();
    let url = server.create_database("platform_schemas");
    let dir = project(
        "version: 1
project: platform
tables:
  profiles:
    columns:
      id: { type: uuid, primary_key: true }
buckets:
  avatars: {}
",
    );
    deploy_and_converge(dir.path(), &url, &["--bootstrap"]);
    server.psql(
        "platform_schemas",
        "create function public.handle_new_user() returns trigger language plpgsql as
           $$ begin insert into public.profiles (id) values (new.id); return new; end $$;
         create trigger on_auth_user_created after insert on auth.users
           for each row execute function public.handle_new_user();",
    );
    let pulled = tempfile::tempdir().unwrap();
    let out = appctl(
        pulled.path(),
        &[
            "pull",
            "--database-url",
            &url,
            "-o",
            "appctl.yaml",
            "--name",
            "platform",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "Platform schemas, never pulled wholesale (buckets come as `buckets:`): auth"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "trigger on_auth_user_created on auth.users (calls public.handle_new_user()): the project file cannot declare triggers yet"
        ),
        "{stderr}"
    );
    let yaml = std::fs::read_to_string(pulled.path().join("appctl.yaml")).unwrap();
    assert!(yaml.contains("avatars:"), "{yaml}");
    // Wholesale: refused, with the way out.
    for schema in ["storage", "auth"] {
        let out = appctl(
            pulled.path(),
            &["pull", "--database-url", &url, "--schema", schema],
        );
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(
            text(&out).contains(&format!(
                "schema `{schema}` belongs to the platform: appctl never manages it wholesale"
            )),
            "{}",
            text(&out)
        );
    }
    let wholesale = project(
        "version: 1
project: platform
schema: storage
tables:
  objects:
    columns:
      id: { type: uuid, primary_key: true }
",
    );
    let before = server.catalog_snapshot("platform_schemas");
    let out = appctl(wholesale.path(), &["plan", "--database-url", &url]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("belongs to the platform"),
        "{}",
        text(&out)
    );
    assert_eq!(server.catalog_snapshot("platform_schemas"), before);
}
