#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, checks formatting and lints, runs
# every test. Works on a fresh Debian 12 machine with a Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
# PostgreSQL 18 tests (pgvector) must run here, not be skipped.
export APPCTL_REQUIRE_PG18=1
# The storage-file tests run against s3s-fs (installed above), never skipped.
export APPCTL_REQUIRE_S3=1
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings

# The local stack's tests run against a real engine with images built here (no registry): the
# gateway image carries this build of appctl.
scripts/start-docker.sh
export APPCTL_REQUIRE_DOCKER=1
APPCTL_PODMAN_HOST=$(scripts/start-podman.sh)
export APPCTL_PODMAN_HOST
cargo build --locked
objcopy --strip-debug target/debug/appctl target/appctl-gateway-bin
images/build.sh --appctl-bin target/appctl-gateway-bin
images/test.sh --no-build

cargo test --locked --all-targets --no-fail-fast
