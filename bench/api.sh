#!/usr/bin/env bash
# The public API under load, against a release build (never timed assertions in tests):
# POST /v1/orders/batch (1,000 orders a request: orders/s and latency, wrk), GET
# /v1/analytics/sales_daily over a year by key at a paced rate under the plan's limit
# (p50/p99), and what the rate-limit check of a request costs (`gatehouse bench-ratelimit`).
# The benchmark tenant, Acme, is put on Enterprise (3,000 requests a minute).
#
#   bench/api.sh [sqlite|postgres]      (default sqlite; DURATION=20s RATE=40 NO_BUILD=)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

backend=${1:-sqlite}
duration=${DURATION:-20s}
rate=${RATE:-40}
port=3100
origin="http://127.0.0.1:$port"

step "tools"
ensure_rust_tools
ensure_node_modules
command -v wrk >/dev/null || apt_install wrk
step "release build"
# Debian's wasm-opt breaks hydration; the npm binaryen one is first on PATH. NO_BUILD=1
# measures the release build as it is.
[ -n "${NO_BUILD:-}" ] || PATH="$PWD/end2end/node_modules/.bin:$PATH" cargo leptos build --release

mkdir -p target/bench bench/results
admin=${GATEHOUSE_TEST_POSTGRES_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
case $backend in
  sqlite)
    rm -f target/bench/api.db*
    url="sqlite://target/bench/api.db"
    sql() { python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); [print(*r, sep="|") for r in c.execute(sys.argv[2])]; c.commit()' target/bench/api.db "$1"; }
    ;;
  postgres)
    ensure_postgres
    psql "$admin" -qc "DROP DATABASE IF EXISTS gatehouse_bench_api WITH (FORCE)"
    psql "$admin" -qc "CREATE DATABASE gatehouse_bench_api"
    url="${admin%/*}/gatehouse_bench_api"
    sql() { psql "$url" -qAt -c "$1"; }
    ;;
  *) echo "usage: bench/api.sh [sqlite|postgres]" >&2; exit 2 ;;
esac

ensure_secret_key target/bench/secret.key
export DATABASE_URL=$url GATEHOUSE_PUBLIC_URL=$origin LEPTOS_SITE_ADDR="127.0.0.1:$port" RUST_LOG=warn
./target/release/gatehouse seed-demo >/dev/null
acme="(SELECT id FROM organizations WHERE slug = 'acme-retail')"
sql "UPDATE subscriptions SET plan = 'enterprise' WHERE org_id = $acme"
sql "SELECT sku FROM products WHERE org_id = $acme ORDER BY sku" | python3 bench/api_batch.py > target/bench/batch.json
key=$(./target/release/gatehouse api-keys create --org acme-retail --user owner@acme.test --name bench \
  --scopes orders.write,analytics.view,analytics.view_sales)
require_free_port "$port"
./target/release/gatehouse serve > target/bench/api-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fs "$origin/healthz" >/dev/null && break; sleep 0.2; done

report="bench/results/$(date -u +%Y%m%dT%H%M%SZ)-api-$backend.txt"
{
  echo "Gatehouse API benchmark, $backend, $(date -u), $(nproc) cores"
  echo "git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
} | tee "$report"
orders_before=$(sql "SELECT COUNT(*) FROM orders")

step "POST /v1/orders/batch (1,000 orders a request, 4 connections, $duration)"
wrk --latency -t2 -c4 -d"$duration" -s bench/api-batch.lua "$origin/v1/orders/batch" -- "$key" target/bench/batch.json |
  tee -a "$report"
orders_after=$(sql "SELECT COUNT(*) FROM orders")
seconds=${duration%s}
echo "orders written: $((orders_after - orders_before)) in ${seconds} s = $(((orders_after - orders_before) / seconds)) orders/s (rollups included)" |
  tee -a "$report"

# A fresh minute for the reads: the batches above counted against the same limits.
sleep $((61 - $(date +%s) % 60))
step "GET /v1/analytics/sales_daily, 365 days, by key, $rate a second"
end=$(date -u +%Y-%m-%d)
start=$(date -u -d "$end - 364 days" +%Y-%m-%d)
python3 bench/api_latency.py "$origin/v1/analytics/sales_daily?start=$start&end=$end" "$key" "$rate" 20 |
  tee -a "$report"

step "the rate-limit check per request"
./target/release/gatehouse bench-ratelimit --runs 20000 --tasks 32 | tee -a "$report"
echo "report: $report"
