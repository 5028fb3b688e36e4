//! Read-only access to the state documents, for the views that show them (HTTP, metrics, `status`).
//!
//! The views never own a document: they read it fresh on every request, forgive missing or extra fields,
//! and report a corrupt one instead of failing, because a broken file written by another binary must not
//! take the supervisor's health endpoint down with a panic. Unlike the state store, a view never sets a
//! corrupt document aside: only its writer may move it.

use healing_core::state::{SERVICE_INSTANCE, StateStore, instance_id};
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Where the views read documents from. The views do not care which backend holds them: a state
/// directory read directly (what tests and `status` on one machine use), or the state store the
/// binaries write through — the directory or Render Key Value, where every live instance of a
/// scaled-out service has its own copy.
#[derive(Debug, Clone)]
pub enum Documents {
    /// A state directory, read file by file.
    Dir(PathBuf),
    /// The state interface (file or Key Value backend), read without taking the writer's guard.
    Store(Arc<StateStore>),
    /// The running supervisor: its own documents from its live state, the rest from the store.
    Live(crate::live_docs::LiveDocs),
}

impl Documents {
    /// Reads one document of this instance.
    pub fn read(&self, name: &str) -> Doc {
        match self {
            Documents::Live(live) => live.own(name).unwrap_or_else(|| live.stored().read(name)),
            Documents::Dir(dir) => read_doc(dir, name),
            Documents::Store(store) => match store.backend().get(name) {
                Ok(None) => Doc::Missing,
                Ok(Some(bytes)) => parse_doc(name, &bytes),
                Err(e) => Doc::Corrupt(format!("{name}: cannot be read: {e}")),
            },
        }
    }

    /// Reads a service-scoped document (the prevention-agent's, auto-recovery's): one copy per service,
    /// whichever instance or cron run wrote it last.
    pub fn read_service(&self, name: &str) -> Doc {
        match self {
            Documents::Live(live) => live.stored().read_service(name),
            Documents::Dir(dir) => read_doc(dir, name),
            Documents::Store(store) => match store.backend().get_for(SERVICE_INSTANCE, name) {
                Ok(None) => Doc::Missing,
                Ok(Some(bytes)) => parse_doc(name, &bytes),
                Err(e) => Doc::Corrupt(format!("{name}: cannot be read: {e}")),
            },
        }
    }

    /// [`Documents::read_service`] off the async runtime's thread.
    pub async fn read_service_async(&self, name: &'static str) -> Doc {
        let docs = self.clone();
        tokio::task::spawn_blocking(move || docs.read_service(name))
            .await
            .unwrap_or_else(|e| Doc::Corrupt(format!("{name}: reader task failed: {e}")))
    }

    /// Reads one document as written by every live instance, sorted by instance id. An instance that
    /// stopped heartbeating (redeployed, scaled down) is left out by the store, so it ages out of the
    /// views instead of showing as failed forever. Empty when no instance wrote it.
    pub fn read_instances(&self, name: &str) -> Vec<(String, Doc)> {
        match self {
            Documents::Live(live) => {
                let mut all = live.stored().read_instances(name);
                if let Some(doc) = live.own(name) {
                    let me = live.store.backend().instance();
                    all.retain(|(i, _)| *i != me);
                    all.push((me, doc));
                    all.sort_by(|a, b| a.0.cmp(&b.0));
                }
                all
            }
            Documents::Dir(dir) => match read_doc(dir, name) {
                Doc::Missing => Vec::new(),
                doc => vec![(instance_id(), doc)],
            },
            Documents::Store(store) => match store.backend().get_all_instances(name) {
                Ok(all) => all
                    .into_iter()
                    .map(|(instance, bytes)| {
                        let doc = parse_doc(name, &bytes);
                        (instance, doc)
                    })
                    .collect(),
                Err(e) => vec![(
                    store.backend().instance(),
                    Doc::Corrupt(format!("{name}: cannot be read: {e}")),
                )],
            },
        }
    }

    /// Off the async runtime's thread: file reads and store round trips block.
    pub async fn read_async(&self, name: &'static str) -> Doc {
        let docs = self.clone();
        tokio::task::spawn_blocking(move || docs.read(name))
            .await
            .unwrap_or_else(|e| Doc::Corrupt(format!("{name}: reader task failed: {e}")))
    }

    /// [`Documents::read_instances`] off the async runtime's thread.
    pub async fn read_instances_async(&self, name: &'static str) -> Vec<(String, Doc)> {
        let docs = self.clone();
        tokio::task::spawn_blocking(move || docs.read_instances(name))
            .await
            .unwrap_or_else(|e| {
                vec![(
                    instance_id(),
                    Doc::Corrupt(format!("{name}: reader task failed: {e}")),
                )]
            })
    }

