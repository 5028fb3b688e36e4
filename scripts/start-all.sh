#!/usr/bin/env bash
# The single-service layout: everything in one service (or on one machine), one process tree.
#
# The self-healing-agent is the only process started here. It runs the Python agents *and* the two
# other binaries as supervised companions (see scripts/single-service.healing.toml), so they share
# one state directory, need no Key Value store and no extra process manager, and get restarted with
# backoff like any other agent. `exec` makes the supervisor this script's PID: Render's (or your
# init's) SIGTERM reaches it directly, and it stops every child within its grace_period.
#
# Usage: scripts/start-all.sh [extra self-healing-agent arguments]
# Env:   HEALING_BIN_DIR  where the three binaries are (default: <repo>/target/dist, from scripts/build-release.sh)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bin_dir="${HEALING_BIN_DIR:-$root/target/dist}"

for bin in self-healing-agent prevention-agent auto-recovery; do
    if [[ ! -x "$bin_dir/$bin" ]]; then
        echo "start-all.sh: $bin_dir/$bin is missing; build it with:" >&2
        echo "  scripts/build-release.sh" >&2
        exit 2
    fi
done

# The companions are named without a path in the config: they are found on PATH.
export PATH="$bin_dir:$PATH"
exec "$bin_dir/self-healing-agent" --config "$root/scripts/single-service.healing.toml" "$@"
