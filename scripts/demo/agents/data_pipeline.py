"""Reads batches from run/data/incoming, which does not exist on a fresh checkout.

The first run fails with FileNotFoundError; the supervisor creates the directory (it lies under an
allowed root, run/data) and restarts the agent, which then polls the empty inbox.
"""
import os
import time

INBOX = "run/data/incoming"


def main():
    print("data_pipeline: starting, inbox", INBOX)
    while True:
        batches = sorted(os.listdir(INBOX))
        print(f"data_pipeline: {len(batches)} batch(es) waiting")
        time.sleep(3)


if __name__ == "__main__":
    main()
