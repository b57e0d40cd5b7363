//! `appctl export` and `appctl import` end to end against real PostgreSQL servers: round trips compared
//! with psql (not with appctl's own checksums), PostgreSQL 15 → 18, corrupt archives refused before
//! any write, and an import killed with SIGKILL then rerun.

use crate::support::cli::appctl;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::pg::PgServer;
use assert_cmd::Command;

fn run_ok(command: &mut Command) -> String {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "appctl failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn run_err(command: &mut Command) -> String {
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(1), "expected exit 1: {output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The ai-chat template plus a table holding the types the template lacks.
fn ai_chat_project() -> String {
    let template = include_str!("../../templates/projects/ai-chat/appctl.yaml")
        .replace("{{project}}", "archive-test")
        .replace("{{schema_url}}", "appctl.schema.json");
    template.replacen(
        "buckets:\n",
        &format!("{EXTRAS_TABLE}{AMOUNTS_TABLE}\nbuckets:\n"),
        1,
    )
}

/// Numbers alone, so that the table loads with binary `COPY` (extras has types that keep it text).
const AMOUNTS_TABLE: &str = "  amounts:
    columns:
      id:      { type: bigint, primary_key: true }
      free:    { type: numeric, nullable: true }
      fixed:   { type: 'numeric(30,10)', nullable: true }
";

const AMOUNTS_SQL: &str = r#"
INSERT INTO amounts (id, free, fixed) VALUES
  (1, 0, 0), (2, -0.00012, 1.5), (3, 'NaN', 'NaN'), (4, NULL, NULL),
  (5, 123456789012345678901234567890.000000000000000000001, 12345678901234567890.0123456789),
  (6, 10000, -10000), (7, 1.10, 0.0000000001), (8, -99999999.99990000, 99999999999999999999.9999999999);
INSERT INTO amounts (id, free, fixed)
SELECT 100 + g, (g * 7919)::numeric / 13 * 10 ^ (g % 40 - 20), round((g * 104729)::numeric / 7, g % 11)
FROM generate_series(1, 200) g;
"#;

const EXTRAS_TABLE: &str = "  extras:
    columns:
      id:      { type: bigint, primary_key: true, identity: true }
      blob:    { type: bytea, nullable: true }
      tags:    { type: 'text[]', nullable: true }
      scores:  { type: 'integer[]', nullable: true }
      big:     { type: bigint, nullable: true }
      amount:  { type: 'numeric(30,10)', nullable: true }
      ratio:   { type: double precision, nullable: true }
      day:     { type: date, nullable: true }
      span:    { type: interval, nullable: true }
      flag:    { type: boolean, nullable: true }
      doc:     { type: jsonb, nullable: true }
      at:      { type: timestamptz, nullable: true }
";

/// A project without vectors, for PostgreSQL 15 (which has no pgvector here).
fn plain_project() -> String {
    format!(
        "version: 1\nproject: archive-plain\nenums:\n  mood: [happy, 'sad face', 'quote\"d']\ntables:\n{EXTRAS_TABLE}      mood:    {{ type: mood, nullable: true }}\n      owner:   {{ type: uuid, nullable: true, references: auth.users.id }}\n  notes:\n    columns:\n      id:    {{ type: uuid, primary_key: true }}\n      extra: {{ type: bigint, references: extras.id }}\n      body:  {{ type: text }}\n    indexes:\n      - {{ columns: [extra] }}\n"
    )
}

fn deploy(server: &PgServer, url: &str, yaml: &str) {
    let desired = crate::support::engine::desired(yaml);
    let options = appctl::deploy::DeployOptions {
        bootstrap: true,
        ..Default::default()
    };
    crate::support::engine::runtime()
        .block_on(async {
            let mut conn = appctl::deploy::connect(url, "test").await?;
            appctl::deploy::deploy(
                &mut conn,
                &desired,
                None,
                &options,
                &mut crate::support::engine::Yes,
            )
            .await
        })
        .unwrap_or_else(|e| panic!("deploy failed: {e}\n{}", server.log_tail(20)));
}

const USERS_SQL: &str = r#"
INSERT INTO auth.users (id, aud, role, email, encrypted_password, raw_user_meta_data, created_at, is_anonymous)
SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, 'authenticated', 'authenticated',
       'user' || g || '@例え.jp',
       CASE WHEN g % 4 = 0 THEN NULL ELSE '$2a$10$' || substr(md5(g::text) || md5((g + 1)::text), 1, 53) END,
       jsonb_build_object('name', 'Ünïcödé ' || g, 'n', g),
       timestamptz '2024-03-01 12:34:56.789012+02' + g * interval '1 day 1 microsecond', g % 3 = 0
FROM generate_series(1, 25) g;
INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, created_at)
SELECT id::text, id, jsonb_build_object('sub', id::text, 'email', email), 'email', created_at FROM auth.users;
"#;

