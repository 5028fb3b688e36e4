//! Helpers of `render_blueprint.rs`: reading render.yaml, the workspace's binaries and the env vars the
//! sources read.
#![allow(dead_code)]

use regex::Regex;
use serde_yaml_ng::{Mapping, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

pub fn blueprint() -> Value {
    let path = repo_root().join("render.yaml");
    let text = std::fs::read_to_string(&path).expect("render.yaml is readable");
    serde_yaml_ng::from_str(&text).expect("render.yaml is valid YAML")
}

pub fn str_of<'a>(map: &'a Mapping, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Value::as_str)
}

pub fn services(doc: &Value) -> Vec<&Mapping> {
    doc.get("services")
        .and_then(Value::as_sequence)
        .expect("`services` is a list")
        .iter()
        .map(|s| s.as_mapping().expect("each service is a mapping"))
        .collect()
}

pub fn service<'a>(doc: &'a Value, name: &str) -> &'a Mapping {
    services(doc)
        .into_iter()
        .find(|s| str_of(s, "name") == Some(name))
        .unwrap_or_else(|| panic!("render.yaml declares a service named {name}"))
}

/// `envVarGroups` by name.
pub fn groups(doc: &Value) -> BTreeMap<String, Vec<Mapping>> {
    let mut out = BTreeMap::new();
    let Some(list) = doc.get("envVarGroups").and_then(Value::as_sequence) else {
        return out;
    };
    for g in list {
        let g = g.as_mapping().expect("a group is a mapping");
        let name = str_of(g, "name").expect("a group has a name").to_owned();
        let vars = g
            .get("envVars")
            .and_then(Value::as_sequence)
            .map(|v| v.iter().filter_map(|e| e.as_mapping().cloned()).collect())
            .unwrap_or_default();
        out.insert(name, vars);
    }
    out
}

pub fn env_entries(service: &Mapping) -> Vec<&Mapping> {
    service
        .get("envVars")
        .and_then(Value::as_sequence)
        .map(|v| v.iter().filter_map(Value::as_mapping).collect())
        .unwrap_or_default()
}

/// A service's env vars, `fromGroup` entries expanded: key -> its entry.
pub fn effective_env(doc: &Value, service: &Mapping) -> BTreeMap<String, Mapping> {
    let groups = groups(doc);
    let mut out = BTreeMap::new();
    for entry in env_entries(service) {
        if let Some(group) = str_of(entry, "fromGroup") {
            for var in groups.get(group).into_iter().flatten() {
                let key = str_of(var, "key").expect("group vars have keys");
                out.insert(key.to_owned(), var.clone());
            }
        } else if let Some(key) = str_of(entry, "key") {
            out.insert(key.to_owned(), entry.clone());
        }
    }
    out
}

/// Workspace packages that build a binary (`crates/<name>/src/main.rs`).
pub fn workspace_binaries() -> BTreeSet<String> {
    let crates = repo_root().join("crates");
    std::fs::read_dir(&crates)
        .expect("crates/ is readable")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("src/main.rs").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Env var names the non-test sources of `crates/*/src` read: string literals passed to env lookups
/// (`var("X")`, `env("X")`, `get("X")`, `var_os("X")`), clap's `env = "X"`, and the names held by
/// `*_env` config defaults, `*_ENV` constants, and names leading a tuple of a table of overrides
/// (`("SELF_HEALING_INTERVAL", &mut …)`). Unit-test modules (after `#[cfg(test)]`) are skipped.
/// Returns name -> first file that reads it.
pub fn env_vars_read() -> BTreeMap<String, PathBuf> {
    const NAME: &str = r#""([A-Z][A-Z0-9_]{1,63})""#;
    let patterns = [
        format!(r"\b(?:var|var_os|env|get|lookup|getenv)\(\s*{NAME}\s*\)"),
        format!(r"\benv\s*=\s*{NAME}"),
        format!(r"\b[a-z_]*_env\s*:\s*{NAME}"),
        format!(r"\b[A-Z_]*_ENV\s*:\s*&(?:'static\s+)?str\s*=\s*{NAME}"),
        // Only names with an underscore here: tables of other things (`("PIL", "Pillow")`) lead with
        // upper-case strings too.
        r#"\(\s*"([A-Z][A-Z0-9]*_[A-Z0-9_]+)"\s*,"#.to_owned(),
    ];
    let regexes: Vec<Regex> = patterns
        .iter()
        .map(|p| Regex::new(p).expect("pattern compiles"))
        .collect();
    let mut files = Vec::new();
    for krate in std::fs::read_dir(repo_root().join("crates")).expect("crates/") {
        rust_files(&krate.expect("entry").path().join("src"), &mut files);
    }
    let mut out = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("source is readable");
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for re in &regexes {
            for cap in re.captures_iter(code) {
                out.entry(cap[1].to_owned()).or_insert_with(|| file.clone());
            }
        }
    }
    out
}
