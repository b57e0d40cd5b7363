#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, checks formatting and lints, runs
# every test. Works on a fresh Debian 12 machine with a Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
# PostgreSQL 18 tests (pgvector) must run here, not be skipped.
export APPCTL_REQUIRE_PG18=1
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked --all-targets --no-fail-fast
