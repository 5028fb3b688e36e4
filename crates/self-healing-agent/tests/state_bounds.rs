//! `self_healing_state.json` stays under 256 KiB whatever the agents print: 2,000 distinct
//! tracebacks full of control characters (six bytes each once JSON-escaped) made it 600 KB.
#![allow(clippy::unwrap_used)]

mod common;
use common::{Binary, Project, fast};
use std::time::{Duration, Instant};

const FLOOD: &str = r#"
import sys, time
pad = "\x01" * 20000
for i in range(2000):
    sys.stderr.write(
        "Traceback (most recent call last):\n"
        '  File "app.py", line 1, in <module>\n'
        f"ImportError: cannot import name 'n{i}' from 'pkg{i}' {pad}\n"
    )
sys.stderr.write("done\n")
sys.stderr.flush()
open("flood.done", "w").write("1")
time.sleep(300)
"#;

#[test]
fn the_state_file_stays_small_whatever_the_agents_print() {
    let p = Project::new();
    p.write("flood.py", FLOOD);
    p.config(&fast(
        "[[agents]]\nname = \"flood\"\ncommand = [\"python3\", \"flood.py\"]\n",
    ));
    let sup = Binary::start(&p, &[]);
    let start = Instant::now();
    while !p.path().join("flood.done").exists() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(1));
    assert!(sup.stop().success());
    let state = p.path().join("state/self_healing_state.json");
    let size = std::fs::metadata(&state).unwrap().len();
    assert!(size < 256 * 1024, "self_healing_state.json is {size} bytes");
    let doc = p.state("self_healing_state.json").unwrap();
    let history = doc["history"].as_array().unwrap();
    assert!(
        history.iter().any(|h| h["event"] == "incident"),
        "the incidents are still recorded"
    );
}
