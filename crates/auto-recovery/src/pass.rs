//! One recovery pass: environment, paths and dependencies, then every service probe and the Render API
//! read at the same time, then the (opt-in) restarts. Each check returns its [`Findings`]; the pass merges
//! them and records them in the state, and the loop sends the alerts. A failure of one check is recorded
//! and the pass goes on; the pass ends with the list of problems that remain.

use crate::check_findings::Findings;
use crate::render_check;
use crate::state_doc::{PassSummary, RecoveryState, ServiceStatus};
use crate::wake::{self, ServiceCheck, Target};
use healing_core::clock::SharedClock;
use healing_core::config::{RecoveryConfig, ServiceConfig};
use healing_core::dependencies::ProbeCache;
use healing_core::environment::{self, PathCheck};
use healing_core::executor::Executor;
use healing_core::kind::Severity;
use healing_core::render::RenderClient;
use healing_core::state::rfc3339;
use std::sync::Arc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The alert source name of this binary.
pub const SOURCE: &str = "auto-recovery";

/// Reads one env var; injected so tests and the binary can differ.
pub type EnvFn = dyn Fn(&str) -> Option<String> + Send + Sync;

/// Everything a pass needs, built once at start-up.
#[derive(Clone)]
pub struct PassContext {
    /// `[recovery]`.
    pub config: RecoveryConfig,
    /// The client used for health probes (no default timeout: each probe sets its own).
    pub http: reqwest::Client,
    /// The Render API, when a key is configured.
    pub render: Option<RenderClient>,
    /// Creates missing paths (and installs dependencies) through the fix policy.
    pub executor: Arc<Executor>,
    /// The agents' interpreter (`[prevention] python`), asked for its installed distributions.
    pub python: String,
    /// The requirements file (`[fixes] requirements`), resolved.
    pub requirements: Option<std::path::PathBuf>,
    /// The interpreter's last answer, reused until it can have changed (shared with clones).
    pub probes: Arc<ProbeCache>,
    /// Reads env vars (names only ever leave this function).
    pub env: Arc<EnvFn>,
    /// Time for state and budgets.
    pub clock: SharedClock,
}

impl std::fmt::Debug for PassContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PassContext")
            .field("services", &self.config.services.len())
            .field("render", &self.render)
            .finish_non_exhaustive()
    }
}

/// The services to probe: the configured ones plus, with `check_self`, this service's own public URL
/// (`RENDER_EXTERNAL_URL`, empty for workers and cron jobs) unless a configured entry already covers it.
pub fn targets(config: &RecoveryConfig, env: &EnvFn) -> Vec<Target> {
    let mut out: Vec<Target> = config.services.iter().map(Target::from_config).collect();
    let own_url = env("RENDER_EXTERNAL_URL").filter(|u| !u.trim().is_empty());
    if config.check_self
        && let Some(url) = own_url
        && !config
            .services
            .iter()
            .any(|s| s.url.trim_end_matches('/') == url.trim_end_matches('/'))
    {
        let own = ServiceConfig {
            name: "self".into(),
            url,
            health_path: "/health".into(),
            expect_status: None,
            timeout: std::time::Duration::from_secs(10),
            wake_timeout: std::time::Duration::from_secs(90),
            render_service_id: env("RENDER_SERVICE_ID").filter(|id| !id.trim().is_empty()),
        };
        out.push(Target::from_config(&own));
    }
    out
}

/// Runs one pass and updates `state` (the caller writes it and sends the alerts in the findings).
pub async fn run_pass(
    ctx: &PassContext,
    state: &mut RecoveryState,
    token: &CancellationToken,
) -> Findings {
    let started_at = rfc3339(ctx.clock.now());
    let started = Instant::now();
    let mut pass = check_environment(ctx, state).await;

    let targets = targets(&ctx.config, ctx.env.as_ref());
    let checks = wake::check_all(&ctx.http, targets, token).await;
    let (probed, down) = record_services(ctx, state, &checks);
    pass.merge(probed);

    match &ctx.render {
        Some(client) => pass.merge(render_check::check(ctx, client, state, &down).await),
        None => state.render = Default::default(),
    }

    state.last_pass = Some(PassSummary {
        started_at,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        healthy: pass.healthy(),
        problems: pass.problems.clone(),
        fixed: pass.fixed.clone(),
    });
    pass
}

