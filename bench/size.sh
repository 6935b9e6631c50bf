#!/usr/bin/env bash
# Prints the raw, gzip and brotli sizes of the hydrate bundle (wasm, js, css) of a release
# build: `bench/size.sh` builds it first (cargo leptos build --release, npm binaryen's
# wasm-opt first on PATH); `bench/size.sh --no-build` measures target/site as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

if [ "${1:-}" != "--no-build" ]; then
  ensure_rust_tools
  ensure_node_modules
  PATH="$PWD/end2end/node_modules/.bin:$PATH" cargo leptos build --release
fi
command -v brotli >/dev/null || apt_install brotli

printf '%-28s %12s %12s %12s\n' file raw gzip brotli
for file in target/site/pkg/gatehouse.wasm target/site/pkg/gatehouse.js target/site/pkg/gatehouse.css; do
  [ -f "$file" ] || continue
  raw=$(stat -c %s "$file")
  gz=$(gzip -9 -c "$file" | wc -c)
  br=$(brotli -q 11 -c "$file" | wc -c)
  printf '%-28s %12d %12d %12d\n' "${file#target/site/pkg/}" "$raw" "$gz" "$br"
done
