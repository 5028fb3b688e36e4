//! TEMPORARY SHIM — stands in for healing-core modules that other helpers are writing in parallel
//! (matcher, line_reader, catalogue, state, alert; the rest is re-exported from healing-core).
//! It mirrors the agreed contract (/work/api-contract.md) with minimal bodies so this crate compiles and
//! its own logic can be tested. At merge: delete this file and `sed 's/crate::hc::/healing_core::/'`.
#![allow(dead_code, missing_debug_implementations, clippy::all)]

pub use healing_core::{
    backoff, breaker, budget, clock, config, config_load, executor, fix, incident, kind, policy,
};

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
