#!/usr/bin/env bash
# Builds appctl from this checkout and installs it on PATH.
#   ./install.sh                 installs into ~/.cargo/bin (cargo's default)
#   PREFIX=/usr/local ./install.sh   installs into /usr/local/bin
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo (the Rust toolchain) is not installed." >&2
  echo "Install it with rustup (https://rustup.rs), e.g.:" >&2
  echo "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh" >&2
  echo "then open a new shell and run ./install.sh again." >&2
  exit 1
fi

root_args=()
if [ -n "${PREFIX:-}" ]; then
  root_args=(--root "$PREFIX")
fi
cargo install --path . --locked --force "${root_args[@]}"

bin_dir="${PREFIX:-${CARGO_HOME:-$HOME/.cargo}}/bin"
if command -v appctl >/dev/null 2>&1 && [ "$(command -v appctl)" = "$bin_dir/appctl" ]; then
  echo "appctl installed: $(appctl --version)"
else
  echo "appctl installed in $bin_dir; add it to PATH:" >&2
  echo "  export PATH=\"$bin_dir:\$PATH\"" >&2
fi
