//! Storage files through `appctl export` and `appctl import`, against real PostgreSQL and real S3
//! servers (s3s-fs on loopback). File bytes are compared by reading s3s-fs's data directory and
//! hashing in the test, never with appctl's own checksums.

use crate::support::cli::appctl;
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;

use crate::support::pg::PgServer;
use crate::support::s3::{ACCESS_KEY, S3Server, SECRET_KEY};
use assert_cmd::Command;
use sha2::{Digest, Sha256};

const PROJECT: &str = "version: 1
project: files-test
tables:
  notes:
    columns:
      id:   { type: bigint, primary_key: true, identity: true }
      body: { type: text }
buckets:
  uploads:
    public: false
  avatars:
    public: true
  empty-bucket:
    public: false
";

const FIFTY_MB: usize = 50 * 1024 * 1024;

/// (bucket, key, bytes): 0 bytes, 1 byte, 50 MB, a unicode key with spaces and slashes.
fn objects(big: bool) -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let mut objects = vec![
        ("uploads", "empty.bin", Vec::new()),
        ("uploads", "one.bin", vec![0x7f]),
        (
            "uploads",
            "docs/été 2024/rapport final (1) – 日本.txt",
            "bonjour, 世界\n".repeat(100).into_bytes(),
        ),
        (
            "avatars",
            "u/1.png",
            b"\x89PNG\r\n\x1a\nnot really".to_vec(),
        ),
    ];
    if big {
        objects.push(("uploads", "big/fifty.bin", pseudo_random(FIFTY_MB)));
    }
    objects
}

/// Incompressible bytes, the same every run (xorshift64).
fn pseudo_random(len: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// appctl with the S3 server and its keys named by environment variables.
fn with_s3(dir: &Path, s3: &S3Server) -> Command {
    let mut command = appctl(dir);
    command
        .env("APPCTL_S3_ACCESS_KEY_ID", ACCESS_KEY)
        .env("APPCTL_S3_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("APPCTL_S3_ENDPOINT", s3.endpoint());
    command
}

/// Runs and returns stdout + stderr; asserts success and that the secret key shows nowhere.
fn run_ok(command: &mut Command) -> String {
    let output = command.output().unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "appctl failed ({}):\n{text}",
        output.status
    );
    assert!(
        !text.contains(SECRET_KEY),
        "the secret key was printed:\n{text}"
    );
    text
}

fn run_err(command: &mut Command) -> String {
    let output = command.output().unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(1), "expected exit 1:\n{text}");
    assert!(
        !text.contains(SECRET_KEY),
        "the secret key was printed:\n{text}"
    );
    text
}

fn deploy(url: &str) {
    let desired = crate::support::engine::desired(PROJECT);
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
        .unwrap_or_else(|e| panic!("deploy failed: {e}"));
}

/// Puts the objects on the source S3 server (bucket directories made as s3s-fs keeps them, objects
/// written through S3 with object_store directly) and their storage.objects rows, plus an object
/// without a row.
fn seed(server: &PgServer, url: &str, s3: &S3Server, objects: &[(&str, &str, Vec<u8>)]) {
    deploy(url);
    server.psql(
        url,
        "INSERT INTO notes (body) SELECT 'note ' || g FROM generate_series(1, 20) g",
    );
    for bucket in ["uploads", "avatars", "empty-bucket"] {
        s3.create_bucket_dir(bucket);
    }
    let runtime = crate::support::engine::runtime();
    for (bucket, key, bytes) in objects {
        put(&runtime, s3, bucket, key, bytes.clone());
        let key_sql = key.replace('\'', "''");
        server.psql(
            url,
            &format!(
                "INSERT INTO storage.objects (bucket_id, name, owner_id, metadata, user_metadata, created_at) VALUES ('{bucket}', '{key_sql}', 'owner-{}', jsonb_build_object('size', {}, 'mimetype', 'application/octet-stream'), '{{\"note\": \"ünï\"}}', timestamptz '2024-05-06 07:08:09.123456+02')",
                bytes.len() % 7,
                bytes.len()
            ),
        );
    }
    put(
        &runtime,
        s3,
        "uploads",
        "orphan.txt",
        b"no row names me".to_vec(),
    );
    // A row whose metadata says another size than S3's: reported, exported as it is.
    server.psql(
        url,
        "UPDATE storage.objects SET metadata = jsonb_set(metadata, '{size}', '999') WHERE name = 'u/1.png'",
    );
}