    /// For headers: the directory, or the store's description (never a password).
    pub fn describe(&self) -> String {
        match self {
            Documents::Dir(dir) => format!("state dir: {}", dir.display()),
            Documents::Store(store) => format!("state: {}", store.describe()),
            Documents::Live(live) => format!("state: {}", live.store.describe()),
        }
    }
}

/// The documents the views show.
pub use healing_core::state::docs as names;

/// Largest document a view reads. The real ones are a few kilobytes (history is capped); anything bigger
/// is not ours, and reading it whole would break the memory budget.
pub const MAX_DOCUMENT_BYTES: u64 = 1024 * 1024;

/// What reading one document gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc {
    /// No such file: the writer has not run yet (or is not deployed).
    Missing,
    /// A JSON document (any shape).
    Loaded(Value),
    /// Present but unusable; the message names the file and the problem.
    Corrupt(String),
}

impl Doc {
    /// The document, when it loaded.
    pub fn value(&self) -> Option<&Value> {
        match self {
            Doc::Loaded(v) => Some(v),
            _ => None,
        }
    }
}

/// Reads `dir/name`, bounded by [`MAX_DOCUMENT_BYTES`].
pub fn read_doc(dir: &Path, name: &str) -> Doc {
    let path = dir.join(name);
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Doc::Missing,
        Err(e) => return Doc::Corrupt(format!("{name}: cannot be read: {e}")),
    };
    let mut bytes = Vec::new();
    // One byte past the limit tells "exactly at the limit" from "too big" without trusting metadata.
    if let Err(e) = file.take(MAX_DOCUMENT_BYTES + 1).read_to_end(&mut bytes) {
        return Doc::Corrupt(format!("{name}: cannot be read: {e}"));
    }
    parse_doc(name, &bytes)
}

fn parse_doc(name: &str, bytes: &[u8]) -> Doc {
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Doc::Corrupt(format!(
            "{name}: larger than {MAX_DOCUMENT_BYTES} bytes, not a state document"
        ));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v @ Value::Object(_)) => Doc::Loaded(v),
        Ok(_) => Doc::Corrupt(format!("{name}: not a JSON object")),
        Err(e) => Doc::Corrupt(format!("{name}: not valid JSON ({e})")),
    }
}

/// Parses the RFC 3339 timestamps the writers put in documents (`…Z`, with or without fractions; a
/// `+00:00` offset is accepted too). `None` for anything else: a view shows the raw text instead.
pub fn parse_time(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let utc = text
        .strip_suffix("+00:00")
        .map(|t| format!("{t}Z"))
        .unwrap_or_else(|| text.to_string());
    humantime::parse_rfc3339_weak(&utc).ok()
}

/// The timestamp at `key` of a document, when present and readable.
pub fn time_field(doc: &Value, key: &str) -> Option<SystemTime> {
    doc.get(key).and_then(Value::as_str).and_then(parse_time)
}

/// How long before `now` a time was (zero when it lies in the future: clocks of writers may differ).
pub fn age(at: SystemTime, now: SystemTime) -> Duration {
    now.duration_since(at).unwrap_or(Duration::ZERO)
}

/// An agent row's `uptime_secs`, when it is a sane number of seconds.
pub fn uptime(agent: &Value) -> Option<Duration> {
    agent
        .get("uptime_secs")
        .and_then(Value::as_f64)
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_missing_and_garbage_is_corrupt_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_doc(dir.path(), "a.json"), Doc::Missing);
        std::fs::write(dir.path().join("a.json"), b"{\"x\": ").unwrap();
        match read_doc(dir.path(), "a.json") {
            Doc::Corrupt(msg) => assert!(msg.starts_with("a.json: not valid JSON"), "{msg}"),
            other => panic!("expected corrupt, got {other:?}"),
        }
        std::fs::write(dir.path().join("a.json"), b"[1,2]").unwrap();
        assert!(matches!(read_doc(dir.path(), "a.json"), Doc::Corrupt(_)));
    }

    #[test]
    fn oversized_document_is_refused_without_reading_it_all() {
        let dir = tempfile::tempdir().unwrap();
        let big = vec![b' '; (MAX_DOCUMENT_BYTES + 10) as usize];
        std::fs::write(dir.path().join("big.json"), big).unwrap();
        match read_doc(dir.path(), "big.json") {
            Doc::Corrupt(msg) => assert!(msg.contains("larger than"), "{msg}"),
            other => panic!("expected corrupt, got {other:?}"),
        }
    }

    #[test]
    fn rfc3339_times_with_fractions_or_utc_offset_parse() {
        let t = parse_time("2026-01-01T00:00:00Z").unwrap();
        let epoch_2026 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        assert_eq!(t, epoch_2026);
        assert_eq!(
            parse_time("2026-01-01T00:00:01.500+00:00").unwrap(),
            epoch_2026 + Duration::from_millis(1500)
        );
        assert_eq!(parse_time("yesterday"), None);
    }
}
