//! The envelope and the read rules on top of a [`StateBackend`].

use super::{FileBackend, SCHEMA_VERSION, StateBackend, StateError, WriterLock};
use crate::clock::SharedClock;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

/// What reading a document found.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadOutcome<T> {
    /// Never written: use defaults.
    Missing,
    /// Parsed.
    Loaded(T),
    /// Unusable (not JSON, wrong shape, or a newer `schema_version`): moved to `moved_to` so the next
    /// write does not destroy the evidence. `moved_to` is empty when the document could not even be
    /// read or moved; `error` says why. The caller should alert and carry on with defaults.
    Corrupt {
        /// Where the document was set aside.
        moved_to: String,
        /// What was wrong with it.
        error: String,
    },
}

impl<T> ReadOutcome<T> {
    /// The loaded value, or `T::default()` when missing or corrupt.
    pub fn unwrap_or_default(self) -> T
    where
        T: Default,
    {
        match self {
            ReadOutcome::Loaded(v) => v,
            _ => T::default(),
        }
    }
}

/// A document read at start: its value (the default when missing or unreadable) and, when the stored copy
/// was unreadable, where it was set aside — so the binary can alert about it once its alerter exists.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<T> {
    /// The document, or `T::default()`.
    pub value: T,
    /// Where an unreadable copy was moved (empty when it could not even be moved).
    pub set_aside: Option<String>,
}

/// Versioned documents with one writer each.
#[derive(Debug, Clone)]
pub struct StateStore {
    /// Where the bytes go.
    backend: Arc<dyn StateBackend>,
    /// Stamps `written_at` and names set-aside copies.
    clock: SharedClock,
    /// Recorded in every document so a reader knows who wrote it.
    writer: String,
}

