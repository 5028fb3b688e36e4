//! Whole passes over fixture cgroup trees: sustained warnings alert once with the top agent named,
//! recover with a message, OOM kills and failing checks alert once, episodes survive a restart.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::{Webhook, copy_fixture};
use healing_core::alert::AlertHandle;
use healing_core::clock::{ManualClock, SharedClock};
use healing_core::config_load::{LoadedConfig, load_from_str};
use healing_core::state::{FileBackend, StateStore, docs};
use prevention_agent::pass::{PassOptions, Prevention};
use std::fs;
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;

struct Scenario {
    dir: TempDir,
    tree: TempDir,
    loaded: LoadedConfig,
    clock: ManualClock,
    store: Arc<StateStore>,
    alerts: AlertHandle,
    hook: Webhook,
}

impl Scenario {
    /// Fixture `v2` (91% of a 512 MiB limit), two agents with RSS in the fixture's proc tree.
    async fn new(extra_prevention: &str) -> Scenario {
        let dir = tempfile::tempdir().unwrap();
        let tree = copy_fixture("v2");
        let proc_root = tree.path().join("proc");
        for (pid, kib) in [(4101, 317_440), (4102, 65_536)] {
            let d = proc_root.join(pid.to_string());
            fs::create_dir_all(&d).unwrap();
            fs::write(
                d.join("status"),
                format!("Name:\tpython3\nVmRSS:\t{kib} kB\n"),
            )
            .unwrap();
        }
        let src = format!(
            r#"
state_dir = "state"
[fixes]
requirements = "requirements.txt"
create_path_roots = ["data"]
[alerts]
min_severity = "low"
[alerts.webhook]
url_env = "PREVENTION_TEST_WEBHOOK"
[prevention]
cgroup_root = "{cg}"
proc_root = "{proc}"
disk_paths = ["."]
disk_percent = 100.0
sustained_samples = 2
{extra_prevention}
"#,
            cg = tree.path().join("cgroup").display(),
            proc = proc_root.display(),
        );
        let config_path = dir.path().join("healing.toml");
        fs::write(&config_path, &src).unwrap();
        let loaded = load_from_str(&src, Some(&config_path), dir.path(), &|_| None).unwrap();
        let clock = ManualClock::at_epoch_2026();
        let shared: SharedClock = Arc::new(clock.clone());
        let backend = FileBackend::new(&loaded.config.state_dir).unwrap();
        let store = Arc::new(
            StateStore::new(Arc::new(backend), shared.clone()).with_writer("prevention-agent"),
        );
        fs::write(
            loaded.config.state_dir.join(docs::AGENT_STATUS),
            r#"{"schema_version":1,"writer":"self-healing-agent","agents":{
                "sports_analytics":{"status":"running","pid":4101},
                "news_digest":{"status":"running","pid":4102},
                "stopped_one":{"status":"stopped","pid":null}}}"#,
        )
        .unwrap();
        let hook = Webhook::start().await;
        let alerts = hook.alerter(
            &loaded.config.alerts,
            "PREVENTION_TEST_WEBHOOK",
            store.clone(),
            shared,
        );
        Scenario {
            dir,
            tree,
            loaded,
            clock,
            store,
            alerts,
            hook,
        }
    }

    fn agent(&self, env: &'static [(&'static str, &'static str)]) -> Prevention {
        let options = PassOptions {
            cpu_window: Duration::ZERO,
            ..PassOptions::default()
        };
        let lookup = move |name: &str| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        Prevention::new(
            &self.loaded,
            self.store.clone(),
            self.alerts.clone(),
            Arc::new(self.clock.clone()),
            options,
            Box::new(lookup),
        )
        .expect("the test config's fix policy is valid")
    }

    async fn alerts_sent(&self) -> Vec<String> {
        self.alerts.flush().await;
        self.hook.take()
    }

    fn state(&self) -> serde_json::Value {
        let path = self.loaded.config.state_dir.join(docs::PREVENTION);
        serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
    }

    fn set_working_set(&self, bytes: u64) {
        // memory.stat's inactive_file is 40 MiB in the fixture.
        let current = bytes + 41_943_040;
        fs::write(
            self.tree.path().join("cgroup/memory.current"),
            current.to_string(),
        )
        .unwrap();
    }
}

