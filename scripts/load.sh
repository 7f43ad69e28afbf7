#!/usr/bin/env bash
# HTTP load test of GET /v1/resolve and POST /v1/report (see BENCHMARKS.md, LOAD_NOTES.md).
#
#   1. the real gateway (embedded store in a temp dir, ephemeral ports) with one 10 %
#      grayscale release, versus examples/baseline.rs (a bare hyper server answering the
#      gateway's own resolve body): same wrk run, throughput ratio (target >= 0.85);
#   2. the gateway again while ~100 admin writes per second each rebuild and swap the
#      snapshot: p99 with versus without swaps (target <= 20 % worse);
#   3. POST /v1/report with 10-event batches (report_body: the grayscale release on
#      channel "grayscale", the full release on "full", mostly "ok"), saturated by wrk on
#      the gateway versus the baseline answering 202 {"accepted":10,"dropped":0}: ratio of
#      requests/s (target >= 0.8); one report is checked with curl first;
#   4. the resolve run of phase 1 again while a second wrk posts the same reports at a
#      steady rate (LOAD_REPORT_RATE a second on LOAD_REPORT_CONNECTIONS connections, each
#      pausing between requests): p99 with versus without the stream (target <= 1.2);
#   5. targeting (SPEC §10): resolves with `&attr.os=android&attr.app_version=10.2.3
#      &attr.region=cn-east` in the query on a second mini program (mp-attrs: 1.4.2 full,
#      1.5.0 grayscale 10 % with 3 rules these attributes pass, so its users in the bucket
#      read every rule), gateway versus a second baseline answering the gateway's mp-attrs
#      body to the same query: ratio of requests/s (target >= 0.85). mp-load has no
#      targeting, so phases 1-4 measure what they did before.
#
# Settings (environment): LOAD_SECONDS per phase (10), LOAD_ROUNDS (3: the phases
# run interleaved this many times and the medians are compared), LOAD_CONNECTIONS (16),
# LOAD_THREADS wrk threads (1: the machine has 2 cores), LOAD_WRITES admin writes per
# second (100), LOAD_PIN (0: no pinning, the servers' default runtimes; 1: with taskset,
# each server on CPU 0 with one tokio worker, wrk and the writer on CPU 1 — on the shared
# 2-core VM this was no steadier, see BENCHMARKS.md). LOAD_REPORTS (1; 0 leaves phases
# 3 and 4 out, as before them), LOAD_ATTRS (1; 0 leaves phase 5 out, and mp-attrs is not
# set up), LOAD_REPORT_RATE reports a second in phase 4's stream
# (500, i.e. 5,000 events a second; an upper bound: each connection pauses
# 1000 * LOAD_REPORT_CONNECTIONS / LOAD_REPORT_RATE ms, whole ms, before each request,
# and the answer's latency comes on top), LOAD_REPORT_CONNECTIONS (2).
# LOAD_KEEP=1 keeps the temp dir (logs, config, store) for inspection.
# Only 127.0.0.1 is targeted; every process started here is stopped on exit.
set -euo pipefail

SECONDS_PER_PHASE=${LOAD_SECONDS:-10}
CONNECTIONS=${LOAD_CONNECTIONS:-16}
THREADS=${LOAD_THREADS:-1}
WRITES=${LOAD_WRITES:-100}
ROUNDS=${LOAD_ROUNDS:-3}
REPORTS=${LOAD_REPORTS:-1}
ATTRS=${LOAD_ATTRS:-1}
REPORT_RATE=${LOAD_REPORT_RATE:-500}
REPORT_CONNECTIONS=${LOAD_REPORT_CONNECTIONS:-2}
REPORT_DELAY_MS=$((1000 * REPORT_CONNECTIONS / REPORT_RATE))
[ "$REPORT_DELAY_MS" -ge 1 ] || REPORT_DELAY_MS=1
WARMUP=2
SERVER_CPU=()
CLIENT_CPU=()
if [ "${LOAD_PIN:-0}" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  SERVER_CPU=(env TOKIO_WORKER_THREADS=1 taskset -c 0)
  CLIENT_CPU=(taskset -c 1)
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/graygate-load.XXXXXX")
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -n "${LOAD_KEEP:-}" ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'load.sh: %s\n' "$*" >&2; exit 1; }

install_wrk() {
  command -v wrk >/dev/null && return
  log "installing wrk"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get install -y wrk >/dev/null 2>&1 || {
    $sudo apt-get update >/dev/null && $sudo apt-get install -y wrk >/dev/null
  }
}

