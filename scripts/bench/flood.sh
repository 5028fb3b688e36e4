#!/usr/bin/env bash
# Floods and faults (docs/benchmarks.md): the output flood of 100 agents x 1,000 lines/s for 30 s
# (through the shared harness ../shared/bench/flood/flood.py), then scripts/bench/flood_faults.py:
# a storm of 10,000 distinct tracebacks, /health latency under 20 agents printing flat out, and a
# supervisor SIGKILLed 40 times against a budget of 5 starts per hour. One JSON line per case.
#
# Usage: scripts/bench/flood.sh [CASE...]   cases: lines storm latency crash (default: all)
# Env: SELFHEAL_BIN  binary to measure (default: a `cargo build --release` of self-healing-agent)
#      FLOOD_HARNESS directory of flood.py (default: ../shared/bench/flood next to the repository)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${SELFHEAL_BIN:-}"
if [[ -z "$bin" ]]; then
    (cd "$root" && cargo build --release -q -p self-healing-agent)
    bin="${CARGO_TARGET_DIR:-$root/target}/release/self-healing-agent"
fi
harness="${FLOOD_HARNESS:-$root/../shared/bench/flood}"
cases=("$@")
[[ ${#cases[@]} -eq 0 ]] && cases=(lines storm latency crash)
for c in "${cases[@]}"; do
    case "$c" in
        lines) SELFHEAL_BIN="$bin" python3 "$harness/flood.py" selfheal 100 1000 30 ;;
        storm | latency | crash) python3 "$root/scripts/bench/flood_faults.py" "$bin" "$c" ;;
        *) echo "unknown case $c (lines storm latency crash)" >&2; exit 2 ;;
    esac
done
