//! One prevention pass: measure, check, judge, suggest, record.
//!
//! A failed reading or check is recorded and the pass goes on; nothing here ends the loop. The pass
//! remembers (in the state document) what it needs across passes and restarts: episode trackers, the
//! OOM-kill count, and which checks were already failing (so a failure alerts once, not every pass).

use crate::deps_check;
use crate::measure::{Measurement, Sampler, Source, Unit, measurement};
use crate::render_source::MetricsSource;
use crate::state_doc::{CheckResult, Outcome, PreventionState, WarningEntry};
use crate::suggestions::{self, WalkLimits};
use crate::thresholds::{Rule, Transition};
use crate::{checks, disk, render_source, report};
use healing_core::alert::{Alert, AlertHandle};
use healing_core::clock::SharedClock;
use healing_core::config::Config;
use healing_core::dependencies::ProbeCache;
use healing_core::executor::Executor;
use healing_core::kind::Severity;
use healing_core::state::{StateStore, docs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Tunables that are not user configuration.
#[derive(Debug, Clone)]
pub struct PassOptions {
    /// Minimum window between the two CPU samples of a pass (`[prevention] cpu_sample_window` in
    /// [`crate::run::run`]).
    pub cpu_window: Duration,
    /// Bound of the interpreter probe.
    pub probe_timeout: Duration,
    /// Longest reuse of the interpreter's answer when nothing visible changed.
    pub probe_max_age: Duration,
    /// Bounds of the disk walk behind suggestions.
    pub walk: WalkLimits,
    /// Agents listed in the memory suggestion.
    pub top_agents: usize,
}

impl Default for PassOptions {
    fn default() -> Self {
        PassOptions {
            cpu_window: Duration::from_millis(250),
            probe_timeout: Duration::from_secs(30),
            probe_max_age: Duration::from_secs(3600),
            walk: WalkLimits::default(),
            top_agents: 3,
        }
    }
}

/// Environment lookup (injected so tests need not touch the process environment).
pub type EnvLookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// How a pass ended, for `--once` exit codes and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassSummary {
    /// Warnings raised by this pass.
    pub raised: Vec<String>,
    /// Warnings recovered by this pass.
    pub recovered: Vec<String>,
    /// Measurements over their threshold now (raised or pending).
    pub over_threshold: Vec<String>,
    /// Checks that came out warning or critical.
    pub failed_checks: Vec<String>,
}

impl PassSummary {
    /// Nothing over a threshold and every check fine.
    pub fn all_clear(&self) -> bool {
        self.over_threshold.is_empty() && self.failed_checks.is_empty()
    }
}

/// The prevention-agent's working state between passes.
pub struct Prevention {
    pub(crate) config: Config,
    pub(crate) config_path: Option<PathBuf>,
    pub(crate) sampler: Sampler,
    pub(crate) store: Arc<StateStore>,
    pub(crate) alerts: AlertHandle,
    pub(crate) clock: SharedClock,
    /// Creates missing path roots and installs missing dependencies, under the fix policy.
    pub(crate) executor: Executor,
    pub(crate) options: PassOptions,
    pub(crate) env: EnvLookup,
    /// The agents' service through Render's metrics API, when configured; `Err` when misconfigured.
    pub(crate) render: Result<Option<MetricsSource>, String>,
    /// The interpreter's last answer, reused until it can have changed.
    pub(crate) probes: ProbeCache,
    pub(crate) state: PreventionState,
}

impl std::fmt::Debug for Prevention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prevention")
            .field("passes", &self.state.passes)
            .finish_non_exhaustive()
    }
}