#[tokio::test]
async fn memory_pressure_alerts_once_after_sustained_samples_naming_the_top_agent_then_recovers() {
    let s = Scenario::new("").await;
    let mut agent = s.agent(&[]);

    let first = agent.pass().await;
    assert!(first.over_threshold.contains(&"memory".to_string()));
    assert!(first.raised.is_empty(), "one sample is not sustained");
    assert!(s.alerts_sent().await.is_empty());

    s.clock.advance(Duration::from_secs(300));
    let second = agent.pass().await;
    assert_eq!(second.raised, ["memory"]);
    let sent = s.alerts_sent().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].contains("Memory 91% of 512 MiB container limit (cgroup v2) > 85% — top: sports_analytics 310 MiB, news_digest 64 MiB"),
        "{}",
        sent[0]
    );

    let state = s.state();
    let memory = state["measurements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "memory")
        .unwrap()
        .clone();
    assert_eq!(memory["source"], "cgroup_v2");
    assert_eq!(memory["limit"], 536_870_912.0);
    assert_eq!(state["warnings"]["memory"]["active"], true);
    assert_eq!(
        state["warnings"]["memory"]["active_since"],
        "2026-01-01T00:00:00Z"
    );
    assert_eq!(
        state["suggestions"]["memory"][0]["agent"],
        "sports_analytics"
    );

    s.clock.advance(Duration::from_secs(300));
    assert!(agent.pass().await.raised.is_empty());
    assert!(
        s.alerts_sent().await.is_empty(),
        "still high: no repeat alert"
    );

    // 82% is inside the hysteresis band (85 - 5): still raised, still quiet.
    s.set_working_set(536_870_912 / 100 * 82);
    agent.pass().await;
    assert!(s.alerts_sent().await.is_empty());

    s.set_working_set(536_870_912 / 2);
    let recovered = agent.pass().await;
    assert_eq!(recovered.recovered, ["memory"]);
    let sent = s.alerts_sent().await;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains("Recovered: Memory at 50%"), "{}", sent[0]);
    assert!(s.state()["warnings"].get("memory").is_none());
    assert!(recovered.all_clear(), "{recovered:?}");
}

#[tokio::test]
async fn a_pending_episode_survives_a_restart_so_once_runs_can_sustain() {
    let s = Scenario::new("").await;
    s.agent(&[]).pass().await;
    s.clock.advance(Duration::from_secs(300));
    let summary = s.agent(&[]).pass().await;
    assert_eq!(summary.raised, ["memory"]);
}

#[tokio::test]
async fn new_oom_kills_are_reported_once() {
    let s = Scenario::new("memory_percent = 100.0").await;
    let mut agent = s.agent(&[]);
    agent.pass().await;
    assert!(
        s.alerts_sent().await.is_empty(),
        "kills before we started are not news"
    );
    let events = s.tree.path().join("cgroup/memory.events");
    fs::write(
        &events,
        "low 0\nhigh 0\nmax 230\noom 5\noom_kill 5\noom_group_kill 0\n",
    )
    .unwrap();
    agent.pass().await;
    let sent = s.alerts_sent().await;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains("2 new OOM kill(s)"), "{}", sent[0]);
    agent.pass().await;
    assert!(s.alerts_sent().await.is_empty());
    assert_eq!(s.state()["oom_kills_seen"], 5);
}

#[tokio::test]
async fn a_failing_check_alerts_once_and_missing_path_roots_are_created() {
    let s = Scenario::new(
        "memory_percent = 100.0\nrequired_env = [\"NEOLIGHT_API_KEY\", \"NEOLIGHT_DB_URL\"]",
    )
    .await;
    let mut agent = s.agent(&[("NEOLIGHT_DB_URL", "postgres://u:pw@db/x")]);
    let summary = agent.pass().await;
    assert_eq!(summary.failed_checks, ["env:NEOLIGHT_API_KEY"]);
    assert!(!summary.all_clear());
    let sent = s.alerts_sent().await;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains("NEOLIGHT_API_KEY is not set"));
    agent.pass().await;
    assert!(s.alerts_sent().await.is_empty(), "still failing: no repeat");

    assert!(
        s.dir.path().join("data").is_dir(),
        "create_path_roots entry created through the policy"
    );
    let state = s.state();
    let checks = state["checks"].as_array().unwrap();
    let data = checks
        .iter()
        .find(|c| c["name"].as_str().unwrap().ends_with("/data"))
        .unwrap();
    assert_eq!(
        data["outcome"], "ok",
        "created in pass 1, present in pass 2"
    );
    let text = serde_json::to_string(&state).unwrap();
    assert!(
        !text.contains("u:pw"),
        "env values never reach the state file"
    );
}
