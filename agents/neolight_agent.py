"""The loop every NeoLight agent shares: a steady cadence, a heartbeat, and a clean stop.

Well-behaved under a supervisor: every line is flushed at once (the supervisor captures stdout and
stderr, forwards them to its own stdout and diagnoses tracebacks), SIGTERM ends the loop between two
steps and the process exits 0, and a heartbeat file is touched after each step when HEARTBEAT_FILE
is set (the supervisor's `heartbeat_file` check). Standard library only.

Environment: AGENT_INTERVAL (seconds between steps), AGENT_DATA_DIR (default "data"),
HEARTBEAT_FILE (optional).
"""

import os
import signal
import sys
import time
from pathlib import Path


def utc_now():
    """The current time as RFC 3339 UTC, for what agents write to disk."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def keep_newest(directory, pattern, keep):
    """Deletes all but the `keep` newest files matching `pattern` (names sort by age), so output
    written every step never fills the disk."""
    for old in sorted(Path(directory).glob(pattern))[:-keep]:
        old.unlink()


class Agent:
    def __init__(self, name, interval=10.0):
        self.name = name
        self.interval = float(os.environ.get("AGENT_INTERVAL", interval))
        self.data = Path(os.environ.get("AGENT_DATA_DIR", "data"))
        self.heartbeat = os.environ.get("HEARTBEAT_FILE")
        self.stopping = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)

    def _stop(self, _signum, _frame):
        self.stopping = True

    def log(self, message):
        print(message, flush=True)

    def _beat(self):
        if self.heartbeat:
            path = Path(self.heartbeat)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()

    def run(self, step):
        """Calls step(n) every `interval` seconds until SIGTERM; returns the exit status (0)."""
        self.log(
            f"{self.name} started: pid {os.getpid()}, python {sys.version.split()[0]} "
            f"({sys.executable}), a step every {self.interval:g}s"
        )
        n = 0
        while not self.stopping:
            n += 1
            step(n)
            self._beat()
            deadline = time.monotonic() + self.interval
            while not self.stopping and time.monotonic() < deadline:
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        self.log(f"{self.name} stopping on request after {n} step(s)")
        return 0