impl StateStore {
    /// A store over any backend; the `writer` field defaults to this executable's name.
    pub fn new(backend: Arc<dyn StateBackend>, clock: SharedClock) -> Self {
        let writer = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "healing".to_string());
        Self {
            backend,
            clock,
            writer,
        }
    }

    /// Sets the name recorded in the `writer` field.
    pub fn with_writer(mut self, writer: impl Into<String>) -> Self {
        self.writer = writer.into();
        self
    }

    /// Opens (creating) the state directory for `owner` and takes its writer lock, with the system clock.
    /// Fails with [`StateError::AlreadyRunning`] when another instance holds the lock.
    pub fn open_dir(dir: &Path, owner: &str) -> Result<(StateStore, WriterLock), StateError> {
        Self::open_dir_with(dir, owner, crate::clock::system_clock())
    }

    /// [`StateStore::open_dir`] with an injected clock.
    pub fn open_dir_with(
        dir: &Path,
        owner: &str,
        clock: SharedClock,
    ) -> Result<(StateStore, WriterLock), StateError> {
        let backend = FileBackend::new(dir)?;
        let lock = backend.lock(owner)?;
        let store = StateStore::new(Arc::new(backend), clock).with_writer(owner);
        Ok((store, lock))
    }

    /// The storage underneath, for backend-specific views (every instance, store health).
    pub fn backend(&self) -> &Arc<dyn StateBackend> {
        &self.backend
    }

    /// Where the state lives, for logs.
    pub fn describe(&self) -> String {
        self.backend.describe()
    }

    /// Writes `{"schema_version":1,"written_at":..,"writer":..,<fields of value>}` atomically, every
    /// string in it redacted ([`crate::redact::json`]).
    pub fn write<T: Serialize>(&self, doc: &str, value: &T) -> Result<(), StateError> {
        let fields = match serde_json::to_value(value) {
            Ok(Value::Object(map)) => map,
            Ok(other) => {
                return Err(StateError::Serialize {
                    doc: doc.to_string(),
                    reason: format!("expected a JSON object, got {}", kind_of(&other)),
                });
            }
            Err(e) => {
                return Err(StateError::Serialize {
                    doc: doc.to_string(),
                    reason: e.to_string(),
                });
            }
        };
        let mut envelope = Map::new();
        envelope.insert("schema_version".into(), SCHEMA_VERSION.into());
        envelope.insert("written_at".into(), rfc3339(self.clock.now()).into());
        envelope.insert("writer".into(), self.writer.clone().into());
        for (k, mut v) in fields {
            // State is served by /health and read by other processes: log text in it is scrubbed.
            crate::redact::json(&mut v);
            envelope.entry(k).or_insert(v);
        }
        let bytes = serde_json::to_vec_pretty(&Value::Object(envelope)).map_err(|e| {
            StateError::Serialize {
                doc: doc.to_string(),
                reason: e.to_string(),
            }
        })?;
        self.backend.put(doc, &bytes)
    }

    /// Reads a document: missing → [`ReadOutcome::Missing`]; unparsable, wrong shape or newer
    /// `schema_version` → set aside, warned about, [`ReadOutcome::Corrupt`].
    pub fn read<T: DeserializeOwned>(&self, doc: &str) -> ReadOutcome<T> {
        let bytes = match self.backend.get(doc) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return ReadOutcome::Missing,
            Err(e) => {
                tracing::warn!(doc, error = %e, "state document unreadable; carrying on with defaults");
                return ReadOutcome::Corrupt {
                    moved_to: String::new(),
                    error: e.to_string(),
                };
            }
        };
        match decode::<T>(&bytes) {
            Ok(value) => ReadOutcome::Loaded(value),
            Err(problem) => self.set_aside(doc, problem),
        }
    }

    /// Document `doc`, or its default when it was never written or is unreadable (set aside and logged):
    /// how every binary reads its own documents at start.
    pub fn read_or_default<T: DeserializeOwned + Default>(&self, doc: &str) -> Loaded<T> {
        match self.read::<T>(doc) {
            ReadOutcome::Loaded(value) => Loaded {
                value,
                set_aside: None,
            },
            ReadOutcome::Missing => Loaded {
                value: T::default(),
                set_aside: None,
            },
            ReadOutcome::Corrupt { moved_to, error } => {
                tracing::warn!(%doc, %moved_to, %error, "state document unreadable; set aside, starting fresh");
                Loaded {
                    value: T::default(),
                    set_aside: Some(moved_to),
                }
            }
        }
    }

    /// The raw JSON of a document for status views: no set-aside, `None` when missing or unparsable.
    pub fn read_raw(&self, doc: &str) -> Option<Value> {
        let bytes = self.backend.get(doc).ok()??;
        serde_json::from_slice(&bytes).ok()
    }

    fn set_aside<T>(&self, doc: &str, problem: String) -> ReadOutcome<T> {
        let suffix: String = rfc3339_millis(self.clock.now())
            .chars()
            .filter(|c| !matches!(c, '-' | ':'))
            .collect();
        match self.backend.set_aside(doc, &suffix) {
            Ok(moved_to) => {
                tracing::warn!(doc, %moved_to, problem = %problem,
                    "state document set aside; carrying on with defaults");
                ReadOutcome::Corrupt {
                    moved_to,
                    error: problem,
                }
            }
            Err(e) => {
                tracing::warn!(doc, problem = %problem, error = %e,
                    "state document unusable and could not be set aside; carrying on with defaults");
                ReadOutcome::Corrupt {
                    moved_to: String::new(),
                    error: format!("{problem}; could not set it aside: {e}"),
                }
            }
        }
    }
}

/// Parses and checks the envelope; the error text says what was wrong.
fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    let Value::Object(map) = &value else {
        return Err(format!("expected a JSON object, found {}", kind_of(&value)));
    };
    match map.get("schema_version").and_then(Value::as_u64) {
        None => return Err("no numeric schema_version field".to_string()),
        Some(v) if v > u64::from(SCHEMA_VERSION) => {
            return Err(format!(
                "schema_version {v} is newer than this binary understands ({SCHEMA_VERSION}); \
                 set aside instead of silently dropping fields it does not know"
            ));
        }
        Some(_) => {}
    }
    serde_json::from_value(value).map_err(|e| format!("unexpected shape: {e}"))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// RFC 3339 with whole seconds (`2026-01-01T00:00:00Z`), the format of every timestamp in state.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// RFC 3339 with milliseconds, for documents that order events closer than a second apart.
pub fn rfc3339_millis(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}
