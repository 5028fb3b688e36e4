"""Works a job queue against an unreliable upstream, retrying transient failures with backoff.

A third of the calls time out (simulated). The worker retries each job up to three times with
exponential backoff and records a failed job instead of crashing: flakiness is handled where it
happens, and the supervisor only sees a steady, healthy process.
"""

import random
import sys
import time

from neolight_agent import Agent


class UpstreamTimeout(Exception):
    pass


def main():
    agent = Agent("flaky_worker")
    rng = random.Random(5)
    totals = {"done": 0, "retried": 0, "failed": 0}

    def call_upstream(job):
        if rng.random() < 0.33:
            raise UpstreamTimeout(f"job {job}: upstream timed out")
        return job * 2

    def step(n):
        for job in range(n * 3, n * 3 + 3):
            for attempt in range(1, 4):
                try:
                    call_upstream(job)
                    totals["done"] += 1
                    break
                except UpstreamTimeout as e:
                    if attempt == 3:
                        totals["failed"] += 1
                        agent.log(f"giving up: {e} (3 attempts)")
                    else:
                        totals["retried"] += 1
                        time.sleep(0.05 * 2**attempt)
        agent.log(f"jobs done {totals['done']}, retries {totals['retried']}, failed {totals['failed']}")

    return agent.run(step)


if __name__ == "__main__":
    sys.exit(main())
