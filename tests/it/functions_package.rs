//! Function packages: the same sources give the same bytes whatever the order files were written in,
//! their mtimes, modes, owners or place on disk; ignore rules, dependency folders and symbolic links;
//! and the `appctl functions package|list|invoke` commands as a user runs them (no database here:
//! see tests/it/functions_plan.rs).

use crate::support::cli::appctl;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use appctl::project::file::Function;
use appctl::project::package::{self, PACKAGE_MTIME, PackageError, PackageOptions};
use sha2::{Digest, Sha256};

fn function(source: &str, entrypoint: &str) -> Function {
    serde_yaml_ng::from_str(&format!(
        "{{ runtime: node-20, source: {source}, entrypoint: {entrypoint} }}"
    ))
    .unwrap()
}

/// Writes `files` (path, contents) under `dir`, creating parents.
fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (path, contents) in files {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }
}

fn pack(project: &Path, source: &str, options: PackageOptions) -> Result<Vec<u8>, PackageError> {
    package::pack(
        "chat",
        &function(source, "index.js"),
        project,
        options,
        Vec::new(),
    )
    .map(|(_, bytes)| bytes)
}

fn pack_ok(project: &Path) -> Vec<u8> {
    pack(project, "fn", PackageOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// One archive entry as read back: path, type, mode, uid, gid, mtime, user and group names, size.
#[derive(Debug, PartialEq)]
struct Read_ {
    path: String,
    kind: char,
    mode: u32,
    uid: u64,
    gid: u64,
    mtime: u64,
    names: (String, String),
    link: Option<String>,
    contents: Vec<u8>,
}

fn entries(bytes: &[u8]) -> Vec<Read_> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let header = e.header().clone();
            let mut contents = Vec::new();
            e.read_to_end(&mut contents).unwrap();
            Read_ {
                path: e.path().unwrap().to_string_lossy().into_owned(),
                kind: match header.entry_type() {
                    tar::EntryType::Directory => 'd',
                    tar::EntryType::Regular => 'f',
                    tar::EntryType::Symlink => 'l',
                    other => panic!("unexpected entry type {other:?}"),
                },
                mode: header.mode().unwrap(),
                uid: header.uid().unwrap(),
                gid: header.gid().unwrap(),
                mtime: header.mtime().unwrap(),
                names: (
                    header.username().unwrap().unwrap_or("").to_string(),
                    header.groupname().unwrap().unwrap_or("").to_string(),
                ),
                link: e
                    .link_name()
                    .unwrap()
                    .map(|l| l.to_string_lossy().into_owned()),
                contents,
            }
        })
        .collect()
}

fn paths(bytes: &[u8]) -> Vec<String> {
    entries(bytes).into_iter().map(|e| e.path).collect()
}

const TREE: &[(&str, &str)] = &[
    ("fn/index.js", "console.log('hi')\n"),
    ("fn/lib/util.js", "module.exports = 1\n"),
    ("fn/lib/deep/x.json", "{}\n"),
    ("fn/a-b.txt", "dash\n"),
    ("fn/run.sh", "#!/bin/sh\necho run\n"),
];

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn same_sources_give_the_same_bytes_whatever_order_time_mode_owner_and_place() {
    let first = tempfile::tempdir().unwrap();
    write_files(first.path(), TREE);
    set_mode(&first.path().join("fn/run.sh"), 0o755);
    let a = pack_ok(first.path());
    assert_eq!(
        a,
        pack_ok(first.path()),
        "packing twice gives the same bytes"
    );

    // Another checkout: files written in reverse order, other mtimes, other modes (umask 077 and
    // group-writable), another owner, elsewhere on disk.
    let second = tempfile::tempdir().unwrap();
    let nested = second.path().join("some/where/else");
    fs::create_dir_all(&nested).unwrap();
    let mut reversed = TREE.to_vec();
    reversed.reverse();
    write_files(&nested, &reversed);
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for (path, _) in TREE {
        let path = nested.join(path);
        let file = fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(old).unwrap();
        set_mode(&path, 0o600);
    }
    set_mode(&nested.join("fn/run.sh"), 0o700);
    set_mode(&nested.join("fn/lib"), 0o700);
    set_mode(&nested.join("fn/index.js"), 0o664);
    // Owned by someone else where we may change owners (tests run as root in CI).
    let chowned = std::os::unix::fs::chown(nested.join("fn/index.js"), Some(4321), Some(4321));
    if chowned.is_ok() {
        std::os::unix::fs::chown(nested.join("fn/lib"), Some(4321), Some(4321)).unwrap();
    }
    let b = pack_ok(&nested);
    assert_eq!(a, b, "a second checkout gives the same bytes");
}

