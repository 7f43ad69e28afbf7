#!/usr/bin/env bash
# Instructions per resolve on the fixed workload of examples/resolve_instructions.rs,
# counted by callgrind (repeatable whatever else the machine is doing).
# Usage: scripts/resolve_instructions.sh [N]   (N resolves, default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
cargo build --release --example resolve_instructions -q
bin="${CARGO_TARGET_DIR:-target}/release/examples/resolve_instructions"
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
setup=$(count 0)
total=$(count "$n")
echo "setup $setup, with $n resolves $total: $(( (total - setup) / n )) instructions per resolve"
