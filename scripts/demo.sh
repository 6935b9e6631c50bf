#!/usr/bin/env bash
# Runs Gatehouse with demo data at http://127.0.0.1:3000 (SQLite under ./data).
# Installs what is missing, builds, migrates, seeds (idempotent) and serves.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

step "tools"
ensure_rust_tools
step "build"
cargo leptos build
step "database and demo data"
ensure_secret_key data/secret.key
./target/debug/gatehouse seed-demo
require_free_port 3000
cat <<'TXT'

Demo accounts (password for all: correct-horse-battery-staple):
  owner@acme.test, admin@acme.test, finadmin@acme.test, finance@acme.test,
  analyst@acme.test, member@acme.test, viewer@acme.test      Acme Retail
  owner@globex.test                                          Globex
  consultant@example.test          Acme Retail (analyst) and Globex (admin)
  ops@gatehouse.test               platform staff

Two-factor codes: add the secret GATEHOUSEDEMOTOTPSECRET234567XYZ to an authenticator app
(every account above but finadmin, member and viewer; finadmin is asked to set it up).

Mail (sign-up links, invitations, emailed codes) is delivered as files into data/mail/
(one .eml per message) unless GATEHOUSE_SMTP_URL names a relay.

TXT
step "serving http://127.0.0.1:3000 (Ctrl-C to stop)"
if [ -z "${GATEHOUSE_SMTP_URL:-}" ]; then export GATEHOUSE_MAIL_DIR=${GATEHOUSE_MAIL_DIR:-data/mail}; fi
exec ./target/debug/gatehouse serve
