//! Log-scanning throughput of the bulk scanner over the shared synthetic corpus.
//!
//! The corpus is made by `../shared/bench/logscan/gen_corpus.py` (see `scripts/bench/logscan.sh`, which
//! also runs the ripgrep yardstick). Env: `LOGSCAN_CORPUS` (default `/tmp/logscan/corpus-1g.log`),
//! `LOGSCAN_RUNS` (default 5). Prints one line per run, the median, and the incidents per kind against
//! the generator's manifest (`<corpus>.manifest.json`, events per kind).

use healing_core::catalogue::Catalogue;
use healing_core::matcher::scan_reader;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let corpus = PathBuf::from(
        std::env::var("LOGSCAN_CORPUS").unwrap_or_else(|_| "/tmp/logscan/corpus-1g.log".into()),
    );
    let runs: usize = std::env::var("LOGSCAN_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5)
        .max(1);
    if !corpus.exists() {
        eprintln!(
            "corpus {} missing: run scripts/bench/logscan.sh (or gen_corpus.py) first",
            corpus.display()
        );
        return ExitCode::from(2);
    }
    let catalogue = Catalogue::builtin();
    let mut rates = Vec::new();
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    for run in 0..runs {
        let file = match File::open(&corpus) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("cannot open {}: {e}", corpus.display());
                return ExitCode::from(2);
            }
        };
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        let start = Instant::now();
        let stats = match scan_reader(file, &catalogue, 64 * 1024, |i| {
            *counts.entry(i.kind.to_string()).or_default() += 1;
        }) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("reading {}: {e}", corpus.display());
                return ExitCode::from(2);
            }
        };
        let secs = start.elapsed().as_secs_f64();
        let rate = stats.bytes as f64 / 1e6 / secs;
        let total: u64 = counts.values().sum();
        println!(
            "run {run}: {} bytes, {} lines, {total} incidents in {secs:.3}s = {rate:.0} MB/s",
            stats.bytes, stats.lines
        );
        rates.push(rate);
        by_kind = counts;
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "median: {:.0} MB/s over {runs} runs",
        rates[rates.len() / 2]
    );
    compare_with_manifest(&corpus, &by_kind)
}

/// Incidents per kind against the generator's events per kind; a mismatch fails the bench.
fn compare_with_manifest(corpus: &std::path::Path, ours: &BTreeMap<String, u64>) -> ExitCode {
    let path = PathBuf::from(format!("{}.manifest.json", corpus.display()));
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("no manifest at {}; incidents: {ours:?}", path.display());
        return ExitCode::SUCCESS;
    };
    let manifest: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("bad manifest {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let expected = manifest["events_by_kind"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut ok = true;
    println!("{:<26} {:>9} {:>9}", "kind", "manifest", "ours");
    let kinds: std::collections::BTreeSet<&String> = expected.keys().chain(ours.keys()).collect();
    for kind in kinds {
        let want = expected.get(kind).and_then(|v| v.as_u64()).unwrap_or(0);
        let got = ours.get(kind).copied().unwrap_or(0);
        let mark = if want == got { "" } else { "  MISMATCH" };
        ok &= want == got;
        println!("{kind:<26} {want:>9} {got:>9}{mark}");
    }
    println!(
        "incidents {} vs manifest error_events {}: {}",
        ours.values().sum::<u64>(),
        manifest["error_events"],
        if ok { "match" } else { "MISMATCH" }
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
