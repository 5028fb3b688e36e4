//! Environment overrides: the platform (Render) configures a service through env vars, and those win over
//! the file.
//!
//! An empty variable counts as unset (shells and dashboards often export empty values). A value that does
//! not parse is a problem named after the variable, reported with the file's problems.

use super::keypath::KeyPath;
use crate::config::Config;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Reads one env var.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Which config key each applied override replaced, so later problems about that value name the variable.
pub(crate) type Origins = BTreeMap<KeyPath, &'static str>;

/// Whether `RENDER_MODE` asks for Render behaviour ("true" or "1", any case).
pub fn render_mode(env: EnvLookup<'_>) -> bool {
    env("RENDER_MODE")
        .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1"))
}

/// Whether this process runs on Render: `RENDER_MODE`, or Render's own `RENDER=true`. Only there does
/// `PORT` mean "listen on every interface".
pub fn on_render(env: EnvLookup<'_>) -> bool {
    render_mode(env) || env("RENDER").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// Applies every override to `config`; malformed values are returned as (variable, message).
pub(crate) fn apply(
    config: &mut Config,
    env: EnvLookup<'_>,
) -> (Origins, Vec<(&'static str, String)>) {
    let mut origins = Origins::new();
    let mut problems = Vec::new();
    let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let root = KeyPath::root();

    if let Some(dir) = get("HEALING_STATE_DIR") {
        config.state_dir = PathBuf::from(dir);
        origins.insert(root.key("state_dir"), "HEALING_STATE_DIR");
    }
    if let Some(url) = get("HEALING_STATE_URL") {
        config.state_url = Some(url);
        origins.insert(root.key("state_url"), "HEALING_STATE_URL");
    }
    for (name, slot, key) in [
        (
            "SELF_HEALING_INTERVAL",
            &mut config.self_healing.interval,
            root.key("self_healing").key("interval"),
        ),
        (
            "PREVENTION_INTERVAL",
            &mut config.prevention.interval,
            root.key("prevention").key("interval"),
        ),
    ] {
        let Some(raw) = get(name) else { continue };
        match raw.trim().parse::<u64>() {
            Ok(secs) => match crate::duration_bound::check(Duration::from_secs(secs)) {
                Ok(d) => {
                    *slot = d;
                    origins.insert(key, name);
                }
                Err(e) => problems.push((name, e)),
            },
            Err(_) => problems.push((
                name,
                format!("expected whole seconds (e.g. 60), got {raw:?}"),
            )),
        }
    }
    if let Some(raw) = get("RENDER_MODE") {
        let known = ["true", "false", "1", "0"];
        if !known.contains(&raw.trim().to_ascii_lowercase().as_str()) {
            problems.push((
                "RENDER_MODE",
                format!("expected true, false, 1 or 0, got {raw:?}"),
            ));
        }
    }
    // Render routes traffic to $PORT on all interfaces; a web service that binds elsewhere never
    // becomes healthy, so there PORT beats the file's `listen`. Anywhere else PORT (set for some other
    // program, or by a PaaS we do not know) only picks the port: the address stays the file's, or
    // loopback, so an unrelated variable never opens the endpoints to the network.
    if let Some(raw) = get("PORT") {
        match raw.trim().parse::<u16>() {
            Ok(port) if port != 0 => {
                let host = if on_render(env) {
                    "0.0.0.0".to_string()
                } else {
                    config
                        .self_healing
                        .listen
                        .as_deref()
                        .and_then(|l| l.parse::<std::net::SocketAddr>().ok())
                        .map_or_else(|| "127.0.0.1".to_string(), |a| a.ip().to_string())
                };
                let host = if host.contains(':') {
                    format!("[{host}]")
                } else {
                    host
                };
                config.self_healing.listen = Some(format!("{host}:{port}"));
                origins.insert(root.key("self_healing").key("listen"), "PORT");
            }
            _ => problems.push((
                "PORT",
                format!("expected a port number 1-65535, got {raw:?}"),
            )),
        }
    }
    (origins, problems)
}
