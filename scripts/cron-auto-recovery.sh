#!/usr/bin/env bash
# Cron entry point for auto-recovery (Render cron job `startCommand`): one pass, then exit.
#
# The script `exec`s the binary, so the binary *is* the process Render signals (SIGTERM reaches it, no
# shell in between to swallow it) and the exit code Render records is the binary's own:
#   0 = healthy or fixed, 1 = problems remain, 2 = bad config.
#
# Binary: $AUTO_RECOVERY_BIN, else target/dist/ (scripts/build-release.sh), else `auto-recovery` on PATH.
# Config: $HEALING_CONFIG or ./healing.toml (see docs/configuration.md). Extra arguments are passed on.
set -euo pipefail

bin="${AUTO_RECOVERY_BIN:-}"
if [[ -z "$bin" ]]; then
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    if [[ -x "$here/../target/dist/auto-recovery" ]]; then
        bin="$here/../target/dist/auto-recovery"
    elif command -v auto-recovery >/dev/null 2>&1; then
        bin="$(command -v auto-recovery)"
    else
        echo "cron-auto-recovery: no auto-recovery binary (set AUTO_RECOVERY_BIN or build with scripts/build-release.sh auto-recovery)" >&2
        exit 127
    fi
fi

exec "$bin" --once "$@"