const EXTRAS_SQL: &str = r#"
INSERT INTO extras (blob, tags, scores, big, amount, ratio, day, span, flag, doc, at)
SELECT CASE g % 5 WHEN 0 THEN NULL WHEN 1 THEN ''::bytea ELSE decode(md5(g::text) || '00ff0a0d09', 'hex') END,
       CASE g % 4 WHEN 0 THEN NULL WHEN 1 THEN '{}'::text[] ELSE ARRAY['a', 'b c', 'd"e', 'f\g', NULL, 'NULL', '', E'tab\there', '日本'] END,
       CASE WHEN g % 3 = 0 THEN NULL ELSE ARRAY[g, -g, NULL] END,
       CASE WHEN g % 6 = 0 THEN NULL ELSE 9223372036854775807 - g END,
       CASE WHEN g % 7 = 0 THEN NULL WHEN g % 7 = 1 THEN 'NaN'::numeric ELSE 12345678901234567890.0123456789 / g END,
       CASE g % 8 WHEN 0 THEN NULL WHEN 1 THEN 'Infinity'::float8 WHEN 2 THEN 'NaN'::float8 ELSE 1.0 / g + 1e-300 END,
       date '2000-02-29' + g, make_interval(days => g, secs => g * 1.5), g % 2 = 0,
       CASE g % 5 WHEN 0 THEN NULL WHEN 1 THEN 'null'::jsonb WHEN 2 THEN '""'::jsonb
            ELSE jsonb_build_object('n', g, 'big', 123456789012345678901234567890.5, 'nested', jsonb_build_array(1, 'two', NULL, true, E'line\nbreak \\ "q"')) END,
       CASE WHEN g % 9 = 0 THEN NULL ELSE timestamptz '1999-12-31 23:59:59.999999-08' + g * interval '1 hour' END
FROM generate_series(1, 60) g;
"#;

