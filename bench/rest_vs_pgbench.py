#!/usr/bin/env python3
"""Times appctl's REST service (`appctl gateway`, /rest/v1) against pgbench running the same transactions.

    apt-get install -y wrk postgresql-15   # pgbench is in postgresql-client-15
    python3 bench/rest_vs_pgbench.py [--connections 64] [--duration 10] [--warmup 3]
                                     [--wrk-threads 2] [--pgbench-threads 2] [--pool-size N]
                                     [--bulk-reps 20] [--no-build] [--appctl PATH]

What it does, in one run:

1. Starts a throwaway PostgreSQL 15 from /usr/lib/postgresql/15/bin in a temporary directory,
   listening on 127.0.0.1 only, on a free port (as the `postgres` system user through
   `runuser -u postgres --` when run as root), with `max_connections = 200` (64 for the gateway's
   pool, 64 for pgbench, a few for the script). It is stopped and the directory removed at the end,
   also on error, Ctrl-C or SIGTERM.
2. Builds appctl in release (`cargo build --release -p appctl`, into $CARGO_TARGET_DIR when set),
   unless --no-build or --appctl PATH.
3. Deploys a small chat project (threads and messages, both `owner: owner_id` with
   `permissions: { read: [owner], create: [owner] }`, so row-level security is on; no vector
   column, so PostgreSQL 15 does) with `appctl deploy --bootstrap`, given
   APPCTL_AUTHENTICATOR_PASSWORD so bootstrap's `authenticator` role can log in. Seeds, with
   generate_series: 1,000 users x 10 threads x 20 messages (10,000 threads, 200,000 messages).
4. Starts `appctl gateway` (HOST=127.0.0.1, a free PORT, APPCTL_REST_DB_URL as authenticator,
   APPCTL_REST_POOL_SIZE = --pool-size, default 10 as appctl's own) and waits for /health.
5. Signs HS256 tokens (claims role=authenticated, aud=authenticated, sub=<user>, exp) for 8 users;
   the load is 8 (token, thread) pairs, a fixed thread (the first by id) of each of those users,
   one pair picked at random per request by both tools. (One fixed thread per user, because
   pgbench cannot pick a string at random: it gets one script per pair, and with 80 scripts each
   of its 64 clients would spend the run preparing statements.)
6. Sends one request of each case through the gateway with `log_statement = all` (ALTER SYSTEM,
   reloaded, then reset) and reads from the server log the exact statement the gateway ran and its
   parameters. pgbench runs that statement, not a hand-written one: each $n becomes a pgbench
   variable (`(:var)::text`, so still a bind parameter typed text, as sqlx sends it) and pgbench
   uses `-M prepared`, as sqlx caches prepared statements per connection.
7. Cases, each tool after a --warmup run (discarded), for --duration seconds, with --connections
   connections each:
   - `point`: `GET /rest/v1/threads?id=eq.X` with `Authorization: Bearer <token>` (wrk, a Lua
     script picking the pair per request) against pgbench with one script per pair (8 scripts of
     equal weight, `-j --pgbench-threads`):
         BEGIN READ ONLY;
         SELECT set_config('search_path', ..., true), set_config('role', 'authenticated', true),
                set_config('request.jwt.claims', <the token's claims>, true),
                set_config('request.method', 'GET', true), set_config('request.path', ..., true),
                set_config('request.headers', <host and authorization, as JSON>, true);
         <the gateway's statement>;
         COMMIT;
     (the gateway itself sends BEGIN, SET TRANSACTION READ ONLY, the set_config, the statement and
     COMMIT: one round trip more; see bench/README.md).
   - `embed`: `GET /rest/v1/threads?id=eq.X&select=*,messages(*)&messages.order=created_at.desc
     &messages.limit=20` (the thread and its last 20 messages), the same way.
   - `bulk`: --bulk-reps sequential `POST /rest/v1/messages` of 1,000 rows each (JSON array,
     `Prefer: return=minimal`, one keep-alive connection, Python's http.client) against pgbench
     `-c 1 -t --bulk-reps` of the same transaction (BEGIN, the set_config with method POST, the
     gateway's INSERT with the body inlined as a text literal since it is too long for a pgbench
     variable, COMMIT).
   wrk runs first in `point` and `bulk`, pgbench first in `embed`.
8. Reads the gateway's peak resident memory (VmHWM) and current (VmRSS) from /proc/<pid>/status
   after each case, and its CPU time (utime+stime) over each timed wrk run.
9. Prints per case the requests/s (rows/s for bulk) of each tool, the ratio appctl/pgbench, p50
   and p99 latency of each (wrk's own percentiles; pgbench's computed from its per-transaction
   --log), and whether the targets are met: point throughput >= 0.6x pgbench's, and the gateway's
   peak RSS < 100 MB.

wrk, pgbench, the gateway and PostgreSQL all share the machine's cores: on a 2-core machine the
load generators take CPU from the server side, for both tools alike.

Exit status: 0 when the targets are met, 1 when one is not, 3 on a setup or check error.
Every wait is bounded by a timeout.
"""
import argparse
import base64
import glob
import hashlib
import hmac
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgserver import BenchError, PgServer, free_port, read_tail, release_appctl, run, stop_on_signals  # noqa: E402

