#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, checks formatting and lints, runs
# every test. Works on a fresh Debian 12 machine with a Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step prints its duration, and every step is bounded, so a hang shows where it is instead of
# a silent CI timeout (CI stops the whole run at 90 minutes).
step() {
  local limit=$1 started=$SECONDS
  shift
  echo "== $* (at most ${limit})"
  timeout --kill-after=30s "$limit" "$@"
  echo "== done in $((SECONDS - started)) s: $*"
}

step 30m scripts/install-test-deps.sh
# PostgreSQL 18 tests (pgvector) must run here, not be skipped.
export APPCTL_REQUIRE_PG18=1
# The storage-file tests run against s3s-fs (installed above), never skipped.
export APPCTL_REQUIRE_S3=1
step 1m cargo fmt --all -- --check
step 15m cargo clippy --locked --all-targets -- -D warnings

# The local stack's tests run against a real engine with images built here (no registry): the
# gateway image carries this build of appctl.
step 2m scripts/start-docker.sh
export APPCTL_REQUIRE_DOCKER=1
APPCTL_PODMAN_HOST=$(timeout 2m scripts/start-podman.sh)
export APPCTL_PODMAN_HOST
step 15m cargo build --locked
objcopy --strip-debug target/debug/appctl target/appctl-gateway-bin
step 20m images/build.sh --appctl-bin target/appctl-gateway-bin
step 10m images/test.sh --no-build

# One test binary (tests/it). The stack tests drive real engines, second dockerds, ssh and the
# host's bridges and routes, and time out under the load of the other topics; they run on their own
# afterwards, as they did when each topic was its own binary.
step 40m cargo test --locked --all-targets --no-fail-fast -- --skip stack::
step 30m cargo test --locked --test it --no-fail-fast -- stack::
# Each fuzz target for 60 s from the seed corpus: a new panic in the loader fails CI.
step 15m scripts/fuzz-smoke.sh