const AI_CHAT_SQL: &str = r#"
INSERT INTO threads (id, owner_id, title, created_at)
SELECT ('10000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
       ('00000000-0000-4000-8000-' || lpad((g % 25 + 1)::text, 12, '0'))::uuid,
       CASE WHEN g % 5 = 0 THEN NULL WHEN g % 7 = 0 THEN '' ELSE 'Thread ' || g || E' – 日本語 🎉 "quoted" \\back\\slash\ttab\nnewline\r' END,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute'
FROM generate_series(1, 40) g;
INSERT INTO messages (thread_id, owner_id, role, content, tokens, metadata, embedding, created_at)
SELECT t.id, t.owner_id, (ARRAY['system', 'user', 'assistant', 'tool']::message_role[])[g % 4 + 1],
       CASE WHEN g % 10 = 0 THEN repeat('long text ✓ ', 20000) WHEN g % 10 = 1 THEN '' ELSE 'message ' || g END,
       CASE WHEN g % 3 = 0 THEN NULL ELSE g END,
       CASE WHEN g % 6 = 0 THEN 'null'::jsonb ELSE jsonb_build_object('g', g, 'f', g / 3.0, 'u', 'ünï') END,
       CASE WHEN g % 4 = 0 THEN NULL ELSE (SELECT array_agg(((g * 7 + i) % 100) / 64.0 - 0.5)::real[] FROM generate_series(1, 1536) i)::vector END,
       t.created_at + g * interval '1 second'
FROM generate_series(1, 200) g JOIN threads t ON t.id = ('10000000-0000-4000-8000-' || lpad((g % 40 + 1)::text, 12, '0'))::uuid;
INSERT INTO documents (owner_id, title, storage_path, status)
SELECT ('00000000-0000-4000-8000-' || lpad((g % 25 + 1)::text, 12, '0'))::uuid, 'Doc ' || g,
       CASE WHEN g % 2 = 0 THEN NULL ELSE 'uploads/doc-' || g || '.pdf' END,
       (ARRAY['pending', 'processing', 'ready', 'failed']::document_status[])[g % 4 + 1]
FROM generate_series(1, 10) g;
INSERT INTO chunks (document_id, owner_id, position, content, embedding)
SELECT d.id, d.owner_id, p, 'chunk ' || p, (SELECT array_agg((i % 13) / 13.0)::real[] FROM generate_series(1, 1536) i)::vector
FROM documents d CROSS JOIN generate_series(0, 3) p;
INSERT INTO tool_calls (message_id, owner_id, tool, arguments, result, status, duration_ms)
SELECT m.id, m.owner_id, 'search', jsonb_build_object('q', m.id),
       CASE m.id % 3 WHEN 0 THEN NULL WHEN 1 THEN 'null'::jsonb ELSE '[1, {"a": "b"}]'::jsonb END,
       'succeeded', NULL
FROM messages m WHERE m.id % 5 = 0;
-- Gaps in identity values, and a counter ahead of the largest key: both must survive.
DELETE FROM messages WHERE id % 17 = 0;
SELECT nextval(pg_get_serial_sequence('messages', 'id')) FROM generate_series(1, 5);
-- A year BC sends the threads' row file through import's text path (binary COPY does not take it);
-- infinity goes binary.
UPDATE threads SET created_at = timestamptz '0044-03-15 12:00:00+00 BC' WHERE id = '10000000-0000-4000-8000-000000000003';
UPDATE threads SET updated_at = 'infinity' WHERE id = '10000000-0000-4000-8000-000000000004';
"#;

/// Every row of every table (and every sequence) as psql prints it, ordered: what "equal" means here.
fn snapshot(server: &PgServer, url: &str, tables: &[&str]) -> String {
    let mut out = String::new();
    for table in tables {
        out.push_str(&format!("== {table}\n"));
        out.push_str(&server.psql(
            url,
            &format!("SELECT t::text FROM {table} t ORDER BY t::text COLLATE \"C\""),
        ));
        out.push('\n');
    }
    out
}

fn sequences(server: &PgServer, url: &str, tables: &[(&str, &str)]) -> String {
    tables
        .iter()
        .map(|(table, column)| {
            server.psql(
                url,
                &format!(
                    "SELECT last_value || ' ' || is_called FROM {}",
                    server.psql(
                        url,
                        &format!("SELECT pg_get_serial_sequence('{table}', '{column}')")
                    )
                ),
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const AI_CHAT_TABLES: &[&str] = &[
    "auth.users",
    "auth.identities",
    "storage.buckets",
    "threads",
    "messages",
    "documents",
    "chunks",
    "tool_calls",
    "extras",
    "amounts",
];

#[test]
fn ai_chat_round_trip_keeps_every_row_user_and_counter() {
    let Some(server) = PgServer::pg18() else {
        eprintln!("skipped: PostgreSQL 18 with pgvector is not installed");
        return;
    };
    let source = server.create_database("source");
    let target = server.create_database("target");
    let yaml = ai_chat_project();
    deploy(&server, &source, &yaml);
    server.psql(&source, USERS_SQL);
    server.psql(&source, AI_CHAT_SQL);
    server.psql(&source, EXTRAS_SQL);
    server.psql(&source, AMOUNTS_SQL);

    // A project directory, so function sources travel too.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("appctl.yaml"), &yaml).unwrap();
    for (function, file) in [("chat", "index.js"), ("ingest", "main.py")] {
        let from = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("templates/projects/ai-chat/functions")
            .join(function)
            .join(file);
        std::fs::create_dir_all(dir.path().join("functions").join(function)).unwrap();
        std::fs::copy(from, dir.path().join("functions").join(function).join(file)).unwrap();
    }
    std::fs::write(
        dir.path().join(".env"),
        "OPENAI_API_KEY=sk-secret-never-archived\n",
    )
    .unwrap();
    // Deployed from the command line, the functions' versions are recorded and their packages
    // stored in the source.
    run_ok(appctl(dir.path()).args(["deploy", "--yes", "--database-url", &source]));
    // The template declares a bucket: without S3 storage named, export needs --no-files (the files'
    // round trip is tests/it/archive_files.rs).
    let archive = dir.path().join("backup.tar.zst");
    let stderr = run_err(
        appctl(dir.path())
            .args(["export", "--database-url", &source, "-o"])
            .arg(&archive),
    );
    assert!(stderr.contains("--no-files"), "{stderr}");
    let stderr = run_ok(
        appctl(dir.path())
            .args(["export", "--no-files", "--database-url", &source, "-o"])
            .arg(&archive),
    );
    assert!(stderr.contains("left out (--no-files)"), "{stderr}");

    let stderr = run_ok(
        appctl(dir.path())
            .arg("import")
            .arg("--verify-only")
            .arg(&archive),
    );
    assert!(stderr.contains("is valid"), "{stderr}");
    let listing = tar_listing(&archive);
    for entry in [
        "project/appctl.yaml",
        "schema/schema.sql",
        "functions/chat/index.js",
        "functions/ingest/main.py",
        "rows/auth/users/000001.jsonl",
        "rows/public/messages/000001.jsonl",
        "manifest.json",
    ] {
        assert!(
            listing.iter().any(|(p, _)| p == entry),
            "{entry} missing: {listing:?}"
        );
    }
    assert_eq!(
        listing.last().unwrap().0,
        "manifest.json",
        "the manifest comes last"
    );
    for (path, bytes) in &listing {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains("sk-secret-never-archived"),
            "{path} holds a secret"
        );
        assert!(
            !text.contains(server.password()),
            "{path} holds the database password"
        );
    }

    let output = appctl(dir.path())
        .args(["import", "--checksum", "--json", "--database-url", &target])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let table = |name: &str| {
        report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == name)
            .unwrap_or_else(|| panic!("{name} not in {report}"))
            .clone()
    };
    // Vectors (chunks, messages) and numerics (amounts) load with COPY's binary format; the
    // threads' year BC sends them as text. Both must arrive equal, scales included (the snapshot
    // below compares every row's text).
    for name in ["public.chunks", "public.messages", "public.amounts"] {
        let t = table(name);
        assert!(t["archived"].as_u64().unwrap() > 0, "{t}");
        assert_eq!(t["rows_binary"], t["archived"], "{t}");
    }
    assert_eq!(table("public.threads")["rows_binary"], 0);
    assert_eq!(
        snapshot(&server, &source, AI_CHAT_TABLES),
        snapshot(&server, &target, AI_CHAT_TABLES)
    );
    // Password hashes byte for byte, compared on their own for a clear failure.
    let hashes = "SELECT string_agg(id || ':' || coalesce(encrypted_password, '<null>'), ',' ORDER BY id) FROM auth.users";
    assert_eq!(server.psql(&source, hashes), server.psql(&target, hashes));
    let counters = [
        ("messages", "id"),
        ("chunks", "id"),
        ("tool_calls", "id"),
        ("extras", "id"),
    ];
    assert_eq!(
        sequences(&server, &source, &counters),
        sequences(&server, &target, &counters)
    );
    // Indexes and foreign keys dropped for the load are back, and the schema is the archive's.
    let indexes = "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'";
    assert_eq!(server.psql(&source, indexes), server.psql(&target, indexes));
    let keys = "SELECT count(*) FROM pg_constraint WHERE contype = 'f'";
    assert_eq!(server.psql(&source, keys), server.psql(&target, keys));
    // The deploy history of the source travels, appended after the import's own deploy.
    let history = "SELECT string_agg(plan_hash, ',' ORDER BY id) FROM appctl.deployments";
    let source_history = server.psql(&source, history);
    let target_history = server.psql(&target, history);
    assert!(
        target_history.ends_with(&source_history) && target_history.len() > source_history.len(),
        "source {source_history}, target {target_history}"
    );

    // The deployed code travels: every package, byte for byte, its sha256 (computed by Postgres,
    // not appctl) still its version, and the functions' records with it.
    let packages = "SELECT string_agg(name || ':' || version || ':' || (encode(sha256(package), 'hex') = version)::text, ',' ORDER BY name) FROM appctl.function_packages";
    let source_packages = server.psql(&source, packages);
    assert_eq!(
        source_packages.matches(":true").count(),
        2,
        "{source_packages}"
    );
    assert_eq!(source_packages, server.psql(&target, packages));
    let records = "SELECT string_agg(name || ':' || version || ':' || runtime, ',' ORDER BY name) FROM appctl.functions";
    assert_eq!(server.psql(&source, records), server.psql(&target, records));
    // The import is in the target's audit log.
    let audit = "SELECT string_agg(action, ',' ORDER BY id) FROM appctl.audit_log";
    assert_eq!(server.psql(&target, audit), "import");

    // A second import: fail refuses duplicates and changes nothing; skip writes nothing new;
    // upsert and replace end with the same rows.
    let before = snapshot(&server, &target, AI_CHAT_TABLES);
    let stderr = run_err(
        appctl(dir.path())
            .args(["import", "--database-url", &target])
            .arg(&archive),
    );
    assert!(stderr.contains("--on-conflict"), "{stderr}");
    assert_eq!(before, snapshot(&server, &target, AI_CHAT_TABLES));
    for mode in ["skip", "upsert", "replace"] {
        run_ok(
            appctl(dir.path())
                .args(["import", "--on-conflict", mode, "--database-url", &target])
                .arg(&archive),
        );
        assert_eq!(
            before,
            snapshot(&server, &target, AI_CHAT_TABLES),
            "--on-conflict {mode}"
        );
    }
}

/// The entries of an archive with their bytes (read with the tar and zstd crates, not appctl).
fn tar_listing(path: &Path) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(path).unwrap();
    let reader: Box<dyn std::io::Read> = if path.to_string_lossy().ends_with(".zst") {
        Box::new(zstd::Decoder::new(file).unwrap())
    } else {
        Box::new(file)
    };
    let mut archive = tar::Archive::new(reader);
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let path = e.path().unwrap().display().to_string();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            (path, bytes)
        })
        .collect()
}

