#!/usr/bin/env bash
# Fills fuzz/corpus/load/ with the project files the repository already has: the templates (with their
# {{placeholders}} filled in, as `appctl init` does) and tests/corpus/**/*.yaml when present.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/fuzz/corpus/load"
mkdir -p "$out"
shopt -s nullglob globstar
n=0
for file in "$root"/templates/projects/*/appctl.yaml; do
    name="template-$(basename "$(dirname "$file")").yaml"
    sed -e 's/{{project}}/demo/g' -e 's#{{schema_url}}#https://example.invalid/schema.json#g' "$file" >"$out/$name"
    cp "$file" "$out/raw-$name" # the raw template too: `{{` is interesting YAML
    n=$((n + 2))
done
for file in "$root"/tests/corpus/**/*.yaml "$root"/tests/fuzz-regressions/*.yaml; do
    rel="${file#"$root"/tests/}"
    cp "$file" "$out/${rel//\//_}"
    n=$((n + 1))
done
echo "seeded $n file(s) into ${out#"$root"/}"
