#!/usr/bin/env bash
# Load test of a release build (never timed assertions in tests): an authenticated page, an
# authenticated API call, and a 64-connection sign-in storm (credential stuffing: every
# attempt another unknown address from another client address, so each one costs a full
# argon2id verification and no throttle stops it), with the page measured again while the
# storm runs. Reports requests/s, latency percentiles and the server's peak RSS. The page and
# API account is member@acme.test (password only: two-factor accounts need a code).
#
#   bench/load.sh [sqlite|postgres]      (default sqlite; DURATION=20s CONNECTIONS=32)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

backend=${1:-sqlite}
duration=${DURATION:-20s}
connections=${CONNECTIONS:-32}
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
url=$(fresh_bench_database "$backend" gatehouse_bench) ||
  { echo "usage: bench/load.sh [sqlite|postgres]" >&2; exit 2; }

ensure_secret_key target/bench/secret.key
# One trusted proxy: the storm names its client addresses in X-Forwarded-For.
export DATABASE_URL=$url GATEHOUSE_PUBLIC_URL=$origin LEPTOS_SITE_ADDR="127.0.0.1:$port" RUST_LOG=warn \
  GATEHOUSE_TRUSTED_PROXIES=1
./target/release/gatehouse seed-demo >/dev/null
require_free_port "$port"
./target/release/gatehouse serve > target/bench/server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fs "$origin/healthz" >/dev/null && break; sleep 0.2; done

cookie=$(curl -fs -o /dev/null -D - -H "Origin: $origin" -H "X-Forwarded-For: 10.255.255.1" \
  --data 'email=member%40acme.test&password=correct-horse-battery-staple' "$origin/api/auth/sign_in" |
  sed -n 's/^set-cookie: \([^;]*\).*/\1/Ip' | head -n 1)
[ -n "$cookie" ] || { echo "could not sign in" >&2; exit 1; }

report="bench/results/$(date -u +%Y%m%dT%H%M%SZ)-$backend.txt"
run() {
  local title=$1; shift
  printf '\n### %s\n' "$title" | tee -a "$report"
  wrk --latency "$@" | tee -a "$report"
}
{
  echo "Gatehouse load test, $backend, $(date -u), $(nproc) cores, wrk -d $duration -c $connections"
  echo "git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
} | tee "$report"

run "authenticated page GET / (server-rendered)" -t2 -c"$connections" -d"$duration" -H "Cookie: $cookie" "$origin/"
run "authenticated API POST /api/session" -t2 -c"$connections" -d"$duration" \
  -s bench/post.lua "$origin/api/session" -- "$origin" "$cookie" ""
run "sign-in storm POST /api/auth/sign_in (64 connections, unknown accounts, many addresses)" \
  -t2 -c64 -d"$duration" --timeout 10s -s bench/storm.lua "$origin/api/auth/sign_in" -- "$origin" &
storm=$!
sleep 2
run "authenticated page GET / during the storm" -t1 -c8 -d10s -H "Cookie: $cookie" "$origin/"
wait $storm

rss=$(awk '/VmHWM/ {print $2, $3}' "/proc/$server/status")
printf '\npeak RSS of the server: %s\n' "$rss" | tee -a "$report"
echo "report: $report"
