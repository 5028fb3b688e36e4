//! Who is writing: the instance id and the namespace that scope every Key Value key, and the
//! every-instance views built on them.
//!
//! A Render service with `numInstances > 1` runs one self-healing-agent per instance; each owns its own
//! documents, keyed by `RENDER_INSTANCE_ID`, and status views list every live instance.

use super::{StateStore, StoreHealth};
use serde_json::Value;

/// The namespace when `HEALING_NAMESPACE` is unset: the blueprint's name.
pub const DEFAULT_NAMESPACE: &str = "neolight";

/// Longest instance id or namespace kept; longer ones are cut (memory and key size stay bounded).
const MAX_ID_LEN: usize = 64;

/// This instance: `RENDER_INSTANCE_ID`, else the host name, else `local`; reduced to `[A-Za-z0-9._-]`
/// so it can never break the `:`-separated key layout.
pub fn instance_id() -> String {
    let from_env = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let raw = from_env("RENDER_INSTANCE_ID")
        .or_else(|| from_env("HOSTNAME"))
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .or_else(|_| std::fs::read_to_string("/etc/hostname"))
                .ok()
        })
        .unwrap_or_default();
    sanitize(&raw).unwrap_or_else(|| "local".to_string())
}

/// The key namespace: `HEALING_NAMESPACE`, else [`DEFAULT_NAMESPACE`]; reduced like the instance id.
pub fn namespace() -> String {
    std::env::var("HEALING_NAMESPACE")
        .ok()
        .and_then(|v| sanitize(&v))
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string())
}

/// Keeps `[A-Za-z0-9._-]` (others become `_`), trims, cuts to [`MAX_ID_LEN`]; `None` when nothing is left.
pub(crate) fn sanitize(raw: &str) -> Option<String> {
    let out: String = raw
        .trim()
        .chars()
        .take(MAX_ID_LEN)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    (!out.is_empty()).then_some(out)
}

impl StateStore {
    /// `doc` from every live instance, sorted by instance id, for status views and `/health`. Documents
    /// that are unreadable or not JSON are left out (views never set anything aside); a store that cannot
    /// be reached yields what this process last saw, or nothing.
    pub fn read_all_instances(&self, doc: &str) -> Vec<(String, Value)> {
        match self.backend().get_all_instances(doc) {
            Ok(all) => all
                .into_iter()
                .filter_map(|(instance, bytes)| {
                    serde_json::from_slice(&bytes).ok().map(|v| (instance, v))
                })
                .collect(),
            Err(e) => {
                tracing::warn!(doc, error = %e, "state documents of other instances unreadable");
                Vec::new()
            }
        }
    }

    /// The instance this store writes for.
    pub fn instance(&self) -> String {
        self.backend().instance()
    }

    /// Store reachability (`None` for a directory); see [`StateBackend::health`].
    pub fn health(&self) -> Option<tokio::sync::watch::Receiver<StoreHealth>> {
        self.backend().health()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_only_key_safe_characters_and_stay_bounded() {
        assert_eq!(sanitize(" srv-abc:1/x ").as_deref(), Some("srv-abc_1_x"));
        assert_eq!(sanitize("   "), None);
        assert_eq!(
            sanitize(&"a".repeat(500)).map(|s| s.len()),
            Some(MAX_ID_LEN)
        );
    }
}
