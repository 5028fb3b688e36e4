//! The Render metrics source inside a pass: its readings become measurements judged by the same
//! thresholds as the cgroup ones, its failures a check.
//!
//! A failure the next pass may not see (rate limit, 5xx, timeout) is only logged: the warning episode
//! of a measurement that is missing for one pass is kept. Anything else (a rejected key, an unknown
//! service, a malformed answer) needs a person, so it becomes a critical check, which alerts once and
//! again only after it recovered — until then the agents' container is not watched at all.

use crate::measure::{Measurement, Source, Unit, measurement};
use crate::render_metrics::{RenderMetrics, RenderSample, Usage};
use crate::state_doc::{CheckResult, Outcome};
use healing_core::config::RenderApiConfig;
use std::time::Duration;

/// The name of the check that reports a misconfigured source.
pub const CHECK: &str = "render_metrics";
/// Measurement keys are the cgroup ones with this prefix (`render:memory`, `render:cpu`).
pub const KEY_PREFIX: &str = "render:";
/// Bound of one sample (four requests in parallel).
const TIMEOUT: Duration = Duration::from_secs(10);

/// The source when `RENDER_API_KEY` (the configured variable) and `HEALING_METRICS_SERVICE` are both
/// set, looked up through `env`; `Err` names what is wrong with the configuration.
pub fn setup(
    api: &RenderApiConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<RenderMetrics>, String> {
    RenderMetrics::from_env(api, env, TIMEOUT).map_err(|e| format!("Render metrics source: {e}"))
}

/// One sample as measurements, or the check that says why there is none.
pub async fn read(source: &RenderMetrics) -> (Vec<Measurement>, Option<CheckResult>) {
    match source.sample().await {
        Ok(sample) => (measurements(&sample), None),
        Err(e) if e.is_transient() => {
            tracing::warn!(error = %e, "Render metrics unavailable this pass; skipped");
            (Vec::new(), None)
        }
        Err(e) => (
            Vec::new(),
            Some(CheckResult::new(
                CHECK,
                Outcome::Critical,
                format!("the agents' service is not measured: {e}"),
            )),
        ),
    }
}

/// Memory in bytes and CPU in cores against the service's limits; a resource without a limit is left
/// out rather than given an invented percentage.
pub fn measurements(sample: &RenderSample) -> Vec<Measurement> {
    let one = |key: &str, usage: &Option<Usage>, unit| {
        usage.as_ref().map(|u| {
            let mut m = measurement(
                &format!("{KEY_PREFIX}{key}"),
                u.used,
                u.limit,
                unit,
                Source::RenderApi,
            );
            m.note = Some(format!("service {}", sample.service_id));
            m
        })
    };
    [
        one("memory", &sample.memory, Unit::Bytes),
        one("cpu", &sample.cpu, Unit::Cores),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_carry_the_service_and_resources_without_a_limit_are_left_out() {
        let sample = RenderSample {
            service_id: "srv-agents".into(),
            memory: Some(Usage {
                used: 460e6,
                limit: 512e6,
                percent: 89.84375,
            }),
            cpu: None,
        };
        let ms = measurements(&sample);
        assert_eq!(ms.len(), 1);
        assert_eq!(ms[0].key, "render:memory");
        assert_eq!(ms[0].source, Source::RenderApi);
        assert!((ms[0].percent - 89.84375).abs() < 1e-9);
        assert_eq!(ms[0].note.as_deref(), Some("service srv-agents"));
    }
}
