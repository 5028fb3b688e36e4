"""Reads a rolling feed of headlines and reports the trending words of the last few minutes."""

import collections
import random
import re
import sys

from neolight_agent import Agent

FEED = [
    "Grid operators add storage to smooth evening peaks",
    "Local league final draws record crowd",
    "Chip makers report steady demand for edge devices",
    "City council approves new cycling lanes",
    "Storage prices fall as battery output grows",
    "Record heat tests the power grid again",
    "Startups bet on edge inference for retail",
    "Cycling season opens with a new route through the hills",
]
STOP = {"the", "a", "as", "for", "to", "of", "on", "with", "new", "through", "again", "add"}


def main():
    agent = Agent("news_agent")
    rng = random.Random(13)
    recent = collections.deque(maxlen=40)  # the trending window: the last 40 headlines

    def step(_n):
        batch = rng.sample(FEED, 3)
        recent.extend(batch)
        words = collections.Counter(
            w for h in recent for w in re.findall(r"[a-z]+", h.lower()) if w not in STOP
        )
        top = ", ".join(f"{w} ({c})" for w, c in words.most_common(3))
        agent.log(f"{len(batch)} new headlines; trending: {top}")

    return agent.run(step)


if __name__ == "__main__":
    sys.exit(main())
