#!/usr/bin/env bash
# Measures self-healing-agent side by side with other supervisors using the shared harness
# (../shared/bench/peers, read-only; see its README). Builds the release binary, installs the harness's
# helpers (and the peers when they are asked for), copies the harness to a scratch dir with our adapter
# (scripts/bench/peers/neolight.sh) in its adapters/, runs it, and prints the report.
#
#   scripts/bench/peers.sh                              # our supervisor only (about 6 min)
#   scripts/bench/peers.sh neolight runit supervisord   # several, in one sitting (the machine is noisy)
#   scripts/bench/peers.sh neolight -- --tests crash    # after --: options for bench.py
#
# Results: $BENCH_RESULTS/<UTC stamp>-<peer>/result.json (default ~/.cache/bench-peers/results,
# outside the repository). Peers are installed under $BENCH_DEPS (default ~/.cache/bench-peers).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HARNESS=${BENCH_HARNESS:-$ROOT/../shared/bench/peers}
# From a git worktree elsewhere, look beside the main checkout too.
if [ ! -f "$HARNESS/bench.py" ] && [ -z "${BENCH_HARNESS:-}" ]; then
  common=$(git -C "$ROOT" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
  [ -n "$common" ] && HARNESS=$(dirname "$(dirname "$common")")/shared/bench/peers
fi
[ -f "$HARNESS/bench.py" ] || { echo "no benchmark harness at $HARNESS (set BENCH_HARNESS)" >&2; exit 2; }

peers=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do peers+=("$1"); shift; done
[ "${1:-}" = -- ] && shift
[ ${#peers[@]} -gt 0 ] || peers=(neolight)

export BENCH_DEPS=${BENCH_DEPS:-${XDG_CACHE_HOME:-$HOME/.cache}/bench-peers}
export BENCH_RESULTS=${BENCH_RESULTS:-$BENCH_DEPS/results}
mkdir -p "$BENCH_RESULTS"

# The binary as users run it: built the way render.yaml builds it (statically linked on glibc).
"$ROOT/scripts/build-release.sh" self-healing-agent
TARGET_DIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
export NEOLIGHT_BIN="$TARGET_DIR/dist/self-healing-agent"

# The child program always; the peers themselves only when some other peer is asked for.
if printf '%s\n' "${peers[@]}" | grep -qvx neolight; then
  "$HARNESS/setup.sh"
else
  "$HARNESS/setup.sh" child
fi

# The harness looks for adapters only in its own adapters/ dir, which is read-only where it is shared.
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/neolight-bench.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
cp -R "$HARNESS" "$SCRATCH/peers"
chmod -R u+w "$SCRATCH/peers"
cp "$ROOT/scripts/bench/peers/neolight.sh" "$SCRATCH/peers/adapters/neolight.sh"

started=$(date -u +%Y%m%dT%H%M%SZ)
for peer in "${peers[@]}"; do
  python3 "$SCRATCH/peers/bench.py" "$peer" "$@"
done

# Report this sitting's results only (directory names start with the run's UTC stamp, which sorts as text).
runs=()
for dir in "$BENCH_RESULTS"/*/; do
  stamp=$(basename "$dir"); stamp=${stamp%%-*}
  [[ ! "$stamp" < "$started" ]] && runs+=("$dir")
done
[ ${#runs[@]} -gt 0 ] && python3 "$SCRATCH/peers/report.py" "${runs[@]}"
