"""What the benchmarks share: bounded commands, a throwaway PostgreSQL 15 on 127.0.0.1, the
release build of appctl and the signal handling that lets a run clean up."""
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
    """A throwaway PostgreSQL 15 on 127.0.0.1 (see tests/it/support/pg.rs for the Rust twin)."""

    def __init__(self, *, label, settings="", cmd_timeout=120, bin_dir=PG_BIN):
        """`label` names the benchmark in postgresql.conf; `settings` are extra lines for it;
        `cmd_timeout` bounds each server command (initdb, psql)."""
        if not os.path.isfile(os.path.join(bin_dir, "postgres")):
            raise BenchError(f"PostgreSQL 15 not found in {bin_dir} (apt-get install postgresql-15)")
        self.bin_dir = bin_dir
        self.label = label
        self.settings = settings
        self.cmd_timeout = cmd_timeout
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
            self.cmd_timeout, env=self._env(), what="initdb",
        )
        os.remove(pwfile)
        socket_dir = self.root.replace("'", "''")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(
                f"\n# {self.label}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{socket_dir}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                # For profiling (statement logging is switched on per database, only then).
                "log_line_prefix = '%m [%p] app=%a '\n"
                + self.settings
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
            self.cmd_timeout, env=env, what="psql",
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


def timed_run(cmd, timeout, *, env=None, what=None):
    """Runs cmd with a deadline; returns (seconds, peak RSS in MB of the process, stdout, stderr).
    Peak memory is wait4's ru_maxrss."""
    what = what or " ".join(cmd)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid != 0:
            break
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise BenchError(f"{what} timed out after {timeout}s")
        time.sleep(0.01)
    seconds = time.monotonic() - start
    out, err = proc.stdout.read().decode(errors="replace"), proc.stderr.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise BenchError(f"{what} failed (exit {code})\n{out[-3000:]}\n{err[-3000:]}")
    return seconds, usage.ru_maxrss / 1024.0, out, err


def release_appctl(given, build, timeout):
    """The appctl binary to measure: `given` (--appctl), else the release build, made first when
    `build` (not --no-build). None when it is not there."""
    if build and not given:
        print("building appctl (cargo build --release -p appctl)...", file=sys.stderr)
        run(["cargo", "build", "--release", "--quiet", "-p", "appctl"], timeout,
            what="cargo build --release")
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    appctl = given or os.path.join(target, "release", "appctl")
    if not os.path.isfile(appctl):
        print(f"{appctl} not found", file=sys.stderr)
        return None
    return appctl


def stop_on_signals():
    """SIGTERM and SIGHUP become exceptions, so a bench's `finally` stops what it started."""
    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