/// Required env vars and paths (healing-core's one check), then the dependencies.
async fn check_environment(ctx: &PassContext, state: &mut RecoveryState) -> Findings {
    let mut found = Findings::default();
    let env = &mut state.environment;
    env.missing_env = environment::check_env(&ctx.config.required_env, ctx.env.as_ref())
        .into_iter()
        .filter(|(_, var)| var.is_missing())
        .map(|(name, _)| name.to_string())
        .collect();
    for name in &env.missing_env {
        found.problem(format!("env {name} is missing or empty"));
        found.alert(
            format!("recovery:env:{name}"),
            Severity::High,
            None,
            format!("Required env var {name} is missing"),
            format!("{name} is unset or empty; set it in the Render dashboard (the value is never logged)."),
        );
    }
    env.missing_paths.clear();
    env.created_paths.clear();
    let paths = environment::ensure_paths(&ctx.config.required_paths, Some(&ctx.executor)).await;
    for check in paths {
        match check {
            PathCheck::Present(_) => {}
            PathCheck::Created(path) => {
                tracing::info!(path = %path.display(), "created a missing required path");
                found.fixed(format!("created {}", path.display()));
                env.created_paths.push(path.display().to_string());
            }
            PathCheck::Missing { path, reason } => {
                let line = format!("{} is missing ({reason})", path.display());
                found.alert(
                    format!("recovery:path:{}", path.display()),
                    Severity::High,
                    None,
                    format!("Required path {} is missing", path.display()),
                    reason,
                );
                found.problem(line.clone());
                env.missing_paths.push(line);
            }
        }
    }
    env.dependencies = None;
    if ctx.config.check_dependencies {
        let (deps, line) = crate::dependencies::check(ctx).await;
        state.environment.dependencies = Some(line);
        found.merge(deps);
    }
    found
}

/// Records each service; returns the findings and the Render ids (and problem lines) of services that
/// stay down.
fn record_services(
    ctx: &PassContext,
    state: &mut RecoveryState,
    checks: &[ServiceCheck],
) -> (Findings, Vec<(String, String)>) {
    let mut found = Findings::default();
    let now = rfc3339(ctx.clock.now());
    state.services.clear();
    let mut down = Vec::new();
    for check in checks {
        let name = &check.target.name;
        let status = ServiceStatus::from_check(check, now.clone());
        if check.healthy() {
            if let Some(took) = check.wake_duration {
                tracing::info!(service = %name, wake_ms = status.wake_ms, "service was asleep and woke up");
                found.fixed(format!("{name} woke up after {} ms", took.as_millis()));
            } else if check.slow() {
                tracing::warn!(service = %name, latency_ms = status.latency_ms, "service is slow");
            }
        } else {
            let class = status.failure.map_or("unknown", |c| c.as_str());
            let detail = status.detail.clone().unwrap_or_default();
            tracing::warn!(service = %name, class, attempts = check.attempts, detail = %detail, "service is down");
            let line = format!("{name} is down ({class}: {detail})");
            let waited = if check.wake_tried {
                format!(
                    " Kept waking it for {:?} ({} probes).",
                    check.target.wake_timeout, check.attempts
                )
            } else {
                String::new()
            };
            found.alert(
                format!("recovery:service:{name}:{class}"),
                Severity::High,
                Some(name.clone()),
                format!("{name} is down: {class}"),
                format!("{detail}.{waited}"),
            );
            if let Some(id) = &check.target.render_service_id {
                down.push((id.clone(), line.clone()));
            }
            found.problem(line);
        }
        state.services.insert(name.clone(), status);
    }
    (found, down)
}