#[test]
fn any_change_to_the_sources_changes_the_bytes() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), TREE);
    let base = pack_ok(dir.path());

    fs::write(dir.path().join("fn/lib/util.js"), "module.exports = 2\n").unwrap();
    let content = pack_ok(dir.path());
    assert_ne!(base, content, "a changed byte changes the package");

    set_mode(&dir.path().join("fn/lib/util.js"), 0o755);
    let executable = pack_ok(dir.path());
    assert_ne!(
        content, executable,
        "the executable bit is part of the package"
    );

    fs::write(dir.path().join("fn/new.txt"), "").unwrap();
    let added = pack_ok(dir.path());
    assert_ne!(executable, added, "a new empty file changes the package");

    fs::rename(
        dir.path().join("fn/new.txt"),
        dir.path().join("fn/renamed.txt"),
    )
    .unwrap();
    assert_ne!(added, pack_ok(dir.path()), "a rename changes the package");
}

#[test]
fn headers_are_normalised_and_entries_sorted() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), TREE);
    set_mode(&dir.path().join("fn/run.sh"), 0o750);
    set_mode(&dir.path().join("fn/index.js"), 0o600);
    let bytes = pack_ok(dir.path());

    // gzip: no file name (FLG 0), mtime 0, OS unknown (255).
    assert_eq!(&bytes[..4], &[0x1f, 0x8b, 8, 0]);
    assert_eq!(&bytes[4..8], &[0, 0, 0, 0]);
    assert_eq!(bytes[9], 255);

    let read = entries(&bytes);
    let listing: Vec<(String, char, u32)> = read
        .iter()
        .map(|e| (e.path.clone(), e.kind, e.mode))
        .collect();
    assert_eq!(
        listing,
        [
            ("a-b.txt".to_string(), 'f', 0o644),
            ("index.js".into(), 'f', 0o644),
            ("lib/".into(), 'd', 0o755),
            ("lib/deep/".into(), 'd', 0o755),
            ("lib/deep/x.json".into(), 'f', 0o644),
            ("lib/util.js".into(), 'f', 0o644),
            ("run.sh".into(), 'f', 0o755),
        ]
    );
    for entry in &read {
        assert_eq!((entry.uid, entry.gid), (0, 0), "{}", entry.path);
        assert_eq!(entry.mtime, PACKAGE_MTIME, "{}", entry.path);
        assert_eq!(
            entry.names,
            (String::new(), String::new()),
            "{}",
            entry.path
        );
    }
    assert_eq!(read[1].contents, b"console.log('hi')\n");
}

/// The format is pinned: a change of compressor, level or header layout changes every function's
/// version (so every function would be deployed again). If this fails on purpose, say so in
/// docs/functions.md and the release notes.
#[test]
fn the_format_is_pinned() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("fn/index.js", "export default 1\n"),
            ("fn/lib/a.js", "a\n"),
        ],
    );
    let (info, bytes) = package::pack(
        "chat",
        &function("fn", "index.js"),
        dir.path(),
        PackageOptions::default(),
        Vec::new(),
    )
    .unwrap();
    assert_eq!(info.version, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(info.size, bytes.len() as u64);
    assert_eq!(info.files, 2);
    assert_eq!(info.version, PINNED_VERSION);
}

const PINNED_VERSION: &str = "392bf2cf0e741da493f85bb5e95d5dbb4a45bbc2e461a89bd087a9a7c6b9918c";

#[test]
fn gitignore_and_appctlignore_are_honoured_from_the_project_down() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            // appctl.yaml's directory: an anchored rule reaching into the function.
            (".gitignore", "/fn/generated/\n"),
            ("fn/index.js", "x"),
            ("fn/debug.log", "x"),
            ("fn/keep.log", "x"),
            ("fn/important.log", "x"),
            ("fn/notes/todo.md", "x"),
            ("fn/notes/secret.txt", "x"),
            ("fn/generated/out.js", "x"),
            ("fn/build/out.js", "x"),
            ("fn/.gitignore", "*.log\n!keep.log\nbuild/\n"),
            // .appctlignore beats .gitignore, both ways.
            ("fn/.appctlignore", "notes/secret.txt\n!important.log\n"),
            ("fn/.env", "SECRET=x"),
            ("fn/.env.production", "SECRET=x"),
            ("fn/.env.example", "SECRET="),
            ("fn/.git/HEAD", "ref: refs/heads/main"),
            ("fn/__pycache__/m.cpython-312.pyc", "x"),
        ],
    );
    let listed = paths(&pack_ok(dir.path()));
    assert_eq!(
        listed,
        [
            ".appctlignore",
            ".env.example",
            ".gitignore",
            "important.log",
            "index.js",
            "keep.log",
            "notes/",
            "notes/todo.md",
        ]
    );
}

