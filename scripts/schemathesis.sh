#!/usr/bin/env bash
# Fuzzes both listeners of a real gateway against the OpenAPI description it serves
# (GET /openapi.json on the admin listener) with Schemathesis.
#
# What it does:
#   1. installs Schemathesis from PyPI into a venv under the cargo target dir (once);
#   2. builds graygate (debug; GRAYGATE_PROFILE=release for a release build);
#   3. starts it on free ports with a temporary config and store: one token per role
#      (hashed with `graygate hash-token`), an app with all four environments;
#   4. seeds a few versions and releases in several statuses through the admin API;
#   5. runs `schemathesis run` against the admin listener (admin token) and against the
#      client listener, checking for server errors and that every response conforms to
#      the description (status code, content type, headers, body schema).
# Exits non-zero if either run finds a failure.
#
# Knobs (environment): MAX_EXAMPLES (default 50 per operation), SEED (a fixed seed for a
# reproducible run), CHECKS (default below), SCHEMATHESIS_VERSION (pip requirement),
# GRAYGATE_PROFILE (debug | release), KEEP=1 keeps the temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET="$(mkdir -p "${CARGO_TARGET_DIR:-target}" && cd "${CARGO_TARGET_DIR:-target}" && pwd)"
VENV="$TARGET/schemathesis-venv"
# Schemathesis keeps its crash cache (for `st replay`) in its working directory.
STATE="$TARGET/schemathesis"
PROFILE="${GRAYGATE_PROFILE:-debug}"
MAX_EXAMPLES="${MAX_EXAMPLES:-50}"
CHECKS="${CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance}"

# 1. Schemathesis.
if [[ ! -x "$VENV/bin/schemathesis" ]]; then
  echo "== installing schemathesis into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${SCHEMATHESIS_VERSION:-schemathesis}"
fi
ST="$VENV/bin/schemathesis"
echo "== $("$ST" --version)"

# 2. The gateway.
if [[ "$PROFILE" == release ]]; then
  cargo build --quiet --release
else
  cargo build --quiet
fi
BIN="$TARGET/$PROFILE/graygate"

# 3. A temporary config with one token per role, and the gateway on free ports.
WORK="$(mktemp -d -t graygate-schemathesis-XXXXXX)"
GATEWAY_PID=""
cleanup() {
  if [[ -n "$GATEWAY_PID" ]]; then
    kill "$GATEWAY_PID" 2>/dev/null || true
    wait "$GATEWAY_PID" 2>/dev/null || true
  fi
  if [[ "${KEEP:-0}" == 1 ]]; then echo "== kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

token() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }
DEV_TOKEN="$(token)"; REV_TOKEN="$(token)"; ADMIN_TOKEN="$(token)"; VIEW_TOKEN="$(token)"
hash() { printf '%s\n' "$1" | "$BIN" hash-token; }
cat >"$WORK/graygate.toml" <<EOF
[server]
client_listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"

[store]
kind = "embedded"
path = "$WORK/graygate.db"

[[auth.tokens]]
name = "dev"
role = "developer"
token_sha256 = "$(hash "$DEV_TOKEN")"

[[auth.tokens]]
name = "rev"
role = "reviewer"
token_sha256 = "$(hash "$REV_TOKEN")"

[[auth.tokens]]
name = "ops"
role = "admin"
token_sha256 = "$(hash "$ADMIN_TOKEN")"

[[auth.tokens]]
name = "view"
role = "viewer"
token_sha256 = "$(hash "$VIEW_TOKEN")"

[[apps]]
id = "superapp-a"
environments.production = { pilot_testing = true }
environments.sandbox = { approval = "manual", pilot_testing = true }
environments.test = {}
environments.development = {}
EOF

# The gateway's own variables must not reconfigure it.
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(GRAYGATE_[A-Z0-9_]*\)=.*/\1/p')
GRAYGATE_LOG=warn "$BIN" serve --config "$WORK/graygate.toml" >"$WORK/stdout.log" 2>"$WORK/stderr.log" &
GATEWAY_PID=$!
for _ in $(seq 1 300); do
  grep -q '^graygate listening ' "$WORK/stdout.log" 2>/dev/null && break
  kill -0 "$GATEWAY_PID" 2>/dev/null || { cat "$WORK/stderr.log"; echo "gateway exited" >&2; exit 1; }
  sleep 0.1
done
LINE="$(grep -m1 '^graygate listening ' "$WORK/stdout.log")" || { echo "gateway did not start" >&2; exit 1; }
CLIENT="http://$(sed -n 's/.*client=\([^ ]*\).*/\1/p' <<<"$LINE")"
ADMIN="http://$(sed -n 's/.*admin=\([^ ]*\).*/\1/p' <<<"$LINE")"
echo "== gateway: client $CLIENT, admin $ADMIN"

