//! TEMPORARY SHIM — stands in for healing-core modules that other helpers are writing in parallel
//! (config_load, matcher, line_reader, fix, policy, executor, backoff, budget, breaker, state, alert).
//! It mirrors the agreed contract (/work/api-contract.md) with minimal bodies so this crate compiles and
//! its own logic can be tested. At merge: delete this file and `sed 's/crate::hc::/healing_core::/'`.
#![allow(dead_code, missing_debug_implementations, clippy::all)]

pub use healing_core::{clock, config, incident, kind};

pub mod config_load {
    use healing_core::config::Config;
    use std::path::{Path, PathBuf};
    #[derive(Debug, Clone)]
    pub struct LoadedConfig {
        pub config: Config,
        pub path: Option<PathBuf>,
        pub base_dir: PathBuf,
        pub used_defaults: bool,
    }
    #[derive(Debug)]
    pub struct Problem {
        pub key: String,
        pub line: Option<usize>,
        pub column: Option<usize>,
        pub message: String,
    }
    #[derive(Debug, thiserror::Error)]
    pub enum ConfigError {
        #[error("cannot read {path}: {source}")]
        Io {
            path: String,
            source: std::io::Error,
        },
        #[error("invalid config {path}")]
        Invalid {
            path: String,
            problems: Vec<Problem>,
        },
    }
    impl LoadedConfig {
        pub fn effective_toml(&self) -> String {
            toml::to_string(&self.config).unwrap_or_default()
        }
    }
    fn resolve(base: &Path, p: &mut PathBuf) {
        if p.is_relative() {
            *p = base.join(&*p);
        }
    }
    pub fn load_from_str(
        src: &str,
        path: Option<&Path>,
        base_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<LoadedConfig, ConfigError> {
        let mut config: Config = toml::from_str(src).map_err(|e| ConfigError::Invalid {
            path: path.map(|p| p.display().to_string()).unwrap_or_default(),
            problems: vec![Problem {
                key: String::new(),
                line: None,
                column: None,
                message: e.to_string(),
            }],
        })?;
        if let Some(d) = env("HEALING_STATE_DIR") {
            config.state_dir = d.into();
        }
        if let Some(s) = env("SELF_HEALING_INTERVAL").and_then(|s| s.parse().ok()) {
            config.self_healing.interval = std::time::Duration::from_secs(s);
        }
        if let Some(p) = env("PORT") {
            config.self_healing.listen = Some(format!("0.0.0.0:{p}"));
        }
        resolve(base_dir, &mut config.state_dir);
        for a in &mut config.agents {
            resolve(base_dir, &mut a.cwd);
            if let Some(l) = a.log_file.as_mut() {
                resolve(base_dir, l);
            }
            if let Some(l) = a.heartbeat_file.as_mut() {
                resolve(base_dir, l);
            }
        }
        for r in &mut config.fixes.create_path_roots {
            resolve(base_dir, r);
        }
        Ok(LoadedConfig {
            config,
            path: path.map(Path::to_path_buf),
            base_dir: base_dir.to_path_buf(),
            used_defaults: false,
        })
    }
    pub fn load(explicit: Option<&Path>) -> Result<LoadedConfig, ConfigError> {
        let path = explicit
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("HEALING_CONFIG").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("healing.toml"));
        let env = |k: &str| std::env::var(k).ok();
        let cwd = std::env::current_dir().unwrap_or_default();
        match std::fs::read_to_string(&path) {
            Ok(src) => {
                let base = path.parent().map(|p| cwd.join(p)).unwrap_or(cwd.clone());
                load_from_str(&src, Some(&path), &base, &env)
            }
            Err(e) if explicit.is_none() && e.kind() == std::io::ErrorKind::NotFound => {
                let mut l = load_from_str("", None, &cwd, &env)?;
                l.used_defaults = true;
                Ok(l)
            }
            Err(source) => Err(ConfigError::Io {
                path: path.display().to_string(),
                source,
            }),
        }
    }
}

