//! Asking the interpreter again only when its answer can have changed.
//!
//! The probe starts a Python process: ~150–200 ms of CPU, most of a pass's budget. What it reports
//! (installed distributions, marker environment) changes only when the interpreter or a directory of its
//! `sys.path` changes — installing, upgrading or removing a distribution adds or removes entries in such
//! a directory, which changes its mtime. So the cache keeps the answer with a fingerprint (the
//! interpreter file as `PATH` resolves it, and every `sys.path` directory's mtime, inode and link count)
//! and probes again when the fingerprint differs, or after `max_age` as a safety net for what a stat
//! cannot see. Requirements are not part of it: the verdict is recomputed from the cached answer and the
//! freshly parsed requirements on every call, so an edited requirements file counts at once.

use super::{DependencyError, DependencyReport, Interpreter, compare, probe};
use crate::clock::SharedClock;
use crate::requirements::Requirement;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// A change this close before the probe started may or may not be in its answer (timestamps are coarse
/// on some filesystems): such an answer is used once and not kept.
const RACY_MARGIN: Duration = Duration::from_secs(2);

/// What a stat says about one file or directory; `None` when it does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    mtime: (i64, i64),
    dev: u64,
    ino: u64,
    size: u64,
    nlink: u64,
}

fn stamp(meta: std::io::Result<std::fs::Metadata>) -> Option<Stamp> {
    meta.ok().map(|m| Stamp {
        mtime: (m.mtime(), m.mtime_nsec()),
        dev: m.dev(),
        ino: m.ino(),
        size: m.size(),
        nlink: m.nlink(),
    })
}

impl Stamp {
    fn modified(&self) -> SystemTime {
        let (secs, nsecs) = self.mtime;
        let since = Duration::new(
            u64::try_from(secs).unwrap_or(0),
            u32::try_from(nsecs).unwrap_or(0),
        );
        SystemTime::UNIX_EPOCH + since
    }
}

/// Everything whose change can change the probe's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    python: String,
    /// Where `python` resolves (through `PATH` for a bare name), the link itself and its target.
    resolved: Option<PathBuf>,
    link: Option<Stamp>,
    target: Option<Stamp>,
    dirs: Vec<(PathBuf, Option<Stamp>)>,
}

impl Fingerprint {
    fn take(python: &str, dirs: &[PathBuf]) -> Fingerprint {
        let resolved = resolve(python);
        let (link, target) = match &resolved {
            Some(p) => (stamp(p.symlink_metadata()), stamp(p.metadata())),
            None => (None, None),
        };
        Fingerprint {
            python: python.to_string(),
            resolved,
            link,
            target,
            dirs: dirs
                .iter()
                .map(|d| (d.clone(), stamp(d.metadata())))
                .collect(),
        }
    }

    /// Whether anything was modified at or after `since`.
    fn changed_since(&self, since: SystemTime) -> bool {
        [&self.link, &self.target]
            .into_iter()
            .chain(self.dirs.iter().map(|(_, s)| s))
            .flatten()
            .any(|s| s.modified() >= since)
    }
}

/// The file `python` names: itself when it has a `/`, else the first match on `PATH` (as spawning does).
fn resolve(python: &str) -> Option<PathBuf> {
    if python.contains('/') {
        return Some(PathBuf::from(python));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(python))
        .find(|candidate| is_file(candidate))
}

fn is_file(path: &Path) -> bool {
    path.metadata().is_ok_and(|m| m.is_file())
}

#[derive(Debug)]
struct Entry {
    fingerprint: Fingerprint,
    interpreter: Arc<Interpreter>,
    probed_at: SystemTime,
}

/// The last probe answer per process, reused while nothing it depends on changed.
#[derive(Debug)]
pub struct ProbeCache {
    entry: Mutex<Option<Entry>>,
    max_age: Duration,
    clock: SharedClock,
    probes: AtomicU64,
    racy_margin: Duration,
}

impl ProbeCache {
    /// A cache whose answers are at most `max_age` old by `clock` (one hour suits production).
    pub fn new(max_age: Duration, clock: SharedClock) -> ProbeCache {
        ProbeCache {
            entry: Mutex::new(None),
            max_age,
            clock,
            probes: AtomicU64::new(0),
            racy_margin: RACY_MARGIN,
        }
    }

    /// What `python` has installed: the cached answer when still valid, else a new probe.
    pub async fn interpreter(
        &self,
        python: &str,
        timeout: Duration,
    ) -> Result<Arc<Interpreter>, DependencyError> {
        if let Some(cached) = self.valid(python) {
            return Ok(cached);
        }
        let started = SystemTime::now();
        self.probes.fetch_add(1, Ordering::Relaxed);
        let interpreter = Arc::new(probe(python, timeout).await?);
        let fingerprint = Fingerprint::take(python, &interpreter.search_path);
        // File times are the real clock's, whatever clock the cache was given.
        let racy = fingerprint.changed_since(started - self.racy_margin);
        *self.lock() = (!racy).then(|| Entry {
            fingerprint,
            interpreter: interpreter.clone(),
            probed_at: self.clock.now(),
        });
        Ok(interpreter)
    }

