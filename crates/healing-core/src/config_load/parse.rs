//! From TOML text to a [`Config`], collecting every syntax error, unknown key and type error.
//!
//! `deny_unknown_fields` and plain `toml::from_str` stop at the first mistake, which turns fixing a
//! config into a loop of edit-and-retry. Instead the document is parsed once with spans, each section and
//! each array element (`agents[i]`, `patterns[i]`, `recovery.services[i]`) is deserialized on its own
//! through `serde_ignored` (every unknown key) and `serde_path_to_error` (where a type error is). When a
//! key has the wrong type it is reported, taken out, and the element deserialized again, so one bad value
//! does not hide the problems after it.

use super::keypath::KeyPath;
use crate::config::{AgentConfig, Config, PatternConfig, RecoveryConfig, ServiceConfig};
use serde::de::DeserializeOwned;
use std::collections::BTreeSet;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

/// Retries per section: each retry removes one offending key, so this bounds the work on hostile input.
const MAX_ATTEMPTS: usize = 64;
/// More syntax errors than this are noise (the parser is recovering from one early mistake).
const MAX_SYNTAX_ERRORS: usize = 20;

/// A problem before it is placed in the file: its path and, when serde knew it, the offending span.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) key: KeyPath,
    pub(crate) span: Option<Range<usize>>,
    pub(crate) message: String,
}

/// Syntax errors of the document (empty when it parses).
pub(crate) fn syntax(src: &str) -> Result<Spanned<DeTable<'_>>, Vec<Found>> {
    let (root, errors) = DeTable::parse_recoverable(src);
    if errors.is_empty() {
        return Ok(root);
    }
    Err(errors
        .into_iter()
        .take(MAX_SYNTAX_ERRORS)
        .map(|e| Found {
            key: KeyPath::root().key("toml"),
            span: e.span(),
            message: name_duplicate(src, e.message().trim(), e.span()),
        })
        .collect())
}

/// The parser says only "duplicate key"; a config with the same key in two tables needs the key's and the
/// table's name to be found: "duplicate key `interval` in table `self_healing`".
fn name_duplicate(src: &str, message: &str, span: Option<Range<usize>>) -> String {
    let Some(span) = span.filter(|_| message == "duplicate key") else {
        return message.to_owned();
    };
    let Some(key) = src
        .get(span.clone())
        .map(str::trim)
        .filter(|k| !k.is_empty())
    else {
        return message.to_owned();
    };
    let table = src
        .get(..span.start)
        .unwrap_or_default()
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| line.starts_with('['))
        .map(|header| header.trim_matches(['[', ']']).trim().to_owned());
    match table {
        Some(table) => format!("duplicate key `{key}` in table `{table}`"),
        None => format!("duplicate key `{key}` at the top level"),
    }
}

/// Deserializes every section of a parsed document, recording problems; fields with problems keep their
/// defaults so later checks still run.
pub(crate) fn config(root: &Spanned<DeTable<'_>>, found: &mut Vec<Found>) -> Config {
    let mut cfg = Config::default();
    let top = KeyPath::root();
    for (key, value) in root.get_ref().iter() {
        let path = top.key(key.get_ref());
        let value = value.clone();
        match key.get_ref().as_ref() {
            "state_dir" => set(&mut cfg.state_dir, section(value, &path, found)),
            "state_url" => cfg.state_url = section(value, &path, found),
            "self_healing" => set(&mut cfg.self_healing, section(value, &path, found)),
            "restart" => set(&mut cfg.restart, section(value, &path, found)),
            "breaker" => set(&mut cfg.breaker, section(value, &path, found)),
            "fixes" => set(&mut cfg.fixes, section(value, &path, found)),
            "alerts" => set(&mut cfg.alerts, section(value, &path, found)),
            "prevention" => set(&mut cfg.prevention, section(value, &path, found)),
            "agents" => cfg.agents = elements::<AgentConfig>(value, &path, found),
            "patterns" => cfg.patterns = elements::<PatternConfig>(value, &path, found),
            "recovery" => set(&mut cfg.recovery, recovery(value, &path, found)),
            _ => found.push(unknown(path)),
        }
    }
    cfg
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

fn unknown(key: KeyPath) -> Found {
    Found {
        key,
        span: None,
        message: "unknown key".into(),
    }
}

/// `[recovery]` without its services, then each service on its own.
fn recovery(
    mut value: Spanned<DeValue<'_>>,
    path: &KeyPath,
    found: &mut Vec<Found>,
) -> Option<RecoveryConfig> {
    let services = match value.get_mut() {
        DeValue::Table(table) => table.remove("services"),
        _ => None,
    };
    let mut recovery: RecoveryConfig = section(value, path, found)?;
    if let Some(services) = services {
        recovery.services = elements::<ServiceConfig>(services, &path.key("services"), found);
    }
    Some(recovery)
}

/// An array whose elements are deserialized one by one, so each bad element is reported and the good
/// ones are kept.
fn elements<T: DeserializeOwned>(
    value: Spanned<DeValue<'_>>,
    path: &KeyPath,
    found: &mut Vec<Found>,
) -> Vec<T> {
    let span = value.span();
    match value.into_inner() {
        DeValue::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| section(item.clone(), &path.index(i), found))
            .collect(),
        other => {
            found.push(Found {
                key: path.clone(),
                span: Some(span),
                message: format!("expected an array, found {}", other.type_str()),
            });
            Vec::new()
        }
    }
}

