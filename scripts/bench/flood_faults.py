#!/usr/bin/env python3
"""Fault benchmarks of the supervisor (docs/benchmarks.md, "Floods and faults"). One JSON line per case.

  storm    one agent prints 10,000 distinct fake tracebacks in 10 s; a local webhook counts the alerts
  latency  20 agents print as fast as they can; /health is timed (p50/p99/max) while they do
  crash    the supervisor is SIGKILLed 40 times at 0.05-0.35 s; agent starts vs the hourly budget (5)

usage: flood_faults.py BIN CASE"""
import http.server, json, os, random, signal, socket, subprocess, sys, tempfile, threading, time, urllib.request

BIN, CASE = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix="faults-")
tck = os.sysconf("SC_CLK_TCK")


def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tck


def hwm(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def config(agents, extra=""):
    with open(os.path.join(tmp, "healing.toml"), "w") as f:
        f.write(f'state_dir = "state"\n{extra}\n')
        for name, cmd in agents:
            f.write(f"[[agents]]\nname = \"{name}\"\ncommand = {json.dumps(cmd)}\n")


def start(env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("HEALING_", "TELEGRAM_")) and k != "PORT"}
    e.update(env or {})
    return subprocess.Popen([BIN, "--config", "healing.toml", "run"], cwd=tmp, env=e,
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "sup.err"), "a"))


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)


def state_size():
    return os.path.getsize(os.path.join(tmp, "state", "self_healing_state.json"))


STORM = r'''
import sys, time
def name(i):
    s = ""
    while True:
        s += chr(97 + i % 26); i //= 26
        if i == 0: return s
t0 = time.time()
for i in range(10000):
    n = name(i)
    sys.stderr.write("Traceback (most recent call last):\n  File \"app.py\", line 1, in <module>\n"
                     f"ImportError: cannot import name 'x_{n}' from 'pkg_{n}' (/srv/pkg_{n}.py)\n")
    if i % 100 == 99:
        sys.stderr.flush()
        time.sleep(max(0.0, t0 + (i + 1) / 1000 - time.time()))
sys.stderr.write("done\n"); sys.stderr.flush()
time.sleep(3600)
'''

if CASE == "storm":
    posts = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            posts.append(time.time())
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    open(os.path.join(tmp, "storm.py"), "w").write(STORM)
    config([("storm", ["python3", "storm.py"])])
    p = start({"HEALING_WEBHOOK_URL": f"http://127.0.0.1:{srv.server_port}/hook"})
    time.sleep(1.0)
    c0, t0 = cpu(p.pid), time.time()
    time.sleep(12)
    c1, t1 = cpu(p.pid), time.time()
    rss = hwm(p.pid)
    stop(p)
    print(json.dumps({"case": "storm", "tracebacks": 10000, "cpu_pct_of_core": round(100 * (c1 - c0) / (t1 - t0), 1),
                      "rss_peak_mib": round(rss, 1), "alerts_sent": len(posts), "state_bytes": state_size()}))

elif CASE == "latency":
    port = free_port()
    blast = "import sys\nb = (b'x' * 120 + b'\\n') * 512\nw = sys.stdout.buffer.write\nwhile True: w(b)\n"
    open(os.path.join(tmp, "blast.py"), "w").write(blast)
    config([(f"b{i}", ["python3", "blast.py"]) for i in range(20)],
           f'[self_healing]\nlisten = "127.0.0.1:{port}"\nlog_max_bytes = 10485760\nlog_backups = 1\n')
    p = start()
    time.sleep(3)
    c0, t0 = cpu(p.pid), time.time()
    times = []
    for _ in range(200):
        s = time.perf_counter()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10).read()
        except Exception:
            pass  # a 503 is an answer too; only the time matters here
        times.append((time.perf_counter() - s) * 1000)
        time.sleep(0.05)
    c1, t1 = cpu(p.pid), time.time()
    rss = hwm(p.pid)
    stop(p)
    times.sort()
    print(json.dumps({"case": "latency", "agents": 20, "requests": len(times),
                      "health_p50_ms": round(times[len(times) // 2], 1),
                      "health_p99_ms": round(times[int(len(times) * 0.99) - 1], 1),
                      "health_max_ms": round(times[-1], 1),
                      "cpu_pct_of_core": round(100 * (c1 - c0) / (t1 - t0), 1), "rss_peak_mib": round(rss, 1)}))

elif CASE == "crash":
    config([("worker", ["sh", "-c", "echo start >> starts.txt; exec sleep 3600"])],
           "[restart]\nmax_per_hour = 5\n")
    random.seed(1)
    for _ in range(40):
        p = start()
        time.sleep(random.uniform(0.05, 0.35))
        p.kill()
        p.wait()
    starts = len(open(os.path.join(tmp, "starts.txt")).read().splitlines()) if os.path.exists(
        os.path.join(tmp, "starts.txt")) else 0
    left = subprocess.run(["pgrep", "-f", "exec sleep 3600"], capture_output=True, text=True).stdout.split()
    print(json.dumps({"case": "crash", "supervisor_kills": 40, "budget_per_hour": 5, "agent_starts": starts,
                      "agents_left_running": len(left)}))
else:
    sys.exit(f"unknown case {CASE}")
