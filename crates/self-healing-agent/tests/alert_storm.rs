//! An agent printing 10,000 distinct tracebacks makes a handful of webhook posts, not thousands,
//! and an alert about another agent during the storm still arrives promptly.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Binary, Project, Webhook, fast, wait_for};
use std::time::{Duration, Instant};

const STORM: &str = r#"
import sys, time
def name(i):
    s = ""
    while True:
        s += chr(97 + i % 26)
        i //= 26
        if i == 0:
            return s
for i in range(10000):
    n = name(i)
    sys.stderr.write(
        "Traceback (most recent call last):\n"
        '  File "app.py", line 1, in <module>\n'
        f"ImportError: cannot import name 'x_{n}' from 'pkg_{n}' (/srv/pkg_{n}.py)\n"
    )
    if i == 5000:
        open("storm.half", "w").write("1")
    if i % 500 == 499:
        sys.stderr.flush()
        time.sleep(0.2)
sys.stderr.flush()
open("storm.done", "w").write("1")
time.sleep(300)
"#;

const CALM: &str = r#"
import os, sys, time
while not os.path.exists("storm.half"):
    time.sleep(0.02)
open("calm.at", "w").write("1")
sys.stderr.write(
    "Traceback (most recent call last):\n"
    '  File "calm.py", line 1, in <module>\n'
    "ImportError: cannot import name 'settings' from 'calmconf' (/srv/calmconf.py)\n"
    "retrying in a minute\n"
)
sys.stderr.flush()
time.sleep(300)
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_distinct_tracebacks_make_at_most_five_alerts_and_never_delay_another_agent() {
    let hook = Webhook::start().await;
    let p = Project::new();
    p.write("storm.py", STORM);
    p.write("calm.py", CALM);
    p.config(&fast(
        r#"
[[agents]]
name = "storm"
command = ["python3", "storm.py"]
[[agents]]
name = "calm"
command = ["python3", "calm.py"]
"#,
    ));
    let sup = Binary::start(&p, &[("HEALING_WEBHOOK_URL", hook.url.as_str())]);
    let calm_at = p.path().join("calm.at");
    assert!(wait_for(Duration::from_secs(60), || calm_at.exists()).await);
    let printed = Instant::now();
    assert!(
        wait_for(Duration::from_secs(10), || hook
            .texts()
            .iter()
            .any(|t| t.contains("calm")))
        .await,
        "no alert about the calm agent during the storm: {:?}",
        hook.texts()
    );
    let delay = printed.elapsed();
    assert!(
        delay < Duration::from_secs(5),
        "calm's alert took {delay:?}"
    );
    let done = p.path().join("storm.done");
    assert!(wait_for(Duration::from_secs(60), || done.exists()).await);
    // Whatever the storm could still push out has time to arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(sup.stop().success());
    let texts = hook.texts();
    let storm = texts.iter().filter(|t| t.contains("storm")).count();
    assert!(storm <= 5, "{storm} alerts for one storm");
    assert!(storm >= 1, "the storm was never reported: {texts:?}");
}