impl Prevention {
    /// Runs one pass and writes `prevention_state.json`.
    pub async fn pass(&mut self) -> PassSummary {
        let cfg = self.config.prevention.clone();
        let cpu_before = self.sampler.cpu_snapshot();
        let cpu_started = Instant::now();
        let mut measurements = Vec::new();
        let mut notes = Vec::new();

        match self.sampler.memory() {
            Ok(reading) => {
                self.note_oom_kills(reading.oom_kills);
                measurements.push(reading.measurement);
            }
            Err(e) => notes.push(CheckResult::new("measure:memory", Outcome::Warning, e)),
        }
        for path in &cfg.disk_paths {
            match disk::usage(path) {
                Ok(u) => {
                    let key = path.display();
                    measurements.push(measurement(
                        &format!("disk:{key}"),
                        (u.total_bytes - u.available_bytes.min(u.total_bytes)) as f64,
                        u.total_bytes as f64,
                        Unit::Bytes,
                        Source::Filesystem,
                    ));
                    if let (Some(pct), Some(free)) = (u.inodes_used_percent, u.free_inodes) {
                        let mut m = measurement(
                            &format!("inodes:{key}"),
                            pct,
                            100.0,
                            Unit::Inodes,
                            Source::Filesystem,
                        );
                        m.note = Some(format!("{free} inodes free"));
                        measurements.push(m);
                    }
                }
                Err(e) => notes.push(CheckResult::new(
                    format!("measure:disk:{}", path.display()),
                    Outcome::Warning,
                    e.to_string(),
                )),
            }
        }

        match &self.render {
            Ok(Some(source)) => {
                let (readings, check) = render_source::read(source).await;
                measurements.extend(readings);
                notes.extend(check);
            }
            Ok(None) => {}
            Err(e) => notes.push(CheckResult::new(render_source::CHECK, Outcome::Critical, e)),
        }

        let mut results = vec![checks::config_file(self.config_path.as_deref())];
        results.extend(checks::agents(
            &self.config.agents,
            (self.env)("PATH").as_deref().map(std::ffi::OsStr::new),
        ));
        results.extend(checks::required_env(&cfg.required_env, &*self.env));
        results.push(match self.store.health() {
            None => checks::state_dir_writable(&self.config.state_dir),
            Some(health) => checks::state_store(&health.borrow()),
        });
        results.extend(
            checks::path_roots(&self.config.fixes.create_path_roots, Some(&self.executor)).await,
        );
        let installer = Some(&self.executor).filter(|_| cfg.install_missing);
        let deps = deps_check::run(
            &self.probes,
            &cfg.python,
            self.config.fixes.requirements.as_deref(),
            installer,
            self.options.probe_timeout,
        )
        .await;
        results.extend(deps.checks);
        results.extend(notes);

        // The CPU window overlaps the checks; only what is left of it is waited for.
        if let Some(rest) = self.options.cpu_window.checked_sub(cpu_started.elapsed()) {
            tokio::time::sleep(rest).await;
        }
        if let (Some(before), Some(after)) = (cpu_before, self.sampler.cpu_snapshot())
            && let Some(m) = self.sampler.cpu(&before, &after, cpu_started.elapsed())
        {
            measurements.push(m);
        }

        let summary = self.judge(&measurements, &results);
        self.state.measurements = measurements;
        self.state.checks = results;
        self.state.passes += 1;
        self.state.last_pass_at = Some(self.clock.now());
        if let Err(e) = self.store.write(docs::PREVENTION, &self.state) {
            tracing::error!(error = %e, "cannot write the prevention state");
        }
        summary
    }

    fn rule_for(&self, key: &str) -> Rule {
        let cfg = &self.config.prevention;
        let key = key.strip_prefix(render_source::KEY_PREFIX).unwrap_or(key);
        let threshold = match key {
            "memory" => cfg.memory_percent,
            "cpu" => cfg.cpu_percent,
            _ => cfg.disk_percent,
        };
        Rule {
            threshold,
            hysteresis: cfg.hysteresis_percent,
            sustained: cfg.sustained_samples,
        }
    }