TARGET_RATIO = 0.6
TARGET_MEMORY_MB = 100

CMD_TIMEOUT = 120  # seconds, one server command (initdb, pg_ctl, psql, deploy)
BUILD_TIMEOUT = 3600  # seconds, cargo build --release
HEALTH_TIMEOUT = 30  # seconds, the gateway's /health
HTTP_TIMEOUT = 60  # seconds, one request of the script's own

LOAD_USERS = 8  # users whose tokens make the load
THREADS_PER_USER = 10
MESSAGES_PER_THREAD = 20
USERS = 1000
BULK_ROWS = 1000

PROJECT = """version: 1
project: bench-rest
enums:
  message_role: [system, user, assistant, tool]
tables:
  threads:
    columns:
      id:         { type: uuid, primary_key: true, default: gen_random_uuid() }
      owner_id:   { type: uuid, references: auth.users.id, on_delete: cascade, default: auth.uid() }
      title:      { type: text, nullable: true }
      model:      { type: text, default: "'gpt-4o-mini'" }
      created_at: { type: timestamptz, default: now() }
      updated_at: { type: timestamptz, default: now() }
    indexes:
      - { columns: [owner_id, updated_at desc] }
    owner: owner_id
    permissions:
      read: [owner]
      create: [owner]
  messages:
    columns:
      id:         { type: bigint, primary_key: true, identity: true }
      thread_id:  { type: uuid, references: threads.id, on_delete: cascade }
      owner_id:   { type: uuid, references: auth.users.id, on_delete: cascade, default: auth.uid() }
      role:       { type: message_role }
      content:    { type: text }
      tokens:     { type: integer, nullable: true }
      metadata:   { type: jsonb, default: "'{}'::jsonb" }
      created_at: { type: timestamptz, default: now() }
    indexes:
      - { columns: [thread_id, created_at] }
    owner: owner_id
    permissions:
      read: [owner]
      create: [owner]
"""

SEED = f"""
INSERT INTO auth.users (id, email, role, aud, created_at)
SELECT gen_random_uuid(), 'user' || g || '@example.com', 'authenticated', 'authenticated', now()
FROM generate_series(1, {USERS}) g;
INSERT INTO public.threads (owner_id, title, created_at, updated_at)
SELECT u.id, 'Thread ' || g || ' of ' || u.email, now() - g * interval '1 hour', now() - g * interval '1 hour'
FROM auth.users u, generate_series(1, {THREADS_PER_USER}) g;
INSERT INTO public.messages (thread_id, owner_id, role, content, tokens, metadata, created_at)
SELECT t.id, t.owner_id, (ARRAY['system','user','assistant','tool']::public.message_role[])[g % 4 + 1],
       'Message ' || g || ': ' || repeat(md5(t.id::text || g), 3),
       CASE WHEN g % 3 = 0 THEN NULL ELSE g * 17 END,
       jsonb_build_object('model', 'gpt-4o-mini', 'latency_ms', g * 31),
       t.created_at + g * interval '1 minute'
FROM public.threads t, generate_series(1, {MESSAGES_PER_THREAD}) g;
"""

