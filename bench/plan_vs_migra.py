#!/usr/bin/env python3
"""Times `appctl plan` against migra on three cases: a small change, every table changed, a first deploy.

    pip install ...   # the exact line is in bench/README.md
    python3 bench/plan_vs_migra.py [--cases changed:200,all:200,first:1000] [--runs 3] [--profile]
                                   [--no-build] [--appctl PATH] [--migra PATH]

What it does, in one run:

1. Starts a throwaway PostgreSQL 15 from /usr/lib/postgresql/15/bin in a temporary directory,
   listening on 127.0.0.1 only, on a free port (as the `postgres` system user through
   `runuser -u postgres --` when run as root). It is stopped and the directory removed at the end,
   also on error or Ctrl-C.
2. Builds appctl in release (`cargo build --release -p appctl`, into $CARGO_TARGET_DIR when set),
   unless --no-build.
3. For every case, of N tables (`base.yaml` has N tables; database `current_N` gets it by
   `appctl deploy --yes`):
   - `changed:N`: `changed.yaml` is base with 22 changes (a column added to 10 tables, an index added
     on 5, a default changed on 5, a check dropped on 2), deployed into `target_changed_N` for migra;
     both tools compare `current_N` with it;
   - `all:N`: `all.yaml` is base with a column added to every table, deployed into `target_all_N`;
     both tools compare `current_N` with it;
   - `first:N`: a first deploy. appctl plans `base.yaml` against the new, empty database `empty_N`;
     migra compares `empty_N` with `current_N`.
4. Runs each tool once untimed (warm-up, and a check that it found changes: appctl exits 2, migra
   prints SQL and exits 2), then `--runs` timed runs of each, alternating, each after a VACUUM of
   the database planned against (appctl's rolled-back scratch schema leaves dead catalog rows behind):
       appctl plan -f FILE --database-url .../FROM
       migra --unsafe --schema public .../FROM .../TO
   Each run's peak resident memory is read from wait4(2), for that process alone.
5. With --profile, one more `appctl plan` per case with statement logging on, split into server
   time per kind of statement, appctl's CPU time and the rest (round trips).
6. Prints, per case, best and median wall time of each tool, the ratio appctl/migra (best and
   median), appctl's peak memory, and whether the target is met: median ratio <= 0.25 and appctl's
   peak memory under 100 MB.

Exit status: 0 when every case meets the target, 1 when one does not, 3 on a setup or check error.
Every wait is bounded by a timeout.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgserver import BenchError, PgServer, read_tail, release_appctl, run, stop_on_signals  # noqa: E402

TARGET_RATIO = 0.25
TARGET_MEMORY_MB = 100
CASES = ("changed", "all", "first")
DEFAULT_CASES = "changed:200,all:200,first:1000"

CMD_TIMEOUT = 120  # seconds, one server command (initdb, pg_ctl, psql)
TOOL_TIMEOUT = 600  # seconds, one appctl or migra run
BUILD_TIMEOUT = 1800  # seconds, cargo build --release

# The change, by table number (spread over the schema so no tool benefits from locality).
ADD_COLUMN = 10
ADD_INDEX = 5
CHANGE_DEFAULT = 5
DROP_CHECK = 2


# ----------------------------------------------------------------------------- project files


def picks(n, count, offset):
    """`count` table numbers spread evenly over 1..n-1, shifted by `offset` so the sets differ."""
    step = max(1, (n - 1) // count)
    return {1 + (offset + k * step) % (n - 1) for k in range(count)}


def project_file(n, variant):
    """`variant`: "base", "changed" (22 changes) or "all" (a column added to every table)."""
    changed = variant == "changed"
    add_column = picks(n, ADD_COLUMN, 0) if changed else set(range(n)) if variant == "all" else set()
    add_index = picks(n, ADD_INDEX, 3) if changed else set()
    change_default = picks(n, CHANGE_DEFAULT, 5) if changed else set()
    drop_check = picks(n, DROP_CHECK, 7) if changed else set()
    lines = ["version: 1", "project: bench", "tables:"]
    for i in range(n):
        t = f"t_{i:04}"
        lines += [
            f"  {t}:",
            "    columns:",
            "      id:         { type: bigint, primary_key: true, identity: true }",
        ]
        if i > 0:
            lines.append(
                f"      parent_id:  {{ type: bigint, nullable: true, references: t_{i-1:04}.id, on_delete: set_null }}"
            )
        price_default = "1" if i in change_default else "0"
        lines += [
            "      name:       { type: text }",
            f"      price:      {{ type: 'numeric(12,2)', default: {price_default} }}",
            "      status:     { type: varchar(20), default: \"'new'\" }",
            "      active:     { type: boolean, default: true }",
            "      created_at: { type: timestamptz, default: now() }",
        ]
        if i in add_column:
            lines.append("      note:       { type: text, nullable: true }")
        lines += ["    checks:", "      price_not_negative: \"price >= 0\""]
        if i not in drop_check:
            lines.append("      name_not_blank: \"length(name) > 0\"")
        lines += ["    indexes:", "      - { columns: [name] }", "      - { columns: [status, created_at desc] }"]
        if i in add_index:
            lines.append("      - { columns: [active] }")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- tools


def appctl_env():
    env = {
        k: v for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "APPCTL_FILE", "APPCTL_ENV", "APPCTL_YES")
    }
    env.update({"NO_COLOR": "1", "CI": "true", "APPCTL_ACTOR": "bench"})
    return env


class Output:
    """What a finished tool run left: exit status, stdout, stderr, peak memory and CPU time."""

    def __init__(self, returncode, stdout, stderr, peak_mb, cpu):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr
        self.peak_mb, self.cpu = peak_mb, cpu


def timed(cmd, env):
    """Runs `cmd` with a deadline; returns (wall seconds, Output). Output goes to temporary files
    (migra's SQL for 1000 new tables would fill a pipe nobody reads until the end); peak memory and
    CPU time are the process's own, from wait4(2)."""
    with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out_f, stderr=err_f, env=env)
        deadline = time.monotonic() + TOOL_TIMEOUT
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid != 0:
                break
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise BenchError(f"{cmd[0]} timed out after {TOOL_TIMEOUT}s")
            time.sleep(0.002)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_f.seek(0)
        err_f.seek(0)
        return wall, Output(
            proc.returncode,
            out_f.read().decode(errors="replace"),
            err_f.read().decode(errors="replace"),
            usage.ru_maxrss / 1024.0,
            usage.ru_utime + usage.ru_stime,
        )


