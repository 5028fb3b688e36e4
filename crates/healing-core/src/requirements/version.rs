//! The PEP 440 subset needed to answer "does the installed version satisfy the requirement?".
//!
//! Versions: `[N!]N(.N)*[{a|b|rc}N][.postN][.devN]` (with the usual spelling variants). Local versions
//! (`+abc`) and arbitrary strings are not interpreted: the answer is `None` ("can't tell") rather than a
//! guess, so callers never act on a wrong comparison.

use std::cmp::Ordering;

/// A parsed version, with PEP 440's ordering built into its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
    epoch: u64,
    /// Trailing zeros removed so that `1.0 == 1`.
    release: Vec<u64>,
    /// (0 = a, 1 = b, 2 = rc, number).
    pre: Option<(u8, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
}

impl Version {
    fn parse(s: &str) -> Option<Version> {
        let s = s.trim().to_ascii_lowercase();
        let s = s.strip_prefix('v').unwrap_or(&s);
        let (epoch, s) = match s.split_once('!') {
            Some((e, rest)) => (e.parse().ok()?, rest),
            None => (0, s),
        };
        let release_end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (release_str, mut rest) = s.split_at(release_end);
        let release_str = release_str.strip_suffix('.').unwrap_or(release_str);
        if release_str.is_empty() {
            return None;
        }
        let mut release = release_str
            .split('.')
            .map(|p| p.parse::<u64>().ok())
            .collect::<Option<Vec<_>>>()?;
        while release.len() > 1 && release.last() == Some(&0) {
            release.pop();
        }
        let mut take = |labels: &[&str]| -> Option<Option<u64>> {
            let trimmed = rest.trim_start_matches(['.', '-', '_']);
            let label = labels.iter().find(|l| trimmed.starts_with(**l))?;
            let after = trimmed[label.len()..].trim_start_matches(['.', '-', '_']);
            let digits = after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len());
            let n = if digits == 0 {
                0
            } else {
                after[..digits].parse().ok()?
            };
            rest = &after[digits..];
            Some(Some(n))
        };
        let pre = ["rc", "c", "pre", "preview", "alpha", "beta", "a", "b"]
            .iter()
            .find_map(|l| take(&[l]).flatten().map(|n| (*l, n)))
            .map(|(l, n)| match l {
                "a" | "alpha" => (0, n),
                "b" | "beta" => (1, n),
                _ => (2, n),
            });
        let post = take(&["post", "rev", "r"]).flatten();
        let dev = take(&["dev"]).flatten();
        rest.is_empty().then_some(Version {
            epoch,
            release,
            pre,
            post,
            dev,
        })
    }

    fn is_pre(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// packaging's comparison key: dev-only releases sort before pre-releases, finals after them.
    fn key(&self) -> (u64, &[u64], (i8, u64), i128, i128) {
        let pre = match (self.pre, self.post, self.dev) {
            (None, None, Some(_)) => (-1, 0),
            (None, _, _) => (3, 0),
            (Some((phase, n)), _, _) => (phase as i8, n),
        };
        let post = self.post.map_or(-1, i128::from);
        let dev = self.dev.map_or(i128::MAX, i128::from);
        (self.epoch, &self.release, pre, post, dev)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.key(), other.key());
        a.0.cmp(&b.0)
            .then_with(|| cmp_release(a.1, b.1))
            .then_with(|| (a.2, a.3, a.4).cmp(&(b.2, b.3, b.4)))
    }
}

fn cmp_release(a: &[u64], b: &[u64]) -> Ordering {
    let len = a.len().max(b.len());
    (0..len)
        .map(|i| a.get(i).unwrap_or(&0).cmp(b.get(i).unwrap_or(&0)))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// One specifier clause: operator and version text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Arbitrary,
    Compatible,
    Eq,
    Ne,
    Le,
    Ge,
    Lt,
    Gt,
}

/// Splits `>=1.2` into its operator and version; errors name the clause.
pub(super) fn parse_clause(clause: &str) -> Result<(Op, &str), String> {
    const OPS: [(&str, Op); 8] = [
        ("===", Op::Arbitrary),
        ("~=", Op::Compatible),
        ("==", Op::Eq),
        ("!=", Op::Ne),
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("<", Op::Lt),
        (">", Op::Gt),
    ];
    let clause = clause.trim();
    let (op, version) = OPS
        .iter()
        .find_map(|(s, op)| clause.strip_prefix(s).map(|v| (*op, v.trim())))
        .ok_or_else(|| format!("`{clause}` has no version operator"))?;
    let valid = !version.is_empty()
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '*' | '+' | '!' | '-' | '_'));
    if valid {
        Ok((op, version))
    } else {
        Err(format!("`{clause}` has an invalid version"))
    }
}

