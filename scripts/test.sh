#!/usr/bin/env bash
# Runs every test layer: formatting and lints; unit tests; database and HTTP tests on SQLite
# and PostgreSQL; Playwright end-to-end tests against the built app on SQLite and on
# PostgreSQL, each followed by schemathesis against the public API's OpenAPI document; last,
# the release wasm against its size budget.
# Installs what it needs first (Debian chromium, the end2end npm packages, a PostgreSQL
# server if none answers on 127.0.0.1:5432, the Rust wasm tools, schemathesis from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

step "tools"
ensure_rust_tools
ensure_chromium
ensure_node_modules
ensure_postgres
ensure_schemathesis

export GATEHOUSE_TEST_POSTGRES_URL=${GATEHOUSE_TEST_POSTGRES_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
# The flags of cargo-leptos dev builds, so tests and the app build share one set of artifacts.
export RUSTFLAGS="--cfg erase_components"

step "format"
cargo fmt --all -- --check

step "unit, database (SQLite + PostgreSQL) and HTTP tests"
timeout 1800 cargo test --locked -p app --features ssr
timeout 1800 cargo test --locked -p server

step "lints (server and wasm feature sets)"
cargo clippy --locked -p app -p server --features app/ssr --all-targets -- -D warnings
cargo clippy --locked -p frontend -p app --features app/hydrate --target wasm32-unknown-unknown -- -D warnings

step "build the app"
cargo leptos build

server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT

ensure_secret_key target/e2e-secret.key

# Serves the built app on a fresh database of `$1` and runs the Playwright suite against it.
end_to_end() {
  local backend=$1 url
  case $backend in
    sqlite)
      rm -rf target/e2e && mkdir -p target/e2e
      url="sqlite://target/e2e/gatehouse.db"
      ;;
    postgres)
      local admin=${GATEHOUSE_TEST_POSTGRES_URL%/*}
      psql "$GATEHOUSE_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS gatehouse_e2e WITH (FORCE)"
      psql "$GATEHOUSE_TEST_POSTGRES_URL" -qc "CREATE DATABASE gatehouse_e2e"
      mkdir -p target/e2e
      url="$admin/gatehouse_e2e"
      ;;
  esac
  step "end-to-end tests on $backend"
  require_free_port 3000
  # Mail is delivered as files, which the tests read as its recipients.
  local mail="$PWD/target/e2e/mail-$backend"
  rm -rf "$mail"
  DATABASE_URL="$url" ./target/debug/gatehouse seed-demo
  DATABASE_URL="$url" GATEHOUSE_MAIL_DIR="$mail" RUST_LOG=warn ./target/debug/gatehouse serve \
    > "target/e2e/server-$backend.log" 2>&1 &
  server_pid=$!
  if ! (cd end2end && GATEHOUSE_E2E_MAIL_DIR="$mail" timeout 1200 npx playwright test); then
    echo "--- server log (target/e2e/server-$backend.log), last lines:"
    tail -n 40 "target/e2e/server-$backend.log"
    return 1
  fi
  api_contract "$url" "$backend"
  stop_server
}

# The public API against its own OpenAPI document (schemathesis): with a demo key holding
# every API scope, no answer is a 5xx and none is outside the schema (status, content type,
# body).
api_contract() {
  local url=$1 backend=$2 key
  step "API contract on $backend (schemathesis)"
  key=$(DATABASE_URL="$url" ./target/debug/gatehouse api-keys create --org acme-retail --user owner@acme.test \
    --name schemathesis --days 1 --scopes orders.read,orders.write,invoices.read,customers.pii.read,analytics.view,analytics.view_sales,analytics.view_products,analytics.view_revenue)
  timeout 900 target/schemathesis/bin/schemathesis run http://127.0.0.1:3000/v1/openapi.json \
    --header "Authorization: Bearer $key" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples 25 --rate-limit 400/m --workers 1 --seed 11 --generation-database none --no-color \
    --report junit --report-dir "target/e2e/schemathesis-$backend"
}

end_to_end sqlite
end_to_end postgres

# The hydrate bundle's budget (DESIGN: at most 250 KB brotli), on the release wasm as the server
# sends it: a change that grows it past the budget fails here, not in a later measurement.
step "bundle size"
(unset RUSTFLAGS; PATH="$PWD/end2end/node_modules/.bin:$PATH" cargo leptos build --release --precompress --frontend-only)
bench/size.sh --no-build
wasm_brotli=$(stat -c %s target/site/pkg/gatehouse.wasm.br)
if [ "$wasm_brotli" -gt 250000 ]; then
  echo "the hydrate wasm is $wasm_brotli B brotli, over its budget of 250,000 B"
  exit 1
fi

step "all test layers passed"