pub mod line_reader {
    pub struct LineBuf {
        buf: Vec<u8>,
        max: usize,
        discarding: bool,
    }
    impl LineBuf {
        pub fn new(max_line: usize) -> Self {
            Self {
                buf: Vec::new(),
                max: max_line.max(1),
                discarding: false,
            }
        }
        pub fn push(&mut self, chunk: &[u8], out: &mut dyn FnMut(&[u8])) {
            for &b in chunk {
                if b == b'\n' {
                    if !self.discarding || !self.buf.is_empty() {
                        out(&self.buf);
                    }
                    self.buf.clear();
                    self.discarding = false;
                } else if self.buf.len() < self.max {
                    self.buf.push(b);
                } else if !self.discarding {
                    out(&self.buf);
                    self.buf.clear();
                    self.discarding = true;
                }
            }
        }
        pub fn finish(&mut self, out: &mut dyn FnMut(&[u8])) {
            if !self.buf.is_empty() {
                out(&self.buf);
            }
            self.buf.clear();
        }
    }
}

pub mod catalogue {
    use std::collections::BTreeMap;
    #[derive(Debug)]
    pub struct Catalogue;
    impl Catalogue {
        pub fn builtin() -> Catalogue {
            Catalogue
        }
        pub fn new(
            _user: &[healing_core::config::PatternConfig],
            _pm: &BTreeMap<String, String>,
        ) -> Result<Catalogue, std::io::Error> {
            Ok(Catalogue)
        }
    }
}

pub mod matcher {
    use super::catalogue::Catalogue;
    use healing_core::incident::{Detail, Incident};
    use healing_core::kind::{ActionKind, ErrorKind, Severity};
    use std::sync::Arc;
    #[derive(Debug)]
    pub struct Matcher {
        line_no: u64,
    }
    fn inc(
        kind: ErrorKind,
        severity: Severity,
        action: ActionKind,
        line_no: u64,
        line: &str,
        detail: Detail,
    ) -> Incident {
        Incident {
            kind,
            severity,
            action,
            pattern: kind.to_string(),
            line_no,
            line: line.to_string(),
            detail,
        }
    }
    fn quoted(s: &str) -> Option<String> {
        let a = s.find('\'')?;
        let b = s[a + 1..].find('\'')?;
        Some(s[a + 1..a + 1 + b].to_string())
    }
    impl Matcher {
        pub fn new(_catalogue: Arc<Catalogue>) -> Matcher {
            Matcher { line_no: 0 }
        }
        pub fn feed(&mut self, line: &[u8]) -> Vec<Incident> {
            self.line_no += 1;
            let l = String::from_utf8_lossy(line);
            let n = self.line_no;
            if l.starts_with("ModuleNotFoundError") {
                let m = quoted(&l);
                let d = Detail {
                    distribution: m.clone(),
                    module: m,
                    ..Detail::default()
                };
                return vec![inc(
                    ErrorKind::ModuleNotFound,
                    Severity::High,
                    ActionKind::InstallPackage,
                    n,
                    &l,
                    d,
                )];
            }
            if l.starts_with("FileNotFoundError") {
                let d = Detail {
                    path: quoted(&l),
                    ..Detail::default()
                };
                return vec![inc(
                    ErrorKind::FileNotFound,
                    Severity::High,
                    ActionKind::CreatePath,
                    n,
                    &l,
                    d,
                )];
            }
            if l.starts_with("MemoryError") {
                return vec![inc(
                    ErrorKind::MemoryError,
                    Severity::Critical,
                    ActionKind::Restart,
                    n,
                    &l,
                    Detail::default(),
                )];
            }
            if l.starts_with("SyntaxError") {
                return vec![inc(
                    ErrorKind::SyntaxError,
                    Severity::High,
                    ActionKind::Alert,
                    n,
                    &l,
                    Detail::default(),
                )];
            }
            if l.starts_with("ConnectionRefusedError") {
                let d = Detail {
                    host: Some("127.0.0.1".into()),
                    port: l.rsplit(':').next().and_then(|p| p.trim().parse().ok()),
                    ..Detail::default()
                };
                return vec![inc(
                    ErrorKind::ConnectionRefusedLocal,
                    Severity::High,
                    ActionKind::Alert,
                    n,
                    &l,
                    d,
                )];
            }
            Vec::new()
        }
        pub fn flush(&mut self) -> Vec<Incident> {
            Vec::new()
        }
        pub fn has_pending(&self) -> bool {
            false
        }
    }
    pub fn exit_incident(
        exit_code: Option<i32>,
        signal: Option<i32>,
        oom_killed: bool,
    ) -> Incident {
        let kind = if oom_killed {
            ErrorKind::OomKilled
        } else {
            ErrorKind::ProcessExit
        };
        let sev = if oom_killed {
            Severity::Critical
        } else {
            Severity::High
        };
        let d = Detail {
            exit_code,
            signal,
            ..Detail::default()
        };
        inc(kind, sev, ActionKind::Restart, 0, "process exited", d)
    }
}

