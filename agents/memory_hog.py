"""Holds a large working set — within a budget: evicts the oldest chunks beyond MEMORY_BUDGET_MB.

The agent that would eat the container's memory if left alone, written to stay under its budget and
report its resident size, so the prevention-agent's memory watch has something real to see.
"""

import collections
import os
import sys

from neolight_agent import Agent

CHUNK = 1024 * 1024


def rss_mib():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main():
    agent = Agent("memory_hog")
    budget = int(os.environ.get("MEMORY_BUDGET_MB", "16"))
    chunks = collections.deque()

    def step(n):
        for i in range(4):
            chunks.append(bytearray(os.urandom(64)) * (CHUNK // 64))
        evicted = 0
        while len(chunks) > budget:
            chunks.popleft()
            evicted += 1
        agent.log(f"working set {len(chunks)} MiB of {budget} MiB budget, evicted {evicted}, rss {rss_mib():.1f} MiB")

    return agent.run(step)


if __name__ == "__main__":
    sys.exit(main())