    /// [`super::check`] through the cache.
    pub async fn check(
        &self,
        python: &str,
        requirements: &[Requirement],
        timeout: Duration,
    ) -> Result<DependencyReport, DependencyError> {
        let interpreter = self.interpreter(python, timeout).await?;
        Ok(compare(requirements, &interpreter))
    }

    /// Forgets the answer (after an install this process made, say).
    pub fn invalidate(&self) {
        *self.lock() = None;
    }

    /// How many times the interpreter was really asked.
    pub fn probes(&self) -> u64 {
        self.probes.load(Ordering::Relaxed)
    }

    fn valid(&self, python: &str) -> Option<Arc<Interpreter>> {
        let guard = self.lock();
        let entry = guard.as_ref()?;
        let age = self.clock.now().duration_since(entry.probed_at).ok()?;
        if age >= self.max_age || entry.fingerprint.python != python {
            return None;
        }
        let dirs: Vec<PathBuf> = entry
            .fingerprint
            .dirs
            .iter()
            .map(|(d, _)| d.clone())
            .collect();
        (Fingerprint::take(python, &dirs) == entry.fingerprint).then(|| entry.interpreter.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Entry>> {
        self.entry.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    /// A fake interpreter answering like the probe, counting its runs in `runs`.
    fn fake_python(dir: &Path, site: &Path) -> PathBuf {
        let python = dir.join("python");
        let script = format!(
            "#!/bin/sh\necho run >> '{runs}'\nprintf '%s' '{{\"env\":{{}},\"installed\":{{}},\"paths\":[\"{site}\"]}}'\n",
            runs = dir.join("runs").display(),
            site = site.display(),
        );
        fs::write(&python, script).unwrap();
        fs::set_permissions(&python, fs::Permissions::from_mode(0o755)).unwrap();
        python
    }

    fn cache(clock: &ManualClock) -> ProbeCache {
        let mut cache = ProbeCache::new(Duration::from_secs(3600), Arc::new(clock.clone()));
        cache.racy_margin = Duration::ZERO;
        cache
    }

    #[tokio::test]
    async fn the_answer_is_reused_until_a_search_path_directory_or_the_interpreter_changes() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site-packages");
        fs::create_dir(&site).unwrap();
        let python = fake_python(dir.path(), &site);
        let python = python.to_str().unwrap();
        let clock = ManualClock::at_epoch_2026();
        let cache = cache(&clock);
        let t = Duration::from_secs(10);

        let first = cache.interpreter(python, t).await.unwrap();
        assert_eq!(first.search_path, std::slice::from_ref(&site));
        cache.interpreter(python, t).await.unwrap();
        assert_eq!(cache.probes(), 1, "nothing changed: no second probe");

        fs::create_dir(site.join("newpkg-1.0.dist-info")).unwrap();
        cache.interpreter(python, t).await.unwrap();
        assert_eq!(
            cache.probes(),
            2,
            "a distribution appeared in site-packages"
        );
        cache.interpreter(python, t).await.unwrap();
        assert_eq!(cache.probes(), 2);

        // A recreated interpreter (a new venv at the same path) is a new file.
        let replaced = dir.path().join("python.new");
        fs::copy(python, &replaced).unwrap();
        fs::rename(&replaced, python).unwrap();
        cache.interpreter(python, t).await.unwrap();
        assert_eq!(cache.probes(), 3);

        clock.advance(Duration::from_secs(3600));
        cache.interpreter(python, t).await.unwrap();
        assert_eq!(cache.probes(), 4, "max age reached");

        cache.invalidate();
        cache.interpreter(python, t).await.unwrap();
        assert_eq!(cache.probes(), 5);
        assert_eq!(
            fs::read_to_string(dir.path().join("runs"))
                .unwrap()
                .lines()
                .count(),
            5
        );
    }

    #[tokio::test]
    async fn an_answer_racing_a_change_is_not_kept_and_errors_are_never_cached() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site-packages");
        fs::create_dir(&site).unwrap();
        let python = fake_python(dir.path(), &site);
        let python = python.to_str().unwrap();
        let clock = ManualClock::at_epoch_2026();
        // The default margin: site-packages was created just now, so the answer may predate a change.
        let racy = ProbeCache::new(Duration::from_secs(3600), Arc::new(clock.clone()));
        racy.interpreter(python, Duration::from_secs(10))
            .await
            .unwrap();
        racy.interpreter(python, Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(racy.probes(), 2);

        let cache = cache(&clock);
        let missing = "/nonexistent/python3.99";
        assert!(
            cache
                .interpreter(missing, Duration::from_secs(5))
                .await
                .is_err()
        );
        assert!(
            cache
                .interpreter(missing, Duration::from_secs(5))
                .await
                .is_err()
        );
        assert_eq!(cache.probes(), 2);
    }
}
