#!/usr/bin/env bash
# Builds every fuzz target (fuzz/, on appctl-project alone) and runs each for a bounded time from the
# seed corpus, so a new panic in the loader fails CI. FUZZ_SECONDS sets the time per target (60).
# Without sanitizers: the code is safe Rust, panics are what this looks for, and it builds and runs
# about twice as fast.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz@0.13.1 --locked --quiet
fi
# cargo-fuzz passes -Z flags to rustc: the nightly toolchain when rustup has it, else stable told
# to accept them.
toolchain=()
if rustup run nightly rustc --version >/dev/null 2>&1; then
  toolchain=(+nightly)
else
  export RUSTC_BOOTSTRAP=1
fi

fuzz/seed.sh >/dev/null
cargo "${toolchain[@]}" fuzz build --sanitizer none
for target in $(cargo "${toolchain[@]}" fuzz list); do
  mkdir -p "fuzz/corpus/$target"
  echo "fuzzing $target for ${seconds} s"
  # A crash (panic), a timeout or running out of memory stops libFuzzer with a non-zero exit, and
  # the input is saved under fuzz/artifacts/$target/ (see fuzz/README.md to turn it into a test).
  cargo "${toolchain[@]}" fuzz run --sanitizer none "$target" "fuzz/corpus/$target" -- \
    -dict=fuzz/yaml.dict -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
    -max_total_time="$seconds" -print_final_stats=1
done
