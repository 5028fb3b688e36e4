"""Healthy agent: summarises headlines every few seconds."""
import itertools
import time

HEADLINES = ["markets open higher", "league announces schedule", "storm moves north", "rates unchanged"]


def main():
    print("news_agent: subscribed to 4 feeds")
    for n, headline in enumerate(itertools.cycle(HEADLINES), start=1):
        if n % 3 == 0:
            print(f"news_agent: digest #{n // 3}: {headline}")
        time.sleep(1)


if __name__ == "__main__":
    main()
