#!/usr/bin/env bash
# Adapter: NeoLight self-healing-agent (this repository's supervisor), for the shared peer benchmark
# (../shared/bench/peers; see its README "Adding a supervisor"). scripts/bench/peers.sh copies the
# harness to a scratch dir, drops this file into its adapters/ and sets NEOLIGHT_BIN.
#
# The children run with the deployment doc's restart policy (max_per_hour 5, breaker 3, cooldown 5m),
# the HTTP endpoints on (a free 127.0.0.1 port: a real deployment serves /health), and the state files
# written as in production. Variants (crash-loop test):
#   default      initial_delay 0s: the smallest restart delay the tool allows, as for every peer
#   deployment   the deployment doc's curve as well: initial_delay 1s, x2, full jitter
. "$(dirname "$0")/../lib/adapter.sh"
: "${NEOLIGHT_BIN:?path of the release self-healing-agent binary}"
CONF="$BENCH_RUN/conf/healing.toml"

initial_delay=0s
[ "$BENCH_VARIANT" = deployment ] && initial_delay=1s

# TOML basic string (the harness's arguments contain no spaces; quotes and backslashes are escaped anyway).
toml_str() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }

agent() {
  local name=$1 args=() first=1 arg
  read -r -a args <<<"$2"
  {
    printf '\n[[agents]]\nname = %s\ncommand = [' "$(toml_str "$name")"
    for arg in "${args[@]}"; do
      [ $first = 1 ] || printf ', '
      first=0
      toml_str "$arg"
    done
    printf ']\ncwd = %s\n' "$(toml_str "$BENCH_RUN")"
  } >>"$CONF"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "$1" in
version)
  "$NEOLIGHT_BIN" --version 2>/dev/null | head -n1 | grep . ||
    echo "self-healing-agent $(git -C "$(dirname "$NEOLIGHT_BIN")" rev-parse --short HEAD 2>/dev/null || echo unknown)" ;;
crash-variants) printf '%s\n' default deployment ;;
config)
  mkdir -p "$BENCH_RUN/conf"
  free_port >"$BENCH_RUN/port"
  cat >"$CONF" <<EOT
state_dir = $(toml_str "$BENCH_RUN/state")

[self_healing]
listen = "127.0.0.1:$(cat "$BENCH_RUN/port")"
grace_period = "5s"

[restart]
initial_delay = "$initial_delay"
multiplier = 2.0
max_delay = "5m"
jitter = true
max_per_hour = 5

[breaker]
failure_threshold = 3
cooldown = "5m"
reset_after = "1h"

[fixes]
create_path_roots = []
EOT
  bench_each_child agent ;;
start)
  setsid "$NEOLIGHT_BIN" --config "$CONF" </dev/null >"$BENCH_RUN/neolight.out" 2>&1 &
  echo $! ;;
state)
  # Our own view of the child: its row of `self-healing-agent status`.
  "$NEOLIGHT_BIN" status --config "$CONF" 2>&1 | awk -v n="$2" '$1 == n' | tr -s ' ' || true ;;
stop)
  kill -TERM "$BENCH_SUP_PID" 2>/dev/null || true   # agents get TERM, then KILL after grace_period
  bench_wait_gone "$BENCH_SUP_PID" 30 ;;
*) exit 64 ;;
esac