fn store(s3: &S3Server, bucket: &str) -> object_store::aws::AmazonS3 {
    appctl::tls::install();
    object_store::aws::AmazonS3Builder::new()
        .with_endpoint(s3.endpoint())
        .with_allow_http(true)
        .with_region("us-east-1")
        .with_bucket_name(bucket)
        .with_access_key_id(ACCESS_KEY)
        .with_secret_access_key(SECRET_KEY)
        .build()
        .unwrap()
}

fn put(runtime: &tokio::runtime::Runtime, s3: &S3Server, bucket: &str, key: &str, bytes: Vec<u8>) {
    use object_store::ObjectStoreExt as _;
    let store = store(s3, bucket);
    runtime
        .block_on(store.put(&object_store::path::Path::parse(key).unwrap(), bytes.into()))
        .unwrap_or_else(|e| panic!("put {bucket}/{key}: {e}\n{}", s3.log()));
}

/// sha256 of every object file of a server's bucket directories, computed here.
fn stored(s3: &S3Server) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for bucket in s3.buckets() {
        for file in crate::support::s3::files_under(&s3.root().join(&bucket)) {
            let bytes = std::fs::read(s3.root().join(&bucket).join(&file)).unwrap();
            out.insert(format!("{bucket}/{file}"), sha256(&bytes));
        }
    }
    out
}

fn expected<K: AsRef<str>>(objects: &[(&str, K, Vec<u8>)]) -> BTreeMap<String, String> {
    objects
        .iter()
        .map(|(bucket, key, bytes)| (format!("{bucket}/{}", key.as_ref()), sha256(bytes)))
        .collect()
}

const OBJECT_ROWS: &str = "SELECT t::text FROM (SELECT id, bucket_id, name, owner, owner_id, created_at, updated_at, last_accessed_at, metadata, path_tokens, version, user_metadata FROM storage.objects) t ORDER BY t::text COLLATE \"C\"";
const EVERYTHING: &str = "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')";

/// The entries of an archive with their bytes (tar and zstd crates, not appctl).
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
            let path = String::from_utf8_lossy(&e.path_bytes()).into_owned();
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

