"""Ingests JSON batches from data/incoming, validates and aggregates them into data/processed.

An upstream producer is simulated (one batch per step), so the pipeline has real files to move. Inputs
are deleted once their summary is written; only the newest summaries are kept, so the disk stays flat.
"""

import json
import random
import sys
from neolight_agent import Agent, keep_newest, utc_now

KEEP = 50


def main():
    agent = Agent("data_pipeline")
    incoming = agent.data / "incoming"
    processed = agent.data / "processed"
    incoming.mkdir(parents=True, exist_ok=True)
    processed.mkdir(parents=True, exist_ok=True)
    rng = random.Random(3)

    def step(n):
        batch = [{"id": f"{n}-{i}", "value": rng.uniform(0, 100)} for i in range(rng.randint(5, 20))]
        batch.append({"id": f"{n}-bad", "value": "n/a"})  # upstream is never perfectly clean
        (incoming / f"batch-{n:06d}.json").write_text(json.dumps(batch))

        files = sorted(incoming.glob("*.json"))
        good, rejected = [], 0
        for path in files:
            for record in json.loads(path.read_text()):
                if isinstance(record.get("value"), (int, float)):
                    good.append(record["value"])
                else:
                    rejected += 1
        summary = {
            "at": utc_now(),
            "records": len(good),
            "rejected": rejected,
            "mean": sum(good) / len(good) if good else None,
        }
        out = processed / f"summary-{n:06d}.json"
        out.write_text(json.dumps(summary))
        for path in files:
            path.unlink()
        keep_newest(processed, "summary-*.json", KEEP)
        agent.log(f"processed {len(good)} records from {len(files)} file(s), rejected {rejected} -> {out}")

    return agent.run(step)


if __name__ == "__main__":
    sys.exit(main())
