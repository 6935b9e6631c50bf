#!/usr/bin/env bash
# What the home page's one statement costs, and what `/` would reach without it: the release
# build beside an experiment build whose access load keeps each session's first answer in
# memory (`bench/access-in-memory.patch`, applied in a throwaway worktree; never shipped — a
# revoke would never apply, which DESIGN forbids). The two serve the same database and the
# same member's session, in alternating rounds with the bare handler measured in each, so the
# machine's drift falls on both alike. Prints, per round, req/s, p99, the share of the bare
# handler and the server's CPU per request of `/login` (signed out, no statement), `/` as
# shipped (one statement) and `/` with no statement.
#
#   bench/floor.sh [sqlite|postgres]    (default sqlite; ROUNDS=3 DURATION=8s CONNECTIONS=32;
#                                        NO_BUILD=1 uses the release build that is there, and
#                                        the experiment build when it was made from HEAD)
#
# The experiment is built from HEAD: commit first, or the two builds differ by more than it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

backend=${1:-sqlite}
case $backend in sqlite | postgres) ;; *) echo "usage: bench/floor.sh [sqlite|postgres]" >&2; exit 2 ;; esac
rounds=${ROUNDS:-3}
duration=${DURATION:-8s}
connections=${CONNECTIONS:-32}
port=3100
bare_port=3199
origin="http://127.0.0.1:$port"
work=target/floor
shipped=$work/gatehouse
in_memory=$work/gatehouse-access-in-memory

step "tools"
ensure_rust_tools
command -v wrk >/dev/null || apt_install wrk
if [ -z "${NO_BUILD:-}" ]; then
  step "release build"
  (unset RUSTFLAGS; PATH="$PWD/end2end/node_modules/.bin:$PATH" cargo leptos build --release --precompress)
fi
mkdir -p "$work" bench/results
cp target/release/gatehouse "$shipped"

head=$(git rev-parse HEAD)
if [ -n "${NO_BUILD:-}" ] && [ -x "$in_memory" ] && [ "$(cat "$in_memory.commit" 2>/dev/null)" = "$head" ]; then
  echo "experiment build of $head is there"
else
  step "experiment build (access kept in memory)"
  tree=$work/src
  git worktree remove --force "$tree" 2>/dev/null || rm -rf "$tree"
  git worktree prune
  git worktree add --detach "$tree" "$head" >/dev/null
  git -C "$tree" apply "$PWD/bench/access-in-memory.patch"
  # The same target directory, profile and flags as cargo-leptos' release build, so only the
  # two changed crates compile; its binary is moved aside and the shipped one put back.
  (cd "$tree" && unset RUSTFLAGS && LEPTOS_OUTPUT_NAME=gatehouse CARGO_TARGET_DIR="$OLDPWD/target" \
    cargo build --release --locked -p server --bin gatehouse --no-default-features)
  mv target/release/gatehouse "$in_memory"
  cp "$shipped" target/release/gatehouse
  git worktree remove --force "$tree"
  echo "$head" > "$in_memory.commit"
fi

url=$(fresh_bench_database "$backend" gatehouse_floor)
ensure_secret_key target/bench/secret.key
export DATABASE_URL=$url GATEHOUSE_PUBLIC_URL=$origin LEPTOS_SITE_ADDR="127.0.0.1:$port" RUST_LOG=warn
"$shipped" seed-demo >/dev/null
[ "$backend" != postgres ] || psql "$url" -qc "ANALYZE"

server=
bare=
stop_server() { [ -z "$server" ] || { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }; server=; }
trap 'stop_server; [ -z "$bare" ] || kill "$bare" 2>/dev/null || true' EXIT
serve() {
  stop_server
  require_free_port "$port"
  "$1" serve > "$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 50); do curl -fs "$origin/healthz" >/dev/null && return; sleep 0.2; done
  echo "the server did not start; see $work/server.log" >&2
  exit 1
}

serve "$shipped"
jar=$work/cookies.txt
curl -fs -o /dev/null -c "$jar" -H "Origin: $origin" \
  --data "email=member%40acme.test&password=correct-horse-battery-staple" "$origin/api/auth/sign_in"
member=$(session_cookie "$jar")
size=$(curl -s -H "Cookie: $member" "$origin/" | wc -c)

report="bench/results/$(date -u +%Y%m%dT%H%M%SZ)-floor-$backend.txt"
{
  echo "The home page with and without its access statement, $backend, $(date -u), $(nproc) cores,"
  echo "wrk -t2 -c$connections -d$duration, $rounds rounds; git $(git rev-parse --short HEAD)"
  printf '\n| round | page | req/s | p99 ms | of bare | server CPU µs a request |\n|---|---|---|---|---|---|\n'
} | tee "$report"

bare_rps=
# row ROUND TITLE URL [COOKIE]: loads URL and prints one row of the table.
row() {
  local round=$1 title=$2 url=$3 cookie=${4:-} out rps p99 requests cpu0 cpu1 cpu="—"
  local args=(--latency -t2 -c"$connections" -d"$duration")
  [ -z "$cookie" ] || args+=(-H "Cookie: $cookie")
  [ -z "$server" ] || cpu0=$(awk '{ print $14 + $15 }' "/proc/$server/stat")
  out=$(wrk "${args[@]}" "$url")
  if grep -q 'Non-2xx' <<<"$out"; then echo "$title: some answers were not 2xx" >&2; exit 1; fi
  rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' <<<"$out")
  p99=$(wrk_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
  if [ -n "$server" ]; then
    cpu1=$(awk '{ print $14 + $15 }' "/proc/$server/stat")
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    cpu=$(awk -v t="$((cpu1 - cpu0))" -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", t * 1e6 / hz / n }')
  fi
  [ -n "$bare_rps" ] || bare_rps=$rps
  printf '| %s | %s | %s | %s | %s | %s |\n' "$round" "$title" "$rps" "$p99" \
    "$(awk -v a="$rps" -v b="$bare_rps" 'BEGIN { printf "%.1f %%", 100 * a / b }')" "$cpu" | tee -a "$report"
}

for round in $(seq 1 "$rounds"); do
  stop_server
  require_free_port "$bare_port"
  "$shipped" bench-bare --addr "127.0.0.1:$bare_port" --bytes "$size" &
  bare=$!
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$bare_port/" >/dev/null && break; sleep 0.1; done
  bare_rps=
  row "$round" "bare axum handler ($size bytes)" "http://127.0.0.1:$bare_port/"
  kill "$bare"; wait "$bare" 2>/dev/null || true
  bare=
  serve "$shipped"
  row "$round" "/login, signed out (no statement)" "$origin/login"
  row "$round" "/ as shipped (one statement)" "$origin/" "$member"
  serve "$in_memory"
  row "$round" "/ with the access in memory (none)" "$origin/" "$member"
done
stop_server
echo "report: $report"
