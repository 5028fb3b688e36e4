//! What the one redactor costs per line: every forwarded agent line, `logs` line and document string
//! passes `redact::line`. Typical agent lines (no secret, a timestamp with `:`, `key=value` pairs) and
//! lines that do hold something to mask; nanoseconds per line, median of `REDACT_RUNS` (default 11)
//! runs of 200,000 calls each. Run: `cargo bench -p healing-core --bench redact_line`.

use healing_core::redact::line_with;
use std::hint::black_box;
use std::time::Instant;

const KNOWN: [&str; 3] = [
    "plainword-telegram-value-xyz",
    "agent-env-plain-value",
    "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
];

const LINES: [(&str, &str); 5] = [
    (
        "log line, key=value",
        "2026-12-04 17:00:01,123 INFO market_data: tick 42 price=101.25 volume=300 symbol=AAPL",
    ),
    (
        "log line with a URL",
        "2026-12-04 17:00:01,124 DEBUG news_agent: fetched 3 headlines from https://example.com/rss in 120 ms",
    ),
    (
        "progress line",
        "[worker] processed batch 1234 of 5000 (24.7%), eta 00:03:12",
    ),
    (
        "plain words",
        "plain line without separators just some words here and there",
    ),
    (
        "known value + DSN",
        "connect postgresql://app:Pa55w0rdXyz@db:5432/prod with agent-env-plain-value",
    ),
];

fn main() {
    let runs: usize = std::env::var("REDACT_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(11);
    let calls = 200_000u32;
    for (name, line) in LINES {
        let mut per_line: Vec<f64> = (0..runs)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..calls {
                    black_box(line_with(black_box(line), &KNOWN));
                }
                start.elapsed().as_nanos() as f64 / f64::from(calls)
            })
            .collect();
        per_line.sort_by(f64::total_cmp);
        println!("{name:<22} {:>6.0} ns/line", per_line[runs / 2]);
    }
}
