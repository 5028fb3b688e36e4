"""Keeps a league table from simulated match rounds and reports the leader after each round."""

import random
import sys

from neolight_agent import Agent

TEAMS = ["Lions", "Falcons", "Sharks", "Wolves", "Bears", "Hawks"]


def main():
    agent = Agent("sports_analytics")
    rng = random.Random(7)
    table = {t: {"pts": 0, "gf": 0, "ga": 0} for t in TEAMS}

    def play_round(n):
        teams = TEAMS[:]
        rng.shuffle(teams)
        for home, away in zip(teams[::2], teams[1::2]):
            hg, ag = rng.randint(0, 4), rng.randint(0, 3)
            for team, scored, conceded in ((home, hg, ag), (away, ag, hg)):
                row = table[team]
                row["gf"] += scored
                row["ga"] += conceded
                row["pts"] += 3 if scored > conceded else 1 if scored == conceded else 0
        ranked = sorted(TEAMS, key=lambda t: (table[t]["pts"], table[t]["gf"] - table[t]["ga"]), reverse=True)
        leader = table[ranked[0]]
        agent.log(
            f"round {n}: leader {ranked[0]} {leader['pts']} pts "
            f"(goal difference {leader['gf'] - leader['ga']:+d}), last {ranked[-1]}"
        )

    return agent.run(play_round)


if __name__ == "__main__":
    sys.exit(main())
