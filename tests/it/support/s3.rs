//! Throwaway S3 servers for integration tests: `s3s-fs` from crates.io
//! (`cargo install s3s-fs@0.14.1 --locked --features binary`, done by scripts/install-test-deps.sh).
//!
//! `S3Server::start()` runs it on a free port of 127.0.0.1 with a fresh temporary root directory and
//! fixed test credentials; dropping the value kills the process and removes the directory. s3s-fs
//! keeps each object as a plain file at `<root>/<bucket>/<key>`, so tests can read the bytes without
//! any S3 client ([`S3Server::object_file`]).
//!
//! * Discovery: `APPCTL_S3S_FS_BIN`, else `s3s-fs` on `PATH`, else `$CARGO_HOME/bin` (or
//!   `~/.cargo/bin`). When none is found `start()` returns `None` after printing why, unless
//!   `APPCTL_REQUIRE_S3` is set to a value other than `0` (CI), in which case it panics.
//! * Every wait is bounded: port picking and start attempts in count, readiness in count and time.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ACCESS_KEY: &str = "appctl-test-access-key";
/// Distinctive, so a test can search every output and archive entry for it.
pub const SECRET_KEY: &str = "appctl-test-SECRET-3f9c1e77b2";
pub const BIN_ENV: &str = "APPCTL_S3S_FS_BIN";
pub const REQUIRE_ENV: &str = "APPCTL_REQUIRE_S3";

const START_ATTEMPTS: u32 = 5;
const READY_POLLS: u32 = 200;
const READY_TIMEOUT: Duration = Duration::from_secs(20);

pub struct S3Server {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

fn binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(BIN_ENV) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join("s3s-fs");
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    Some(cargo_home.join("bin/s3s-fs")).filter(|p| p.is_file())
}

impl S3Server {
    /// Starts a server, or `None` (with the reason printed) when s3s-fs is not installed and
    /// `APPCTL_REQUIRE_S3` is not set.
    pub fn start() -> Option<S3Server> {
        let Some(binary) = binary() else {
            let required = std::env::var(REQUIRE_ENV).is_ok_and(|v| !v.is_empty() && v != "0");
            assert!(
                !required,
                "{REQUIRE_ENV} is set but s3s-fs was not found: run scripts/install-test-deps.sh \
                 (cargo install s3s-fs@0.14.1 --locked --features binary) or set {BIN_ENV}"
            );
            eprintln!(
                "skipped: s3s-fs is not installed (cargo install s3s-fs@0.14.1 --locked --features binary)"
            );
            return None;
        };
        let mut last_error = String::new();
        for _ in 0..START_ATTEMPTS {
            let dir = tempfile::Builder::new()
                .prefix("appctl-s3-")
                .tempdir()
                .expect("create a temporary directory for s3s-fs");
            let port = free_port();
            let log = std::fs::File::create(dir.path().join("s3s-fs.log")).unwrap();
            let root = dir.path().join("data");
            std::fs::create_dir(&root).unwrap();
            let child = Command::new(&binary)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
                .arg(&root)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
            let mut server = S3Server { child, dir, port };
            match server.wait_ready() {
                Ok(()) => return Some(server),
                Err(error) => last_error = error,
            }
        }
        panic!("s3s-fs did not start after {START_ATTEMPTS} attempts: {last_error}");
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        for _ in 0..READY_POLLS {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("s3s-fs exited ({status}): {}", self.log()));
            }
            if TcpStream::connect_timeout(
                &format!("127.0.0.1:{}", self.port).parse().unwrap(),
                Duration::from_millis(200),
            )
            .is_ok()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("s3s-fs did not listen in time: {}", self.log()))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("s3s-fs.log")).unwrap_or_default()
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The directory holding one directory per bucket.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Where s3s-fs keeps an object's bytes.
    pub fn object_file(&self, bucket: &str, key: &str) -> PathBuf {
        self.root().join(bucket).join(key)
    }

    /// The buckets (directories of the root, hidden bookkeeping files aside).
    pub fn buckets(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.root())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        names
    }

    /// Creates a bucket as s3s-fs stores it (a directory), without any S3 client.
    pub fn create_bucket_dir(&self, bucket: &str) {
        std::fs::create_dir_all(self.root().join(bucket)).unwrap();
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// Every file under `dir`, relative, sorted (to show what a bucket directory holds).
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}