#[test]
fn dependency_folders_are_left_out_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("fn/index.js", "x"),
            ("fn/.gitignore", "node_modules/\n"),
            ("fn/node_modules/left-pad/index.js", "x"),
            ("fn/node_modules/left-pad/package.json", "{}"),
            ("fn/.venv/lib/site.py", "x"),
            ("fn/env/pyvenv.cfg", "home = /usr/bin"),
            ("fn/env/lib/mod.py", "x"),
            ("fn/env/lib/__pycache__/mod.cpython-312.pyc", "x"),
            ("fn/lib/__pycache__/a.cpython-312.pyc", "x"),
            ("fn/lib/a.py", "x"),
        ],
    );
    symlink(
        "left-pad/index.js",
        dir.path().join("fn/node_modules/.bin-left-pad"),
    )
    .unwrap();
    let without = paths(&pack_ok(dir.path()));
    assert_eq!(without, [".gitignore", "index.js", "lib/", "lib/a.py"]);

    let with = paths(&pack(dir.path(), "fn", PackageOptions { include_deps: true }).unwrap());
    assert_eq!(
        with,
        [
            ".gitignore",
            ".venv/",
            ".venv/lib/",
            ".venv/lib/site.py",
            "env/",
            "env/lib/",
            "env/lib/mod.py",
            "env/pyvenv.cfg",
            "index.js",
            "lib/",
            "lib/a.py",
            "node_modules/",
            "node_modules/.bin-left-pad",
            "node_modules/left-pad/",
            "node_modules/left-pad/index.js",
            "node_modules/left-pad/package.json",
        ],
        "dependency folders come in even when .gitignore lists them; caches never do"
    );

    // A function's own `include_deps: true` is what a deploy packs, and its version says so.
    let declared: Function = serde_yaml_ng::from_str(
        "{ runtime: node-20, source: fn, entrypoint: index.js, include_deps: true }",
    )
    .unwrap();
    assert!(declared.include_deps);
    let (info, bytes) = package::pack(
        "chat",
        &declared,
        dir.path(),
        PackageOptions::of(&declared),
        Vec::new(),
    )
    .unwrap();
    assert_eq!(paths(&bytes), with);
    assert_ne!(
        info.version,
        package::version(
            "chat",
            &function("fn", "index.js"),
            dir.path(),
            PackageOptions::default()
        )
        .unwrap()
        .version
    );
    assert!(appctl::project::package::packed_with_deps(&bytes));
    assert!(!appctl::project::package::packed_with_deps(&pack_ok(
        dir.path()
    )));
}

#[test]
fn symbolic_links_inside_the_source_are_kept_relative_and_escaping_ones_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("fn/index.js", "x"),
            ("fn/lib/real.js", "x"),
            ("outside.txt", "secret"),
        ],
    );
    let fn_dir = dir.path().join("fn");
    symlink("lib/real.js", fn_dir.join("alias.js")).unwrap();
    // An absolute link inside the source names this machine's paths: stored relative.
    symlink(fn_dir.join("lib/real.js"), fn_dir.join("lib/abs.js")).unwrap();
    let read = entries(&pack_ok(dir.path()));
    let links: Vec<(String, Option<String>, u32)> = read
        .iter()
        .filter(|e| e.kind == 'l')
        .map(|e| (e.path.clone(), e.link.clone(), e.mode))
        .collect();
    assert_eq!(
        links,
        [
            (
                "alias.js".to_string(),
                Some("lib/real.js".to_string()),
                0o777
            ),
            ("lib/abs.js".into(), Some("real.js".into()), 0o777),
        ]
    );

    symlink("../outside.txt", fn_dir.join("leak.txt")).unwrap();
    let error = pack(dir.path(), "fn", PackageOptions::default())
        .unwrap_err()
        .to_string();
    assert!(error.contains("function `chat`"), "{error}");
    assert!(error.contains("fn/leak.txt"), "{error}");
    assert!(error.contains("../outside.txt"), "{error}");
    assert!(error.contains("outside the source directory"), "{error}");

    // Excluding the link in .appctlignore is the way out the message gives.
    fs::write(fn_dir.join(".appctlignore"), "leak.txt\n").unwrap();
    pack_ok(dir.path());

    symlink("nowhere.js", fn_dir.join("dangling.js")).unwrap();
    let error = pack(dir.path(), "fn", PackageOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("fn/dangling.js") && error.contains("does not exist"),
        "{error}"
    );
}