pub mod fix {
    use healing_core::kind::ActionKind;
    use std::path::PathBuf;
    #[derive(Debug, Clone, PartialEq)]
    pub enum FixAction {
        InstallPackage {
            distribution: String,
            requirement: String,
        },
        CreateDir {
            path: PathBuf,
        },
        CreateFile {
            path: PathBuf,
        },
        Restart,
        Retry,
        Alert,
        None,
    }
    impl FixAction {
        pub fn kind(&self) -> ActionKind {
            match self {
                FixAction::InstallPackage { .. } => ActionKind::InstallPackage,
                FixAction::CreateDir { .. } | FixAction::CreateFile { .. } => {
                    ActionKind::CreatePath
                }
                FixAction::Restart => ActionKind::Restart,
                FixAction::Retry => ActionKind::Retry,
                FixAction::Alert => ActionKind::Alert,
                FixAction::None => ActionKind::None,
            }
        }
        pub fn target(&self) -> Option<String> {
            match self {
                FixAction::InstallPackage { requirement, .. } => Some(requirement.clone()),
                FixAction::CreateDir { path } | FixAction::CreateFile { path } => {
                    Some(path.display().to_string())
                }
                _ => None,
            }
        }
    }
    #[derive(Debug, Clone)]
    pub struct FixPlan {
        pub action: FixAction,
        pub proposed: ActionKind,
        pub target: Option<String>,
        pub refused: Option<String>,
    }
}

pub mod policy {
    use super::fix::{FixAction, FixPlan};
    use healing_core::config::FixesConfig;
    use healing_core::incident::Incident;
    use healing_core::kind::{ActionKind, ErrorKind};
    use std::path::{Path, PathBuf};
    #[derive(Debug)]
    pub struct Policy {
        allow: Vec<String>,
        roots: Vec<PathBuf>,
    }
    #[derive(Debug)]
    pub struct Refusal(pub String);
    impl Policy {
        pub fn from_config(
            fixes: &FixesConfig,
            _base_dir: &Path,
        ) -> Result<Policy, std::io::Error> {
            Ok(Policy {
                allow: fixes.allow_packages.clone(),
                roots: fixes.create_path_roots.clone(),
            })
        }
        pub fn deny_all() -> Policy {
            Policy {
                allow: vec![],
                roots: vec![],
            }
        }
        pub fn plan(&self, incident: &Incident, agent_cwd: &Path) -> FixPlan {
            let proposed = incident.action;
            let (action, refused) = match incident.kind {
                ErrorKind::ModuleNotFound => {
                    let d = incident.detail.distribution.clone().unwrap_or_default();
                    let a = FixAction::InstallPackage {
                        distribution: d.clone(),
                        requirement: d,
                    };
                    match self.check(&a) {
                        Ok(()) => (a, None),
                        Err(r) => (FixAction::Alert, Some(r.0)),
                    }
                }
                ErrorKind::FileNotFound => {
                    let f = agent_cwd.join(incident.detail.path.clone().unwrap_or_default());
                    let p = f.parent().map(|p| p.to_path_buf()).unwrap_or(f);
                    let a = FixAction::CreateDir { path: p };
                    match self.check(&a) {
                        Ok(()) => (a, None),
                        Err(r) => (FixAction::Alert, Some(r.0)),
                    }
                }
                _ => match proposed {
                    ActionKind::Retry => (FixAction::Retry, None),
                    ActionKind::Alert => (FixAction::Alert, None),
                    ActionKind::None => (FixAction::None, None),
                    _ => (FixAction::Restart, None),
                },
            };
            FixPlan {
                target: action.target(),
                action,
                proposed,
                refused,
            }
        }
        pub fn check(&self, action: &FixAction) -> Result<(), Refusal> {
            match action {
                FixAction::InstallPackage { distribution, .. } => {
                    if self
                        .allow
                        .iter()
                        .any(|a| a.eq_ignore_ascii_case(distribution))
                    {
                        Ok(())
                    } else {
                        Err(Refusal(format!("package {distribution} is not allowed")))
                    }
                }
                FixAction::CreateDir { path } | FixAction::CreateFile { path } => {
                    if path
                        .components()
                        .any(|c| matches!(c, std::path::Component::ParentDir))
                        || !self.roots.iter().any(|r| path.starts_with(r))
                    {
                        Err(Refusal(format!(
                            "{} is outside the allowed roots",
                            path.display()
                        )))
                    } else {
                        Ok(())
                    }
                }
                _ => Ok(()),
            }
        }
    }
}

