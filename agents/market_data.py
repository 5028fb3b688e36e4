"""Follows simulated price ticks and reports last price, VWAP and range over a bounded window."""

import collections
import random
import sys

from neolight_agent import Agent

SYMBOLS = {"NEO": 100.0, "LUX": 42.0, "ARC": 7.5}
WINDOW = 120  # ticks kept per symbol: memory stays flat however long the agent runs


def main():
    agent = Agent("market_data", interval=5.0)
    rng = random.Random(11)
    prices = dict(SYMBOLS)
    ticks = {s: collections.deque(maxlen=WINDOW) for s in SYMBOLS}

    def step(_n):
        parts = []
        for symbol in SYMBOLS:
            for _ in range(10):
                prices[symbol] = max(0.01, prices[symbol] * (1 + rng.gauss(0, 0.002)))
                ticks[symbol].append((prices[symbol], rng.randint(1, 500)))
            window = ticks[symbol]
            volume = sum(v for _, v in window)
            vwap = sum(p * v for p, v in window) / volume
            low, high = min(p for p, _ in window), max(p for p, _ in window)
            parts.append(f"{symbol} {prices[symbol]:.2f} (vwap {vwap:.2f}, range {low:.2f}-{high:.2f})")
        agent.log("; ".join(parts))

    return agent.run(step)


if __name__ == "__main__":
    sys.exit(main())