fn write_tar(path: &Path, entries: &[(String, Vec<u8>)]) {
    let mut builder = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, name, bytes.as_slice())
            .unwrap();
    }
    builder.finish().unwrap();
}

const PLAIN_TABLES: &[&str] = &["auth.users", "auth.identities", "extras", "notes"];

#[test]
fn postgres_15_to_18_and_corrupt_archives_are_refused_before_any_write() {
    let pg15 = PgServer::start();
    let source = pg15.create_database("source");
    let yaml = plain_project();
    deploy(&pg15, &source, &yaml);
    pg15.psql(&source, USERS_SQL);
    pg15.psql(&source, EXTRAS_SQL);
    pg15.psql(
        &source,
        "UPDATE extras SET mood = (ARRAY['happy', 'sad face', 'quote\"d']::mood[])[id % 3 + 1], owner = ('00000000-0000-4000-8000-' || lpad((id % 25 + 1)::text, 12, '0'))::uuid WHERE id % 4 <> 0;
         INSERT INTO notes SELECT gen_random_uuid(), id, 'note ' || id FROM extras;",
    );
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("plain.tar");
    run_ok(
        appctl(dir.path())
            .args(["export", "--database-url", &source, "-o"])
            .arg(&archive),
    );

    // Corrupt copies, each refused before anything is written to the target.
    let good = tar_listing(&archive);
    let mut corrupt: Vec<(&str, PathBuf)> = Vec::new();
    let bytes = std::fs::read(&archive).unwrap();
    let truncated = dir.path().join("truncated.tar");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    corrupt.push(("truncated", truncated));

    let flipped = dir.path().join("flipped.tar");
    let mut entries = good.clone();
    let row_file = entries
        .iter_mut()
        .find(|(p, _)| p.starts_with("rows/public/extras/"))
        .unwrap();
    let middle = row_file.1.len() / 2;
    row_file.1[middle] ^= 0x01;
    write_tar(&flipped, &entries);
    corrupt.push(("altered", flipped));

    let missing = dir.path().join("missing.tar");
    let entries: Vec<_> = good
        .iter()
        .filter(|(p, _)| !p.starts_with("rows/public/notes/"))
        .cloned()
        .collect();
    write_tar(&missing, &entries);
    corrupt.push(("is missing", missing));

    let newer = dir.path().join("newer.tar");
    let mut entries = good.clone();
    let manifest = entries
        .iter_mut()
        .find(|(p, _)| p == "manifest.json")
        .unwrap();
    let text = String::from_utf8(manifest.1.clone()).unwrap();
    manifest.1 = text
        .replacen("\"format\": 1", "\"format\": 3", 1)
        .into_bytes();
    write_tar(&newer, &entries);
    corrupt.push(("upgrade appctl", newer));

    let compressed_truncated = dir.path().join("truncated.tar.zst");
    run_ok(
        appctl(dir.path())
            .args(["export", "--database-url", &source, "-o"])
            .arg(&compressed_truncated),
    );
    let bytes = std::fs::read(&compressed_truncated).unwrap();
    std::fs::write(&compressed_truncated, &bytes[..bytes.len() - 100]).unwrap();
    corrupt.push(("truncated", compressed_truncated));

    let pg18 = PgServer::pg18();
    let target_server = pg18.as_ref().unwrap_or(&pg15);
    let target = target_server.create_database("target");
    let everything = "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')";
    let untouched = target_server.psql(&target, everything);
    for (expected, path) in &corrupt {
        let stderr = run_err(
            appctl(dir.path())
                .arg("import")
                .arg("--verify-only")
                .arg(path),
        );
        assert!(stderr.contains(expected), "{}: {stderr}", path.display());
        let stderr = run_err(
            appctl(dir.path())
                .args(["import", "--database-url", &target])
                .arg(path),
        );
        assert!(
            stderr.contains(expected) && stderr.contains("nothing was written"),
            "{}: {stderr}",
            path.display()
        );
        assert_eq!(
            target_server.psql(&target, everything),
            untouched,
            "{} wrote to the target",
            path.display()
        );
    }

    // --dry-run writes nothing either.
    let stdout = appctl(dir.path())
        .args(["import", "--dry-run", "--database-url", &target])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(stdout.status.success(), "{stdout:?}");
    assert!(String::from_utf8_lossy(&stdout.stdout).contains("nothing was written"));
    assert_eq!(target_server.psql(&target, everything), untouched);

    // Across versions: PostgreSQL 15 → 18 (or 15 → 15 when 18 is not installed); the rows read
    // back from the target encode exactly as they did on the source.
    run_ok(
        appctl(dir.path())
            .args(["import", "--checksum", "--database-url", &target])
            .arg(&archive),
    );
    assert_eq!(
        snapshot(&pg15, &source, PLAIN_TABLES),
        snapshot(target_server, &target, PLAIN_TABLES)
    );
}

