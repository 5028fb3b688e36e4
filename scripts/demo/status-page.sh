#!/usr/bin/env bash
# Screenshot of the status page for the README (docs/status-page.png): a supervisor with four agents
# and a day of history (a crash loop the breaker caught at 03:10, fixes applied and refused, hangs),
# next to prevention-agent and auto-recovery documents, photographed by headless Chromium.
#
#   scripts/demo/status-page.sh [OUT.png]      # needs chromium and python3; builds the debug binary
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-docs/status-page.png}"
command -v chromium >/dev/null || { echo "chromium is required (apt-get install chromium)" >&2; exit 1; }
echo "building self-healing-agent (debug)…"
cargo build -q -p self-healing-agent
work=$(mktemp -d)
trap 'kill "${sup:-0}" 2>/dev/null && wait "$sup" 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/healing.toml" <<TOML
state_dir = "state"
[self_healing]
interval = "1s"
listen = "127.0.0.1:$port"
[restart]
initial_delay = "200ms"
retry_initial_delay = "200ms"
max_per_hour = 10
[breaker]
failure_threshold = 3
cooldown = "10m"
[[agents]]
name = "market_data"
command = ["sh", "-c", "exec sleep 600"]
[[agents]]
name = "news_agent"
command = ["sh", "-c", "exec sleep 600"]
[[agents]]
name = "report_agent"
command = ["sh", "-c", "exec sleep 600"]
[[agents]]
name = "sports_analytics"
command = ["sh", "-c", "echo 'TimeoutError: odds feed did not answer in 30s' >&2; exit 1"]
TOML
mkdir -p "$work/state"
python3 - "$work/state" <<'PY'
import json, sys, datetime as dt
state = sys.argv[1]
now = dt.datetime.now(dt.timezone.utc)
def at(hours_ago, minutes=0):
    return (now - dt.timedelta(hours=hours_ago, minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
h = []
def ev(t, agent, event, **kw):
    h.append(dict(at=t, agent=agent, event=event, kind=kw.get("kind"), action=kw.get("action"),
                  target=kw.get("target"), refused=kw.get("refused"), outcome=kw.get("outcome"),
                  message=kw.get("message", "")))
for i in range(7):
    t = at(14, -i * 4)
    ev(t, "sports_analytics", "exit", kind="connection_refused_local", message="ConnectionRefusedError: [Errno 111] Connection refused")
    ev(at(14, -i * 4 - 1), "sports_analytics", "restart", action="restart", message=f"attempt {i+1}")
ev(at(13, 30), "sports_analytics", "breaker_open", kind="connection_refused_local", message="circuit open")
ev(at(13, 20), "sports_analytics", "restart", action="restart", message="trial")
ev(at(13, 0), "sports_analytics", "breaker_closed", message="stable")
ev(at(20), "news_agent", "exit", kind="module_not_found", message="ModuleNotFoundError: No module named 'sparkline'")
ev(at(20, -1), "news_agent", "fix", kind="module_not_found", action="install_package", target="neolight-sparkline", outcome="succeeded", message="installed")
ev(at(20, -2), "news_agent", "restart", action="restart", message="after fix")
ev(at(9), "report_agent", "hang", message="heartbeat state/heartbeat/report_agent is 190s old (limit 180s)")
ev(at(9, -1), "report_agent", "exit", kind="process_exit", message="hung: heartbeat stale")
ev(at(9, -2), "report_agent", "restart", action="restart", message="attempt 1")
ev(at(5), "report_agent", "exit", kind="file_not_found", message="FileNotFoundError: [Errno 2] No such file or directory: '/etc/passwd.d/report.cfg'")
ev(at(5, -1), "report_agent", "fix", kind="file_not_found", action="create_path", target="/etc/passwd.d", outcome="refused", refused="outside create_path_roots", message="")
ev(at(5, -2), "report_agent", "held", kind="file_not_found", message="needs attention")
ev(at(4), "report_agent", "restart", action="restart", message="resumed by operator")
ev(at(2), "market_data", "incident", kind="rate_limited", message="HTTP 429 Too Many Requests from quotes API; backing off")
def doc(body):
    body.update(schema_version=1, written_at=at(0), writer="demo")
    return body
h.sort(key=lambda e: e["at"])
json.dump(doc({"history": h, "counters": {}, "breakers": {}}), open(f"{state}/self_healing_state.json", "w"))
json.dump(doc({"last_pass_at": at(0, 1), "passes": 96,
  "measurements": [
    {"key": "memory", "percent": 71.0, "used": 381.0 * 2**20, "limit": 512.0 * 2**20, "unit": "bytes", "source": "cgroup_v2"},
    {"key": "cpu", "percent": 34.0, "used": 0.17, "limit": 0.5, "unit": "cores", "source": "cgroup_v2"},
    {"key": "disk:/var/data", "percent": 88.0, "used": 0.88 * 2**30, "limit": 2**30, "unit": "bytes", "source": "statvfs"}],
  "warnings": {"memory": {"active": False, "percent": 71.0, "threshold": 85.0},
               "cpu": {"active": False, "percent": 34.0, "threshold": 90.0},
               "disk:/var/data": {"active": True, "percent": 88.0, "threshold": 85.0, "active_since": at(1)}},
  "checks": [{"name": "dependency:numpy", "outcome": "warning", "message": "numpy 1.26.4 installed, requirements.txt wants >=2.0"}],
  "installs": []}), open(f"{state}/prevention_state.json", "w"))
json.dump(doc({"last_pass": {"started_at": at(0, 3), "duration_ms": 812, "healthy": True, "problems": [], "fixed": ["woke neolight-api"]},
  "services": {"neolight-api": {"healthy": True, "slow": False, "status": 200, "latency_ms": 143, "attempts": 3, "wake_tried": True, "wake_ms": 28400, "checked_at": at(0, 3)},
               "neolight-dashboard": {"healthy": True, "slow": False, "status": 200, "latency_ms": 61, "attempts": 1, "wake_tried": False, "checked_at": at(0, 3)}},
  "render": {"enabled": True, "services": {"srv-d1": {"name": "neolight-api", "suspended": False, "suspenders": [],
      "latest_deploy": {"id": "dep-cu7a", "status": "live", "finished_at": at(6)}, "deploy_failing": False}}}}),
  open(f"{state}/render_recovery_state.json", "w"))
PY
(cd "$work" && NO_COLOR=1 exec "$OLDPWD/target/debug/self-healing-agent" >/dev/null 2>&1) &
sup=$!
echo "supervisor on 127.0.0.1:$port; waiting for the crash loop to open the breaker…"
sleep 10
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$work/chromium" \
    --screenshot="$out" --window-size=${WINDOW:-1280,1180} "http://127.0.0.1:$port/" 2>/dev/null
echo "wrote $out"
