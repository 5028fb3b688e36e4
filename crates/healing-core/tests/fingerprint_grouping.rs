//! Fingerprints group occurrences of one bug and keep different bugs apart, on the labelled set in
//! `tests/fingerprints/bugs.toml` (synthetic variants; see its header). Purity: in every fingerprint
//! group, the share of its most common bug, weighted by size (≥ 0.95). Cohesion: for every bug, the share
//! of its occurrences in its largest group (≥ 0.9 on average).

use healing_core::catalogue::Catalogue;
use healing_core::matcher::scan_bytes;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Bugs {
    bug: Vec<Bug>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Bug {
    id: String,
    family: String,
    text: String,
}

/// Where occurrences of one bug differ: deploy directory, virtualenv, edits above the line, values.
const APPS: [&str; 5] = [
    "/app",
    "/home/deploy/releases/20240601/app",
    "/srv/www/current",
    "C:\\Users\\dev\\proj",
    "/opt/render/project/src",
];
const LIBS: [&str; 5] = [
    "/usr/local/lib/python3.11/site-packages",
    "/opt/venv/lib/python3.12/site-packages",
    "/home/deploy/.venv/lib/python3.10/site-packages",
    "C:\\Python312\\Lib\\site-packages",
    "/usr/lib/python3/dist-packages",
];
const IDS: [&str; 5] = ["N/A", "4111-xx", "abc", "", "12,5"];
const CARDS: [&str; 5] = [
    "tok_1Nx3Fz2eZvKYlo2C",
    "card_8f2k",
    "pm_4242abcd",
    "tok_77QxZ9",
    "src_0a9b8c7d",
];
const UUIDS: [&str; 5] = [
    "550e8400-e29b-41d4-a716-446655440000",
    "9b2f7c1e-0d4a-4f6b-8c3e-2a1b5d6e7f80",
    "00000000-0000-4000-8000-000000000001",
    "6fa459ea-ee8a-3ca4-894e-db77e160355e",
    "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
];

fn occurrence(text: &str, v: usize) -> String {
    let n = v + 1;
    text.replace("{app}", APPS[v])
        .replace("{lib}", LIBS[v])
        .replace("{l1}", &(12 + 9 * v).to_string())
        .replace("{l2}", &(40 + 3 * v).to_string())
        .replace("{l3}", &(700 + 31 * v).to_string())
        .replace("{id}", IDS[v])
        .replace("{card}", CARDS[v])
        .replace("{num}", &(17 * n * n + 3).to_string())
        .replace("{hex}", &format!("{:02x}", 0x80 + 13 * n))
        .replace("{uuid}", UUIDS[v])
}

#[test]
fn one_bug_keeps_one_fingerprint_and_different_bugs_do_not_share_one() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fingerprints/bugs.toml");
    let bugs: Bugs = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let catalogue = Catalogue::builtin();
    // fingerprint -> bug -> count
    let mut groups: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut total = 0;
    for bug in &bugs.bug {
        for v in 0..APPS.len() {
            let text = occurrence(&bug.text, v);
            let mut incidents = Vec::new();
            scan_bytes(text.as_bytes(), &catalogue, 64 * 1024, |i| {
                incidents.push(i)
            });
            assert_eq!(
                incidents.len(),
                1,
                "{} #{v}: one traceback, one incident",
                bug.id
            );
            let print = incidents.remove(0).fingerprint;
            assert_eq!(print.len(), 16, "{}: {print:?}", bug.id);
            *groups
                .entry(print)
                .or_default()
                .entry(bug.id.clone())
                .or_default() += 1;
            total += 1;
        }
    }
    let families: BTreeSet<&str> = bugs.bug.iter().map(|b| b.family.as_str()).collect();
    let majority: usize = groups
        .values()
        .map(|g| g.values().max().copied().unwrap_or(0))
        .sum();
    let purity = majority as f64 / total as f64;
    let mut cohesion_sum = 0.0;
    for bug in &bugs.bug {
        let largest = groups
            .values()
            .filter_map(|g| g.get(&bug.id))
            .max()
            .copied()
            .unwrap_or(0);
        cohesion_sum += largest as f64 / APPS.len() as f64;
    }
    let cohesion = cohesion_sum / bugs.bug.len() as f64;
    for (print, members) in &groups {
        println!("{print} {members:?}");
    }
    println!(
        "fingerprints: {total} tracebacks, {} bugs in {} families, {} groups; purity {purity:.3}, cohesion {cohesion:.3}",
        bugs.bug.len(),
        families.len(),
        groups.len()
    );
    assert!(total >= 60 && families.len() >= 10);
    assert!(purity >= 0.95, "purity {purity:.3}");
    assert!(cohesion >= 0.9, "cohesion {cohesion:.3}");
}
