"""Serves lookups through a bounded TTL cache in front of a slow origin and reports the hit ratio."""

import collections
import random
import sys
import time

from neolight_agent import Agent

CAPACITY = 256
TTL = 30.0


def main():
    agent = Agent("cache_client")
    rng = random.Random(9)
    cache = collections.OrderedDict()  # key -> (expires_at, value), least recently used first
    stats = {"hits": 0, "misses": 0}

    def origin(key):
        time.sleep(0.002)  # the slow service the cache protects
        return key * key

    def get(key):
        now = time.monotonic()
        entry = cache.get(key)
        if entry and entry[0] > now:
            cache.move_to_end(key)
            stats["hits"] += 1
            return entry[1]
        stats["misses"] += 1
        value = origin(key)
        cache[key] = (now + TTL, value)
        cache.move_to_end(key)
        while len(cache) > CAPACITY:
            cache.popitem(last=False)
        return value

    def step(_n):
        for _ in range(200):
            get(int(rng.paretovariate(1.2)) % 1000)  # a few hot keys, a long tail
        total = stats["hits"] + stats["misses"]
        agent.log(f"hit ratio {stats['hits'] / total:.0%} over {total} lookups, {len(cache)} keys cached")

    return agent.run(step)


if __name__ == "__main__":
    sys.exit(main())