fn manifest(listing: &[(String, Vec<u8>)]) -> serde_json::Value {
    let bytes = &listing
        .iter()
        .find(|(p, _)| p == "manifest.json")
        .unwrap()
        .1;
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn files_round_trip_with_their_metadata_and_conflict_modes() {
    let Some(source_s3) = S3Server::start() else {
        return;
    };
    let target_s3 = S3Server::start().unwrap();
    let server = PgServer::start();
    let source = server.create_database("source");
    let target = server.create_database("target");
    let objects = objects(true);
    seed(&server, &source, &source_s3, &objects);
    let dir = tempfile::tempdir().unwrap();

    // Without storage named, an export with buckets refuses and says what to do.
    let text = run_err(
        appctl(dir.path())
            .args(["export", "--database-url", &source, "-o"])
            .arg(dir.path().join("refused.tar.zst")),
    );
    assert!(
        text.contains("--no-files") && text.contains("--s3-endpoint"),
        "{text}"
    );

    // The storage of an environment, its values in .env (resolved at run time).
    std::fs::write(
        dir.path().join("appctl.yaml"),
        format!(
            "{PROJECT}environments:\n  source:\n    database_url: \"${{SOURCE_DB}}\"\n    storage: {{ endpoint: \"${{SOURCE_S3}}\", access_key: \"${{SOURCE_S3_KEY}}\", secret_key: \"${{SOURCE_S3_SECRET}}\" }}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".env"),
        format!(
            "SOURCE_DB={source}\nSOURCE_S3={}\nSOURCE_S3_KEY={ACCESS_KEY}\nSOURCE_S3_SECRET={SECRET_KEY}\n",
            source_s3.endpoint()
        ),
    )
    .unwrap();
    let archive = dir.path().join("backup.tar.zst");
    let text = run_ok(
        appctl(dir.path())
            .args(["export", "--env", "source", "-o"])
            .arg(&archive),
    );
    assert!(
        text.contains("1 object(s) in S3 storage have no row")
            && text.contains("uploads/orphan.txt"),
        "{text}"
    );
    assert!(text.contains("Exported 5 stored file(s)"), "{text}");
    assert!(
        text.contains("avatars/u/1.png (999 in its row, 18 in S3)"),
        "{text}"
    );

    // The archive: every file under files/<bucket>/<key> (one percent-encoded segment each), its
    // bytes equal to the source's; storage.objects rows; no secret anywhere.
    let listing = tar_listing(&archive);
    let manifest = manifest(&listing);
    assert_eq!(manifest["format"], 2);
    assert_eq!(
        manifest["buckets"],
        serde_json::json!(["avatars", "empty-bucket", "uploads"])
    );
    let files = manifest["files"].as_array().unwrap();
    assert_eq!(files.len(), objects.len(), "{files:?}");
    for (bucket, key, bytes) in &objects {
        let file = files
            .iter()
            .find(|f| f["bucket"] == *bucket && f["key"] == *key)
            .unwrap_or_else(|| panic!("{bucket}/{key} not in the manifest"));
        let path = file["path"].as_str().unwrap();
        assert!(
            path.starts_with(&format!("files/{bucket}/")) && path.is_ascii(),
            "{path}"
        );
        assert_eq!(path.matches('/').count(), 2, "{path}");
        let entry = &listing.iter().find(|(p, _)| p == path).unwrap().1;
        assert_eq!(sha256(entry), sha256(bytes), "{path}");
        assert_eq!(file["size"], bytes.len());
    }
    assert!(
        listing
            .iter()
            .any(|(p, _)| p == "rows/storage/objects/000001.jsonl")
    );
    assert!(!listing.iter().any(|(p, _)| p.contains("orphan")));
    for (path, bytes) in &listing {
        assert!(
            !bytes
                .windows(SECRET_KEY.len())
                .any(|w| w == SECRET_KEY.as_bytes()),
            "{path} holds the S3 secret key"
        );
    }
    let text = run_ok(
        appctl(dir.path())
            .args(["import", "--verify-only"])
            .arg(&archive),
    );
    assert!(
        text.contains("is valid") && text.contains("5 stored files in 3 buckets"),
        "{text}"
    );

    // An archive with files needs storage named on import too; nothing is written without it.
    let untouched = server.psql(&target, EVERYTHING);
    let text = run_err(
        appctl(dir.path())
            .args(["import", "--database-url", &target])
            .arg(&archive),
    );
    assert!(
        text.contains("--no-files") && text.contains("nothing was written"),
        "{text}"
    );
    assert_eq!(server.psql(&target, EVERYTHING), untouched);

    // --dry-run: plans the files (buckets to create) and writes nothing, on either side.
    let text = run_ok(
        with_s3(dir.path(), &target_s3)
            .args(["import", "--dry-run", "--database-url", &target])
            .arg(&archive),
    );
    assert!(
        text.contains("5 to upload") && text.contains("avatars, empty-bucket, uploads"),
        "{text}"
    );
    assert_eq!(server.psql(&target, EVERYTHING), untouched);
    assert!(target_s3.buckets().is_empty());

    // The round trip: buckets created, every file's bytes equal (read from s3s-fs's directory),
    // storage.objects rows equal.
    let text = run_ok(
        with_s3(dir.path(), &target_s3)
            .args(["import", "--database-url", &target])
            .arg(&archive),
    );
    assert!(
        text.contains("5 uploaded") && text.contains("3 bucket(s) created"),
        "{text}"
    );
    assert!(text.contains("5 read back"), "{text}");
    assert_eq!(stored(&target_s3), expected(&objects));
    assert_eq!(
        target_s3.buckets(),
        vec!["avatars", "empty-bucket", "uploads"]
    );
    assert_eq!(
        server.psql(&source, OBJECT_ROWS),
        server.psql(&target, OBJECT_ROWS)
    );
    assert_eq!(server.psql(&target, "SELECT count(*) FROM notes"), "20");

    // Conflicts: one object changed on the target, one extra object there.
    let runtime = crate::support::engine::runtime();
    let changed = ("uploads", "one.bin");
    put(
        &runtime,
        &target_s3,
        changed.0,
        changed.1,
        b"changed".to_vec(),
    );
    put(
        &runtime,
        &target_s3,
        "avatars",
        "extra.txt",
        b"only on the target".to_vec(),
    );
    let target_files = stored(&target_s3);
    let target_rows = server.psql(&target, OBJECT_ROWS);
    // fail (the default): refused before any write, naming the file.
    let text = run_err(
        with_s3(dir.path(), &target_s3)
            .args(["import", "--database-url", &target])
            .arg(&archive),
    );
    assert!(
        text.contains("uploads/one.bin")
            && text.contains("--on-conflict")
            && text.contains("nothing was written"),
        "{text}"
    );
    assert_eq!(stored(&target_s3), target_files);
    // skip: the target's object stays.
    let text = run_ok(
        with_s3(dir.path(), &target_s3)
            .args(["import", "--on-conflict", "skip", "--database-url", &target])
            .arg(&archive),
    );
    assert!(
        text.contains("1 skipped") && text.contains("4 unchanged"),
        "{text}"
    );
    assert_eq!(stored(&target_s3), target_files);
    assert_eq!(server.psql(&target, OBJECT_ROWS), target_rows);
    // upsert: the archive's bytes win; the extra object stays.
    let text = run_ok(
        with_s3(dir.path(), &target_s3)
            .args([
                "import",
                "--on-conflict",
                "upsert",
                "--database-url",
                &target,
            ])
            .arg(&archive),
    );
    assert!(text.contains("1 overwritten"), "{text}");
    let mut with_extra = expected(&objects);
    with_extra.insert("avatars/extra.txt".into(), sha256(b"only on the target"));
    assert_eq!(stored(&target_s3), with_extra);
    // replace: the buckets end with exactly the archive's objects.
    let text = run_ok(
        with_s3(dir.path(), &target_s3)
            .args([
                "import",
                "--on-conflict",
                "replace",
                "--database-url",
                &target,
            ])
            .arg(&archive),
    );
    assert!(text.contains("1 deleted"), "{text}");
    assert_eq!(stored(&target_s3), expected(&objects));
    assert_eq!(
        server.psql(&source, OBJECT_ROWS),
        server.psql(&target, OBJECT_ROWS)
    );

    // Objects with the archive's bytes are no conflict, even for fail: an import that wrote some
    // files and then failed (its rows rolled back) can simply be run again.
    let fresh = server.create_database("fresh");
    let text = run_ok(
        with_s3(dir.path(), &target_s3)
            .args(["import", "--database-url", &fresh])
            .arg(&archive),
    );
    assert!(
        text.contains("0 uploaded") && text.contains("5 unchanged"),
        "{text}"
    );
    assert_eq!(
        server.psql(&source, OBJECT_ROWS),
        server.psql(&fresh, OBJECT_ROWS)
    );
}

#[test]
fn no_files_and_corrupt_file_entries_are_refused_before_any_write() {
    let Some(source_s3) = S3Server::start() else {
        return;
    };
    let target_s3 = S3Server::start().unwrap();
    let server = PgServer::start();
    let source = server.create_database("source");
    let target = server.create_database("target");
    let objects = objects(false);
    seed(&server, &source, &source_s3, &objects);
    let dir = tempfile::tempdir().unwrap();
    // The endpoint by flag this time (the keys are only ever read from the environment).
    let archive = dir.path().join("small.tar");
    run_ok(
        appctl(dir.path())
            .env("APPCTL_S3_ACCESS_KEY_ID", ACCESS_KEY)
            .env("APPCTL_S3_SECRET_ACCESS_KEY", SECRET_KEY)
            .args(["export", "--s3-endpoint", &source_s3.endpoint()])
            .args(["--database-url", &source, "-o"])
            .arg(&archive),
    );
    let good = tar_listing(&archive);
    let file_path = |key: &str| -> String {
        manifest(&good)["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap()["path"]
            .as_str()
            .unwrap()
            .to_string()
    };

    let flipped = dir.path().join("flipped.tar");
    let mut entries = good.clone();
    let altered = file_path("docs/été 2024/rapport final (1) – 日本.txt");
    let entry = entries.iter_mut().find(|(p, _)| *p == altered).unwrap();
    entry.1[5] ^= 0x01;
    write_tar(&flipped, &entries);

    let missing = dir.path().join("missing.tar");
    let gone = file_path("one.bin");
    let entries: Vec<_> = good.iter().filter(|(p, _)| *p != gone).cloned().collect();
    write_tar(&missing, &entries);

    let untouched = server.psql(&target, EVERYTHING);
    for (path, expected) in [
        (&flipped, format!("`{altered}` is altered")),
        (&missing, format!("`{gone}` is missing")),
    ] {
        let text = run_err(
            with_s3(dir.path(), &target_s3)
                .args(["import", "--database-url", &target])
                .arg(path),
        );
        assert!(
            text.contains(&expected) && text.contains("nothing was written"),
            "{text}"
        );
        assert_eq!(
            server.psql(&target, EVERYTHING),
            untouched,
            "{} wrote to the database",
            path.display()
        );
        assert!(
            target_s3.buckets().is_empty()
                && crate::support::s3::files_under(&target_s3.root()).is_empty(),
            "{} wrote to S3: {:?}",
            path.display(),
            crate::support::s3::files_under(&target_s3.root())
        );
    }

    // Storage that does not answer: a clear error, quickly (a port nothing listens on).
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = std::time::Instant::now();
    let text = run_err(
        appctl(dir.path())
            .env("APPCTL_S3_ENDPOINT", format!("http://127.0.0.1:{closed}"))
            .args(["export", "--database-url", &source, "-o"])
            .arg(dir.path().join("unreachable.tar")),
    );
    assert!(text.contains("cannot reach the S3 endpoint"), "{text}");
    assert!(!dir.path().join("unreachable.tar").exists());
    eprintln!("unreachable storage refused in {:?}", started.elapsed());

    // --no-files: neither files nor storage.objects travel, no storage is needed, and it says so.
    let bare = dir.path().join("bare.tar");
    let text = run_ok(
        appctl(dir.path())
            .args(["export", "--no-files", "--database-url", &source, "-o"])
            .arg(&bare),
    );
    assert!(text.contains("left out (--no-files)"), "{text}");
    let listing = tar_listing(&bare);
    assert!(
        !listing
            .iter()
            .any(|(p, _)| p.starts_with("files/") || p.starts_with("rows/storage/objects")),
        "{:?}",
        listing.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    assert_eq!(manifest(&listing)["format"], 1);
    assert!(manifest(&listing).get("files").is_none());
    let text = run_ok(
        appctl(dir.path())
            .args(["import", "--database-url", &target])
            .arg(&bare),
    );
    assert!(!text.contains("Files:"), "{text}");
    assert_eq!(
        server.psql(&target, "SELECT count(*) FROM storage.objects"),
        "0"
    );
    assert_eq!(server.psql(&target, "SELECT count(*) FROM notes"), "20");

    // Importing an archive with files using --no-files leaves storage.objects and S3 alone.
    let third = server.create_database("third");
    let text = run_ok(
        appctl(dir.path())
            .args(["import", "--no-files", "--database-url", &third])
            .arg(&archive),
    );
    assert!(text.contains("left out (--no-files)"), "{text}");
    assert_eq!(
        server.psql(&third, "SELECT count(*) FROM storage.objects"),
        "0"
    );
    assert_eq!(
        server.psql(&third, "SELECT count(*) FROM storage.buckets"),
        "3"
    );
    assert!(target_s3.buckets().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Many files: transfers run several at a time; every byte and row must still land exactly.

const MIB: usize = 1024 * 1024;

/// Bytes of the `seed`-th file: distinct for every file, also between files of one size.
fn varied(seed: usize, len: usize) -> Vec<u8> {
    let mut state =
        0x2545_F491_4F6C_DD1Du64 ^ (seed as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// 300 files in two buckets: every tenth empty, most from a few bytes to ~200 KB; with `big`,
/// seven of 6 MiB next to each other in the archive (more together than the 16 MiB uploads may
/// hold at once) around one of 9 MiB (a multipart upload between small ones, streamed on export).
fn many_objects(big: bool) -> Vec<(&'static str, String, Vec<u8>)> {
    (0..300)
        .map(|i| {
            let len = match i {
                _ if i % 10 == 0 => 0,
                123 if big => 9 * MIB,
                121..=128 if big => 6 * MIB,
                _ => (i * 7919) % 200_000,
            };
            let (bucket, key) = match i % 7 {
                _ if len > MIB => ("uploads", format!("big/file-{i:03}.bin")),
                0 => ("avatars", format!("file-{i:03}.bin")),
                1 => ("uploads", format!("été/n° {i}.txt")),
                n => (
                    if n % 2 == 0 { "avatars" } else { "uploads" },
                    format!("dir{}/sub/file-{i:03}.bin", i % 5),
                ),
            };
            (bucket, key, varied(i, len))
        })
        .collect()
}

/// The source for the many-files tests: the project deployed, the objects put on S3 and one
/// `storage.objects` row each.
fn seed_many(server: &PgServer, url: &str, s3: &S3Server, objects: &[(&str, String, Vec<u8>)]) {
    deploy(url);
    for bucket in ["uploads", "avatars", "empty-bucket"] {
        s3.create_bucket_dir(bucket);
    }
    let runtime = crate::support::engine::runtime();
    for (bucket, key, bytes) in objects {
        put(&runtime, s3, bucket, key, bytes.clone());
    }
    let rows: Vec<String> = objects
        .iter()
        .map(|(bucket, key, bytes)| {
            format!(
                "('{bucket}', '{}', jsonb_build_object('size', {}))",
                key.replace('\'', "''"),
                bytes.len()
            )
        })
        .collect();
    server.psql(
        url,
        &format!(
            "INSERT INTO storage.objects (bucket_id, name, metadata) VALUES {}",
            rows.join(", ")
        ),
    );
}

/// Runs with `--json`; asserts success and returns the summary on stdout.
fn run_json(command: &mut Command) -> serde_json::Value {
    let output = command.arg("--json").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "appctl failed:\n{stderr}");
    assert!(!stderr.contains(SECRET_KEY), "{stderr}");
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

#[test]
fn many_files_round_trip_byte_for_byte_in_order() {
    let Some(source_s3) = S3Server::start() else {
        return;
    };
    let target_s3 = S3Server::start().unwrap();
    let server = PgServer::start();
    let source = server.create_database("source");
    let target = server.create_database("target");
    let objects = many_objects(true);
    seed_many(&server, &source, &source_s3, &objects);
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("many.tar.zst");
    let text = run_ok(
        with_s3(dir.path(), &source_s3)
            .args(["export", "--database-url", &source, "-o"])
            .arg(&archive),
    );
    assert!(text.contains("Exported 300 stored file(s)"), "{text}");

    // Downloads ahead keep the archive's order: the rows' (bucket, key), bytewise, each entry
    // holding its own object's bytes.
    let listing = tar_listing(&archive);
    let manifest = manifest(&listing);
    let files = manifest["files"].as_array().unwrap();
    let mut order: Vec<(&str, &str)> = objects
        .iter()
        .map(|(bucket, key, _)| (*bucket, key.as_str()))
        .collect();
    order.sort_by(|a, b| (a.0.as_bytes(), a.1.as_bytes()).cmp(&(b.0.as_bytes(), b.1.as_bytes())));
    let listed: Vec<(&str, &str)> = files
        .iter()
        .map(|f| (f["bucket"].as_str().unwrap(), f["key"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, order);
    let entries: Vec<&(String, Vec<u8>)> = listing
        .iter()
        .filter(|(p, _)| p.starts_with("files/"))
        .collect();
    assert_eq!(entries.len(), files.len());
    let by_name: BTreeMap<(&str, &str), &Vec<u8>> = objects
        .iter()
        .map(|(bucket, key, bytes)| ((*bucket, key.as_str()), bytes))
        .collect();
    for ((path, bytes), file) in entries.iter().zip(files) {
        assert_eq!(path, file["path"].as_str().unwrap());
        let name = (
            file["bucket"].as_str().unwrap(),
            file["key"].as_str().unwrap(),
        );
        assert_eq!(sha256(bytes), sha256(by_name[&name]), "{path}");
    }

    // Into an empty target: every object byte for byte (hashed here from s3s-fs's files), the
    // empty bucket created, the rows equal.
    let summary = run_json(
        with_s3(dir.path(), &target_s3)
            .args(["import", "--database-url", &target])
            .arg(&archive),
    );
    let report = &summary["files"];
    assert_eq!(report["uploaded"], 300, "{summary}");
    assert_eq!(report["verified"], 300, "{summary}");
    assert_eq!(report["buckets_created"], 3, "{summary}");
    let total: usize = objects.iter().map(|(_, _, b)| b.len()).sum();
    assert_eq!(report["bytes"], total, "{summary}");
    assert_eq!(stored(&target_s3), expected(&objects));
    assert_eq!(
        target_s3.buckets(),
        vec!["avatars", "empty-bucket", "uploads"]
    );
    assert_eq!(
        server.psql(&source, OBJECT_ROWS),
        server.psql(&target, OBJECT_ROWS)
    );
}

/// Puts a target into the state both conflict modes start from: of the archive's files, every
/// fourth with the same bytes, every eighth (from the second) with one byte changed (same size, so
/// only its sha256 tells), every eighth (from the sixth) with other bytes of another size, the
/// rest absent; plus 20 objects the archive does not hold in its buckets and one in a bucket it
/// does not name.
fn prepare_target(s3: &S3Server, objects: &[(&str, String, Vec<u8>)]) -> Prepared {
    for bucket in ["uploads", "avatars", "other-bucket"] {
        s3.create_bucket_dir(bucket);
    }
    let runtime = crate::support::engine::runtime();
    let (mut equal, mut different, mut absent) = (0, 0, 0);
    for (i, (bucket, key, bytes)) in objects.iter().enumerate() {
        let there = match i % 8 {
            0 | 4 => {
                equal += 1;
                bytes.clone()
            }
            1 if !bytes.is_empty() => {
                different += 1;
                let mut flipped = bytes.clone();
                flipped[bytes.len() / 2] ^= 0x01;
                flipped
            }
            1 | 5 => {
                different += 1;
                [bytes.as_slice(), b"and more"].concat()
            }
            _ => {
                absent += 1;
                continue;
            }
        };
        put(&runtime, s3, bucket, key, there);
    }
    let mut extras = BTreeMap::new();
    for n in 0..20 {
        let bucket = if n % 2 == 0 { "uploads" } else { "avatars" };
        let key = format!("extra/only-here-{n}.txt");
        let bytes = format!("only on the target {n}").into_bytes();
        put(&runtime, s3, bucket, &key, bytes.clone());
        extras.insert(format!("{bucket}/{key}"), sha256(&bytes));
    }
    let other = b"a bucket the archive does not name".to_vec();
    put(&runtime, s3, "other-bucket", "kept.txt", other.clone());
    Prepared {
        equal,
        different,
        absent,
        extras,
        other: ("other-bucket/kept.txt".to_string(), sha256(&other)),
    }
}

/// What [`prepare_target`] put there: how many of the archive's files are there with the same
/// bytes, with other bytes, or not at all, and the objects the archive does not hold (name and
/// sha256).
struct Prepared {
    equal: usize,
    different: usize,
    absent: usize,
    extras: BTreeMap<String, String>,
    other: (String, String),
}

#[test]
fn upsert_and_replace_over_a_target_holding_some_of_many_files() {
    let Some(source_s3) = S3Server::start() else {
        return;
    };
    let server = PgServer::start();
    let source = server.create_database("source");
    let objects = many_objects(false);
    seed_many(&server, &source, &source_s3, &objects);
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("many.tar");
    run_ok(
        with_s3(dir.path(), &source_s3)
            .args(["export", "--database-url", &source, "-o"])
            .arg(&archive),
    );

    for mode in ["upsert", "replace"] {
        let target_s3 = S3Server::start().unwrap();
        let target = server.create_database(mode);
        let Prepared {
            equal,
            different,
            absent,
            extras,
            other,
        } = prepare_target(&target_s3, &objects);
        assert!(equal > 50 && different > 50 && absent > 50);

        // fail refuses before any write, naming differing files.
        let before = stored(&target_s3);
        let text = run_err(
            with_s3(dir.path(), &target_s3)
                .args(["import", "--database-url", &target])
                .arg(&archive),
        );
        assert!(
            text.contains(&format!("{different} file(s) of the archive exist"))
                && text.contains("nothing was written"),
            "{text}"
        );
        assert_eq!(stored(&target_s3), before);

        let summary = run_json(
            with_s3(dir.path(), &target_s3)
                .args(["import", "--on-conflict", mode, "--database-url", &target])
                .arg(&archive),
        );
        let report = &summary["files"];
        assert_eq!(report["uploaded"], absent, "{summary}");
        assert_eq!(report["overwritten"], different, "{summary}");
        assert_eq!(report["unchanged"], equal, "{summary}");
        assert_eq!(report["verified"], absent + different, "{summary}");
        assert_eq!(report["buckets_created"], 1, "{summary}");
        let mut want = expected(&objects);
        want.insert(other.0, other.1);
        if mode == "upsert" {
            assert_eq!(report["deleted"], 0, "{summary}");
            want.extend(extras);
        } else {
            assert_eq!(report["deleted"], extras.len(), "{summary}");
        }
        assert_eq!(stored(&target_s3), want, "{mode}");
        assert_eq!(
            server.psql(&source, OBJECT_ROWS),
            server.psql(&target, OBJECT_ROWS),
            "{mode}"
        );
    }
}