pub mod executor {
    use super::fix::FixAction;
    use super::policy::Policy;
    use std::sync::Arc;
    use std::time::Duration;
    #[derive(Debug, Clone)]
    pub enum FixOutcome {
        Succeeded { detail: String },
        Failed { detail: String },
        Refused { reason: String },
        NotNeeded,
    }
    #[derive(Debug)]
    pub struct Executor {
        policy: Arc<Policy>,
        install: Vec<String>,
        timeout: Duration,
        cwd: Option<std::path::PathBuf>,
    }
    impl Executor {
        pub fn new(policy: Arc<Policy>, install_command: Vec<String>, timeout: Duration) -> Self {
            Self {
                policy,
                install: install_command,
                timeout,
                cwd: None,
            }
        }
        pub async fn execute(&self, action: &FixAction) -> FixOutcome {
            if let Err(r) = self.policy.check(action) {
                return FixOutcome::Refused { reason: r.0 };
            }
            match action {
                FixAction::InstallPackage { requirement, .. } => {
                    let Some((prog, args)) = self.install.split_first() else {
                        return FixOutcome::Failed {
                            detail: "no install command".into(),
                        };
                    };
                    let mut c = tokio::process::Command::new(prog);
                    c.args(args).arg(requirement).kill_on_drop(true);
                    match tokio::time::timeout(self.timeout, c.output()).await {
                        Ok(Ok(o)) if o.status.success() => FixOutcome::Succeeded {
                            detail: "installed".into(),
                        },
                        Ok(Ok(o)) => FixOutcome::Failed {
                            detail: format!("installer exited {}", o.status),
                        },
                        Ok(Err(e)) => FixOutcome::Failed {
                            detail: e.to_string(),
                        },
                        Err(_) => FixOutcome::Failed {
                            detail: "timeout".into(),
                        },
                    }
                }
                FixAction::CreateDir { path } => match std::fs::create_dir_all(path) {
                    Ok(()) => FixOutcome::Succeeded {
                        detail: "created".into(),
                    },
                    Err(e) => FixOutcome::Failed {
                        detail: e.to_string(),
                    },
                },
                _ => FixOutcome::NotNeeded,
            }
        }
    }
}

pub mod backoff {
    use healing_core::config::RestartConfig;
    use std::time::Duration;
    #[derive(Debug, Clone)]
    pub struct Backoff {
        pub initial: Duration,
        pub multiplier: f64,
        pub max: Duration,
        pub jitter: bool,
    }
    impl Backoff {
        pub fn from_restart(cfg: &RestartConfig) -> Backoff {
            Backoff {
                initial: cfg.initial_delay,
                multiplier: cfg.multiplier,
                max: cfg.max_delay,
                jitter: cfg.jitter,
            }
        }
        pub fn retry_curve(cfg: &RestartConfig) -> Backoff {
            Backoff {
                initial: cfg.retry_initial_delay,
                ..Self::from_restart(cfg)
            }
        }
        pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
            let d = self.initial.as_secs_f64() * self.multiplier.powi(attempt.min(60) as i32);
            let d = Duration::from_secs_f64(d.min(self.max.as_secs_f64()));
            if self.jitter { d.mul_f64(unit) } else { d }
        }
        pub fn delay_random(&self, attempt: u32) -> Duration {
            self.delay(attempt, 0.5)
        }
    }
}