# 4. Seed data: versions, and releases in several statuses.
call() { # call TOKEN METHOD PATH EXPECTED_STATUS [BODY]
  local status
  status="$(curl -s -o "$WORK/last.json" -w '%{http_code}' -X "$2" "$ADMIN$3" \
    -H "Authorization: Bearer $1" -H 'Content-Type: application/json' ${5:+--data "$5"})"
  if [[ "$status" != "$4" ]]; then
    echo "seeding: $2 $3 answered $status, expected $4: $(cat "$WORK/last.json")" >&2
    exit 1
  fi
}
release() { # release MP VERSION ENV [TEST_GROUP_JSON] -> creates it, prints nothing
  local group="${4:+,\"test_group\":$4}"
  call "$DEV_TOKEN" POST /v1/admin/releases 201 \
    "{\"mini_program\":\"$1\",\"version\":\"$2\",\"app\":\"superapp-a\",\"env\":\"$3\",\"config\":{\"network_allowlist\":[\"api.example.com\"],\"payment\":{\"merchant\":\"m-1\"}}$group}"
}
for v in mp-coupons/1.0.0 mp-coupons/1.1.0 mp-maps/2.0.0 mp-maps/2.1.0; do
  call "$DEV_TOKEN" POST "/v1/admin/mini-programs/${v%/*}/versions" 201 \
    "{\"version\":\"${v#*/}\",\"package_url\":\"https://cdn.example.com/$v.zip\",\"sha256\":\"$(printf '%064d' 7)\"}"
done
# 1: production, full_release (pilot -> grayscale -> full).
release mp-coupons 1.0.0 production '["qa-1","qa-2"]'
call "$DEV_TOKEN" POST /v1/admin/releases/1/apply 200
call "$REV_TOKEN" POST /v1/admin/releases/1/approve 200
call "$ADMIN_TOKEN" POST /v1/admin/releases/1/complete_testing 200
call "$ADMIN_TOKEN" POST /v1/admin/releases/1/go_live 200 '{"type":"full"}'
# 2: production, grayscale_release at 25.5 %.
release mp-coupons 1.1.0 production '["qa-1"]'
call "$DEV_TOKEN" POST /v1/admin/releases/2/apply 200
call "$REV_TOKEN" POST /v1/admin/releases/2/approve 200
call "$ADMIN_TOKEN" POST /v1/admin/releases/2/complete_testing 200
call "$ADMIN_TOKEN" POST /v1/admin/releases/2/go_live 200 '{"type":"grayscale","percentage":25.5}'
# 3: sandbox, under_review.
release mp-coupons 1.0.0 sandbox
call "$DEV_TOKEN" POST /v1/admin/releases/3/apply 200
# 4: development, full_release (auto approval). 5: development, new_version_created.
release mp-coupons 1.0.0 development
call "$DEV_TOKEN" POST /v1/admin/releases/4/apply 200
release mp-coupons 1.1.0 development
# 6: production, canceled during pilot testing. 7: sandbox, pilot_testing.
release mp-maps 2.0.0 production
call "$DEV_TOKEN" POST /v1/admin/releases/6/apply 200
call "$REV_TOKEN" POST /v1/admin/releases/6/approve 200
call "$ADMIN_TOKEN" POST /v1/admin/releases/6/cancel 200
release mp-maps 2.1.0 sandbox '["qa-3"]'
call "$DEV_TOKEN" POST /v1/admin/releases/7/apply 200
call "$REV_TOKEN" POST /v1/admin/releases/7/approve 200
echo "== seeded 4 versions and 7 releases"

# 5. Schemathesis against each listener, with the description the gateway serves.
run() { # run NAME BASE_URL ARGS...
  local name="$1" base="$2"
  shift 2
  echo "== schemathesis: $name listener ($base)"
  mkdir -p "$STATE"
  (cd "$STATE" && "$ST" --no-color run "$ADMIN/openapi.json" --url "$base" \
    --checks "$CHECKS" --max-examples "$MAX_EXAMPLES" ${SEED:+--seed "$SEED"} \
    --request-timeout 30 --generation-database none "$@")
}
failed=0
run admin "$ADMIN" --exclude-tag client -H "Authorization: Bearer $ADMIN_TOKEN" || failed=1
# The reviewer's side: target apps, approve and reject.
run "admin (as reviewer)" "$ADMIN" --include-tag admin -H "Authorization: Bearer $REV_TOKEN" || failed=1
run client "$CLIENT" --exclude-tag admin || failed=1
if grep -q ' ERROR \|panicked' "$WORK/stderr.log"; then
  echo "== the gateway logged errors:"; grep ' ERROR \|panicked' "$WORK/stderr.log" | head -20
  failed=1
fi
if ((failed)); then echo "== schemathesis found failures"; else echo "== schemathesis: no failures"; fi
exit "$failed"
