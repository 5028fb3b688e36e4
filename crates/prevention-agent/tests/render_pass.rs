//! A whole prevention pass with the Render metrics source configured (against a local server shaped
//! like the API): the agents' service's memory is judged by the same thresholds as the container's, a
//! rejected key becomes one critical check, and a rate limit only skips the readings.
#![allow(clippy::unwrap_used)] // the helpers are not #[test] fns

mod common;

use axum::http::StatusCode;
use common::render_support::FakeRender;
use prevention_agent::render_source::SERVICE_ENV;
use std::sync::Arc;
use std::time::Duration;

const KEY: &str = "rnd_test_key_123";
const ID: &str = "srv-agents42";

/// The one fake Render API with the agents' service and its metrics; `fail` answers every call instead.
async fn serve(fail: Option<(StatusCode, &str)>) -> String {
    let render = FakeRender::new(KEY);
    render.add_service(ID, "self-healing-agent", &[]);
    render.with_agent_metrics(ID);
    *render.fail.lock().unwrap() = fail.map(|(s, m)| (s, m.to_string()));
    render.start().await
}

/// A prevention pass whose Render source points at `base`, alerting to a local webhook.
struct PassWithRender {
    _dir: tempfile::TempDir,
    agent: prevention_agent::pass::Prevention,
    alerts: healing_core::alert::AlertHandle,
    hook: common::Webhook,
}

async fn pass_with_render(base: &str, key: &'static str) -> PassWithRender {
    use healing_core::clock::{ManualClock, SharedClock};
    use healing_core::state::{FileBackend, StateStore};
    use prevention_agent::pass::{PassOptions, Prevention};

    let dir = tempfile::tempdir().unwrap();
    let tree = common::fixture("v1-unlimited");
    // The local container stays under 100%; only the agents' service (78% in the fake API) is over.
    let src = format!(
        "state_dir = \"state\"\n[fixes]\nrequirements = \"requirements.txt\"\ncreate_path_roots = []\n\
         [alerts]\nmin_severity = \"low\"\n[alerts.webhook]\nurl_env = \"HOOK\"\n\
         [prevention]\ncgroup_root = \"{}\"\nproc_root = \"{}\"\ndisk_paths = []\n\
         memory_percent = 75.0\ncpu_percent = 100.0\nsustained_samples = 1\n\
         [recovery.render]\napi_base = \"{base}\"\nmax_retry_wait = \"1s\"\n",
        tree.join("cgroup").display(),
        tree.join("proc").display(),
    );
    let config_path = dir.path().join("healing.toml");
    std::fs::write(&config_path, &src).unwrap();
    let loaded =
        healing_core::config_load::load_from_str(&src, Some(&config_path), dir.path(), &|_| None)
            .unwrap();
    let clock: SharedClock = Arc::new(ManualClock::at_epoch_2026());
    let backend = FileBackend::new(&loaded.config.state_dir).unwrap();
    let store =
        Arc::new(StateStore::new(Arc::new(backend), clock.clone()).with_writer("prevention-agent"));
    let hook = common::Webhook::start().await;
    let alerts = hook.alerter(&loaded.config.alerts, "HOOK", store.clone(), clock.clone());
    let env = move |name: &str| match name {
        "RENDER_API_KEY" => Some(key.to_string()),
        SERVICE_ENV => Some(ID.to_string()),
        _ => None,
    };
    let options = PassOptions {
        cpu_window: Duration::ZERO,
        ..PassOptions::default()
    };
    let agent = Prevention::new(
        &loaded,
        store,
        alerts.clone(),
        clock,
        options,
        Box::new(env),
    )
    .expect("the test config's fix policy is valid");
    PassWithRender {
        _dir: dir,
        agent,
        alerts,
        hook,
    }
}

#[tokio::test]
async fn a_pass_warns_about_the_agents_service_memory_measured_by_the_render_api() {
    let base = serve(None).await;
    let mut p = pass_with_render(&base, KEY).await;
    let summary = p.agent.pass().await;
    assert!(
        summary.raised.contains(&"render:memory".to_string()),
        "{summary:?}"
    );
    p.alerts.flush().await;
    let sent = p.hook.take();
    let warning = sent
        .iter()
        .find(|t| t.contains("service limit"))
        .unwrap_or_else(|| panic!("no Render memory warning in {sent:?}"));
    assert!(
        warning.contains("Memory 78% of 488 MiB service limit (render api) > 75%"),
        "{warning}"
    );
    assert!(warning.contains(ID), "the service is named: {warning}");
    assert!(!sent.iter().any(|t| t.contains(KEY)), "{sent:?}");
}

#[tokio::test]
async fn a_rejected_key_is_one_critical_check_not_a_warning_every_pass() {
    let base = serve(None).await;
    let mut p = pass_with_render(&base, "rnd_wrong_key").await;
    for _ in 0..2 {
        let summary = p.agent.pass().await;
        assert!(
            summary
                .failed_checks
                .contains(&"render_metrics".to_string()),
            "{summary:?}"
        );
    }
    p.alerts.flush().await;
    let sent = p.hook.take();
    let about_render: Vec<&String> = sent.iter().filter(|t| t.contains("not measured")).collect();
    assert_eq!(about_render.len(), 1, "{sent:?}");
    assert!(about_render[0].contains("401"), "{}", about_render[0]);
    assert!(
        !about_render[0].contains("rnd_wrong_key"),
        "{}",
        about_render[0]
    );
}

#[tokio::test]
async fn a_rate_limited_pass_skips_the_render_readings_without_alerting() {
    let base = serve(Some((StatusCode::TOO_MANY_REQUESTS, "slow down"))).await;
    let mut p = pass_with_render(&base, KEY).await;
    let summary = p.agent.pass().await;
    assert!(
        !summary
            .over_threshold
            .iter()
            .any(|k| k.starts_with("render:")),
        "{summary:?}"
    );
    assert!(
        !summary
            .failed_checks
            .contains(&"render_metrics".to_string()),
        "{summary:?}"
    );
}