#[test]
fn an_import_killed_with_sigkill_and_rerun_has_no_duplicates() {
    let server = PgServer::start();
    let source = server.create_database("source");
    let target = server.create_database("target");
    let yaml = plain_project();
    deploy(&server, &source, &yaml);
    server.psql(
        &source,
        "INSERT INTO extras (big, tags, doc) SELECT g, ARRAY['x' || g], jsonb_build_object('g', g, 'pad', repeat('p', 200)) FROM generate_series(1, 300000) g;
         INSERT INTO notes SELECT gen_random_uuid(), id, repeat('n', 100) FROM extras;",
    );
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("big.tar.zst");
    run_ok(
        appctl(dir.path())
            .args(["export", "--database-url", &source, "-o"])
            .arg(&archive),
    );

    let binary = assert_cmd::cargo::cargo_bin("appctl");
    let mut child = std::process::Command::new(binary)
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("CI", "true")
        .args(["import", "--database-url", &target])
        .arg(&archive)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait (bounded) until rows are streaming in, then kill it.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut saw_copy = false;
    while Instant::now() < deadline {
        let copying = server.psql(
            &target,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'appctl import' AND query LIKE 'COPY%'",
        );
        if copying != "0" {
            saw_copy = true;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        saw_copy,
        "the import finished before it could be killed; make the data larger"
    );
    // Nothing half-loaded is visible.
    assert_eq!(server.psql(&target, "SELECT count(*) FROM extras"), "0");

    run_ok(
        appctl(dir.path())
            .args(["import", "--database-url", &target])
            .arg(&archive),
    );
    assert_eq!(
        server.psql(&target, "SELECT count(*) FROM extras"),
        "300000"
    );
    assert_eq!(
        server.psql(&target, "SELECT count(DISTINCT id) FROM extras"),
        "300000"
    );
    assert_eq!(server.psql(&target, "SELECT count(*) FROM notes"), "300000");
    assert_eq!(
        snapshot(&server, &source, &["extras"]),
        snapshot(&server, &target, &["extras"])
    );

    // Filters: --exclude and --no-users leave tables out of the archive; the schema still travels.
    let filtered = dir.path().join("filtered.tar");
    run_ok(
        appctl(dir.path())
            .args([
                "export",
                "--exclude",
                "notes",
                "--no-users",
                "--database-url",
                &source,
                "-o",
            ])
            .arg(&filtered),
    );
    let manifest = tar_listing(&filtered)
        .into_iter()
        .find(|(p, _)| p == "manifest.json")
        .unwrap()
        .1;
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    let tables: Vec<String> = manifest["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{}.{}",
                t["schema"].as_str().unwrap(),
                t["name"].as_str().unwrap()
            )
        })
        .collect();
    assert!(tables.contains(&"public.extras".to_string()), "{tables:?}");
    assert!(
        !tables
            .iter()
            .any(|t| t == "public.notes" || t.starts_with("auth.")),
        "{tables:?}"
    );
    let stderr = run_err(
        appctl(dir.path())
            .args([
                "export",
                "--tables",
                "nope",
                "--database-url",
                &source,
                "-o",
            ])
            .arg(dir.path().join("nope.tar")),
    );
    assert!(
        stderr.contains("`nope`") && stderr.contains("extras"),
        "{stderr}"
    );
    let third = server.create_database("third");
    run_ok(
        appctl(dir.path())
            .args(["import", "--database-url", &third])
            .arg(&filtered),
    );
    assert_eq!(server.psql(&third, "SELECT count(*) FROM extras"), "300000");
    assert_eq!(server.psql(&third, "SELECT count(*) FROM notes"), "0");
}
