"""Exits with status 1 at once, every time: a crash loop.

The supervisor restarts it with growing delays until its restart budget is spent and its breaker
opens; from then on it is held (no more restarts until the cooldown) and alerted, not hammered.
"""
import sys

print("flaky_worker: starting")
print("flaky_worker: fatal: lease lost before the first job, exiting", file=sys.stderr)
sys.exit(1)
