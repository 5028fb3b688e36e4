#!/usr/bin/env python3
"""Searches an order of the prefilter needles (healing-core's catalogue/builtin.rs NEEDLES) that makes
regex's Teddy searcher report few false candidates on a log corpus.

Model (regex 1.x / aho-corasick 1.x): with more than 10 literals regex keeps each literal's first four
bytes, drops any literal that starts with an earlier one, and Teddy puts literal i into bucket
7 - i % 8 (literals whose first three low nibbles equal an earlier one's join its bucket). A position
is a candidate of a bucket when its three bytes match the union of the bucket's low- and high-nibble
masks; each candidate costs a verification. The cost of an order is the number of candidate
positions in a corpus sample, weighted by bucket size. Random swaps, kept when cheaper.

The model only ranks orders; check the winner with scripts/bench/logscan-callgrind.sh, then paste it
into NEEDLES. Usage: needle_order.py CORPUS [SECONDS] [SEED]
"""
import collections
import pathlib
import random
import re
import sys
import time

BUCKETS = 8


def needles_from_source():
    src = pathlib.Path(__file__).resolve().parents[2] / "crates/healing-core/src/catalogue/builtin.rs"
    text = src.read_text()
    block = text[text.index("pub(crate) const NEEDLES") :]
    block = block[: block.index("];")]
    return [bytes(m, "utf-8").decode("unicode_escape") for m in re.findall(r'^\s*"((?:[^"\\]|\\.)*)",', block, re.M)]


def main():
    corpus = pathlib.Path(sys.argv[1]).read_bytes()
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 90
    random.seed(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    middle = len(corpus) // 2
    sample = corpus[max(0, middle - 3_000_000) : middle + 3_000_000]
    trigrams = list(collections.Counter(zip(sample, sample[1:], sample[2:])).items())
    memo = {}

    def bucket_cost(lits):
        key = frozenset(lits)
        if key not in memo:
            tables = []
            for i in range(3):
                lo = {lit[i] & 15 for lit in lits}
                hi = {lit[i] >> 4 for lit in lits}
                tables.append([(x & 15) in lo and (x >> 4) in hi for x in range(256)])
            t0, t1, t2 = tables
            hits = sum(k for (a, b, c), k in trigrams if t0[a] and t1[b] and t2[c])
            memo[key] = hits * (1 + 0.3 * len(lits)) if lits else 0
        return memo[key]

    def buckets(order):
        lits = []
        for needle in order:
            lit = needle.encode()[:4]
            if not any(lit.startswith(p) for p in lits):
                lits.append(lit)
        by_nibbles, out = {}, [[] for _ in range(BUCKETS)]
        for i, lit in enumerate(lits):
            key = tuple(b & 15 for b in lit[:3])
            bucket = by_nibbles.setdefault(key, BUCKETS - 1 - i % BUCKETS)
            out[bucket].append(lit)
        return out

    def cost(order):
        return sum(bucket_cost(b) for b in buckets(order))

    order = needles_from_source()
    best = cost(order)
    print(f"current order: {best:.0f}", file=sys.stderr)
    start = time.time()
    while time.time() - start < seconds:
        trial = list(order)
        i, j = random.sample(range(len(trial)), 2)
        trial[i], trial[j] = trial[j], trial[i]
        c = cost(trial)
        if c < best:
            best, order = c, trial
    print(f"best order: {best:.0f}", file=sys.stderr)
    for needle in order:
        print(f'    "{needle}",')


if __name__ == "__main__":
    main()
