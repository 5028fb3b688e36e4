//! Unknown tracebacks are grouped by fingerprint, with a real Python child and a webhook on 127.0.0.1:
//! a new bug is alerted once, the same bug again (other values, other line numbers) is only counted.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Binary, Project, Webhook, fast, wait_for};
use std::time::Duration;

/// The same parsing bug three times with different rows, then a different bug once; then it idles.
const TWO_BUGS: &str = r#"
import time, traceback

def parse(row):
    return int(row)

def average(xs):
    return sum(xs) / len(xs)

for row in ["N/A", "12,5", "x7"]:
    try:
        parse(row)
    except ValueError:
        traceback.print_exc()
try:
    average([])
except ZeroDivisionError:
    traceback.print_exc()
print("done", flush=True)
time.sleep(300)
"#;

#[tokio::test]
async fn a_new_unknown_bug_is_alerted_once_and_repeats_are_counted() {
    let hook = Webhook::start().await;
    let p = Project::new();
    p.write("w.py", TWO_BUGS);
    // Unclassified incidents are of medium severity: this deployment wants to hear of them.
    p.config(&fast(
        "[alerts]\nmin_severity = \"medium\"\n[[agents]]\nname = \"w\"\ncommand = [\"python3\", \"w.py\"]\n",
    ));
    let sup = Binary::start(&p, &[("HEALING_WEBHOOK_URL", hook.url.as_str())]);
    let counted = wait_for(Duration::from_secs(10), || {
        p.state("self_healing_state.json").is_some_and(|s| {
            let c = &s["counters"]["unclassified"];
            c.as_object()
                .is_some_and(|m| m.values().map(|v| v.as_u64().unwrap_or(0)).sum::<u64>() == 4)
        }) && hook.texts().len() >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sup.stop().success());
    let state = p.state("self_healing_state.json").unwrap();
    assert!(counted, "{:#?}", state["counters"]);
    let mut counts: Vec<u64> = state["counters"]["unclassified"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .collect();
    counts.sort_unstable();
    assert_eq!(
        counts,
        vec![1, 3],
        "two fingerprints: {:#?}",
        state["counters"]
    );
    let texts = hook.texts();
    let alerts: Vec<&String> = texts
        .iter()
        .filter(|t| t.contains("unclassified"))
        .collect();
    assert_eq!(alerts.len(), 2, "one alert per new fingerprint: {texts:#?}");
    assert!(
        alerts.iter().any(|t| t.contains("ValueError"))
            && alerts.iter().any(|t| t.contains("ZeroDivisionError"))
    );
    // Every incident in the history carries its fingerprint.
    let history = state["history"].as_array().unwrap();
    assert!(
        history
            .iter()
            .filter(|h| h["event"] == "incident")
            .all(|h| h["fingerprint"].as_str().is_some_and(|f| f.len() == 16)),
        "{history:#?}"
    );
}