#[test]
fn errors_name_the_function_the_path_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let error = pack(dir.path(), "missing", PackageOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("function `chat`")
            && error.contains("`missing` does not exist")
            && error.contains("functions.chat.source"),
        "{error}"
    );

    write_files(dir.path(), &[("fn/main.js", "x")]);
    let error = pack(dir.path(), "fn", PackageOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("entrypoint `index.js` is not a file in `fn`")
            && error.contains("functions.chat.entrypoint"),
        "{error}"
    );

    write_files(
        dir.path(),
        &[("fn/index.js", "x"), ("fn/.appctlignore", "index.js\n")],
    );
    let error = pack(dir.path(), "fn", PackageOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("entrypoint `index.js` would not be in the package"),
        "{error}"
    );

    fs::remove_file(dir.path().join("fn/.appctlignore")).unwrap();
    fs::write(dir.path().join(".gitignore"), "fn/\n").unwrap();
    let error = pack(dir.path(), "fn", PackageOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("source directory `fn` is excluded by a .gitignore"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// The commands
// ---------------------------------------------------------------------------------------------

const PROJECT: &str = "version: 1
project: demo
functions:
  chat:
    runtime: node-20
    source: functions/chat
    entrypoint: index.js
    env: { API_KEY: \"${API_KEY}\" }
    timeout: 30s
    execute: [users]
  ingest:
    runtime: python-3.12
    source: functions/ingest
    entrypoint: main.py
    schedule: \"*/5  * * * *\"
    execute: [service]
";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("appctl.yaml", PROJECT),
            (".env", "API_KEY=value-that-must-never-show\n"),
            ("functions/chat/index.js", "console.log(1)\n"),
            ("functions/ingest/main.py", "print(1)\n"),
        ],
    );
    dir
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn package_writes_each_function_and_prints_its_version() {
    let dir = project();
    let output = appctl(dir.path())
        .args(["functions", "package"])
        .assert()
        .success();
    let text = stdout(output.get_output());
    for name in ["chat", "ingest"] {
        let path: PathBuf = dir.path().join(format!(".appctl/packages/{name}.tar.gz"));
        let bytes = fs::read(&path).unwrap();
        let version = hex::encode(Sha256::digest(&bytes));
        let line = text
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no line for {name}:\n{text}"));
        assert!(line.contains(&version), "{line}");
        assert!(line.contains(&format!("{} bytes", bytes.len())), "{line}");
        assert!(line.contains(".appctl/packages/"), "{line}");
    }
    assert!(!text.contains("value-that-must-never-show"));

    // One function, elsewhere, as JSON: the same bytes.
    let out = dir.path().join("dist");
    let output = appctl(dir.path())
        .args(["functions", "package", "chat", "-o", "dist", "--json"])
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_str(&stdout(output.get_output())).unwrap();
    let package = &json["packages"][0];
    assert_eq!(package["name"], "chat");
    assert_eq!(package["files"], 1);
    let bytes = fs::read(out.join("chat.tar.gz")).unwrap();
    assert_eq!(package["version"], hex::encode(Sha256::digest(&bytes)));
    assert_eq!(package["size"], bytes.len());
    assert_eq!(
        bytes,
        fs::read(dir.path().join(".appctl/packages/chat.tar.gz")).unwrap()
    );
    assert!(!out.join("ingest.tar.gz").exists());
}

#[test]
fn package_errors_say_what_to_do() {
    let dir = project();
    let output = appctl(dir.path())
        .args(["functions", "package", "chta"])
        .assert()
        .code(1);
    let stderr = String::from_utf8(output.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("no function `chta`") && stderr.contains("did you mean `chat`?"),
        "{stderr}"
    );

    symlink("/etc/hostname", dir.path().join("functions/chat/host")).unwrap();
    let output = appctl(dir.path())
        .args(["functions", "package", "chat"])
        .assert()
        .code(1);
    let stderr = String::from_utf8(output.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("function `chat`: `functions/chat/host` is a symbolic link to `/etc/hostname`, outside the source directory"),
        "{stderr}"
    );
    assert!(!dir.path().join(".appctl/packages/chat.tar.gz").exists());
}

#[test]
fn list_shows_runtime_version_schedule_and_execute() {
    let dir = project();
    let output = appctl(dir.path())
        .args(["functions", "list"])
        .assert()
        .success();
    let text = stdout(output.get_output());
    let chat_version = package::version(
        "chat",
        &function("functions/chat", "index.js"),
        dir.path(),
        PackageOptions::default(),
    )
    .unwrap()
    .version;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("NAME") && !lines[0].contains("DEPLOYED"),
        "{text}"
    );
    let chat: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(chat, ["chat", "node-20", &chat_version[..12], "-", "users"]);
    let ingest: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(&ingest[..2], ["ingest", "python-3.12"]);
    assert!(
        lines[2].contains("*/5 * * * *"),
        "cron spelled with single spaces: {text}"
    );

    let output = appctl(dir.path())
        .args(["functions", "list", "--json"])
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_str(&stdout(output.get_output())).unwrap();
    let chat = &json["functions"][0];
    assert_eq!(chat["name"], "chat");
    assert_eq!(chat["version"], chat_version);
    assert_eq!(chat["timeout_ms"], 30000);
    assert_eq!(chat["env"], serde_json::json!(["API_KEY"]));
    assert!(
        chat.get("deployed").is_none(),
        "no database, no deployed field"
    );
    assert!(!stdout(output.get_output()).contains("value-that-must-never-show"));
}

