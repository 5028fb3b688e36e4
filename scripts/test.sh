#!/usr/bin/env bash
# The project's one test command. README.md tells people to run this file and .ci/run runs it, so the
# two can never drift apart. Extra arguments go to cargo (e.g. `scripts/test.sh -p healing-core`).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo test --workspace "$@"
