#!/usr/bin/env python3
"""Times `appctl export` against `pg_dump -Fc` and `appctl import` against `pg_restore` on the same data.

    python3 bench/export_vs_pg_dump.py [--scale 1.0] [--no-build] [--keep]

What it does, in one run:

1. Starts a throwaway PostgreSQL 15 (/usr/lib/postgresql/15/bin) in a temporary directory on
   127.0.0.1 and a free port (as the `postgres` user through runuser when run as root); stopped and
   removed at the end, also on error or Ctrl-C.
2. Builds appctl in release (`cargo build --release`), unless --no-build.
3. Deploys a chat schema (threads, messages with jsonb metadata) with `appctl deploy --bootstrap`
   into database `source` and fills it: 50,000 threads and 1,000,000 messages at --scale 1
   (about 375 MB of table data), then VACUUM ANALYZE.
4. Times, each once, in this order:
       pg_dump -Fc -f dump.pgc source                    (gzip, pg_dump's default)
       appctl export --database-url .../source -o out.tar.zst
       pg_restore -d restore_pg dump.pgc                 (into an empty database)
       appctl import --database-url .../restore_appctl out.tar.zst
   Peak memory is each client process's maximum resident set size (wait4's ru_maxrss); the server's
   work is the same Postgres for both tools.
5. Checks the restored databases hold the same number of messages, prints the times, ratios,
   archive sizes and peak memory, and whether the targets are met: export <= 1.25x pg_dump,
   import <= 1.0x pg_restore, peak memory < 100 MB for each.

Exit status: 0 when every target is met, 1 when one is not, 3 on a setup or check error.
Every command runs with a timeout.
"""
import argparse
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG_BIN = "/usr/lib/postgresql/15/bin"
SUPERUSER = "postgres"
CMD_TIMEOUT = 1800  # seconds: one server command, data generation included
TOOL_TIMEOUT = 1800  # seconds: one timed tool run
BUILD_TIMEOUT = 3600
TARGET_EXPORT = 1.25
TARGET_IMPORT = 1.0
TARGET_MEMORY_MB = 100

PROJECT = """version: 1
project: bench-chat
enums:
  message_role: [system, user, assistant, tool]
tables:
  threads:
    columns:
      id:         { type: uuid, primary_key: true, default: gen_random_uuid() }
      owner_id:   { type: uuid, nullable: true, references: auth.users.id, on_delete: cascade }
      title:      { type: text, nullable: true }
      created_at: { type: timestamptz, default: now() }
    indexes:
      - { columns: [owner_id, created_at] }
  messages:
    columns:
      id:         { type: bigint, primary_key: true, identity: true }
      thread_id:  { type: uuid, references: threads.id, on_delete: cascade }
      role:       { type: message_role }
      content:    { type: text }
      tokens:     { type: integer, nullable: true }
      metadata:   { type: jsonb, default: "'{}'::jsonb" }
      created_at: { type: timestamptz, default: now() }
    indexes:
      - { columns: [thread_id, created_at] }
"""

class BenchError(Exception):
    pass


def run(cmd, timeout, *, input_text=None, env=None, check=True, what=None):
    """Runs a command with a deadline; returns CompletedProcess (text)."""
    try:
        out = subprocess.run(
            cmd,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"{what or cmd[0]} timed out after {timeout}s") from e
    if check and out.returncode != 0:
        raise BenchError(
            f"{what or ' '.join(cmd)} failed (exit {out.returncode})\n"
            f"--- stdout ---\n{out.stdout[-4000:]}\n--- stderr ---\n{out.stderr[-4000:]}"
        )
    return out


# ----------------------------------------------------------------------------- PostgreSQL


