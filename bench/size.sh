#!/usr/bin/env bash
# Prints the raw, gzip and brotli sizes of the hydrate bundle (wasm, js, css) of a release
# build — the compressed copies the build made (`--precompress`), which the server sends to
# browsers that take them: `bench/size.sh` builds it first (cargo leptos build --release
# --precompress, npm binaryen's wasm-opt first on PATH); `bench/size.sh --no-build` measures
# target/site as it is (compressing here what the build did not).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

if [ "${1:-}" != "--no-build" ]; then
  ensure_rust_tools
  ensure_node_modules
  (unset RUSTFLAGS; PATH="$PWD/end2end/node_modules/.bin:$PATH" cargo leptos build --release --precompress)
fi
command -v brotli >/dev/null || apt_install brotli

printf '%-28s %12s %12s %12s\n' file raw gzip brotli
for file in target/site/pkg/gatehouse.wasm target/site/pkg/gatehouse.js target/site/pkg/gatehouse.css; do
  [ -f "$file" ] || continue
  raw=$(stat -c %s "$file")
  if [ -f "$file.gz" ]; then gz=$(stat -c %s "$file.gz"); else gz=$(gzip -9 -c "$file" | wc -c); fi
  if [ -f "$file.br" ]; then br=$(stat -c %s "$file.br"); else br=$(brotli -q 11 -c "$file" | wc -c); fi
  printf '%-28s %12d %12d %12d\n' "${file#target/site/pkg/}" "$raw" "$gz" "$br"
done
