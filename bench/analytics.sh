#!/usr/bin/env bash
# Analytics at scale, against a release build (never timed assertions in tests): the demo
# plus ORDERS generated orders in Acme over two years (rollups upserted batch by batch, so
# `generate-orders` reports the ingest rate), then `gatehouse bench-analytics`: the 365-day
# daily series and the top-10 products read from the rollups, beside the same answers by a
# raw GROUP BY over the orders, and the time a full rebuild of the rollups takes.
#
#   bench/analytics.sh [sqlite|postgres]      (default sqlite; ORDERS=10000000 RUNS=200)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

backend=${1:-sqlite}
orders=${ORDERS:-10000000}
runs=${RUNS:-200}

step "tools"
ensure_rust_tools
ensure_node_modules
step "release build"
# Debian's wasm-opt breaks hydration; the npm binaryen one is first on PATH.
PATH="$PWD/end2end/node_modules/.bin:$PATH" cargo leptos build --release

mkdir -p target/bench bench/results
admin=${GATEHOUSE_TEST_POSTGRES_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
case $backend in
  sqlite)
    rm -f target/bench/analytics.db*
    url="sqlite://target/bench/analytics.db"
    sql() { python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute(sys.argv[2])' target/bench/analytics.db "$1"; }
    ;;
  postgres)
    ensure_postgres
    psql "$admin" -qc "DROP DATABASE IF EXISTS gatehouse_bench_analytics WITH (FORCE)"
    psql "$admin" -qc "CREATE DATABASE gatehouse_bench_analytics"
    url="${admin%/*}/gatehouse_bench_analytics"
    sql() { psql "$url" -qAt -c "$1"; }
    ;;
  *) echo "usage: bench/analytics.sh [sqlite|postgres]" >&2; exit 2 ;;
esac

ensure_secret_key target/bench/secret.key
export DATABASE_URL=$url RUST_LOG=warn
report="bench/results/$(date -u +%Y%m%dT%H%M%SZ)-analytics-$backend.txt"
{
  echo "Gatehouse analytics benchmark, $backend, $(date -u), $(nproc) cores"
  echo "git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
} | tee "$report"
step "data"
./target/release/gatehouse seed-demo >/dev/null
./target/release/gatehouse generate-orders --org acme-retail --orders "$orders" --days 730 | tee -a "$report"
# Fresh statistics after the bulk load, as a database in service would have.
sql "ANALYZE"
step "rollups beside raw orders"
./target/release/gatehouse bench-analytics --org acme-retail --runs "$runs" | tee -a "$report"
echo "report: $report"
