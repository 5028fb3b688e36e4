#!/usr/bin/env bash
# Reproduces, on this machine, what Render does with the supervisor's service in render.yaml — on a
# clean clone of the committed tree, step by step — and checks the result:
#
#   1. clone     a fresh clone of HEAD (what Render checks out: no venv, no target/, no state/)
#   2. build     the service's buildCommand: scripts/render-build.sh self-healing-agent
#   3. start     the startCommand, `exec ./target/dist/self-healing-agent --config render.healing.toml`,
#                with the Blueprint's environment (RENDER_MODE=true, LOG_FORMAT=json, ...) and nothing
#                else, for RENDER_LOCAL_SECONDS (30); then SIGTERM, as Render sends at a deploy
#   4. check     every agent of render.healing.toml started with the venv's interpreter, worked, and
#                its lines reached the supervisor's stdout (Render's log stream) as JSON objects with
#                an `agent` field; none was restarted; all stopped cleanly; the supervisor exited 0
#
# Not reproduced: the Key Value store (the state stays in files under the clone) and Render's own
# machine (python3 comes from this one; the build fails early, as on Render, if it is missing).
#
# Usage: scripts/render-local.sh [--reuse-dist]
#   --reuse-dist   take target/dist/self-healing-agent from this checkout (scripts/build-release.sh
#                  already ran, as in CI) instead of a full release build inside the clone
# Env:   RENDER_LOCAL_SECONDS (default 30), KEEP=1 keeps the work directory for inspection
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${RENDER_LOCAL_SECONDS:-30}"
reuse=0
[[ "${1:-}" == "--reuse-dist" ]] && reuse=1
work="$(mktemp -d "${TMPDIR:-/tmp}/render-local.XXXXXX")"
sup_pid=""
cleanup() {
    [[ -n "$sup_pid" ]] && kill -KILL "$sup_pid" 2>/dev/null || true
    if [[ "${KEEP:-}" == 1 ]]; then echo "render-local: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
say() { printf '\n== render-local: %s (%ss)\n' "$*" "$SECONDS"; }
fail() { echo "render-local: FAILED: $*" >&2; exit 1; }

say "1/4 clone: HEAD of $root into $work/src"
git init -q "$work/src"
git -C "$work/src" fetch -q "$root" HEAD
git -C "$work/src" checkout -q --detach FETCH_HEAD
git -C "$work/src" log -1 --format='    commit %h %s'
cd "$work/src"

say "2/4 build: scripts/render-build.sh self-healing-agent"
if [[ $reuse == 1 ]]; then
    [[ -x "$root/target/dist/self-healing-agent" ]] || fail "--reuse-dist: run scripts/build-release.sh self-healing-agent first"
    mkdir -p target/dist
    cp "$root/target/dist/self-healing-agent" target/dist/
    SKIP_RUST_BUILD=1 scripts/render-build.sh self-healing-agent
else
    scripts/render-build.sh self-healing-agent
fi

say "3/4 start: exec ./target/dist/self-healing-agent --config render.healing.toml, ${seconds}s, RENDER_MODE=true"
# The Blueprint's environment for this service (group healing-shared + its own values), nothing more.
env -i PATH="$PATH" HOME="$HOME" \
    RENDER_MODE=true HEALING_NAMESPACE=neolight RUST_LOG=info LOG_FORMAT=json SELF_HEALING_INTERVAL=60 \
    bash -c 'exec ./target/dist/self-healing-agent --config render.healing.toml' \
    >"$work/stdout.log" 2>"$work/stderr.log" &
sup_pid=$!
sleep "$seconds"
kill -0 "$sup_pid" 2>/dev/null || fail "the supervisor exited early: $(tail -5 "$work/stderr.log")"
kill -TERM "$sup_pid"
status=0
wait "$sup_pid" || status=$?
sup_pid=""
echo "    supervisor exited with status $status after SIGTERM"
[[ $status == 0 ]] || fail "exit status $status; stderr: $(tail -5 "$work/stderr.log")"

say "4/4 check: the agents ran and their output reached stdout"
python3 - "$work/stdout.log" "$work/stderr.log" "$work/src" <<'PY'
import json, re, sys
stdout, stderr, src = sys.argv[1], sys.argv[2], sys.argv[3]
agents = re.findall(r'^name = "([^"]+)"', open(f"{src}/render.healing.toml").read(), re.M)
problems, lines = [], {a: [] for a in agents}
raw = open(stdout, encoding="utf-8", errors="replace").read()
if "\x1b" in raw:
    problems.append("ANSI colour codes on stdout (not a terminal)")
for n, line in enumerate(raw.splitlines(), 1):
    try:
        obj = json.loads(line)
    except ValueError:
        problems.append(f"stdout line {n} is not JSON: {line[:80]!r}")
        continue
    if obj.get("agent") in lines:
        lines[obj["agent"]].append(obj.get("message", ""))
venv = f"{src}/agents/.venv/bin/python"
print(f"    {'agent':<18} {'lines':>5}  first line")
for agent in agents:
    got = lines[agent]
    print(f"    {agent:<18} {len(got):>5}  {(got[0] if got else '-')[:90]}")
    if not any(m.startswith(f"{agent} started") and venv in m for m in got):
        problems.append(f"{agent}: no 'started' line naming the venv interpreter {venv}")
    if len(got) < 3:
        problems.append(f"{agent}: {len(got)} line(s) on stdout, expected its start, work and stop")
    if not any(m.startswith(f"{agent} stopping on request") for m in got):
        problems.append(f"{agent}: did not stop cleanly on SIGTERM")
log = open(stderr, encoding="utf-8", errors="replace").read()
for word in ("Restarted", "cannot start", "nothing to supervise"):
    if word in log:
        problems.append(f"supervisor log says {word!r}")
if problems:
    print("\n".join("    problem: " + p for p in problems), file=sys.stderr)
    sys.exit(1)
print(f"    all {len(agents)} agents ran with {venv}; their output is on stdout as JSON with an agent field")
PY
say "done"
