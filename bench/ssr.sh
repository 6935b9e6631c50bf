#!/usr/bin/env bash
# Server-rendered pages side by side with a bare axum handler, on a release build: the bare
# handler (`gatehouse bench-bare`, no middleware, session or database) serves a page of the
# size of the authenticated home page; the sign-in page, signed out, shows what a page costs
# with no session and no database (the router, the middleware, Leptos' rendering); then each
# main page is loaded by its usual user —
# `/` (member, password), `/settings/team` (owner, TOTP), `/finance/invoices` (finance,
# TOTP), `/analytics` (analyst, TOTP, then a step-up by PIN). Prints each one's req/s, p50,
# p99 and its share of the bare handler's rate, and the server's peak RSS so far after each page;
# at the end, which of the page targets (README, Benchmarks) the run meets and, with both
# databases, SQLite's rate over PostgreSQL's on each page.
#
#   bench/ssr.sh [sqlite] [postgres]    (default both; DURATION=15s CONNECTIONS=32;
#                                        NO_BUILD=1 uses the release build that is there)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

backends=("$@")
[ ${#backends[@]} -gt 0 ] || backends=(sqlite postgres)
duration=${DURATION:-15s}
connections=${CONNECTIONS:-32}
port=3100
bare_port=3199
origin="http://127.0.0.1:$port"

step "tools"
ensure_rust_tools
ensure_node_modules
command -v wrk >/dev/null || apt_install wrk
if [ -z "${NO_BUILD:-}" ]; then
  step "release build"
  # Debian's wasm-opt breaks hydration; the npm binaryen one is first on PATH.
  (unset RUSTFLAGS; PATH="$PWD/end2end/node_modules/.bin:$PATH" cargo leptos build --release --precompress)
fi
mkdir -p target/bench bench/results
ensure_secret_key target/bench/secret.key
report="bench/results/$(date -u +%Y%m%dT%H%M%SZ)-ssr.txt"
{
  echo "Gatehouse SSR pages beside a bare axum handler, $(date -u), $(nproc) cores, wrk -t2 -c$connections -d$duration"
  echo "git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
} | tee "$report"

bare_rps=
# Each backend's figures by "backend|title", for the targets after the last run.
declare -A rps_of p99_of share_of peak_of
# measure TITLE URL [COOKIE]: loads URL, appends wrk's report, prints one row of the table.
measure() {
  local title=$1 url=$2 cookie=${3:-} out rps p50 p99 share
  local args=(--latency -t2 -c"$connections" -d"$duration")
  [ -z "$cookie" ] || args+=(-H "Cookie: $cookie")
  out=$(wrk "${args[@]}" "$url")
  printf '\n### %s\n%s\n' "$title" "$out" >> "$report"
  if grep -q 'Non-2xx' <<<"$out"; then
    echo "$title: some answers were not 2xx" >&2
    grep 'Non-2xx' <<<"$out" >&2
    exit 1
  fi
  rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' <<<"$out")
  p50=$(wrk_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
  p99=$(wrk_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
  [ -n "$bare_rps" ] || bare_rps=$rps
  share=$(awk -v a="$rps" -v b="$bare_rps" 'BEGIN { printf "%.1f %%", 100 * a / b }')
  # The server's peak resident memory so far (which page makes it grow).
  local peak="—"
  [[ "$url" != "$origin"* ]] || peak=$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$server/status")
  printf '| %s | %s | %s | %s | %s | %s |\n' "$title" "$rps" "$p50" "$p99" "$share" "$peak" | tee -a "$report.table"
  rps_of[$backend|$title]=$rps p99_of[$backend|$title]=$p99 share_of[$backend|$title]=${share% %}
}

# sign_in EMAIL [totp] [step-up]: the session cookie (name=value) of a fresh sign-in.
sign_in() {
  local email=$1 jar=target/bench/cookies-$1.txt
  rm -f "$jar"
  curl -fs -o /dev/null -c "$jar" -H "Origin: $origin" \
    --data "email=${email/@/%40}&password=correct-horse-battery-staple" "$origin/api/auth/sign_in"
  if [ "${2:-}" = totp ]; then
    local code
    code=$(demo_totp_code)
    curl -fs -o /dev/null -b "$jar" -c "$jar" -H "Origin: $origin" --data "code=$code" "$origin/api/auth/mfa"
  fi
  if [ "${3:-}" = step-up ]; then
    curl -fs -o /dev/null -b "$jar" -c "$jar" -H "Origin: $origin" \
      --data "password=correct-horse-battery-staple&pin=482913" "$origin/api/security/pin"
    curl -fs -o /dev/null -b "$jar" -c "$jar" -H "Origin: $origin" \
      --data "method=pin&code=482913&next=/" "$origin/api/security/step_up"
  fi
  session_cookie "$jar"
}

# page_ok URL COOKIE: the page answers 200 itself (not a redirect to sign in or step up).
page_ok() {
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $2" "$1")
  [ "$status" = 200 ] || { echo "$1 answered $status, not 200" >&2; exit 1; }
}

for backend in "${backends[@]}"; do
  url=$(fresh_bench_database "$backend" gatehouse_bench) ||
    { echo "usage: bench/ssr.sh [sqlite] [postgres]" >&2; exit 2; }
  step "$backend"
  export DATABASE_URL=$url GATEHOUSE_PUBLIC_URL=$origin LEPTOS_SITE_ADDR="127.0.0.1:$port" RUST_LOG=warn
  ./target/release/gatehouse seed-demo >/dev/null
  # Statistics, as a database in service has them (autovacuum's analyze): a freshly seeded
  # PostgreSQL plans the invoice list as if each table held one row (5.6 ms a query, not 0.5).
  [ "$backend" != postgres ] || psql "$url" -qc "ANALYZE"
  require_free_port "$port"
  ./target/release/gatehouse serve > "target/bench/server-$backend.log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 1 50); do curl -fs "$origin/healthz" >/dev/null && break; sleep 0.2; done

  member=$(sign_in member@acme.test)
  owner=$(sign_in owner@acme.test totp)
  finance=$(sign_in finance@acme.test totp)
  analyst=$(sign_in analyst@acme.test totp step-up)
  for pair in "/:$member" "/settings/team:$owner" "/finance/invoices:$finance" "/analytics:$analyst"; do
    page_ok "$origin${pair%%:*}" "${pair#*:}"
  done
  size=$(curl -s -H "Cookie: $member" "$origin/" | wc -c)

  # The bare handler, the same size, alone on the machine.
  require_free_port "$bare_port"
  ./target/release/gatehouse bench-bare --addr "127.0.0.1:$bare_port" --bytes "$size" &
  bare=$!
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$bare_port/" >/dev/null && break; sleep 0.1; done
  rm -f "$report.table"
  bare_rps=
  printf '\n## %s (home page: %s bytes)\n\n| page | req/s | p50 ms | p99 ms | of bare | peak RSS MiB |\n|---|---|---|---|---|---|\n' \
    "$backend" "$size" | tee -a "$report.table"
  measure "bare axum handler" "http://127.0.0.1:$bare_port/"
  kill $bare; wait $bare 2>/dev/null || true

  # Gatehouse's floor: a page that loads no session and reads nothing (the sign-in form,
  # signed out) — the router, the middleware and Leptos' rendering of a page alone.
  measure "/login (signed out, no database)" "$origin/login"
  measure "/ (member)" "$origin/" "$member"
  measure "/settings/team (owner)" "$origin/settings/team" "$owner"
  measure "/finance/invoices (finance)" "$origin/finance/invoices" "$finance"
  measure "/analytics (analyst, stepped up)" "$origin/analytics" "$analyst"
  peak=$(awk '/^VmHWM/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$server/status")
  echo "peak RSS of the server: $peak" | tee -a "$report.table"
  peak_of[$backend]=${peak% MiB}
  kill $server; wait $server 2>/dev/null || true
  cat "$report.table" >> "$report"
done
rm -f "$report.table"

# The page targets (README, Benchmarks), as this run measured them.
pages=("/ (member)" "/settings/team (owner)" "/finance/invoices (finance)" "/analytics (analyst, stepped up)")
# verdict VALUE LIMIT OP UNIT: "12.6 ms: does not hold"
verdict() {
  awk -v v="$1" -v limit="$2" -v op="$3" -v unit="$4" \
    'BEGIN { ok = op == ">=" ? v >= limit : v <= limit; printf "%s%s: %s", v, unit, ok ? "holds" : "does not hold" }'
}
{
  printf '\n## targets\n\n| target | %s |\n|---|%s\n' "$(IFS='|'; echo "${backends[*]}" | sed 's/|/ | /g')" "$(printf -- '---|%.0s' "${backends[@]}")"
  row() { local label=$1; shift; printf '| %s |' "$label"; for b in "${backends[@]}"; do printf ' %s |' "$("$@" "$b")"; done; echo; }
  # The home page's two targets are SQLite's; PostgreSQL's figure is shown beside them.
  home_share() { [ "$1" = sqlite ] && verdict "${share_of[$1|/ (member)]}" 15 ">=" " %" || echo "${share_of[$1|/ (member)]} %"; }
  home_p99() { [ "$1" = sqlite ] && verdict "${p99_of[$1|/ (member)]}" 10 "<=" " ms" || echo "${p99_of[$1|/ (member)]} ms"; }
  worst_p99() {
    local worst=0 page
    for page in "${pages[@]}"; do worst=$(awk -v a="$worst" -v b="${p99_of[$1|$page]}" 'BEGIN { print (b > a ? b : a) }'); done
    verdict "$worst" 15 "<=" " ms"
  }
  peak_rss() { verdict "${peak_of[$1]}" 64 "<=" " MiB"; }
  row '`/` ≥ 15 % of the bare handler on SQLite' home_share
  row '`/` p99 ≤ 10 ms on SQLite' home_p99
  row 'every main page p99 ≤ 15 ms (the worst)' worst_p99
  row 'peak RSS ≤ 64 MiB' peak_rss
  if [ -n "${rps_of[sqlite|/ (member)]:-}" ] && [ -n "${rps_of[postgres|/ (member)]:-}" ]; then
    printf '\nPostgreSQL within 1.5× of SQLite (SQLite req/s ÷ PostgreSQL req/s):\n'
    for page in "${pages[@]}"; do
      printf -- '- %s: %s\n' "$page" "$(verdict "$(awk -v s="${rps_of[sqlite|$page]}" -v p="${rps_of[postgres|$page]}" 'BEGIN { printf "%.2f", s / p }')" 1.5 "<=" "×")"
    done
  fi
} | tee -a "$report"
echo "report: $report"
