//! render.yaml's environment against the code: every entry has one source, secrets are never literal,
//! the Key Value store is private and wired to all three services, and every env var the binaries read is
//! declared (or knowingly left out).

mod blueprint_support;

use blueprint_support::*;
use serde_yaml_ng::Value;
use std::collections::BTreeSet;

const THE_THREE: &[&str] = &["self-healing-agent", "prevention-agent", "auto-recovery"];

/// Variables the code reads that render.yaml deliberately does not declare.
const NOT_DECLARED: &[(&str, &str)] = &[
    // Set by Render itself on every instance (render-facts §2); a Blueprint cannot set them.
    ("PORT", "Render: web services only"),
    ("RENDER", "Render"),
    ("RENDER_INSTANCE_ID", "Render"),
    ("RENDER_SERVICE_ID", "Render"),
    ("RENDER_SERVICE_NAME", "Render"),
    ("RENDER_SERVICE_TYPE", "Render"),
    ("RENDER_EXTERNAL_URL", "Render: web services only"),
    ("RENDER_EXTERNAL_HOSTNAME", "Render: web services only"),
    ("RENDER_CPU_COUNT", "Render"),
    ("RENDER_GIT_COMMIT", "Render"),
    // Optional: the defaults are right on Render.
    ("HEALING_CONFIG", "start commands pass --config"),
    (
        "HEALING_HTTP_TOKEN",
        "optional secret: without it the endpoints beyond /health and /metrics answer 403",
    ),
    (
        "HEALING_STATE_DIR",
        "Render's filesystem is ephemeral; the state lives in Key Value",
    ),
    (
        "HEALING_WEBHOOK_URL",
        "optional second alert sink, added in the Dashboard when wanted",
    ),
    // The process environment, not configuration.
    (
        "NO_COLOR",
        "a user's terminal preference; Render's log stream is not a terminal anyway",
    ),
    ("PATH", "system"),
    ("HOME", "system"),
];

const ENV_SOURCES: &[&str] = &[
    "value",
    "generateValue",
    "sync",
    "fromService",
    "fromDatabase",
    "fromGroup",
];

#[test]
fn env_entries_have_exactly_one_source_and_secrets_are_never_literal() {
    let doc = blueprint();
    let mut entries: Vec<(String, serde_yaml_ng::Mapping)> = Vec::new();
    for s in services(&doc) {
        let name = str_of(s, "name").unwrap_or_default().to_owned();
        entries.extend(
            env_entries(s)
                .into_iter()
                .map(|e| (name.clone(), e.clone())),
        );
    }
    for (group, vars) in groups(&doc) {
        for var in vars {
            assert!(
                var.keys()
                    .all(|k| matches!(k.as_str(), Some("key" | "value" | "generateValue"))),
                "group {group}: only value/generateValue are allowed: {var:?}"
            );
            entries.push((format!("group {group}"), var));
        }
    }
    let kv: BTreeSet<&str> = services(&doc)
        .into_iter()
        .filter(|s| str_of(s, "type") == Some("keyvalue"))
        .filter_map(|s| str_of(s, "name"))
        .collect();
    for (owner, e) in entries {
        let sources: Vec<&str> = ENV_SOURCES
            .iter()
            .copied()
            .filter(|k| e.contains_key(*k))
            .collect();
        assert_eq!(
            sources.len(),
            1,
            "{owner}: exactly one source per entry: {e:?}"
        );
        let key = str_of(&e, "key").unwrap_or_default();
        assert!(
            sources[0] == "fromGroup" || !key.is_empty(),
            "{owner}: entry without key: {e:?}"
        );
        match sources[0] {
            "value" => {
                assert!(
                    e.get("value").is_some_and(Value::is_string),
                    "{owner}: {key}: quote the value"
                );
                let upper = key.to_ascii_uppercase();
                for word in [
                    "TOKEN",
                    "SECRET",
                    "KEY",
                    "PASSWORD",
                    "CHAT_ID",
                    "STATE_URL",
                    "WEBHOOK",
                ] {
                    assert!(
                        !upper.contains(word),
                        "{owner}: {key} is a secret and must be sync: false"
                    );
                }
            }
            "sync" => assert_eq!(
                e.get("sync").and_then(Value::as_bool),
                Some(false),
                "{owner}: {key}"
            ),
            "fromService" => {
                let from = e
                    .get("fromService")
                    .and_then(Value::as_mapping)
                    .expect("a mapping");
                let ty = str_of(from, "type").expect("fromService needs the referenced type");
                let target = str_of(from, "name").expect("fromService needs a name");
                let property = str_of(from, "property");
                assert!(
                    property.is_some() || from.contains_key("envVarKey"),
                    "{owner}: {key}"
                );
                if ty == "keyvalue" {
                    assert!(
                        kv.contains(target),
                        "{owner}: {key}: no Key Value named {target}"
                    );
                    assert_eq!(property, Some("connectionString"), "{owner}: {key}");
                }
            }
            "fromGroup" => {
                let group = str_of(&e, "fromGroup").unwrap_or_default();
                assert!(
                    groups(&doc).contains_key(group),
                    "{owner}: no envVarGroup named {group}"
                );
            }
            _ => {}
        }
    }
}

#[test]
fn the_key_value_store_is_private_and_wired_to_all_three_services() {
    let doc = blueprint();
    let kv = services(&doc)
        .into_iter()
        .find(|s| str_of(s, "type") == Some("keyvalue"))
        .expect("a Key Value");
    let allow = kv
        .get("ipAllowList")
        .and_then(Value::as_sequence)
        .expect("ipAllowList is required");
    assert!(
        allow.is_empty(),
        "the state store must be reachable on the private network only"
    );
    assert!(kv.get("runtime").is_none() && kv.get("buildCommand").is_none());
    for name in THE_THREE {
        let env = effective_env(&doc, service(&doc, name));
        let url = env
            .get("HEALING_STATE_URL")
            .unwrap_or_else(|| panic!("{name}: HEALING_STATE_URL"));
        let from = url
            .get("fromService")
            .and_then(Value::as_mapping)
            .expect("fromService");
        assert_eq!(str_of(from, "name"), str_of(kv, "name"), "{name}");
    }
}

#[test]
fn every_env_var_the_binaries_read_is_declared_or_knowingly_left_out() {
    let doc = blueprint();
    let read = env_vars_read();
    for expected in [
        "RENDER_MODE",
        "HEALING_STATE_URL",
        "PREVENTION_INTERVAL",
        "TELEGRAM_BOT_TOKEN",
        "RENDER_API_KEY",
        "PORT",
    ] {
        assert!(
            read.contains_key(expected),
            "the source scan no longer finds {expected}: {read:?}"
        );
    }
    let mut declared = BTreeSet::new();
    for s in services(&doc) {
        declared.extend(effective_env(&doc, s).into_keys());
    }
    let missing: Vec<String> = read
        .iter()
        .filter(|(name, _)| {
            !declared.contains(*name) && !NOT_DECLARED.iter().any(|(n, _)| n == name)
        })
        .map(|(name, file)| format!("{name} (read in {})", file.display()))
        .collect();
    assert!(
        missing.is_empty(),
        "declare these in render.yaml or explain them in NOT_DECLARED: {missing:#?}"
    );
}