pub mod budget {
    use serde::{Deserialize, Serialize};
    use std::time::{Duration, SystemTime};
    const HOUR: Duration = Duration::from_secs(3600);
    #[derive(Debug, Serialize, Deserialize, Clone, Default)]
    pub struct RestartBudget {
        starts: Vec<SystemTime>,
    }
    impl RestartBudget {
        fn live(&self, now: SystemTime) -> impl Iterator<Item = &SystemTime> {
            self.starts
                .iter()
                .filter(move |t| now.duration_since(**t).map(|d| d < HOUR).unwrap_or(true))
        }
        pub fn allows(&self, now: SystemTime, max_per_hour: u32) -> bool {
            self.count(now) < max_per_hour
        }
        pub fn record(&mut self, now: SystemTime) {
            self.starts
                .retain(|t| now.duration_since(*t).map(|d| d < HOUR).unwrap_or(true));
            self.starts.push(now);
        }
        pub fn count(&self, now: SystemTime) -> u32 {
            self.live(now).count() as u32
        }
        pub fn next_allowed(&self, now: SystemTime, max_per_hour: u32) -> Option<SystemTime> {
            if self.allows(now, max_per_hour) {
                return None;
            }
            let mut live: Vec<_> = self.live(now).copied().collect();
            live.sort();
            let idx = live.len().saturating_sub(max_per_hour as usize);
            live.get(idx).map(|t| *t + HOUR)
        }
    }
}

pub mod breaker {
    use healing_core::config::BreakerConfig;
    use serde::{Deserialize, Serialize};
    use std::time::SystemTime;
    #[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
    #[serde(rename_all = "snake_case")]
    pub enum BreakerState {
        Closed,
        Open,
        HalfOpen,
    }
    #[derive(Debug, Serialize, Deserialize, Clone)]
    pub struct Breaker {
        state: BreakerState,
        failures: u32,
        opened_at: Option<SystemTime>,
        trial_in_flight: bool,
    }
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Admission {
        Allowed,
        Trial,
        Rejected { retry_at: SystemTime },
    }
    impl Default for Breaker {
        fn default() -> Self {
            Self::new()
        }
    }
    impl Breaker {
        pub fn new() -> Self {
            Breaker {
                state: BreakerState::Closed,
                failures: 0,
                opened_at: None,
                trial_in_flight: false,
            }
        }
        pub fn state(&self, now: SystemTime, cfg: &BreakerConfig) -> BreakerState {
            match (self.state, self.opened_at) {
                (BreakerState::Open, Some(o))
                    if !self.trial_in_flight && now >= o + cfg.cooldown =>
                {
                    BreakerState::HalfOpen
                }
                (s, _) => s,
            }
        }
        pub fn admit(&mut self, now: SystemTime, cfg: &BreakerConfig) -> Admission {
            match self.state(now, cfg) {
                BreakerState::Closed => Admission::Allowed,
                BreakerState::HalfOpen if !self.trial_in_flight => {
                    self.state = BreakerState::HalfOpen;
                    self.trial_in_flight = true;
                    Admission::Trial
                }
                _ => Admission::Rejected {
                    retry_at: self.opened_at.unwrap_or(now) + cfg.cooldown,
                },
            }
        }
        pub fn on_success(&mut self, _now: SystemTime, _cfg: &BreakerConfig) {
            *self = Breaker::new();
        }
        pub fn on_failure(&mut self, now: SystemTime, cfg: &BreakerConfig) {
            self.failures += 1;
            if self.state == BreakerState::HalfOpen || self.failures >= cfg.failure_threshold {
                self.state = BreakerState::Open;
                self.opened_at = Some(now);
                self.trial_in_flight = false;
            }
        }
        pub fn failures(&self) -> u32 {
            self.failures
        }
        pub fn opened_at(&self) -> Option<SystemTime> {
            self.opened_at
        }
    }
}