CASES = {
    "point": "/rest/v1/threads?id=eq.{id}",
    "embed": "/rest/v1/threads?id=eq.{id}&select=*,messages(*)&messages.order=created_at.desc&messages.limit=20",
}


# ----------------------------------------------------------------------------- helpers


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(claims, secret):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def sql_literal(text):
    return "'" + text.replace("'", "''") + "'"


def proc_status(pid):
    """(VmHWM MB, VmRSS MB) of a live process."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0]) / 1024.0
    return values.get("VmHWM", 0.0), values.get("VmRSS", 0.0)


def proc_cpu(pid):
    """utime + stime of a live process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


class Gateway:
    """`appctl gateway` serving /rest/v1, stopped (SIGTERM, then SIGKILL) by stop()."""

    def __init__(self, appctl, cwd, env, log_path):
        self.port = free_port()
        env = dict(env, HOST="127.0.0.1", PORT=str(self.port))
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen([appctl, "gateway"], cwd=cwd, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.log_path = log_path

    def wait_healthy(self):
        deadline = time.monotonic() + HEALTH_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"the gateway exited ({self.proc.returncode}):\n{read_tail(self.log_path)}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise BenchError(f"the gateway never became healthy in {HEALTH_TIMEOUT}s:\n{read_tail(self.log_path)}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


def request(port, method, path, token, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    try:
        all_headers = {"Authorization": f"Bearer {token}"}
        all_headers.update(headers or {})
        conn.request(method, path, body=body, headers=all_headers)
        answer = conn.getresponse()
        return answer.status, answer.read().decode(errors="replace")
    finally:
        conn.close()


# ----------------------------------------------------------------------------- statement capture

LOG_ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
EXECUTE = re.compile(r"app=appctl rest LOG:\s+(?:execute [^:]*|statement): (.*)", re.S)
PARAMS = re.compile(r"app=appctl rest DETAIL:\s+parameters: (.*)", re.S)
PARAM = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')", re.S)


def capture(server, gateway, sends):
    """Runs `sends` (a function making requests) with every statement logged; answers the list of
    (sql, {n: value}) the gateway executed, in order."""
    offset = os.path.getsize(server.log)
    server.psql("ALTER SYSTEM SET log_statement = 'all'")
    server.psql("SELECT pg_reload_conf()")
    time.sleep(0.3)
    try:
        sends()
    finally:
        server.psql("ALTER SYSTEM RESET log_statement")
        server.psql("SELECT pg_reload_conf()")
    time.sleep(0.5)  # let the logger flush
    with open(server.log, errors="replace") as f:
        f.seek(offset)
        lines = f.read().split("\n")
    entries = []
    for line in lines:
        if LOG_ENTRY.match(line) or not entries:
            entries.append(line)
        else:
            entries[-1] += "\n" + line
    statements = []
    for entry in entries:
        m = EXECUTE.search(entry)
        if m:
            statements.append([m.group(1).strip(), {}])
            continue
        m = PARAMS.search(entry)
        if m and statements:
            for n, value in PARAM.findall(m.group(1)):
                statements[-1][1][int(n)] = None if value == "NULL" else value[1:-1].replace("''", "'")
    return statements


def main_statement(statements):
    """The gateway's own statement among what one request ran (not BEGIN/SET/set_config/COMMIT)."""
    for sql, params in statements:
        head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if head in ("BEGIN", "COMMIT", "ROLLBACK", "SET") or "set_config('search_path'" in sql:
            continue
        return sql, params
    raise BenchError("no statement of the gateway found in the server log:\n"
                     + "\n".join(s for s, _ in statements)[-3000:])


# ----------------------------------------------------------------------------- load generators

WRK_LUA = """
-- (path, token) pairs; formatted in init, once wrk has set its Host header
local specs = {}
%(requests)s
local reqs = {}
local n = #specs
local counter = 0
setup = function(thread)
  counter = counter + 1
  thread:set("seed", counter)
end
init = function(args)
  math.randomseed(os.time() * 1000 + (seed or 0))
  for i, spec in ipairs(specs) do
    reqs[i] = wrk.format("GET", spec[1], { ["Authorization"] = spec[2] })
  end
end
request = function()
  return reqs[math.random(n)]
end
done = function(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests":%%.0f,"duration_us":%%.0f,"connect":%%.0f,"read":%%.0f,"write":%%.0f,"status":%%.0f,"timeout":%%.0f,"p50":%%.0f,"p90":%%.0f,"p99":%%.0f,"max":%%.0f}\\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def lua_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_wrk_script(path, pairs, case):
    lines = []
    for token, thread in pairs:
        url = CASES[case].format(id=thread)
        lines.append(f'specs[#specs + 1] = {{ {lua_string(url)}, {lua_string("Bearer " + token)} }}')
    with open(path, "w") as f:
        f.write(WRK_LUA % {"requests": "\n".join(lines)})


def run_wrk(port, script, connections, threads, duration, gateway_pid):
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s",
           "-s", script, f"http://127.0.0.1:{port}/"]
    cpu0 = proc_cpu(gateway_pid)
    out = run(cmd, duration + 60, what="wrk")
    cpu = proc_cpu(gateway_pid) - cpu0
    m = re.search(r"^WRKJSON (\{.*\})$", out.stdout, re.M)
    if not m:
        raise BenchError(f"wrk printed no summary:\n{out.stdout}\n{out.stderr}")
    r = json.loads(m.group(1))
    errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    if errors:
        raise BenchError(f"wrk saw errors ({m.group(1)}):\n{out.stdout}")
    seconds = r["duration_us"] / 1e6
    return {
        "rps": r["requests"] / seconds, "count": r["requests"], "p50": r["p50"] / 1000.0,
        "p99": r["p99"] / 1000.0, "gateway_cpu": cpu,
    }


def pgbench_script(path, *, method, url_path, claims, headers, schema, sql, params, begin):
    """One pgbench transaction: the gateway's settings and statement. `params` maps $n to a
    pgbench variable name (a bind parameter) or ("literal", text) for an inlined value."""
    def substitute(m):
        n = int(m.group(1))
        value = params[n]
        if isinstance(value, tuple):
            return f"{sql_literal(value[1])}::text"
        return f"(:{value})::text"
    body = re.sub(r"\$(\d+)\b", substitute, sql)
    settings = (
        f"SELECT pg_catalog.set_config('search_path', {sql_literal(schema)}, true), "
        f"pg_catalog.set_config('role', 'authenticated', true), "
        f"pg_catalog.set_config('request.jwt.claims', {sql_literal(claims)}, true), "
        f"pg_catalog.set_config('request.method', '{method}', true), "
        f"pg_catalog.set_config('request.path', {sql_literal(url_path)}, true), "
        f"pg_catalog.set_config('request.headers', {sql_literal(headers)}, true);"
    )
    # pgbench reads one SQL command up to a semicolon at the end of a line; keep each on one line.
    body = " ".join(body.split("\n")).rstrip().rstrip(";") + ";"
    with open(path, "w") as f:
        f.write(f"{begin};\n{settings}\n{body}\nCOMMIT;\n")


def run_pgbench(url, scripts, defines, *, clients, threads, duration=None, transactions=None, log_prefix,
                timeout, warmup=False):
    """Runs pgbench; a warm-up run may process nothing (64 connections can take seconds to open
    on a loaded machine), a timed one may not."""
    cmd = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(threads), "--log",
           f"--log-prefix={log_prefix}"]
    cmd += ["-T", str(duration)] if duration else ["-t", str(transactions)]
    for name, value in defines.items():
        cmd += ["-D", f"{name}={value}"]
    for script in scripts:
        cmd += ["-f", f"{script}@1" if len(scripts) > 1 else script]
    cmd.append(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    out = run(cmd, timeout, env=env, what="pgbench", check=False)
    text = out.stdout + out.stderr
    if out.returncode != 0:
        raise BenchError(f"pgbench failed (exit {out.returncode}):\n{text[:1500]}\n...\n{text[-1500:]}")
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", text)
    failed = re.search(r"number of failed transactions: (\d+)", text)
    if warmup and (not failed or not int(failed.group(1))) and "aborted" not in text:
        for path in glob.glob(log_prefix + ".*"):
            os.remove(path)
        return None
    if not m or (failed and int(failed.group(1))) or "aborted" in text:
        raise BenchError(f"pgbench did not run cleanly:\n{text[-4000:]}")
    latencies = []
    for path in glob.glob(log_prefix + ".*"):
        with open(path) as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 3:
                    latencies.append(int(fields[2]) / 1000.0)
        os.remove(path)
    latencies.sort()
    processed = re.search(r"number of transactions actually processed: (\d+)", text)
    return {
        "tps": float(m.group(1)), "count": int(processed.group(1)) if processed else len(latencies),
        "p50": percentile(latencies, 50), "p99": percentile(latencies, 99), "latencies": latencies,
    }


# ----------------------------------------------------------------------------- main



def tool_env():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("APPCTL_") and k not in ("DATABASE_URL", "HOST", "PORT")}
    env.update({"NO_COLOR": "1", "CI": "true", "APPCTL_ACTOR": "bench"})
    return env


def bench(args, appctl, server, work):
    authenticator_password = secrets.token_hex(16)
    jwt_secret = secrets.token_hex(32)
    server.psql('CREATE DATABASE "rest"')
    project = os.path.join(work, "appctl.yaml")
    with open(project, "w") as f:
        f.write(PROJECT)
    env = tool_env()
    run([appctl, "deploy", "-f", project, "--bootstrap", "--yes", "--database-url", server.url("rest")],
        CMD_TIMEOUT, env=dict(env, APPCTL_AUTHENTICATOR_PASSWORD=authenticator_password),
        what="appctl deploy --bootstrap")
    started = time.monotonic()
    server.psql(SEED, "rest")
    server.psql("VACUUM ANALYZE", "rest")
    counts = server.psql("SELECT (SELECT count(*) FROM auth.users) || ' users, ' || "
                         "(SELECT count(*) FROM public.threads) || ' threads, ' || "
                         "(SELECT count(*) FROM public.messages) || ' messages'", "rest")
    print(f"data: {counts} (seeded in {time.monotonic() - started:.1f}s)", file=sys.stderr)

    rows = server.psql(
        f"SELECT u.id, t.id FROM (SELECT id FROM auth.users ORDER BY email LIMIT {LOAD_USERS}) u "
        "JOIN LATERAL (SELECT id FROM public.threads WHERE owner_id = u.id ORDER BY id LIMIT 1) t ON true "
        "ORDER BY u.id", "rest")
    exp = int(time.time()) + 6 * 3600
    claims_of, token_of, pairs = {}, {}, []
    for line in rows.splitlines():
        user, thread = line.split("|")
        if user not in token_of:
            claims = {"role": "authenticated", "sub": user, "aud": "authenticated", "exp": exp}
            claims_of[user] = claims
            token_of[user] = sign(claims, jwt_secret)
        pairs.append((user, thread))
    if len(pairs) != LOAD_USERS:
        raise BenchError(f"expected {LOAD_USERS} (user, thread) pairs, got {len(pairs)}")

    db_url = f"postgres://authenticator:{authenticator_password}@127.0.0.1:{server.port}/rest"
    gateway_env = dict(env, APPCTL_JWT_SECRET=jwt_secret, APPCTL_REST_DB_URL=db_url,
                       APPCTL_REST_SCHEMA="public", APPCTL_REST_POOL_SIZE=str(args.pool_size))
    gateway = Gateway(appctl, work, gateway_env, os.path.join(work, "gateway.log"))
    results = {}
    try:
        gateway.wait_healthy()
        pid = gateway.proc.pid
        host = f"127.0.0.1:{gateway.port}"
        user0, thread0 = pairs[0]

        # Checks: RLS is on (another user's thread is invisible), each case answers what it should.
        status, body = request(gateway.port, "GET", CASES["point"].format(id=thread0), token_of[user0])
        if status != 200 or len(json.loads(body)) != 1:
            raise BenchError(f"point read answered {status}: {body[:500]}")
        other_user = pairs[-1][0]
        status, body = request(gateway.port, "GET", CASES["point"].format(id=thread0), token_of[other_user])
        if status != 200 or json.loads(body) != []:
            raise BenchError(f"another user's token read the thread (RLS off?): {status} {body[:500]}")
        status, body = request(gateway.port, "GET", CASES["embed"].format(id=thread0), token_of[user0])
        embedded = json.loads(body) if status == 200 else None
        if not embedded or len(embedded[0].get("messages", [])) != min(20, MESSAGES_PER_THREAD):
            raise BenchError(f"embed answered {status}: {body[:500]}")

        def bulk_body(n):
            return json.dumps([
                {"thread_id": thread0, "role": "user", "content": f"bulk message {i}: " + "x" * 60,
                 "tokens": i, "metadata": {"bulk": True, "i": i}}
                for i in range(n)
            ], separators=(",", ": "))  # ": ", so pgbench sees no `:name` variable in the literal
        bulk = bulk_body(BULK_ROWS)
        bulk_headers = {"Content-Type": "application/json", "Prefer": "return=minimal"}

        # The gateway's statements, from the server log.
        captured = {}

        def sends():
            for case, path in CASES.items():
                status, body = request(gateway.port, "GET", path.format(id=thread0), token_of[user0])
                if status != 200:
                    raise BenchError(f"{case} answered {status}: {body[:500]}")
                captured[case] = None
            status, body = request(gateway.port, "POST", "/rest/v1/messages", token_of[user0],
                                   body=bulk_body(2), headers=bulk_headers)
            if status != 201:
                raise BenchError(f"bulk insert answered {status}: {body[:500]}")
        statements = capture(server, gateway, sends)
        # One request's statements end with its COMMIT; split the log into requests.
        per_request, current = [], []
        for sql, params in statements:
            current.append((sql, params))
            if sql.strip().upper().startswith("COMMIT"):
                per_request.append(current)
                current = []
        if len(per_request) != 3:
            raise BenchError(f"expected 3 transactions in the log, found {len(per_request)}:\n"
                             + "\n".join(s for s, _ in statements)[-3000:])
        shapes = dict(zip(["point", "embed", "bulk"], (main_statement(r) for r in per_request)))
        print("the gateway's transaction for one GET (from the server log):", file=sys.stderr)
        for sql, _ in per_request[0]:
            print(f"  {' '.join(sql.split())[:160]}", file=sys.stderr)
        for case, (sql, params) in shapes.items():
            print(f"  {case}: {' '.join(sql.split())[:300]}{' ...' if len(sql) > 300 else ''}\n"
                  f"    parameters: { {n: (v if v is None or len(v) < 80 else v[:60] + '...') for n, v in params.items()} }",
                  file=sys.stderr)

        db_bench_url = db_url
        hwm_log = []

        # ---- point and embed
        for case in ("point", "embed"):
            sql, params = shapes[case]
            thread_param = [n for n, v in params.items() if v == thread0]
            if len(thread_param) != 1:
                raise BenchError(f"{case}: cannot tell which parameter is the thread id: {params}")
            thread_n = thread_param[0]
            scripts, defines = [], {}
            for k, (user, thread) in enumerate(pairs):
                names = {}
                for n, value in params.items():
                    name = f"k{k}_p{n}"
                    defines[name] = thread if n == thread_n else value
                    names[n] = name
                url_path = "/rest/v1/threads"
                headers = json.dumps({"host": host, "authorization": f"Bearer {token_of[user]}"},
                                     separators=(",", ":"))
                path = os.path.join(work, f"{case}_{k}.sql")
                pgbench_script(path, method="GET", url_path=url_path,
                               claims=json.dumps(claims_of[user], separators=(",", ":")),
                               headers=headers, schema='"public"', sql=sql, params=names,
                               begin="BEGIN READ ONLY")
                scripts.append(path)
            lua = os.path.join(work, f"{case}.lua")
            write_wrk_script(lua, [(token_of[u], t) for u, t in pairs], case)

            def do_wrk():
                run_wrk(gateway.port, lua, args.connections, args.wrk_threads, args.warmup, pid)
                return run_wrk(gateway.port, lua, args.connections, args.wrk_threads, args.duration, pid)

            def do_pgbench():
                common = dict(clients=args.connections, threads=args.pgbench_threads,
                              log_prefix=os.path.join(work, f"pgbench_{case}"), timeout=args.duration + 120)
                run_pgbench(db_bench_url, scripts, defines, duration=args.warmup, warmup=True, **common)
                return run_pgbench(db_bench_url, scripts, defines, duration=args.duration, **common)

            if case == "point":
                w = do_wrk()
                p = do_pgbench()
            else:
                p = do_pgbench()
                w = do_wrk()
            hwm, rss = proc_status(pid)
            hwm_log.append((case, hwm, rss))
            results[case] = (w, p)
            print(f"  {case}: appctl {w['rps']:.0f} req/s (p50 {w['p50']:.2f} ms, p99 {w['p99']:.2f} ms, "
                  f"gateway CPU {w['gateway_cpu'] / w['count'] * 1e6:.0f} us/request); "
                  f"pgbench {p['tps']:.0f} tps (p50 {p['p50']:.2f} ms, p99 {p['p99']:.2f} ms); "
                  f"gateway VmHWM {hwm:.1f} MB, VmRSS {rss:.1f} MB", file=sys.stderr)

        # ---- bulk
        sql, params = shapes["bulk"]
        # The body goes to Postgres as the gateway re-serialised it: the parameter holding a JSON array.
        body_param = [n for n, v in params.items() if v and v.startswith("[")]
        if len(body_param) != 1:
            raise BenchError(f"bulk: cannot tell which parameter is the body: {list(params)}")
        names = {n: ("literal", bulk) if n == body_param[0] else f"p{n}" for n in params}
        defines = {f"p{n}": v for n, v in params.items() if n != body_param[0]}
        bulk_script = os.path.join(work, "bulk.sql")
        pgbench_script(bulk_script, method="POST", url_path="/rest/v1/messages",
                       claims=json.dumps(claims_of[user0], separators=(",", ":")),
                       headers=json.dumps({"host": host, "authorization": f"Bearer {token_of[user0]}",
                                           "content-type": "application/json", "prefer": "return=minimal"},
                                          separators=(",", ":")),
                       schema='"public"', sql=sql, params=names, begin="BEGIN")
        before = int(server.psql("SELECT count(*) FROM public.messages", "rest"))
        conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=HTTP_TIMEOUT)
        times = []
        cpu0 = proc_cpu(pid)
        try:
            for i in range(args.bulk_reps + 1):
                t0 = time.perf_counter()
                conn.request("POST", "/rest/v1/messages", body=bulk,
                             headers=dict(bulk_headers, Authorization=f"Bearer {token_of[user0]}"))
                answer = conn.getresponse()
                answer.read()
                if answer.status != 201:
                    raise BenchError(f"bulk insert answered {answer.status}")
                if i > 0:  # the first is a warm-up
                    times.append((time.perf_counter() - t0) * 1000)
        finally:
            conn.close()
        bulk_cpu = proc_cpu(pid) - cpu0
        p = run_pgbench(db_bench_url, [bulk_script], defines, clients=1, threads=1,
                        transactions=args.bulk_reps + 1, log_prefix=os.path.join(work, "pgbench_bulk"),
                        timeout=600)
        after = int(server.psql("SELECT count(*) FROM public.messages", "rest"))
        expected = before + (2 * args.bulk_reps + 2) * BULK_ROWS
        if after != expected:
            raise BenchError(f"bulk: {after - before} rows inserted, expected {expected - before}")
        p_lat = p["latencies"][1:] if len(p["latencies"]) > 1 else p["latencies"]
        # pgbench's log is in completion order: the first line is its first transaction (warm-up).
        times_sorted, p_sorted = sorted(times), sorted(p_lat)
        w = {"rps": BULK_ROWS * 1000 / statistics.mean(times), "p50": percentile(times_sorted, 50),
             "p99": percentile(times_sorted, 99), "count": len(times), "gateway_cpu": bulk_cpu}
        pb = {"tps": BULK_ROWS * 1000 / statistics.mean(p_sorted), "p50": percentile(p_sorted, 50),
              "p99": percentile(p_sorted, 99)}
        hwm, rss = proc_status(pid)
        hwm_log.append(("bulk", hwm, rss))
        results["bulk"] = (w, pb)
        print(f"  bulk: appctl {w['rps']:.0f} rows/s (p50 {w['p50']:.1f} ms); pgbench {pb['tps']:.0f} rows/s "
              f"(p50 {pb['p50']:.1f} ms); gateway VmHWM {hwm:.1f} MB, VmRSS {rss:.1f} MB", file=sys.stderr)
        return results, hwm_log
    finally:
        gateway.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=64, help="connections of wrk and of pgbench (64)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each timed run (10)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of the untimed run before each (3)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk -t (2)")
    parser.add_argument("--pgbench-threads", type=int, default=2, help="pgbench -j (2)")
    parser.add_argument("--pool-size", type=int,
                        help="APPCTL_REST_POOL_SIZE (default: 10, appctl's own default, as PostgREST's db-pool)")
    parser.add_argument("--bulk-reps", type=int, default=20, help="timed 1,000-row inserts of each tool (20)")
    parser.add_argument("--no-build", action="store_true", help="use the release build as it is")
    parser.add_argument("--appctl", help="appctl executable (default: the release build; implies --no-build)")
    args = parser.parse_args()
    args.pool_size = args.pool_size or 10
    if args.connections > 150 or args.pool_size > 150:
        parser.error("at most 150 connections (the server allows 200)")

    for tool in ("wrk", "pgbench"):
        if not shutil.which(tool):
            print(f"{tool} not found: apt-get install -y wrk postgresql-15 (see bench/README.md)", file=sys.stderr)
            return 3
    appctl = release_appctl(args.appctl, not args.no_build, BUILD_TIMEOUT)
    if appctl is None:
        return 3

    stop_on_signals()

    server = None
    work = tempfile.mkdtemp(prefix="appctl-bench-rest-")
    os.chmod(work, 0o755)
    try:
        server = PgServer(label="appctl rest_vs_pgbench benchmark",
                          settings="max_connections = 200\n", cmd_timeout=CMD_TIMEOUT)
        server.start()
        version = server.psql("show server_version")
        print(f"PostgreSQL {version} on 127.0.0.1:{server.port}; {os.cpu_count()} CPUs, load average "
              f"{os.getloadavg()[0]:.1f}", file=sys.stderr)
        results, hwm_log = bench(args, appctl, server, work)
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        if server is not None:
            print(f"--- server log tail ---\n{read_tail(server.log)}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 3
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    peak = max(h for _, h, _ in hwm_log)
    print()
    print(f"appctl REST (wrk -t {args.wrk_threads} -c {args.connections}, pool {args.pool_size}) vs pgbench "
          f"(-M prepared -c {args.connections} -j {args.pgbench_threads}), {args.duration} s each after "
          f"{args.warmup} s warm-up; bulk: {args.bulk_reps} x {BULK_ROWS} rows, one connection")
    header = (f"{'case':>6}  {'appctl/s':>9}  {'pgbench/s':>9}  {'ratio':>5}  {'appctl p50/p99 ms':>17}  "
              f"{'pgbench p50/p99 ms':>18}  {'gw CPU/req':>10}  {'gw RSS MB':>9}")
    print(header)
    print("-" * len(header))
    for case, hwm, rss in hwm_log:
        w, p = results[case]
        unit = "" if case != "bulk" else " rows"
        cpu = w["gateway_cpu"] / w["count"] * 1e6
        print(f"{case:>6}  {w['rps']:>9.0f}  {p['tps']:>9.0f}  {w['rps'] / p['tps']:>5.2f}  "
              f"{w['p50']:>7.2f} / {w['p99']:<7.2f}  {p['p50']:>8.2f} / {p['p99']:<7.2f}  "
              f"{cpu:>7.0f} us  {rss:>9.1f}{unit and ''}")
    print("(bulk figures are rows/s; gw CPU/req is the gateway's user+sys CPU per request; "
          "gw RSS is VmRSS after the case)")
    ratio = results["point"][0]["rps"] / results["point"][1]["tps"]
    ratio_met = ratio >= TARGET_RATIO
    memory_met = peak < TARGET_MEMORY_MB
    print(f"target point throughput >= {TARGET_RATIO}x pgbench: {ratio:.2f}x, {'met' if ratio_met else 'NOT met'}")
    print(f"target gateway peak RSS (VmHWM) < {TARGET_MEMORY_MB} MB at {args.connections} connections: "
          f"{peak:.1f} MB, {'met' if memory_met else 'NOT met'}")
    return 0 if ratio_met and memory_met else 1


if __name__ == "__main__":
    sys.exit(main())