/// Deserializes one value, reporting every unknown key and every type error in it.
fn section<T: DeserializeOwned>(
    mut value: Spanned<DeValue<'_>>,
    path: &KeyPath,
    found: &mut Vec<Found>,
) -> Option<T> {
    let mut unknown_keys = BTreeSet::new();
    let mut removed: Vec<KeyPath> = Vec::new();
    let mut result = None;
    for _ in 0..MAX_ATTEMPTS {
        let mut on_ignored = |p: serde_ignored::Path<'_>| {
            unknown_keys.insert(KeyPath::from_ignored(&p));
        };
        let de = serde_ignored::Deserializer::new(
            ValueDeserializer::from(value.clone()),
            &mut on_ignored,
        );
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => {
                result = Some(v);
                break;
            }
            Err(err) => {
                let rel = KeyPath::from_serde(err.path());
                let inner = err.into_inner();
                let message = inner.message().trim().to_owned();
                if let Some(field) = missing_field(&message) {
                    // A key we took out ourselves is not the user's second mistake.
                    let missing = rel.key(field);
                    if !removed.contains(&missing) {
                        found.push(Found {
                            key: path.join(&missing),
                            span: None,
                            message: "required key is missing".into(),
                        });
                    }
                    break;
                }
                found.push(Found {
                    key: path.join(&rel),
                    span: inner.span(),
                    message,
                });
                let Some(culprit) = removable(&rel) else {
                    break;
                };
                if !remove(&mut value, &culprit) {
                    break;
                }
                removed.push(culprit);
            }
        }
    }
    found.extend(unknown_keys.into_iter().map(|k| unknown(path.join(&k))));
    result
}

/// The field name in serde's "missing field `name`" message.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.strip_suffix('`')
}

/// The key to take out after a type error: the deepest key reached through tables only (a bad array
/// element takes its whole array out; a nested table keeps its other keys).
fn removable(rel: &KeyPath) -> Option<KeyPath> {
    use super::keypath::Seg;
    let keys: Vec<Seg> = rel
        .0
        .iter()
        .take_while(|s| matches!(s, Seg::Key(_)))
        .cloned()
        .collect();
    (!keys.is_empty()).then_some(KeyPath(keys))
}

fn remove(value: &mut Spanned<DeValue<'_>>, path: &KeyPath) -> bool {
    use super::keypath::Seg;
    let Some((last, parents)) = path.0.split_last() else {
        return false;
    };
    let mut table = match value.get_mut() {
        DeValue::Table(t) => t,
        _ => return false,
    };
    for seg in parents {
        let Seg::Key(k) = seg else { return false };
        table = match table.get_mut(k.as_str()).map(|v| v.get_mut()) {
            Some(DeValue::Table(t)) => t,
            _ => return false,
        };
    }
    let Seg::Key(k) = last else { return false };
    table.remove(k.as_str()).is_some()
}
