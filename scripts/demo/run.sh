#!/usr/bin/env bash
# The self-healing demo, from a clean slate: eight agents, 30 seconds of supervision, then the status.
#   scripts/demo/run.sh              # from anywhere; DEMO_SECONDS=60 scripts/demo/run.sh for longer
# Everything it writes is under scripts/demo/run/ (git-ignored), wiped first so every run shows the
# failures (missing module, missing directory, crash loop, refused connection, MemoryError) again.
set -euo pipefail
DEMO=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$DEMO/../.." && pwd)
SECONDS_TO_RUN=${DEMO_SECONDS:-30}

rm -rf "$DEMO/run"
mkdir -p "$DEMO/run"
cd "$ROOT"
echo "== building self-healing-agent (a minute or two the first time; instant afterwards) =="
cargo build -q -p self-healing-agent
echo "== supervising the demo agents for ${SECONDS_TO_RUN}s (log below) =="
# The supervisor ends by itself after --exit-after; its exit status is the demo's only if it failed to run.
cargo run -q -p self-healing-agent -- --config scripts/demo/healing.toml --exit-after "${SECONDS_TO_RUN}s"
echo
echo "== self-healing-agent status =="
cargo run -q -p self-healing-agent -- status --config scripts/demo/healing.toml
