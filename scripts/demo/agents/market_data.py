"""Needs the third-party module `sparkline` (distribution neolight-sparkline, pinned in requirements.txt).

The first run fails with ModuleNotFoundError; the supervisor installs the pinned wheel from
scripts/demo/wheels into run/site (on PYTHONPATH) and restarts the agent, which then runs.
"""
import random
import time

from sparkline import sparkline


def main():
    prices = [100.0]
    print("market_data: feed connected")
    while True:
        prices = (prices + [prices[-1] * random.uniform(0.99, 1.01)])[-20:]
        print(f"market_data: NEO {prices[-1]:8.2f} {sparkline(prices)}")
        time.sleep(2)


if __name__ == "__main__":
    main()
