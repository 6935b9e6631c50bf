# Shared by scripts/demo.sh and scripts/test.sh: install what is missing, nothing else.
# Every function is idempotent and cheap when its tool is already there.

CARGO_LEPTOS_VERSION=0.3.6
WASM_BINDGEN_VERSION=0.2.130

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root for: $*" >&2; return 1; fi
}

apt_install() {
  if [ -z "${APT_UPDATED:-}" ]; then
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# The wasm target, cargo-leptos and the wasm-bindgen CLI matching the pinned crate.
ensure_rust_tools() {
  if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo leptos --version >/dev/null 2>&1; then
    echo "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 30 minutes on 2 cores)"
    cargo install "cargo-leptos@$CARGO_LEPTOS_VERSION" --locked
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
    echo "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
    # Its lock file names a crate version the registry no longer has: resolve afresh,
    # preferring versions that build on this toolchain.
    CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
      cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
}

ensure_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium
}

# The end2end npm packages (Playwright, and binaryen's wasm-opt for release builds).
ensure_node_modules() {
  if ! command -v npm >/dev/null; then apt_install nodejs npm; fi
  if [ ! -d end2end/node_modules ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

SCHEMATHESIS_VERSION=4.32.5

# schemathesis (PyPI) in its own virtual environment under target/.
ensure_schemathesis() {
  local venv=target/schemathesis
  if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q " $SCHEMATHESIS_VERSION\$"; then
    command -v python3 >/dev/null || apt_install python3 python3-venv
    python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$venv"; }
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
}

# A PostgreSQL server on 127.0.0.1:5432 reachable as postgres/postgres (the test URLs
# carry that password; on machines with trust auth it is simply ignored).
ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "installing PostgreSQL"
    apt_install postgresql
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
  done
  pg_isready -h 127.0.0.1 -p 5432
  as_root su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
}

# Fails with a clear message when something already listens on the port.
require_free_port() {
  if ss -ltn "sport = :$1" | grep -q LISTEN; then
    echo "port $1 is in use; stop whatever listens there (ss -ltnp 'sport = :$1')" >&2
    return 1
  fi
}

# The key that encrypts TOTP secrets at rest: GATEHOUSE_SECRET_KEY(_FILE) when set, otherwise
# 32 random bytes kept in the file `$1` (made once, readable by its owner only).
ensure_secret_key() {
  if [ -n "${GATEHOUSE_SECRET_KEY:-}" ] || [ -n "${GATEHOUSE_SECRET_KEY_FILE:-}" ]; then return; fi
  if [ ! -s "$1" ]; then
    mkdir -p "$(dirname "$1")"
    (umask 077 && head -c 32 /dev/urandom | base64 > "$1")
  fi
  export GATEHOUSE_SECRET_KEY_FILE="$1"
}

# A fresh, empty database for a benchmark: `$1` is sqlite or postgres, `$2` its name (a file
# under target/bench, or a database beside GATEHOUSE_TEST_POSTGRES_URL's). Prints its URL.
fresh_bench_database() {
  case $1 in
    sqlite)
      mkdir -p target/bench
      rm -f "target/bench/$2.db"*
      echo "sqlite://target/bench/$2.db"
      ;;
    postgres)
      ensure_postgres >&2
      local admin=${GATEHOUSE_TEST_POSTGRES_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
      psql "$admin" -qc "DROP DATABASE IF EXISTS $2 WITH (FORCE)" >&2
      psql "$admin" -qc "CREATE DATABASE $2" >&2
      echo "${admin%/*}/$2"
      ;;
    *) return 2 ;;
  esac
}

# The current TOTP code of the demo accounts' secret (they share it; see the README).
demo_totp_code() {
  python3 - <<'PY'
import base64, hashlib, hmac, struct, time
key = base64.b32decode("GATEHOUSEDEMOTOTPSECRET234567XYZ")
mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
o = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7fffffff) % 1000000))
PY
}

# wrk's latency ("812.00us", "1.20ms", "1.01s") in milliseconds.
wrk_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}

# The session cookie (name=value) in curl's cookie jar `$1`.
session_cookie() {
  awk '$6 ~ /gh_session$/ { print $6 "=" $7 }' "$1"
}