# Builds once, then copies the binaries so a concurrent build in a shared target dir
# cannot swap them mid-run.
build() {
  log "cargo build --release (graygate + examples/baseline)"
  (cd "$ROOT" && cargo build --release --quiet --bin graygate --example baseline)
  mkdir -p "$WORK/bin"
  cp "$TARGET_DIR/release/graygate" "$TARGET_DIR/release/examples/baseline" "$WORK/bin/"
}

# wait_line FILE PATTERN: waits up to 15 s for a line matching PATTERN; prints it.
wait_line() {
  local i
  for i in $(seq 150); do
    if grep -m1 -E "$2" "$1" 2>/dev/null; then return; fi
    sleep 0.1
  done
  die "no line matching '$2' in $1: $(cat "$1" "$1.err" 2>/dev/null | tail -5)"
}

new_token() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

start_gateway() {
  ADMIN_TOKEN=$(new_token)
  REVIEWER_TOKEN=$(new_token)
  local admin_hash reviewer_hash
  admin_hash=$(printf '%s\n' "$ADMIN_TOKEN" | "$WORK/bin/graygate" hash-token)
  reviewer_hash=$(printf '%s\n' "$REVIEWER_TOKEN" | "$WORK/bin/graygate" hash-token)
  cat >"$WORK/graygate.toml" <<EOF
[server]
client_listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
shutdown_grace_seconds = 1

[store]
kind = "embedded"
path = "$WORK/graygate.db"

[[auth.tokens]]
name = "load-admin"
role = "admin"
token_sha256 = "$admin_hash"

[[auth.tokens]]
name = "load-reviewer"
role = "reviewer"
token_sha256 = "$reviewer_hash"

[[apps]]
id = "superapp-load"
environments.production = {}
EOF
  # GRAYGATE_* variables of the caller would override the temp config.
  env $(compgen -e | grep '^GRAYGATE_' | sed 's/^/-u /') \
    "${SERVER_CPU[@]}" "$WORK/bin/graygate" serve --config "$WORK/graygate.toml" \
    >"$WORK/gateway" 2>"$WORK/gateway.err" &
  GATEWAY_PID=$!
  PIDS+=($!)
  local line
  line=$(wait_line "$WORK/gateway" 'graygate listening')
  CLIENT=$(sed -E 's/.*client=([^ ]+).*/\1/' <<<"$line")
  ADMIN=$(sed -E 's/.*admin=([^ ]+).*/\1/' <<<"$line")
  log "gateway client=$CLIENT admin=$ADMIN"
}

# admin METHOD PATH TOKEN [JSON]: one admin call; fails the script on a non-2xx answer.
admin() {
  curl -sS --fail-with-body -X "$1" "http://$ADMIN$2" \
    -H "authorization: Bearer $3" -H 'content-type: application/json' \
    ${4:+--data "$4"} || die "admin $1 $2 failed"
}

