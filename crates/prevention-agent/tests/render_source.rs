//! The Render metrics source against the one fake Render API: it is on only when both the key and the
//! service are set, a service name is resolved to its id once, and the reading is the agents' service.
//! The client's own behaviour (auth, rate limits, bodies, every failure class) is tested in healing-core.
#![allow(clippy::unwrap_used)] // the server helpers are not #[test] fns

mod common;

use common::render_support::FakeRender;
use healing_core::config::RenderApiConfig;
use prevention_agent::render_source::{MetricsSource, SERVICE_ENV};

const KEY: &str = "rnd_test_key_123";
const ID: &str = "srv-agents42";

async fn api() -> (FakeRender, RenderApiConfig) {
    let render = FakeRender::new(KEY);
    render.add_service("srv-old", "self-healing-agent-old", &[]);
    render.add_service(ID, "self-healing-agent", &[]);
    render.with_agent_metrics(ID);
    let base = render.start().await;
    let cfg = RenderApiConfig {
        api_base: base,
        ..RenderApiConfig::default()
    };
    (render, cfg)
}

fn env_of(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name: &str| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

#[tokio::test]
async fn a_service_name_is_resolved_to_its_id_once_and_its_memory_read() {
    let (render, cfg) = api().await;
    let env = env_of(&[("RENDER_API_KEY", KEY), (SERVICE_ENV, "self-healing-agent")]);
    let source = MetricsSource::from_env(&cfg, &env).unwrap().unwrap();
    for _ in 0..2 {
        let sample = source.sample().await.unwrap();
        assert_eq!(sample.service_id, ID);
        assert!(sample.memory.is_some());
    }
    assert_eq!(render.requests_matching("GET /services?").len(), 1);
    assert_eq!(render.requests_matching("GET /metrics/memory?").len(), 2);
}

#[test]
fn the_source_is_off_unless_both_the_key_and_the_service_are_set() {
    let api = RenderApiConfig::default();
    let off = |vars| {
        MetricsSource::from_env(&api, &env_of(vars))
            .unwrap()
            .is_none()
    };
    assert!(off(&[("RENDER_API_KEY", "k")]));
    assert!(off(&[(SERVICE_ENV, "srv-x")]));
    assert!(off(&[("RENDER_API_KEY", " "), (SERVICE_ENV, "srv-x")]));
    assert!(off(&[("RENDER_API_KEY", "k"), (SERVICE_ENV, " ")]));
    assert!(!off(&[("RENDER_API_KEY", "k"), (SERVICE_ENV, "srv-x")]));
}