pub mod state {
    use healing_core::clock::SharedClock;
    use serde::{Serialize, de::DeserializeOwned};
    use std::path::{Path, PathBuf};
    pub const SCHEMA_VERSION: u32 = 1;
    pub mod docs {
        pub const SELF_HEALING: &str = "self_healing_state.json";
        pub const AGENT_STATUS: &str = "agent_status.json";
    }
    #[derive(Debug, thiserror::Error)]
    pub enum StateError {
        #[error("another writer holds {0}")]
        AlreadyRunning(String),
        #[error("state io {0}")]
        Io(#[from] std::io::Error),
    }
    #[derive(Debug)]
    pub struct WriterLock(PathBuf);
    impl Drop for WriterLock {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    #[derive(Debug)]
    pub struct StateStore {
        dir: PathBuf,
        owner: String,
        clock: SharedClock,
    }
    pub enum ReadOutcome<T> {
        Missing,
        Loaded(T),
        Corrupt { moved_to: String, error: String },
    }
    impl StateStore {
        pub fn open_dir(dir: &Path, owner: &str) -> Result<(StateStore, WriterLock), StateError> {
            std::fs::create_dir_all(dir)?;
            let lock = dir.join(format!(".{owner}.lock"));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&lock)
            {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(StateError::AlreadyRunning(lock.display().to_string()));
                }
                Err(e) => return Err(e.into()),
            }
            Ok((
                StateStore {
                    dir: dir.into(),
                    owner: owner.into(),
                    clock: healing_core::clock::system_clock(),
                },
                WriterLock(lock),
            ))
        }
        pub fn write<T: Serialize>(&self, doc: &str, value: &T) -> Result<(), StateError> {
            let mut v = serde_json::to_value(value).map_err(|e| StateError::Io(e.into()))?;
            if let Some(o) = v.as_object_mut() {
                o.insert("schema_version".into(), SCHEMA_VERSION.into());
                o.insert("writer".into(), self.owner.clone().into());
                o.insert(
                    "written_at".into(),
                    humantime::format_rfc3339_millis(self.clock.now())
                        .to_string()
                        .into(),
                );
            }
            let tmp = self.dir.join(format!(".{doc}.tmp"));
            std::fs::write(&tmp, serde_json::to_vec_pretty(&v).unwrap_or_default())?;
            std::fs::rename(&tmp, self.dir.join(doc))?;
            Ok(())
        }
        pub fn read<T: DeserializeOwned>(&self, doc: &str) -> ReadOutcome<T> {
            let p = self.dir.join(doc);
            let Ok(bytes) = std::fs::read(&p) else {
                return ReadOutcome::Missing;
            };
            match serde_json::from_slice(&bytes) {
                Ok(v) => ReadOutcome::Loaded(v),
                Err(e) => {
                    let to = format!("{doc}.corrupt");
                    let _ = std::fs::rename(&p, self.dir.join(&to));
                    ReadOutcome::Corrupt {
                        moved_to: to,
                        error: e.to_string(),
                    }
                }
            }
        }
        pub fn read_raw(&self, doc: &str) -> Option<serde_json::Value> {
            serde_json::from_slice(&std::fs::read(self.dir.join(doc)).ok()?).ok()
        }
    }
}

pub mod alert {
    use super::state::StateStore;
    use healing_core::clock::SharedClock;
    use healing_core::config::AlertsConfig;
    use healing_core::kind::Severity;
    use std::sync::Arc;
    use tokio_util::sync::CancellationToken;
    #[derive(Debug, Clone)]
    pub struct Alert {
        pub key: String,
        pub severity: Severity,
        pub source: String,
        pub agent: Option<String>,
        pub title: String,
        pub body: String,
    }
    #[derive(Debug, Clone)]
    pub struct AlertHandle(Option<tokio::sync::mpsc::UnboundedSender<Alert>>);
    impl AlertHandle {
        pub fn send(&self, alert: Alert) {
            if let Some(tx) = &self.0 {
                let _ = tx.send(alert);
            }
        }
        pub fn disabled() -> AlertHandle {
            AlertHandle(None)
        }
    }
    pub struct Alerter;
    impl Alerter {
        pub fn spawn(
            cfg: &AlertsConfig,
            _store: Arc<StateStore>,
            _source: &str,
            _clock: SharedClock,
            shutdown: CancellationToken,
        ) -> (AlertHandle, tokio::task::JoinHandle<()>) {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Alert>();
            let url = std::env::var(&cfg.webhook.url_env).ok();
            let task = tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut seen = std::collections::HashSet::new();
                loop {
                    let a = tokio::select! { a = rx.recv() => a, _ = shutdown.cancelled() => None };
                    let Some(a) = a else { break };
                    if !seen.insert(a.key.clone()) {
                        continue;
                    }
                    if let Some(u) = &url {
                        let body = serde_json::json!({"text": format!("{}\n{}", a.title, a.body), "severity": a.severity, "agent": a.agent, "key": a.key});
                        let _ = client.post(u).json(&body).send().await;
                    }
                }
            });
            (AlertHandle(Some(tx)), task)
        }
    }
}
