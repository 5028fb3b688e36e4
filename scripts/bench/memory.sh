#!/usr/bin/env bash
# Where the supervisor's idle memory goes: 8 `sleep` agents, HTTP endpoints on, then VmRSS, PSS/USS
# (smaps_rollup) and the resident size of each mapping (binary, heap, libc, ...). The figures behind
# the memory notes in docs/benchmarks.md; the peer comparison itself is peers.sh.
#
# Usage: scripts/bench/memory.sh [--dynamic] [--failing] [--page]
#   --dynamic  measure a plain `cargo build --release` (dynamically linked) instead of the build users
#              run (scripts/build-release.sh, statically linked on glibc)
#   --failing  agent w0 prints a ModuleNotFoundError traceback before it sleeps, so the catalogue
#              compiles its rule set: the memory of a supervisor that has seen an error
#   --page     load the status page (`/`, then its `/status/page.json` refresh) twice before measuring:
#              the memory of a supervisor someone is looking at
# Env: SETTLE seconds to wait after start (default 12: the harness measures 10 s after all are up).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dynamic=0
failing=0
page=0
for arg in "$@"; do
    case "$arg" in
        --dynamic) dynamic=1 ;;
        --failing) failing=1 ;;
        --page) page=1 ;;
        *) echo "usage: $0 [--dynamic] [--failing] [--page]" >&2; exit 2 ;;
    esac
done
target_dir="${CARGO_TARGET_DIR:-$root/target}"
if [[ $dynamic == 1 ]]; then
    (cd "$root" && cargo build --release -q -p self-healing-agent)
    bin="$target_dir/release/self-healing-agent"
else
    "$root/scripts/build-release.sh" self-healing-agent >/dev/null
    bin="$target_dir/dist/self-healing-agent"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/neolight-memory.XXXXXX")"
pid=""
cleanup() {
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/traceback.sh" <<'EOF'
printf 'Traceback (most recent call last):\n  File "w.py", line 1, in <module>\nModuleNotFoundError: No module named %sfoo%s\n' "'" "'"
exec sleep 1000
EOF
{
    printf 'state_dir = "state"\n[self_healing]\nlisten = "127.0.0.1:%s"\n' "$port"
    for i in 0 1 2 3 4 5 6 7; do
        if [[ $i == 0 && $failing == 1 ]]; then
            command='["sh", "traceback.sh"]'
        else
            command='["sleep", "1000"]'
        fi
        printf '[[agents]]\nname = "w%s"\ncommand = %s\n' "$i" "$command"
    done
} >"$work/healing.toml"

(cd "$work" && exec "$bin" --config healing.toml run >supervisor.log 2>&1) &
pid=$!
sleep "${SETTLE:-12}"
kill -0 "$pid" 2>/dev/null || { cat "$work/supervisor.log" >&2; exit 1; }
if [[ $page == 1 ]]; then
    for _ in 1 2; do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/"
        curl -fsS -o /dev/null "http://127.0.0.1:$port/status/page.json"
    done
    sleep 1
fi

echo "binary: $bin ($( [[ $dynamic == 1 ]] && echo dynamic || echo as built by build-release.sh ))"
echo "agents: 8$( [[ $failing == 1 ]] && echo ', w0 printed a traceback' )$( [[ $page == 1 ]] && echo ', status page loaded twice' )"
awk '/^(VmRSS|RssAnon|RssFile):/ {printf "%s %.1f MiB\n", $1, $2 / 1024}' "/proc/$pid/status"
awk '/^(Pss|Private_Clean|Private_Dirty):/ {v[$1] = $2}
     END {printf "Pss: %.1f MiB\nUss: %.1f MiB\n", v["Pss:"] / 1024, (v["Private_Clean:"] + v["Private_Dirty:"]) / 1024}' \
    "/proc/$pid/smaps_rollup"
echo "resident per mapping:"
awk '/^[0-9a-f]+-[0-9a-f]+ / {name = ($6 == "") ? "[anon]" : $6}
     /^Rss:/ {rss[name] += $2}
     END {for (n in rss) if (rss[n] > 0) printf "  %6.2f MiB  %s\n", rss[n] / 1024, n}' "/proc/$pid/smaps" |
    sort -rn