def check_appctl(out):
    if out.returncode != 2:
        raise BenchError(
            f"appctl plan exited {out.returncode}, expected 2 (changes)\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
        )


def check_migra(out):
    if out.returncode != 2 or not out.stdout.strip():
        raise BenchError(
            f"migra exited {out.returncode} with {len(out.stdout)} bytes of SQL, expected 2 and SQL"
            f"\n--- stdout ---\n{out.stdout[-3000:]}\n--- stderr ---\n{out.stderr[-3000:]}"
        )


def summary_line(text, prefix):
    for line in text.splitlines():
        if line.strip().startswith(prefix):
            return line.strip()
    return ""


def migra_statements(sql):
    return sum(1 for s in sql.split(";") if s.strip())


# ----------------------------------------------------------------------------- profile

DURATION = re.compile(r"app=(\S*) .*?duration: ([0-9.]+) ms\s+(statement|parse|bind|execute)[^:]*: ?(.*)")


def category(sql):
    word = sql.lstrip("( \t").split(None, 1)[0].upper() if sql.strip() else ""
    if word in ("CREATE", "ALTER", "COMMENT", "GRANT", "REVOKE", "DROP"):
        return "DDL (scratch copy of the desired schema)"
    if word in ("SELECT", "WITH"):
        return "catalog queries (inspections, cache)"
    return "other (BEGIN, SET, ROLLBACK, ...)"


