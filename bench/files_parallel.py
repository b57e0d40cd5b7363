#!/usr/bin/env python3
"""Times `appctl export` and `appctl import` of many small storage files, two appctl builds side by side.

    python3 bench/files_parallel.py --before /tmp/appctl-before [--files 2000] [--runs 3]
        [--latency-ms direct,0,5] [--file-bytes N] [--no-build]

What it does, in one run:

1. Starts a throwaway PostgreSQL 15 (see pgserver.py) and two s3s-fs servers (source and target,
   `cargo install s3s-fs@0.14.1 --locked --features binary`; `APPCTL_S3S_FS_BIN` or PATH or
   ~/.cargo/bin), each on 127.0.0.1, a free port and a temporary directory; all stopped and
   removed at the end, also on error or Ctrl-C.
2. Builds appctl (`cargo build`, the debug build the tests use; the work is round trips, not
   CPU), unless --no-build. `--before BIN` names a second binary, the code before the change
   (see bench/README.md for how to build one).
3. Deploys a project with two buckets into database `source` and writes --files objects (sizes
   from 0 to 200 KB, log-uniform, 5 % empty, the same every run; or all of --file-bytes) straight
   into the source s3s-fs's directory (it keeps each object as a plain file), with their
   `storage.objects` rows.
4. For each --latency-ms setting: `direct` talks to s3s-fs itself; a number N puts a proxy in
   front of both servers that holds every chunk N ms in each direction (a round trip costs 2N ms
   more, no bandwidth limit) and counts the HTTP requests in flight (from a request's first byte
   until its response's last byte reaches appctl; HTTP/1.1 framing followed, nothing else
   parsed). Then --runs times, alternating which build goes first:
       appctl export --database-url .../source --s3-endpoint SOURCE -o files.tar
       appctl import --database-url .../target_N --s3-endpoint TARGET files.tar
   every import into a new empty database and an emptied target s3s-fs, checked afterwards (the
   row count and the number of objects written).
5. Prints, per setting, build and command: best and median seconds, peak memory (wait4's
   ru_maxrss) and, behind the proxy, the peak of requests in flight and the requests made.

Exit status: 0 when it ran, 3 on a setup or check error. Every command runs with a timeout.
"""
import argparse
import asyncio
import collections
import math
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgserver import BenchError, PgServer, free_port, read_tail, run, timed_run  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CMD_TIMEOUT = 600  # seconds: one server command
TOOL_TIMEOUT = 1200  # seconds: one timed appctl run
BUILD_TIMEOUT = 3600
ACCESS_KEY = "bench-access-key"
SECRET_KEY = "bench-secret-key-5d1f"
BUCKETS = ["uploads", "avatars"]

PROJECT = """version: 1
project: bench-files
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
"""


# ----------------------------------------------------------------------------- s3s-fs


def s3s_fs_binary():
    if os.environ.get("APPCTL_S3S_FS_BIN"):
        return os.environ["APPCTL_S3S_FS_BIN"]
    found = shutil.which("s3s-fs")
    if found:
        return found
    home = os.environ.get("CARGO_HOME") or os.path.join(os.path.expanduser("~"), ".cargo")
    path = os.path.join(home, "bin", "s3s-fs")
    if os.path.isfile(path):
        return path
    raise BenchError("s3s-fs not found: cargo install s3s-fs@0.14.1 --locked --features binary")


