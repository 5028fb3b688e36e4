//! `depends_on` on the real binary: a dependant starts only once its dependency is ready (here: a
//! fresh heartbeat), its exits while the dependency is down are not counted as failures and it starts
//! again by itself when the dependency is back, and shutdown stops dependants first.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Binary, Project, ctl, fast, poll};
use std::time::Duration;

/// Becomes ready after 1 s (first heartbeat), then touches the heartbeat every 100 ms.
const DB: &str = r#"import os, signal, sys, time
def term(*_):
    open('order.txt', 'a').write('db-term\n'); sys.exit(0)
signal.signal(signal.SIGTERM, term)
open('order.txt', 'a').write('db-start\n')
time.sleep(1)
while True:
    os.utime('db.hb', None) if os.path.exists('db.hb') else open('db.hb', 'w').close()
    time.sleep(0.1)
"#;

/// Records whether the db was ready when it started; exits when the db's heartbeat goes stale.
const APP: &str = r#"import os, signal, sys, time
def term(*_):
    open('order.txt', 'a').write('app-term\n'); sys.exit(0)
signal.signal(signal.SIGTERM, term)
open('order.txt', 'a').write('app-start db-ready=%s\n' % os.path.exists('db.hb'))
while True:
    time.sleep(0.1)
    if time.time() - os.path.getmtime('db.hb') > 0.5:
        sys.exit(3)
"#;

fn config() -> String {
    fast(
        "[[agents]]\nname = \"app\"\ncommand = [\"python3\", \"app.py\"]\ndepends_on = [\"db\"]\n\
         [[agents]]\nname = \"db\"\ncommand = [\"python3\", \"db.py\"]\nheartbeat_file = \"db.hb\"\nheartbeat_max_age = \"1h\"\n",
    )
}

#[test]
fn dependants_start_after_their_dependency_is_ready_wait_while_it_is_down_and_stop_first() {
    let p = Project::new();
    p.write("db.py", DB);
    p.write("app.py", APP);
    p.write("healing.toml", &config());
    let sup = Binary::start(&p, &[]);
    assert!(poll(Duration::from_secs(15), || p.lines("order.txt").len() >= 2));
    assert_eq!(p.agent("app")["status"], "running");
    assert_eq!(
        p.lines("order.txt")[..2],
        ["db-start", "app-start db-ready=True"]
    );

    // The dependency goes down: the dependant's exit is not a failure, it waits.
    assert_eq!(ctl(&p, &["stop", "db"]).0, 0);
    assert!(poll(
        Duration::from_secs(10),
        || p.agent("app")["waiting_for"] == serde_json::json!(["db"])
    ));
    let app = p.agent("app");
    assert_eq!(app["restarts_last_hour"], 0, "{app}");
    assert_eq!(app["status"], "stopped", "{app}");
    assert!(app["last_incident"].is_null(), "not a failure: {app}");

    // Back up: the dependant starts again by itself once the dependency is ready.
    assert_eq!(ctl(&p, &["start", "db"]).0, 0);
    assert!(poll(Duration::from_secs(10), || p.agent("app")["status"]
        == "running"));
    assert_eq!(p.agent("app")["restarts_last_hour"], 0);

    // Its TERM handler is installed before it says it started.
    assert!(poll(Duration::from_secs(10), || p
        .lines("order.txt")
        .iter()
        .filter(|l| l.starts_with("app-start"))
        .count()
        == 2));
    assert!(sup.stop().success());
    let order = p.lines("order.txt");
    let app_term = order.iter().rposition(|l| l == "app-term").unwrap();
    let db_term = order.iter().rposition(|l| l == "db-term").unwrap();
    assert!(app_term < db_term, "dependants stop first: {order:?}");
}
