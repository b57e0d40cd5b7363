#!/usr/bin/env python3
"""Times `appctl validate` on a generated project file with many tables.

    python3 bench/validate_large.py [--tables 500] [--runs 10]

Each table has eight columns (uuid key, owner, enum, jsonb, vector, timestamps), a foreign key to
the previous table, two indexes and owner permissions, so every check of the loader runs. Prints the
median and best wall time and the peak resident memory of one run. Builds the release binary first.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def project_file(tables: int) -> str:
    lines = [
        "version: 1",
        "project: bench",
        "extensions: [vector, pgcrypto]",
        "enums:",
        "  status: [draft, active, archived]",
        "tables:",
    ]
    for i in range(tables):
        lines += [
            f"  table_{i:04}:",
            "    columns:",
            "      id:         { type: uuid, primary_key: true, default: gen_random_uuid() }",
            "      owner_id:   { type: uuid, references: auth.users.id, on_delete: cascade, default: auth.uid() }",
            "      title:      { type: varchar(200), nullable: true }",
            "      status:     { type: status, default: \"'draft'\" }",
            "      data:       { type: jsonb, default: \"'{}'::jsonb\" }",
            "      embedding:  { type: vector(384), nullable: true }",
            "      created_at: { type: timestamptz, default: now() }",
        ]
        if i > 0:
            lines.append(
                f"      parent_id:  {{ type: uuid, nullable: true, references: table_{i-1:04}.id, on_delete: set_null }}"
            )
        lines += [
            "    indexes:",
            "      - { columns: [owner_id, created_at desc] }",
            "      - { columns: [embedding], method: hnsw, opclass: vector_cosine_ops }",
            "    owner: owner_id",
            "    permissions:",
            "      read: [owner, { role: users, where: \"status = 'active'\" }]",
            "      write: [owner]",
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", type=int, default=500)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, "target", "release", "appctl")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "appctl.yaml")
        text = project_file(args.tables)
        with open(path, "w") as f:
            f.write(text)
        times = []
        peak_kib = 0
        for _ in range(args.runs):
            start = time.perf_counter()
            child = subprocess.Popen(
                [binary, "validate", "-f", path, "--quiet"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env={**os.environ, "NO_COLOR": "1"},
            )
            stderr = child.stderr.read()
            # wait4 gives this child's own peak memory (RUSAGE_CHILDREN would include cargo's).
            _, status, usage = os.wait4(child.pid, 0)
            times.append(time.perf_counter() - start)
            peak_kib = max(peak_kib, usage.ru_maxrss)
            if os.waitstatus_to_exitcode(status) != 0:
                sys.stderr.write(stderr.decode())
                return 1

    print(
        f"appctl validate: {args.tables} tables, {len(text.splitlines())} lines, {len(text) // 1024} KiB"
    )
    print(
        f"  median {statistics.median(times) * 1000:.1f} ms, best {min(times) * 1000:.1f} ms over {args.runs} runs"
    )
    print(f"  peak memory {peak_kib / 1024:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