class PgServer:
    """A throwaway PostgreSQL 15 on 127.0.0.1 (see tests/support/pg.rs for the Rust twin)."""

    def __init__(self, bin_dir=PG_BIN):
        if not os.path.isfile(os.path.join(bin_dir, "postgres")):
            raise BenchError(f"PostgreSQL 15 not found in {bin_dir} (apt-get install postgresql-15)")
        self.bin_dir = bin_dir
        self.as_root = os.geteuid() == 0
        self.password = secrets.token_hex(16)
        self.port = None
        self.root = tempfile.mkdtemp(prefix="appctl-bench-pg-")
        os.chmod(self.root, 0o700)
        if self.as_root:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self.uid, self.gid = user.pw_uid, user.pw_gid
        self.data = os.path.join(self.root, "data")
        self.log = os.path.join(self.root, "server.log")

    def _server_cmd(self, tool, *args):
        cmd = [os.path.join(self.bin_dir, tool), *args]
        return (["runuser", "-u", "postgres", "--"] + cmd) if self.as_root else cmd

    def _env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        return env

    def start(self):
        pwfile = os.path.join(self.root, "pwfile")
        with open(pwfile, "w") as f:
            f.write(self.password + "\n")
        if self.as_root:
            os.chown(pwfile, self.uid, self.gid)
        run(
            self._server_cmd(
                "initdb", "-D", self.data, "-U", SUPERUSER, "-E", "UTF8", "--no-locale",
                "--no-sync", "--auth-host=scram-sha-256", "--auth-local=trust",
                f"--pwfile={pwfile}",
            ),
            CMD_TIMEOUT, env=self._env(), what="initdb",
        )
        os.remove(pwfile)
        socket_dir = self.root.replace("'", "''")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(
                "\n# appctl export_vs_pg_dump benchmark\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{socket_dir}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                # 1000 tables with their indexes, sequences and constraints in one deploy.
                "max_wal_size = 4GB\nmaintenance_work_mem = 256MB\n"
                # For --profile (statement logging is switched on per database, only then).
                "log_line_prefix = '%m [%p] app=%a '\n"
            )
        for attempt in range(1, 6):
            port = free_port()
            out = run(
                self._server_cmd(
                    "pg_ctl", "start", "-D", self.data, "-l", self.log, "-w", "-t", "60",
                    "-o", f"-p {port}",
                ),
                90, env=self._env(), check=False, what="pg_ctl start",
            )
            if out.returncode == 0:
                self.port = port
                return
            log = read_tail(self.log)
            if "Address already in use" in log and attempt < 5:
                continue
            raise BenchError(f"PostgreSQL failed to start on 127.0.0.1:{port}\n{out.stderr}\n{log}")

    def stop(self):
        try:
            if os.path.exists(os.path.join(self.data, "postmaster.pid")):
                out = run(
                    self._server_cmd("pg_ctl", "stop", "-D", self.data, "-m", "immediate",
                                     "-w", "-t", "30"),
                    45, env=self._env(), check=False, what="pg_ctl stop",
                )
                if out.returncode != 0:
                    self._kill()
        except BenchError:
            self._kill()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _kill(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                pid = int(f.readline().strip())
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass

    def url(self, db="postgres"):
        return f"postgresql://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{db}"

    def psql(self, sql, db="postgres"):
        env = self._env()
        env["PGCONNECT_TIMEOUT"] = "10"
        return run(
            [os.path.join(self.bin_dir, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-d", self.url(db), "-c", sql],
            CMD_TIMEOUT, env=env, what="psql",
        ).stdout.strip()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""



# ----------------------------------------------------------------------------- the run


def timed(cmd, env=None, what=None):
    """Runs cmd; returns (seconds, peak RSS in MB)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = start + TOOL_TIMEOUT
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid != 0:
            break
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise BenchError(f"{what or cmd[0]} timed out after {TOOL_TIMEOUT}s")
        time.sleep(0.02)
    seconds = time.monotonic() - start
    out, err = proc.stdout.read().decode(errors="replace"), proc.stderr.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise BenchError(f"{what or ' '.join(cmd)} failed (exit {code})\n{out[-3000:]}\n{err[-3000:]}")
    for line in err.splitlines():
        if "time:" in line:
            print(f"  {what or os.path.basename(cmd[0])} {cmd[1]}: {line.strip()}", flush=True)
    return seconds, usage.ru_maxrss / 1024.0


def tool_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG") and k != "DATABASE_URL"}
    env.update({"CI": "true", "NO_COLOR": "1", "APPCTL_ACTOR": "bench"})
    return env


def fill(server, scale):
    threads = max(1, int(50_000 * scale))
    messages = max(1, int(1_000_000 * scale))
    server.psql(
        f"""
        INSERT INTO auth.users (id, email, encrypted_password, created_at)
        SELECT gen_random_uuid(), 'user' || g || '@example.com',
               '$2a$10$' || substr(md5(g::text) || md5((g + 1)::text), 1, 53), now()
        FROM generate_series(1, 1000) g;
        INSERT INTO threads (owner_id, title, created_at)
        SELECT (SELECT id FROM auth.users ORDER BY id OFFSET (g % 1000) LIMIT 1),
               'Thread ' || g || ' about ' || md5(g::text), now() - g * interval '1 minute'
        FROM generate_series(1, {threads}) g;
        CREATE TEMP TABLE t AS SELECT row_number() OVER () AS n, id FROM threads;
        INSERT INTO messages (thread_id, role, content, tokens, metadata, created_at)
        SELECT t.id, (ARRAY['system','user','assistant','tool']::message_role[])[g % 4 + 1],
               'Message ' || g || ': ' || repeat(md5(g::text), 4) || ' – ünïcode ✓',
               CASE WHEN g % 3 = 0 THEN NULL ELSE g % 2000 END,
               jsonb_build_object('model', 'gpt-4o-mini', 'latency_ms', g % 997, 'score', (g % 1000) / 7.0,
                                  'tags', jsonb_build_array('a', 'b', g % 10), 'trace', md5((g * 7)::text)),
               now() - g * interval '1 second'
        FROM generate_series(1, {messages}) g JOIN t ON t.n = g % {threads} + 1;
        """,
        db="source",
    )
    server.psql("VACUUM ANALYZE", db="source")
    size = server.psql("SELECT pg_size_pretty(sum(pg_table_size(oid))) FROM pg_class WHERE relname IN ('threads', 'messages')", db="source")
    return threads, messages, size


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 50,000 threads and 1,000,000 messages")
    parser.add_argument("--no-build", action="store_true", help="use target/release/appctl as it is")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (archive and dump)")
    args = parser.parse_args()

    appctl = os.path.join(ROOT, "target", "release", "appctl")
    if not args.no_build:
        run(["cargo", "build", "--release", "--quiet"], BUILD_TIMEOUT, what="cargo build --release")
    if not os.path.isfile(appctl):
        raise BenchError(f"{appctl} is missing: run without --no-build")

    work = tempfile.mkdtemp(prefix="appctl-bench-export-")
    server = PgServer()
    interrupted = []
    signal.signal(signal.SIGTERM, lambda *_: interrupted.append(1) or sys.exit(3))
    try:
        server.start()
        for db in ["source", "restore_pg", "restore_appctl"]:
            server.psql(f'CREATE DATABASE "{db}"')
        project = os.path.join(work, "appctl.yaml")
        with open(project, "w") as f:
            f.write(PROJECT)
        run([appctl, "deploy", "-f", project, "--bootstrap", "--yes", "--database-url", server.url("source")],
            TOOL_TIMEOUT, env=tool_env(), what="appctl deploy")
        started = time.monotonic()
        threads, messages, size = fill(server, args.scale)
        print(f"data: {threads:,} threads, {messages:,} messages, {size} of table data "
              f"(generated in {time.monotonic() - started:.0f}s)", flush=True)

        env = tool_env()
        pg_env = dict(env)
        dump = os.path.join(work, "dump.pgc")
        archive = os.path.join(work, "out.tar.zst")
        results = {}
        results["pg_dump"] = timed([os.path.join(PG_BIN, "pg_dump"), "-Fc", "-f", dump, "-d", server.url("source")], pg_env)
        results["export"] = timed([appctl, "export", "--database-url", server.url("source"), "-o", archive, "-v"], env)
        results["pg_restore"] = timed([os.path.join(PG_BIN, "pg_restore"), "-d", server.url("restore_pg"), dump], pg_env)
        results["import"] = timed([appctl, "import", "--database-url", server.url("restore_appctl"), archive, "-v"], env)

        check = "SELECT count(*) FROM messages"
        counts = {db: server.psql(check, db=db) for db in ["source", "restore_pg", "restore_appctl"]}
        if len(set(counts.values())) != 1:
            raise BenchError(f"the restored databases differ: {counts}")

        export_ratio = results["export"][0] / results["pg_dump"][0]
        import_ratio = results["import"][0] / results["pg_restore"][0]
        print(f"{'step':<12}{'seconds':>10}{'peak MB':>10}")
        for name, (seconds, peak) in results.items():
            print(f"{name:<12}{seconds:>10.2f}{peak:>10.1f}")
        print(f"sizes: dump {os.path.getsize(dump) / 1e6:.1f} MB, archive {os.path.getsize(archive) / 1e6:.1f} MB")
        print(f"export / pg_dump    = {export_ratio:.2f}x (target <= {TARGET_EXPORT}x)")
        print(f"import / pg_restore = {import_ratio:.2f}x (target <= {TARGET_IMPORT}x)")
        peak = max(results["export"][1], results["import"][1])
        print(f"appctl peak memory  = {peak:.1f} MB (target < {TARGET_MEMORY_MB} MB)")
        met = export_ratio <= TARGET_EXPORT and import_ratio <= TARGET_IMPORT and peak < TARGET_MEMORY_MB
        print("targets met" if met else "targets NOT met")
        return 0 if met else 1
    finally:
        server.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(3)