#[test]
fn invoke_of_an_unknown_function_names_the_ones_there_are() {
    let dir = project();
    let output = appctl(dir.path())
        .args(["functions", "invoke", "nope"])
        .assert()
        .code(1);
    let stderr = String::from_utf8(output.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("no function `nope` in appctl.yaml"),
        "{stderr}"
    );
    assert!(stderr.contains("chat"), "{stderr}");
}

#[test]
fn appctl_state_is_never_packed_even_when_the_source_is_the_project() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("index.js", "x"),
            ("appctl.yaml", "version: 1\n"),
            (".appctl/secrets.json", "{\"jwt_secret\": \"x\"}"),
            (".env", "KEY=x"),
        ],
    );
    let listed = paths(&pack(dir.path(), ".", PackageOptions::default()).unwrap());
    assert_eq!(listed, ["appctl.yaml", "index.js"]);
}

#[test]
fn sources_are_found_relative_to_the_project_file_not_the_current_directory() {
    let dir = project();
    let here = appctl(dir.path())
        .args(["functions", "list", "--json"])
        .assert()
        .success();
    let elsewhere = tempfile::tempdir().unwrap();
    let file = dir.path().join("appctl.yaml");
    let there = appctl(elsewhere.path())
        .args(["-f", file.to_str().unwrap(), "functions", "list", "--json"])
        .assert()
        .success();
    assert_eq!(stdout(here.get_output()), stdout(there.get_output()));
    appctl(elsewhere.path())
        .args([
            "functions",
            "-f",
            file.to_str().unwrap(),
            "package",
            "chat",
            "-o",
            "out",
        ])
        .assert()
        .success();
    assert_eq!(
        fs::read(elsewhere.path().join("out/chat.tar.gz")).unwrap(),
        package::pack(
            "chat",
            &function("functions/chat", "index.js"),
            dir.path(),
            PackageOptions::default(),
            Vec::new()
        )
        .unwrap()
        .1
    );
}

#[test]
fn packaging_and_listing_need_no_secret() {
    let dir = project();
    fs::remove_file(dir.path().join(".env")).unwrap();
    let output = appctl(dir.path()).args(["validate"]).assert().code(1);
    let stderr = String::from_utf8(output.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("variable `API_KEY` is not set"), "{stderr}");
    appctl(dir.path())
        .args(["functions", "package"])
        .assert()
        .success();
    appctl(dir.path())
        .args(["functions", "list"])
        .assert()
        .success();
    // Other mistakes are still reported.
    fs::write(
        dir.path().join("appctl.yaml"),
        PROJECT.replace("timeout: 30s", "timeout: 30"),
    )
    .unwrap();
    let output = appctl(dir.path())
        .args(["functions", "package"])
        .assert()
        .code(1);
    let stderr = String::from_utf8(output.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("timeout"), "{stderr}");
    assert!(!stderr.contains("API_KEY"), "{stderr}");
}

#[test]
fn a_package_is_never_written_into_its_own_sources() {
    let dir = project();
    let output = appctl(dir.path())
        .args(["functions", "package", "chat", "-o", "functions/chat/dist"])
        .assert()
        .code(1);
    let stderr = String::from_utf8(output.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("is inside its source directory `functions/chat`"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("functions/chat/dist").exists(),
        "nothing is written"
    );
}