def profile_appctl(server, cmd, env, db):
    """One extra `appctl plan` with every statement of its session logged with its duration.

    Splits the wall time into server time per kind of statement, appctl's own CPU time, and the
    rest (round trips, connection, process start)."""
    server.psql(f'ALTER DATABASE "{db}" SET log_min_duration_statement = 0')
    try:
        offset = os.path.getsize(server.log)
        wall, out = timed(cmd, env)
        check_appctl(out)
    finally:
        server.psql(f'ALTER DATABASE "{db}" RESET log_min_duration_statement')
    time.sleep(0.5)  # let the logger flush
    with open(server.log, errors="replace") as f:
        f.seek(offset)
        lines = f.read().splitlines()
    # A log entry starts with a timestamp; a multi-line statement continues on the next lines.
    entries = []
    for line in lines:
        if re.match(r"\d{4}-\d\d-\d\d ", line) or not entries:
            entries.append(line)
        else:
            entries[-1] += " " + line.strip()
    sums, counts, top = {}, {}, []
    for line in entries:
        m = DURATION.search(line)
        if not m or not m.group(1).startswith("appctl"):
            continue
        ms, phase, sql = float(m.group(2)), m.group(3), m.group(4)
        cat = category(sql)
        sums[cat] = sums.get(cat, 0.0) + ms / 1000
        if phase in ("statement", "execute"):
            counts[cat] = counts.get(cat, 0) + 1
        top.append((ms / 1000, " ".join(sql.split())[:90]))
    cpu = out.cpu
    server_total = sum(sums.values())
    n_statements = sum(counts.values())
    print(f"  profile of one appctl plan on {db}: wall {wall:.3f}s", file=sys.stderr)
    for cat in sorted(sums, key=sums.get, reverse=True):
        print(f"    server, {cat}: {sums[cat]:.3f}s in {counts.get(cat, 0)} statements",
              file=sys.stderr)
    print(f"    appctl process CPU (user+sys): {cpu:.3f}s", file=sys.stderr)
    print(f"    rest (round trips for {n_statements} statements, connect, start): "
          f"{max(0.0, wall - server_total - cpu):.3f}s", file=sys.stderr)
    for secs, sql in sorted(top, reverse=True)[:5]:
        print(f"    slowest: {secs:.3f}s  {sql}", file=sys.stderr)


# ----------------------------------------------------------------------------- main


def deploy(server, appctl, env, db, path, deployed):
    """Creates `db` and deploys `path` into it, once per run of the script."""
    if db in deployed and deployed[db] == path:
        return
    server.psql(f'DROP DATABASE IF EXISTS "{db}"')
    server.psql(f'CREATE DATABASE "{db}"')
    if path is not None:
        t0 = time.perf_counter()
        run([appctl, "deploy", "--yes", "-f", path, "--database-url", server.url(db)],
            TOOL_TIMEOUT, env=env, what=f"appctl deploy into {db}")
        print(f"  deployed {os.path.basename(path)} into {db} in {time.perf_counter() - t0:.1f}s",
              file=sys.stderr)
    # Fresh statistics, as on a long-lived database; both tools read only the catalogs.
    server.psql("VACUUM ANALYZE", db)
    deployed[db] = path


def bench_case(server, appctl, migra, case, n, runs, work, profile, deployed):
    """Times one case; returns (appctl times, migra times, appctl peak MB, migra peak MB, summary)."""
    files = {}
    for variant in ("base", "changed" if case == "changed" else "all" if case == "all" else None):
        if variant is None:
            continue
        files[variant] = os.path.join(work, f"{variant}_{n}.yaml")
        if not os.path.exists(files[variant]):
            with open(files[variant], "w") as f:
                f.write(project_file(n, variant))
    env = appctl_env()
    deploy(server, appctl, env, f"current_{n}", files["base"], deployed)
    if case == "first":
        source, target, wanted = f"empty_{n}", f"current_{n}", files["base"]
        deploy(server, appctl, env, source, None, deployed)
    else:
        source, target, wanted = f"current_{n}", f"target_{case}_{n}", files[case]
        deploy(server, appctl, env, target, wanted, deployed)

    appctl_cmd = [appctl, "plan", "-f", wanted, "--database-url", server.url(source)]
    migra_cmd = [migra, "--unsafe", "--schema", "public", server.url(source), server.url(target)]
    label = f"{case}:{n}"

    # Every `appctl plan` creates the tables it normalises in a scratch schema and rolls it back,
    # which leaves dead rows in the catalogs (pg_class, pg_attribute, pg_depend, ...) until
    # autovacuum comes. Each run starts from vacuumed catalogs, so neither tool pays for the
    # previous run's leftovers.
    def clean():
        server.psql("VACUUM", source)

    # Warm-up run of each, which also checks that both found the change.
    clean()
    _, a_out = timed(appctl_cmd, env)
    check_appctl(a_out)
    clean()
    _, m_out = timed(migra_cmd, os.environ.copy())
    check_migra(m_out)
    summary = (f"appctl: {summary_line(a_out.stdout, 'Plan:') or '(no Plan: line)'}; "
               f"migra: {migra_statements(m_out.stdout)} statements")
    print(f"  {label}: {summary}", file=sys.stderr)

    a_times, m_times, a_peak, m_peak = [], [], 0.0, 0.0
    for _ in range(runs):
        clean()
        t, out = timed(appctl_cmd, env)
        check_appctl(out)
        a_times.append(t)
        a_peak = max(a_peak, out.peak_mb)
        clean()
        t, out = timed(migra_cmd, os.environ.copy())
        check_migra(out)
        m_times.append(t)
        m_peak = max(m_peak, out.peak_mb)
    print(f"  {label}: appctl {', '.join(f'{t:.3f}' for t in a_times)} s; "
          f"migra {', '.join(f'{t:.3f}' for t in m_times)} s", file=sys.stderr)
    if profile:
        clean()
        profile_appctl(server, appctl_cmd, env, source)
    return a_times, m_times, a_peak, m_peak, summary


