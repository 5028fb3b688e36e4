//! The small checks `validate` is built from; each records a problem under the key it was given.

use super::keypath::KeyPath;
use super::validate::Report;
use std::path::Path;
use std::time::Duration;

/// Agent names end up in file names, metric labels and alert titles.
pub(crate) fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

pub(crate) fn is_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

pub(crate) fn env_name(r: &mut Report, key: KeyPath, name: &str) {
    if !is_env_name(name) {
        r.problem(
            key,
            format!("{name:?} is not a valid environment variable name"),
        );
    }
}

pub(crate) fn argv(r: &mut Report, key: KeyPath, argv: &[String]) {
    match argv.first() {
        None => r.problem(
            key,
            "must not be empty: give the program and its arguments as a list",
        ),
        Some(program) if program.trim().is_empty() => r.problem(key.index(0), "empty program name"),
        Some(_) => {}
    }
}

pub(crate) fn non_empty_path(r: &mut Report, key: KeyPath, path: &Path) {
    if path.as_os_str().is_empty() {
        r.problem(key, "empty path");
    }
}

pub(crate) fn non_zero(r: &mut Report, key: KeyPath, d: Duration) {
    if d.is_zero() {
        r.problem(key, "must be longer than zero");
    }
}

pub(crate) fn at_least(r: &mut Report, key: KeyPath, value: u64, min: u64) {
    if value < min {
        r.problem(key, format!("must be at least {min}, got {value}"));
    }
}

/// A URL with one of `schemes` (and a host when `host` is set). The URL itself is never echoed: it may
/// carry credentials.
pub(crate) fn url_with_scheme(
    r: &mut Report,
    key: KeyPath,
    raw: &str,
    schemes: &[&str],
    host: bool,
) {
    match url::Url::parse(raw) {
        Err(e) => r.problem(key, format!("not a valid URL: {e}")),
        Ok(u) if !schemes.contains(&u.scheme()) => r.problem(
            key,
            format!(
                "scheme must be one of {}, got {:?}",
                schemes.join(", "),
                u.scheme()
            ),
        ),
        Ok(u) if host && u.host_str().is_none_or(str::is_empty) => {
            r.problem(key, "URL has no host")
        }
        Ok(_) => {}
    }
}