json_id() { python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'; }

CONFIG='{"network_allowlist":["api.example.com","img.example.com"],"payment":{"merchant_id":"m-00000001"}}'

# The 3 rules of phase 5's release (SPEC §10), set when it is created.
TARGETING='{"rules":[{"attribute":"os","op":"in","values":["android","harmonyos"],"case_insensitive":true},{"attribute":"app_version","op":"version_gte","value":"10.2"},{"attribute":"region","op":"starts_with","value":"cn-"}]}'

# release MP VERSION [FIELDS]: uploads the version and creates its release (FIELDS: more
# JSON members of the create body, e.g. ,"targeting":{…}); prints the release id.
release() {
  admin POST "/v1/admin/mini-programs/$1/versions" "$ADMIN_TOKEN" \
    "{\"version\":\"$2\",\"package_url\":\"https://cdn.example.com/mini-programs/$1/$2/package.zip\"}" >/dev/null
  admin POST /v1/admin/releases "$ADMIN_TOKEN" \
    "{\"mini_program\":\"$1\",\"version\":\"$2\",\"app\":\"superapp-load\",\"env\":\"production\",\"config\":$CONFIG${3:-}}" |
    json_id
}

# go_live ID BODY: apply (admin), approve (reviewer), go_live (admin).
go_live() {
  admin POST "/v1/admin/releases/$1/apply" "$ADMIN_TOKEN" >/dev/null
  admin POST "/v1/admin/releases/$1/approve" "$REVIEWER_TOKEN" >/dev/null
  admin POST "/v1/admin/releases/$1/go_live" "$ADMIN_TOKEN" "$2" >/dev/null
}

set_up_releases() {
  FULL_ID=$(release mp-load 1.4.2)
  go_live "$FULL_ID" '{"type":"full"}'
  GRAY_ID=$(release mp-load 1.5.0)
  go_live "$GRAY_ID" '{"type":"grayscale","percentage":10}'
  # The swap phase edits a release of ANOTHER mini program, still new_version_created.
  SWAP_RELEASE=$(release mp-swap 1.0.0)
  log "mp-load: 1.4.2 full (release $FULL_ID), 1.5.0 grayscale 10 % (release $GRAY_ID); mp-swap release $SWAP_RELEASE for the writes"
  [ "$ATTRS" = 1 ] || return 0
  # Phase 5's route: the same releases, the grayscale one with the 3 rules.
  local full gray
  full=$(release mp-attrs 1.4.2)
  go_live "$full" '{"type":"full"}'
  gray=$(release mp-attrs 1.5.0 ",\"targeting\":$TARGETING")
  go_live "$gray" '{"type":"grayscale","percentage":10}'
  log "mp-attrs: 1.4.2 full (release $full), 1.5.0 grayscale 10 % with 3 rules (release $gray)"
}

resolve_path="/v1/resolve?app=superapp-load&env=production&mini_program=mp-load&user="
attrs_path="/v1/resolve?app=superapp-load&env=production&mini_program=mp-attrs&attr.os=android&attr.app_version=10.2.3&attr.region=cn-east&user="
revision() { curl -sS "http://$CLIENT${resolve_path}probe" | python3 -c 'import json, sys; print(json.load(sys.stdin)["revision"])'; }

start_baseline() {
  # The baseline answers with the gateway's own resolve body, byte for byte.
  BASELINE_BODY=$(curl -sS --fail "http://$CLIENT${resolve_path}u1") || die "gateway resolve failed"
  BASELINE_BODY="$BASELINE_BODY" "${SERVER_CPU[@]}" "$WORK/bin/baseline" 0 >"$WORK/baseline" 2>"$WORK/baseline.err" &
  PIDS+=($!)
  BASELINE=$(wait_line "$WORK/baseline" 'baseline listening' | sed -E 's/.*addr=//')
  log "baseline $BASELINE (body ${#BASELINE_BODY} bytes)"
}

# check_attrs: of users u1..u400 of mp-attrs, those in the 10 % get 1.5.0 with the
# attributes and none without them (fail closed); fails the script otherwise.
check_attrs() {
  python3 - "http://$CLIENT" "$attrs_path" <<'PY' || die "targeting check failed"
import json, sys, urllib.request
base, path = sys.argv[1], sys.argv[2]
bare = path.replace("&attr.os=android&attr.app_version=10.2.3&attr.region=cn-east", "")
def gray(p):
    n = 0
    for u in range(1, 401):
        with urllib.request.urlopen(f"{base}{p}u{u}") as r:
            n += json.load(r)["channel"] == "grayscale"
    return n
with_attrs, without = gray(path), gray(bare)
print(f"== targeting check: {with_attrs}/400 users grayscale with the attributes, {without}/400 without",
      file=sys.stderr)
sys.exit(0 if with_attrs > 0 and without == 0 else 1)
PY
}

# start_attrs_baseline: a second baseline, answering the gateway's mp-attrs body.
start_attrs_baseline() {
  ATTRS_BODY=$(curl -sS --fail "http://$CLIENT${attrs_path}u1") || die "gateway resolve (attrs) failed"
  BASELINE_BODY="$ATTRS_BODY" "${SERVER_CPU[@]}" "$WORK/bin/baseline" 0 >"$WORK/baseline-attrs" 2>"$WORK/baseline-attrs.err" &
  PIDS+=($!)
  ATTRS_BASELINE=$(wait_line "$WORK/baseline-attrs" 'baseline listening' | sed -E 's/.*addr=//')
  log "baseline for attrs $ATTRS_BASELINE (body ${#ATTRS_BODY} bytes)"
}

# run_wrk ADDR SECONDS [PATH]: prints wrk's RESULT line (PATH: resolve_path).
run_wrk() {
  kill -0 "$GATEWAY_PID" 2>/dev/null || die "the gateway exited: $(tail -3 "$WORK/gateway.err")"
  LOAD_PATH="${3:-$resolve_path}" "${CLIENT_CPU[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2s" --timeout 5s \
    -s "$ROOT/scripts/load.lua" "http://$1/" | grep '^RESULT'
}

# report_body: the 10-event batch of phases 3 and 4. On each arm (the grayscale release
# on channel "grayscale", the full release on "full"): 4 "ok" events of count 20, 1 "error".
report_body() {
  local events=() arm outcome count
  for arm in "$GRAY_ID grayscale" "$FULL_ID full"; do
    for outcome in ok ok ok ok error; do
      count=20
      [ "$outcome" = ok ] || count=1
      events+=("{\"mini_program\":\"mp-load\",\"release_id\":${arm% *},\"channel\":\"${arm#* }\",\"outcome\":\"$outcome\",\"count\":$count}")
    done
  done
  local IFS=,
  echo "{\"app\":\"superapp-load\",\"env\":\"production\",\"events\":[${events[*]}]}"
}

# check_report ADDR: the batch, sent once with curl, must be answered 202
# {"accepted":10,"dropped":0}.
check_report() {
  local status answer
  status=$(curl -sS -o "$WORK/report-answer" -w '%{http_code}' -X POST "http://$1/v1/report" \
    -H 'content-type: application/json' --data "$REPORT_BODY") || die "report to $1 failed"
  answer="$status $(cat "$WORK/report-answer")"
  [ "$answer" = '202 {"accepted":10,"dropped":0}' ] || die "report to $1 answered: $answer"
  log "report check $1: $answer"
}

# run_report_wrk ADDR SECONDS CONNECTIONS DELAY_MS: wrk posting the batch
# (scripts/report.lua). DELAY_MS 0: back to back on LOAD_THREADS threads; else one
# thread, each connection pausing that long before each request. Prints wrk's RESULT line.
run_report_wrk() {
  kill -0 "$GATEWAY_PID" 2>/dev/null || die "the gateway exited: $(tail -3 "$WORK/gateway.err")"
  local threads=$THREADS
  [ "$4" = 0 ] || threads=1
  LOAD_BODY="$REPORT_BODY" LOAD_DELAY_MS="$4" "${CLIENT_CPU[@]}" wrk -t"$threads" -c"$3" -d"$2s" \
    --timeout 5s -s "$ROOT/scripts/report.lua" "http://$1/" | grep '^RESULT'
}

setup() {
  if [ ${#SERVER_CPU[@]} -gt 0 ]; then
    echo "pinned: server on CPU 0 with 1 tokio worker, wrk + writer on CPU 1 ($(nproc) cores)"
  else
    echo "unpinned: servers' default runtimes, wrk and the writer share $(nproc) cores"
  fi
}

# phase ROUND NAME ADDR [PATH]: one wrk run, recorded as "ROUND NAME RESULT ..." in the
# results.
phase() {
  log "round $1/$ROUNDS: $2"
  local result
  result=$(run_wrk "$3" "$SECONDS_PER_PHASE" "${4:-}")
  echo "$1 $2 $result" >>"$WORK/results"
}

# swap_phase ROUND: the gateway under wrk while the writer swaps the snapshot.
swap_phase() {
  LOAD_TOKEN="$ADMIN_TOKEN" "${CLIENT_CPU[@]}" python3 "$ROOT/scripts/admin_writes.py" \
    "$ADMIN" "$SWAP_RELEASE" "$WRITES" "$((SECONDS_PER_PHASE + 2))" >"$WORK/writes" &
  local writer=$!
  PIDS+=($writer)
  sleep 1
  phase "$1" gateway+swaps "$CLIENT"
  wait "$writer" || die "admin writes failed: $(cat "$WORK/writes")"
  echo "$1 writes $(cat "$WORK/writes")" >>"$WORK/results"
}

# report_phase ROUND NAME ADDR: reports back to back, recorded like phase.
report_phase() {
  log "round $1/$ROUNDS: $2"
  local result
  result=$(run_report_wrk "$3" "$SECONDS_PER_PHASE" "$CONNECTIONS" 0)
  echo "$1 $2 $result" >>"$WORK/results"
}

# stream_phase ROUND: the gateway under the resolve wrk while a second wrk posts reports
# at a steady rate; the stream's own RESULT is recorded as report-stream.
stream_phase() {
  run_report_wrk "$CLIENT" "$((SECONDS_PER_PHASE + 2))" "$REPORT_CONNECTIONS" "$REPORT_DELAY_MS" \
    >"$WORK/stream" &
  local stream=$!
  PIDS+=($stream)
  sleep 1
  phase "$1" gateway+reports "$CLIENT"
  wait "$stream" || die "report stream failed: $(cat "$WORK/stream")"
  echo "$1 report-stream $(cat "$WORK/stream")" >>"$WORK/results"
}

# report_totals: graygate_reports_total by channel and outcome, and the dropped events,
# from the gateway's /metrics; fails the script if any reported event was dropped.
report_totals() {
  curl -sS --fail "http://$ADMIN/metrics" | python3 -c '
import collections, re, sys
totals, dropped = collections.Counter(), 0
for line in sys.stdin:
    m = re.match(r"graygate_reports_total\{(.*)\} (\S+)$", line)
    if m:
        labels = dict(re.findall(r"(\w+)=\"([^\"]*)\"", m[1]))
        totals[labels["version"] + " " + labels["channel"] + " " + labels["outcome"]] += float(m[2])
    elif line.startswith("graygate_reports_dropped_total{"):
        dropped += float(line.split()[-1])
print("reports counted:", ", ".join(f"{k} {v:.0f}" for k, v in sorted(totals.items())), f"; dropped {dropped:.0f}")
sys.exit(1 if dropped else 0)
' || die "the gateway dropped reported events (or /metrics failed)"
}

main() {
  install_wrk
  build
  start_gateway
  set_up_releases
  start_baseline

  log "wrk: $THREADS thread(s), $CONNECTIONS connections, ${SECONDS_PER_PHASE}s per phase, $ROUNDS rounds; $(setup)"
  run_wrk "$CLIENT" "$WARMUP" >/dev/null
  run_wrk "$BASELINE" "$WARMUP" >/dev/null
  local order=(baseline gateway swaps) name
  if [ "$REPORTS" = 1 ]; then
    REPORT_BODY=$(report_body)
    check_report "$CLIENT"
    check_report "$BASELINE"
    run_report_wrk "$CLIENT" "$WARMUP" "$CONNECTIONS" 0 >/dev/null
    run_report_wrk "$BASELINE" "$WARMUP" "$CONNECTIONS" 0 >/dev/null
    order+=(report-baseline report-gateway reports)
  fi
  if [ "$ATTRS" = 1 ]; then
    check_attrs
    start_attrs_baseline
    run_wrk "$CLIENT" "$WARMUP" "$attrs_path" >/dev/null
    run_wrk "$ATTRS_BASELINE" "$WARMUP" "$attrs_path" >/dev/null
    order+=(attrs-baseline attrs-gateway)
  fi
  local rev_before round
  rev_before=$(revision)
  : >"$WORK/results"
  # Phases interleave, and their order rotates from round to round, so drift on a shared
  # machine hits all of them alike.
  for round in $(seq "$ROUNDS"); do
    for name in "${order[@]}"; do
      case $name in
        baseline) phase "$round" baseline "$BASELINE" ;;
        gateway) phase "$round" gateway "$CLIENT" ;;
        swaps) swap_phase "$round" ;;
        report-baseline) report_phase "$round" report-baseline "$BASELINE" ;;
        report-gateway) report_phase "$round" report-gateway "$CLIENT" ;;
        reports) stream_phase "$round" ;;
        attrs-baseline) phase "$round" baseline+attrs "$ATTRS_BASELINE" "$attrs_path" ;;
        attrs-gateway) phase "$round" gateway+attrs "$CLIENT" "$attrs_path" ;;
      esac
    done
    order=("${order[@]:1}" "${order[0]}")
  done

  echo
  echo "wrk: $THREADS thread(s), $CONNECTIONS connections, ${SECONDS_PER_PHASE}s per phase, $ROUNDS rounds; $(setup)"
  echo "resolve body ${#BASELINE_BODY} bytes; snapshot revision $rev_before -> $(revision) (one swap per admin write)"
  if [ "$REPORTS" = 1 ]; then
    echo "reports: 10 events a batch; phase 4's stream at most $REPORT_RATE/s on $REPORT_CONNECTIONS connections (${REPORT_DELAY_MS} ms pause before each)"
    report_totals
  fi
  if [ "$ATTRS" = 1 ]; then
    echo "attrs: mp-attrs body ${#ATTRS_BODY} bytes; the query $((${#attrs_path} - ${#resolve_path})) bytes longer (${attrs_path#*mp-attrs})"
  fi
  python3 "$ROOT/scripts/load_report.py" <"$WORK/results"
}

main "$@"
