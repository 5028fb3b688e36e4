"""Turns data_pipeline's summaries into a periodic report under data/reports (newest 20 kept)."""

import json
import sys

from neolight_agent import Agent, keep_newest, utc_now

KEEP = 20


def main():
    agent = Agent("report_agent", interval=15.0)
    processed = agent.data / "processed"
    reports = agent.data / "reports"
    reports.mkdir(parents=True, exist_ok=True)

    def step(n):
        summaries = []
        for path in sorted(processed.glob("summary-*.json"))[-10:]:
            try:
                summaries.append(json.loads(path.read_text()))
            except (OSError, ValueError):
                continue  # written or removed by the pipeline as we read: next time
        records = sum(s.get("records", 0) for s in summaries)
        rejected = sum(s.get("rejected", 0) for s in summaries)
        out = reports / f"report-{n:06d}.txt"
        out.write_text(
            f"report {n} at {utc_now()}\n"
            f"batches {len(summaries)}, records {records}, rejected {rejected}\n"
        )
        keep_newest(reports, "report-*.txt", KEEP)
        agent.log(f"report {n}: {len(summaries)} batch(es), {records} records, {rejected} rejected -> {out}")

    return agent.run(step)


if __name__ == "__main__":
    sys.exit(main())
