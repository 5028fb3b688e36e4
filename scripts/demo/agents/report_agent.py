"""Healthy agent: writes a small report under run/data/reports every few seconds."""
import datetime
import pathlib
import time

OUT = pathlib.Path("run/data/reports")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    print("report_agent: ready")
    while True:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%H%M%S")
        (OUT / "latest.txt").write_text(f"report at {stamp}Z\n")
        print(f"report_agent: report {stamp} written")
        time.sleep(5)


if __name__ == "__main__":
    main()