    /// Applies thresholds, alerts on transitions, fills suggestions.
    fn judge(&mut self, measurements: &[Measurement], results: &[CheckResult]) -> PassSummary {
        let now = self.clock.now();
        let mut summary = PassSummary::default();
        let mut warnings = std::mem::take(&mut self.state.warnings);
        warnings.retain(|key, _| measurements.iter().any(|m| &m.key == key));
        self.state.suggestions = Default::default();
        for m in measurements {
            let rule = self.rule_for(&m.key);
            if m.percent > rule.threshold || warnings.get(&m.key).is_some_and(|w| w.active) {
                self.suggest(m);
            }
            let entry = warnings.entry(m.key.clone()).or_default();
            let transition = entry.tracker.observe(m.percent, rule, now);
            *entry = WarningEntry {
                active: entry.tracker.is_active(),
                percent: m.percent,
                threshold: rule.threshold,
                tracker: entry.tracker.clone(),
            };
            if m.percent > rule.threshold {
                summary.over_threshold.push(m.key.clone());
            }
            let line = report::describe(m, rule.threshold, &self.state.suggestions.memory);
            match transition {
                Transition::Raised => {
                    tracing::warn!("{line}");
                    summary.raised.push(m.key.clone());
                    self.alert(&format!("prevention:{}", m.key), Severity::High, &line);
                }
                Transition::Recovered => {
                    let msg = format!(
                        "Recovered: {} at {:.0}% (below {:.0}%)",
                        report::title(&m.key),
                        m.percent,
                        rule.threshold - rule.hysteresis
                    );
                    tracing::info!("{msg}");
                    summary.recovered.push(m.key.clone());
                    self.alert(
                        &format!("prevention:{}:recovered", m.key),
                        Severity::High,
                        &msg,
                    );
                }
                Transition::Pending | Transition::Holding => tracing::warn!("{line}"),
                Transition::Clear => tracing::debug!("{line}"),
            }
        }
        warnings.retain(|_, w| w.active || w.tracker.over_count > 0);
        self.state.warnings = warnings;

        let previously_failing: Vec<String> = self
            .state
            .checks
            .iter()
            .filter(|c| is_failure(c.outcome))
            .map(|c| c.name.clone())
            .collect();
        for c in results {
            match c.outcome {
                Outcome::Ok => tracing::debug!(check = %c.name, "{}", c.message),
                Outcome::Fixed => tracing::info!(check = %c.name, "{}", c.message),
                Outcome::Warning | Outcome::Critical => {
                    tracing::warn!(check = %c.name, "{}", c.message);
                    summary.failed_checks.push(c.name.clone());
                    // The store watcher alerts about the state store the moment its health changes.
                    if !previously_failing.contains(&c.name) && c.name != checks::STATE_STORE {
                        let severity = if c.outcome == Outcome::Critical {
                            Severity::Critical
                        } else {
                            Severity::Medium
                        };
                        self.alert(&format!("prevention:{}", c.name), severity, &c.message);
                    }
                }
            }
        }
        summary
    }

    fn suggest(&mut self, m: &Measurement) {
        if m.key == "memory" && self.state.suggestions.memory.is_empty() {
            if let Some(status) = self.store.read_raw(docs::AGENT_STATUS) {
                self.state.suggestions.memory = suggestions::top_agents_by_rss(
                    &status,
                    &self.config.prevention.proc_root,
                    self.options.top_agents,
                );
            }
        } else if (m.key.starts_with("disk:") || m.key.starts_with("inodes:"))
            && self.state.suggestions.disk.is_none()
        {
            self.state.suggestions.disk = Some(suggestions::largest_under(
                &self.config.prevention.disk_paths,
                self.options.walk,
            ));
        }
    }

    fn note_oom_kills(&mut self, count: Option<u64>) {
        let Some(count) = count else { return };
        if let Some(seen) = self.state.oom_kills_seen
            && count > seen
        {
            let msg = format!(
                "{} new OOM kill(s) in this container ({count} in total)",
                count - seen
            );
            tracing::warn!("{msg}");
            self.alert("prevention:oom_kill", Severity::High, &msg);
        }
        self.state.oom_kills_seen = Some(count);
    }

    fn alert(&self, key: &str, severity: Severity, text: &str) {
        self.alerts.send(Alert {
            key: key.to_string(),
            severity,
            source: "prevention-agent".into(),
            agent: None,
            title: text
                .lines()
                .next()
                .unwrap_or(text)
                .chars()
                .take(200)
                .collect(),
            body: text.to_string(),
        });
    }
}

fn is_failure(outcome: Outcome) -> bool {
    matches!(outcome, Outcome::Warning | Outcome::Critical)
}
