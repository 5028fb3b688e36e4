//! The Render metrics source inside a pass: its readings become measurements judged by the same
//! thresholds as the cgroup ones, its failures a check.
//!
//! A failure the next pass may not see (rate limit, 5xx, timeout) is only logged: the warning episode
//! of a measurement that is missing for one pass is kept. Anything else (a rejected key, an unknown
//! service, a malformed answer) needs a person, so it becomes a critical check, which alerts once and
//! again only after it recovered — until then the agents' container is not watched at all.

use crate::measure::{Measurement, Source, Unit, measurement};
use crate::state_doc::{CheckResult, Outcome};
use healing_core::config::RenderApiConfig;
use healing_core::render::{RenderApiError, RenderClient, RenderSample, Usage};

/// Env var naming the service whose container is measured (`srv-…` id or service name).
pub const SERVICE_ENV: &str = "HEALING_METRICS_SERVICE";
/// The name of the check that reports a misconfigured source.
pub const CHECK: &str = "render_metrics";
/// Measurement keys are the cgroup ones with this prefix (`render:memory`, `render:cpu`).
pub const KEY_PREFIX: &str = "render:";

/// The agents' container as Render measures it, for a prevention-agent that runs in a service of its
/// own (its cgroup is then not the agents'): the one Render client and the service to measure. Opt-in:
/// only when both the API key and [`SERVICE_ENV`] are set.
#[derive(Debug)]
pub struct MetricsSource {
    client: RenderClient,
    /// A `srv-…` id or a service name.
    service: String,
    /// The id, looked up once when a name was configured.
    id: tokio::sync::OnceCell<String>,
}

impl MetricsSource {
    /// The source when `[recovery.render]`'s key variable and [`SERVICE_ENV`] are both set (looked up
    /// through `env`); `Ok(None)` when either is unset or blank.
    pub fn from_env(
        api: &RenderApiConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, RenderApiError> {
        let Some(service) = env(SERVICE_ENV)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
        else {
            return Ok(None);
        };
        Ok(
            RenderClient::from_env(api, env)?.map(|client| MetricsSource {
                client,
                service,
                id: tokio::sync::OnceCell::new(),
            }),
        )
    }

    /// Usage and limits of the measured service.
    pub async fn sample(&self) -> Result<RenderSample, RenderApiError> {
        let id = self
            .id
            .get_or_try_init(|| async {
                if self.service.starts_with("srv-") {
                    return Ok(self.service.clone());
                }
                self.client.service_id_by_name(&self.service).await
            })
            .await?;
        self.client.sample_metrics(id).await
    }
}

/// The source when it is configured; `Err` names what is wrong with the configuration.
pub fn setup(
    api: &RenderApiConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<MetricsSource>, String> {
    MetricsSource::from_env(api, env).map_err(|e| format!("Render metrics source: {e}"))
}

/// One sample as measurements, or the check that says why there is none.
pub async fn read(source: &MetricsSource) -> (Vec<Measurement>, Option<CheckResult>) {
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