/// Whether `version` satisfies every comma-separated clause of `specifier` (`""` is satisfied by any
/// version). `None` when a version or clause is outside the supported subset; a definite `false` from
/// any clause wins over `None`.
pub fn version_satisfies(version: &str, specifier: &str) -> Option<bool> {
    let specifier = specifier.trim();
    let candidate = Version::parse(version);
    let mut unknown = false;
    for clause in specifier.split(',').filter(|c| !c.trim().is_empty()) {
        let answer = parse_clause(clause)
            .ok()
            .and_then(|(op, v)| satisfies_clause(version, candidate.as_ref()?, op, v));
        match answer {
            Some(false) => return Some(false),
            Some(true) => {}
            None => unknown = true,
        }
    }
    (!unknown).then_some(true)
}

fn satisfies_clause(raw: &str, v: &Version, op: Op, spec: &str) -> Option<bool> {
    if op == Op::Arbitrary {
        return Some(raw.trim().eq_ignore_ascii_case(spec));
    }
    if let Some(prefix) = spec.strip_suffix(".*") {
        let prefix = Version::parse(prefix)?;
        if prefix.pre.is_some() || prefix.post.is_some() || prefix.dev.is_some() {
            return None;
        }
        let plen = prefix.release.len();
        let matches = v.epoch == prefix.epoch
            && (0..plen).all(|i| v.release.get(i).unwrap_or(&0) == &prefix.release[i]);
        return match op {
            Op::Eq => Some(matches),
            Op::Ne => Some(!matches),
            _ => None,
        };
    }
    let s = Version::parse(spec)?;
    Some(match op {
        Op::Eq => v.cmp(&s).is_eq(),
        Op::Ne => v.cmp(&s).is_ne(),
        Op::Le => v <= &s,
        Op::Ge => v >= &s,
        // `<1.0` excludes 1.0rc1 and `>1.0` excludes 1.0.post1 (PEP 440 "exclusive ordered comparison").
        Op::Lt => {
            v < &s && !(v.is_pre() && !s.is_pre() && cmp_release(&v.release, &s.release).is_eq())
        }
        Op::Gt => {
            v > &s
                && !(v.post.is_some()
                    && s.post.is_none()
                    && cmp_release(&v.release, &s.release).is_eq()
                    && v.pre == s.pre)
        }
        Op::Compatible => {
            // `~=1.4.2` means `>=1.4.2, ==1.4.*`; it needs at least two release parts as written.
            let written = spec
                .split(['a', 'b', 'r', 'p', 'd', '+'])
                .next()
                .unwrap_or(spec);
            let parts = written.trim_end_matches('.').split('.').count();
            if parts < 2 {
                return None;
            }
            let prefix_len = parts - 1;
            v >= &s
                && v.epoch == s.epoch
                && (0..prefix_len)
                    .all(|i| v.release.get(i).unwrap_or(&0) == s.release.get(i).unwrap_or(&0))
        }
        Op::Arbitrary => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_as_pep_440_says() {
        let ordered = [
            "1.0.dev1",
            "1.0a1",
            "1.0a2.dev1",
            "1.0a2",
            "1.0b1",
            "1.0rc1",
            "1.0",
            "1.0.post1",
            "1.1",
            "2!0.1",
        ];
        for pair in ordered.windows(2) {
            let (a, b) = (
                Version::parse(pair[0]).unwrap(),
                Version::parse(pair[1]).unwrap(),
            );
            assert!(a < b, "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(Version::parse("1.0.0"), Version::parse("1"));
        assert_eq!(Version::parse("1.0-RC-1"), Version::parse("1.0rc1"));
    }

    #[test]
    fn local_and_garbage_versions_are_not_guessed() {
        assert_eq!(Version::parse("1.0+local"), None);
        assert_eq!(Version::parse("banana"), None);
        assert_eq!(version_satisfies("1.0+cpu", ">=1"), None);
    }
}