class S3Server:
    """s3s-fs on 127.0.0.1 with a data directory of its own (see tests/it/support/s3.rs)."""

    def __init__(self, work, name):
        self.dir = os.path.join(work, name)
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.data)
        self.proc = None
        self.port = None

    def start(self):
        for _ in range(5):
            port = free_port()
            log = open(os.path.join(self.dir, "s3s-fs.log"), "w")
            self.proc = subprocess.Popen(
                [s3s_fs_binary(), "--host", "127.0.0.1", "--port", str(port),
                 "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY, self.data],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            )
            log.close()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    self.port = port
                    return
                except OSError:
                    time.sleep(0.05)
            self.stop()
        raise BenchError(f"s3s-fs did not start: {read_tail(os.path.join(self.dir, 's3s-fs.log'))}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def empty(self):
        """Removes every bucket (s3s-fs reads its directory on every request)."""
        for name in os.listdir(self.data):
            path = os.path.join(self.data, name)
            if os.path.isdir(path):
                shutil.rmtree(path)
            else:
                os.remove(path)

    def count_files(self):
        return sum(len(files) for bucket in BUCKETS
                   for _, _, files in os.walk(os.path.join(self.data, bucket)))


# ----------------------------------------------------------------------------- the proxy


class Framer:
    """Follows HTTP/1.1 message boundaries in one direction of a connection (requests or
    responses), calling `on_start` at a request's first byte and `on_end` at a response's last."""

    def __init__(self, requests, methods, on_start, on_end):
        self.requests = requests
        self.methods = methods  # of the requests waiting for their response, oldest first
        self.on_start, self.on_end = on_start, on_end
        self.buf = bytearray()
        self.state = "idle"
        self.remaining = 0

    def feed(self, data):
        self.buf += data
        # Bounded: each turn consumes bytes or returns.
        while True:
            if self.state == "idle":
                if not self.buf:
                    return
                if self.requests:
                    self.on_start()
                self.state = "head"
            if self.state == "head":
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                lines = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
                del self.buf[:end + 4]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip().lower()
                chunked = "chunked" in headers.get("transfer-encoding", "")
                length = int(headers.get("content-length", "0") or 0)
                if self.requests:
                    self.methods.append(lines[0].split(" ", 1)[0])
                else:
                    status = int(lines[0].split(" ")[1])
                    if 100 <= status < 200:
                        self.state = "idle"
                        continue
                    if self.methods and self.methods[0] == "HEAD" or status in (204, 304):
                        chunked, length = False, 0
                    elif not chunked and "content-length" not in headers:
                        self.state = "until-close"
                        continue
                if chunked:
                    self.state = "chunk-size"
                elif length > 0:
                    self.state, self.remaining = "body", length
                else:
                    self.done()
            elif self.state in ("body", "chunk-data"):
                take = min(self.remaining, len(self.buf))
                del self.buf[:take]
                self.remaining -= take
                if self.remaining > 0:
                    return
                if self.state == "body":
                    self.done()
                else:
                    self.state = "chunk-size"
            elif self.state == "chunk-size":
                end = self.buf.find(b"\r\n")
                if end < 0:
                    return
                size = int(bytes(self.buf[:end]).split(b";")[0], 16)
                del self.buf[:end + 2]
                if size == 0:
                    self.state = "trailer"
                else:
                    self.state, self.remaining = "chunk-data", size + 2
            elif self.state == "trailer":
                end = self.buf.find(b"\r\n")
                if end < 0:
                    return
                empty = end == 0
                del self.buf[:end + 2]
                if empty:
                    self.done()
            else:  # until-close
                self.buf.clear()
                return

    def done(self):
        self.state = "idle"
        if not self.requests:
            if self.methods:
                self.methods.popleft()
            self.on_end()


class Proxy:
    """Forwards 127.0.0.1:port to a server, every chunk held `delay` seconds in each direction,
    and counts requests in flight."""

    def __init__(self, loop, target_port, delay):
        self.loop, self.target_port, self.delay = loop, target_port, delay
        self.in_flight = self.peak = self.requests = 0
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self.handle, "127.0.0.1", 0), loop).result(10)
        self.port = self.server.sockets[0].getsockname()[1]

    def reset(self):
        self.peak, self.requests = self.in_flight, 0

    def started(self):
        self.in_flight += 1
        self.requests += 1
        self.peak = max(self.peak, self.in_flight)

    def ended(self):
        self.in_flight -= 1

    async def handle(self, client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_writer.close()
            return
        methods = collections.deque()
        requests = Framer(True, methods, self.started, self.ended)
        responses = Framer(False, methods, self.started, self.ended)
        try:
            await asyncio.gather(
                self.pump(client_reader, server_writer, requests, on_arrival=True),
                self.pump(server_reader, client_writer, responses, on_arrival=False),
            )
        finally:
            for _ in methods:  # a connection closed with responses owed
                self.ended()
            for writer in (client_writer, server_writer):
                writer.close()

    async def pump(self, reader, writer, framer, on_arrival):
        """Requests are counted when appctl sends them, responses when they reach appctl."""
        queue = asyncio.Queue(maxsize=64)

        async def deliver():
            # Bounded by the connection's chunks; None ends it.
            while (item := await queue.get()) is not None:
                due, data = item
                wait = due - self.loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
                if not on_arrival:
                    framer.feed(data)

        task = asyncio.ensure_future(deliver())
        try:
            # Bounded by the connection's bytes.
            while data := await reader.read(65536):
                if on_arrival:
                    framer.feed(data)
                await queue.put((self.loop.time() + self.delay, data))
        except (ConnectionError, OSError):
            pass
        await queue.put(None)
        try:
            await task
        except (ConnectionError, OSError):
            pass
        writer.close()


# ----------------------------------------------------------------------------- the run


def timed(cmd, env, what):
    """Runs cmd; returns (seconds, peak RSS in MB)."""
    seconds, peak, _, _ = timed_run(cmd, TOOL_TIMEOUT, env=env, what=what)
    return seconds, peak


def tool_env():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PG") and not k.startswith("APPCTL_") and k != "DATABASE_URL"}
    env.update({"CI": "true", "NO_COLOR": "1", "APPCTL_ACTOR": "bench",
                "APPCTL_S3_ACCESS_KEY_ID": ACCESS_KEY, "APPCTL_S3_SECRET_ACCESS_KEY": SECRET_KEY})
    return env


def seed(server, source, count, file_bytes=None):
    """`count` objects written into s3s-fs's directory, with their rows; returns their bytes."""
    rng = random.Random(20240506)
    rows, total = [], 0
    for i in range(count):
        bucket = BUCKETS[i % 2]
        if file_bytes is not None:
            size = file_bytes
        elif i % 20 == 0:
            size = 0
        else:
            size = int(math.exp(rng.uniform(math.log(100), math.log(200_000))))
        key = f"user-{i % 97:02d}/{i:05d}-{size}.bin"
        path = os.path.join(source.data, bucket, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(rng.randbytes(size))
        rows.append(f"('{bucket}', '{key}', jsonb_build_object('size', {size}))")
        total += size
    for start in range(0, len(rows), 500):  # psql takes the statement as one argument: keep it short
        server.psql("INSERT INTO storage.objects (bucket_id, name, metadata) VALUES "
                    + ", ".join(rows[start:start + 500]), db="source")
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="objects to move (default 2000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each build (default 3)")
    parser.add_argument("--latency-ms", default="direct,0,5",
                        help="comma-separated: `direct`, or a one-way delay in ms through the proxy")
    parser.add_argument("--file-bytes", type=int,
                        help="every file this size instead (e.g. 7340032: the memory bounds at their fullest)")
    parser.add_argument("--before", help="a second appctl binary to time (the code before the change)")
    parser.add_argument("--no-build", action="store_true", help="use target/debug/appctl as it is")
    args = parser.parse_args()

    builds = []
    if args.before:
        if not os.path.isfile(args.before):
            raise BenchError(f"{args.before} is not a file")
        builds.append(("before", os.path.abspath(args.before)))
    after = os.path.join(ROOT, "target", "debug", "appctl")
    if not args.no_build:
        run(["cargo", "build", "--quiet"], BUILD_TIMEOUT, what="cargo build")
    if not os.path.isfile(after):
        raise BenchError(f"{after} is missing: run without --no-build")
    builds.append(("after", after))
    settings = [s.strip() for s in args.latency_ms.split(",") if s.strip()]
    for setting in settings:
        if setting != "direct" and not setting.replace(".", "", 1).isdigit():
            raise BenchError(f"--latency-ms: `{setting}` is neither `direct` nor a number")

    work = tempfile.mkdtemp(prefix="appctl-bench-files-")
    server = PgServer(label="appctl files_parallel benchmark", cmd_timeout=CMD_TIMEOUT)
    source, target = S3Server(work, "source"), S3Server(work, "target")
    loop = asyncio.new_event_loop()
    loop_thread = threading.Thread(target=loop.run_forever, daemon=True)
    loop_thread.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))
    try:
        server.start()
        server.psql('CREATE DATABASE "source"')
        source.start()
        target.start()
        project = os.path.join(work, "appctl.yaml")
        with open(project, "w") as f:
            f.write(PROJECT)
        env = tool_env()
        run([after, "deploy", "-f", project, "--bootstrap", "--yes", "--database-url", server.url("source")],
            TOOL_TIMEOUT, env=env, what="appctl deploy")
        total = seed(server, source, args.files, args.file_bytes)
        print(f"data: {args.files} files, {total / 1e6:.1f} MB in {len(BUCKETS)} buckets; "
              f"builds: {', '.join(name for name, _ in builds)}", flush=True)
        archive = os.path.join(work, "files.tar")
        results = []  # (setting, build, command, seconds, peak MB, peak in flight, requests)
        n = 0
        for setting in settings:
            proxies = None
            source_url, target_url = f"http://127.0.0.1:{source.port}", f"http://127.0.0.1:{target.port}"
            if setting != "direct":
                delay = float(setting) / 1000.0
                proxies = (Proxy(loop, source.port, delay), Proxy(loop, target.port, delay))
                source_url = f"http://127.0.0.1:{proxies[0].port}"
                target_url = f"http://127.0.0.1:{proxies[1].port}"
            for r in range(max(1, args.runs)):
                order = builds if r % 2 == 0 else builds[::-1]
                for name, binary in order:
                    steps = [
                        ("export", [binary, "export", "--database-url", server.url("source"),
                                    "--s3-endpoint", source_url, "-o", archive, "--force"], 0),
                        ("import", None, 1),
                    ]
                    for command, cmd, side in steps:
                        if command == "import":
                            n += 1
                            db = f"target_{n}"
                            server.psql(f'CREATE DATABASE "{db}"')
                            target.empty()
                            cmd = [binary, "import", "--database-url", server.url(db),
                                   "--s3-endpoint", target_url, archive]
                        if proxies:
                            proxies[side].reset()
                        seconds, peak_mb = timed(cmd, env, f"{name} {command}")
                        in_flight = requests = None
                        if proxies:
                            in_flight, requests = proxies[side].peak, proxies[side].requests
                        results.append((setting, name, command, seconds, peak_mb, in_flight, requests))
                        if command == "import":
                            rows = server.psql("SELECT count(*) FROM storage.objects", db=db)
                            files = target.count_files()
                            if rows != str(args.files) or files != args.files:
                                raise BenchError(f"{name} import: {rows} rows, {files} files, not {args.files}")
                            server.psql(f'DROP DATABASE "{db}"')
                        print(f"  {setting:>6} {name:<7}{command:<7}{seconds:8.2f} s{peak_mb:8.1f} MB"
                              + (f"{in_flight:5d} in flight{requests:7d} requests" if proxies else ""),
                              flush=True)
            if proxies:
                for proxy in proxies:
                    loop.call_soon_threadsafe(proxy.server.close)

        print(f"\n{'latency':<9}{'build':<8}{'step':<8}{'best s':>8}{'median s':>10}{'peak MB':>9}"
              f"{'in flight':>11}{'requests':>10}   ({max(1, args.runs)} runs)")
        for setting in settings:
            for name, _ in builds:
                for command in ("export", "import"):
                    rs = [r for r in results if r[:3] == (setting, name, command)]
                    secs = [r[3] for r in rs]
                    label = "loopback" if setting == "direct" else f"+{setting}ms"
                    flight = "-" if rs[0][5] is None else str(max(r[5] for r in rs))
                    reqs = "-" if rs[0][6] is None else str(max(r[6] for r in rs))
                    print(f"{label:<9}{name:<8}{command:<8}{min(secs):>8.2f}{statistics.median(secs):>10.2f}"
                          f"{max(r[4] for r in rs):>9.1f}{flight:>11}{reqs:>10}")
        return 0
    finally:
        loop.call_soon_threadsafe(loop.stop)
        for s3 in (source, target):
            s3.stop()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(3)
