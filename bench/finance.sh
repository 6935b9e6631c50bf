#!/usr/bin/env bash
# Finance at scale, against a release build (never timed assertions in tests): the demo plus
# 100,000 generated invoices in Acme, then the invoice list (first page and a page 50,000
# rows deep), the dashboard, and issuing drafts with 16 concurrent writers. Reports wrk's
# requests/s and latency percentiles. The account is finance@acme.test (its TOTP code from the
# demo secret).
#
#   bench/finance.sh [sqlite|postgres]      (default sqlite; DURATION=15s INVOICES=100000)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

backend=${1:-sqlite}
duration=${DURATION:-15s}
invoices=${INVOICES:-100000}
port=3100
origin="http://127.0.0.1:$port"

step "tools"
ensure_rust_tools
ensure_node_modules
command -v wrk >/dev/null || apt_install wrk
step "release build"
# Debian's wasm-opt breaks hydration; the npm binaryen one is first on PATH.
PATH="$PWD/end2end/node_modules/.bin:$PATH" cargo leptos build --release

mkdir -p target/bench bench/results
admin=${GATEHOUSE_TEST_POSTGRES_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
case $backend in
  sqlite)
    rm -f target/bench/finance.db*
    url="sqlite://target/bench/finance.db"
    sql() { python3 -c 'import sqlite3, sys; [print(*r, sep=":") for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])]' target/bench/finance.db "$1"; }
    ;;
  postgres)
    ensure_postgres
    psql "$admin" -qc "DROP DATABASE IF EXISTS gatehouse_bench_finance WITH (FORCE)"
    psql "$admin" -qc "CREATE DATABASE gatehouse_bench_finance"
    url="${admin%/*}/gatehouse_bench_finance"
    sql() { psql "$url" -AtF: -c "$1"; }
    ;;
  *) echo "usage: bench/finance.sh [sqlite|postgres]" >&2; exit 2 ;;
esac

ensure_secret_key target/bench/secret.key
export DATABASE_URL=$url GATEHOUSE_PUBLIC_URL=$origin LEPTOS_SITE_ADDR="127.0.0.1:$port" RUST_LOG=warn
step "data"
./target/release/gatehouse seed-demo >/dev/null
# The writers issue these drafts, one each, never the same twice.
./target/release/gatehouse generate-invoices --org acme-retail --invoices "$invoices" --drafts 20000
acme="(SELECT id FROM organizations WHERE slug = 'acme-retail')"
# Fresh statistics after the bulk load, as a database in service would have.
sql "ANALYZE" >/dev/null
sql "SELECT id FROM invoices WHERE org_id = $acme AND status = 'draft'" > target/bench/drafts.txt
deep=$(sql "SELECT created_at, id FROM invoices WHERE org_id = $acme ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET 50000")

require_free_port "$port"
./target/release/gatehouse serve > target/bench/server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fs "$origin/healthz" >/dev/null && break; sleep 0.2; done

# Sign in: the password, then a code of the demo TOTP secret.
jar=target/bench/cookies.txt
rm -f "$jar"
curl -fs -o /dev/null -c "$jar" -H "Origin: $origin" \
  --data 'email=finance%40acme.test&password=correct-horse-battery-staple' "$origin/api/auth/sign_in"
code=$(demo_totp_code)
curl -fs -o /dev/null -b "$jar" -c "$jar" -H "Origin: $origin" --data "code=$code" "$origin/api/auth/mfa"
session=$(session_cookie "$jar")
[ -n "$session" ] || { echo "could not sign in" >&2; exit 1; }

report="bench/results/$(date -u +%Y%m%dT%H%M%SZ)-finance-$backend.txt"
run() {
  local title=$1; shift
  printf '\n### %s\n' "$title" | tee -a "$report"
  wrk --latency "$@" | tee -a "$report"
}
{
  echo "Gatehouse finance benchmark, $backend, $(date -u), $(nproc) cores, wrk -d $duration"
  echo "git $(git rev-parse --short HEAD 2>/dev/null || echo '?'); Acme: $(sql "SELECT COUNT(*) FROM invoices WHERE org_id = $acme") invoices"
} | tee "$report"

run "invoice list, first page (GET /finance/invoices), 8 connections" -t2 -c8 -d"$duration" \
  -H "Cookie: $session" "$origin/finance/invoices"
run "invoice list, 50,000 rows deep (GET /finance/invoices?after=…), 8 connections" -t2 -c8 -d"$duration" \
  -H "Cookie: $session" "$origin/finance/invoices?status=&after=$deep"
run "dashboard (GET /finance), 8 connections" -t2 -c8 -d"$duration" -H "Cookie: $session" "$origin/finance"
run "issuing drafts (POST /api/finance/invoices/issue), 16 concurrent writers" -t2 -c16 -d10s \
  -s bench/issue.lua "$origin/api/finance/invoices/issue" -- "$origin" "$session" target/bench/drafts.txt 2
echo "numbers issued twice: $(sql "SELECT COUNT(*) - COUNT(DISTINCT number) FROM invoices WHERE org_id = $acme AND number IS NOT NULL")" | tee -a "$report"
echo "report: $report"
