"""Healthy agent with a heartbeat file: crunches scores and touches run/heartbeat/sports_analytics."""
import pathlib
import random
import time

HEARTBEAT = pathlib.Path("run/heartbeat/sports_analytics")


def main():
    HEARTBEAT.parent.mkdir(parents=True, exist_ok=True)
    print("sports_analytics: model loaded, scoring live games")
    games = 0
    while True:
        games += 1
        HEARTBEAT.touch()
        if games % 5 == 0:
            print(f"sports_analytics: scored {games} games, mean edge {random.uniform(0.5, 2.5):.2f}%")
        time.sleep(1)


if __name__ == "__main__":
    main()