def parse_cases(text):
    cases = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        case, _, n = item.partition(":")
        if case not in CASES or not n.isdigit() or int(n) < 20:
            raise ValueError(f"`{item}`: a case is {'|'.join(CASES)}:N with N >= 20 tables")
        cases.append((case, int(n)))
    return cases



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default=DEFAULT_CASES,
                        help="comma-separated CASE:N, CASE one of changed (22 changes), all (every "
                             f"table changed), first (plan against an empty database); default {DEFAULT_CASES}")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per tool and case")
    parser.add_argument("--no-build", action="store_true", help="use the release build as it is")
    parser.add_argument("--appctl", help="appctl executable (default: the release build; implies --no-build)")
    parser.add_argument("--profile", action="store_true",
                        help="after the timed runs, one logged appctl plan per case: where its time goes")
    parser.add_argument("--migra", default=shutil.which("migra") or "migra", help="migra executable")
    args = parser.parse_args()
    try:
        cases = parse_cases(args.cases)
    except ValueError as e:
        parser.error(str(e))

    if not (shutil.which(args.migra) or os.path.isfile(args.migra)):
        print("migra not found: pip install it (see bench/README.md)", file=sys.stderr)
        return 3
    appctl = release_appctl(args.appctl, not args.no_build, BUILD_TIMEOUT)
    if appctl is None:
        return 3

    stop_on_signals()

    results = []
    server = None
    work = tempfile.mkdtemp(prefix="appctl-bench-")
    try:
        server = PgServer(
            label="appctl plan_vs_migra benchmark",
            # 1000 tables with their indexes, sequences and constraints in one deploy.
            settings="max_locks_per_transaction = 1024\n",
            cmd_timeout=CMD_TIMEOUT,
        )
        server.start()
        version = server.psql("show server_version")
        print(f"PostgreSQL {version} on 127.0.0.1:{server.port}", file=sys.stderr)
        deployed = {}
        for case, n in cases:
            results.append((case, n, *bench_case(server, appctl, args.migra, case, n, args.runs,
                                                 work, args.profile, deployed)))
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

    print()
    print(f"appctl plan vs migra, wall clock over {args.runs} runs each (best / median); target: "
          f"median appctl <= {TARGET_RATIO}x migra, appctl peak memory < {TARGET_MEMORY_MB} MB")
    header = (f"{'case':>14}  {'appctl s':>15}  {'migra s':>15}  {'ratio':>13}  "
              f"{'appctl MB':>9}  {'migra MB':>8}  target")
    print(header)
    print("-" * len(header))
    all_met = True
    for case, n, a, m, a_peak, m_peak, summary in results:
        a_best, a_med = min(a), statistics.median(a)
        m_best, m_med = min(m), statistics.median(m)
        r_best, r_med = a_best / m_best, a_med / m_med
        met = r_med <= TARGET_RATIO and a_peak < TARGET_MEMORY_MB
        all_met &= met
        print(f"{case + ':' + str(n):>14}  {a_best:>6.3f} / {a_med:<6.3f}  {m_best:>6.3f} / {m_med:<6.3f}  "
              f"{r_best:>5.3f} / {r_med:<5.3f}  {a_peak:>9.1f}  {m_peak:>8.1f}  "
              f"{'met' if met else 'NOT met'}")
    for case, n, *_, summary in results:
        print(f"  {case}:{n}: {summary}")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
