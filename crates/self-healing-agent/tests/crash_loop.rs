//! The hourly restart budget holds across any number of supervisor crashes: a start is counted and
//! on disk before its spawn, boot starts included. Orderly restarts (deploys) do not spend it.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Binary, Project, fast};
use std::time::{Duration, Instant};

const BUDGET: usize = 3;

fn config(p: &Project) {
    p.config(
        &fast(
            r#"
[[agents]]
name = "worker"
command = ["sh", "-c", "echo start >> starts.txt; exec sleep 300"]
"#,
        )
        .replace("max_per_hour = 20", &format!("max_per_hour = {BUDGET}")),
    );
}

fn starts(p: &Project) -> usize {
    p.lines("starts.txt").len()
}

#[test]
fn sigkilling_the_supervisor_in_a_loop_never_exceeds_the_hourly_budget() {
    let p = Project::new();
    config(&p);
    for i in 0..15u64 {
        let before = starts(&p);
        let mut sup = Binary::start(&p, &[]);
        // Kill it at varied moments: right after the spawn, or a little later.
        let start = Instant::now();
        while starts(&p) == before && start.elapsed() < Duration::from_millis(800) {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(i % 4 * 40));
        sup.child.kill().unwrap();
        sup.child.wait().unwrap();
    }
    // The first boot on a fresh state is a first start, not a restart: it is not counted.
    let n = starts(&p);
    assert!(
        n <= BUDGET + 1,
        "{n} starts against a budget of {BUDGET} per hour"
    );
    assert!(n >= BUDGET, "the agent should have used its budget: {n}");
}

#[test]
fn orderly_restarts_of_the_supervisor_do_not_spend_the_budget() {
    let p = Project::new();
    config(&p);
    for round in 1..=BUDGET + 3 {
        let sup = Binary::start(&p, &[]);
        let start = Instant::now();
        while starts(&p) < round && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(starts(&p), round, "round {round}: the agent did not start");
        assert!(sup.stop().success());
    }
}
