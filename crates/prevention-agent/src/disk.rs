//! Usage of the filesystems holding the configured paths.
//!
//! Percent used is `1 - f_bavail / f_blocks`, the share an unprivileged writer has lost (what `df` shows
//! as Use%, up to its rounding), because the agents write as an unprivileged user.

use std::path::{Path, PathBuf};

/// One filesystem, as seen from one configured path.
#[derive(Debug, Clone, PartialEq)]
pub struct DiskUsage {
    /// The configured path (the filesystem is the one holding it).
    pub path: PathBuf,
    /// Size in bytes.
    pub total_bytes: u64,
    /// Bytes available to unprivileged writers.
    pub available_bytes: u64,
    /// Percent used.
    pub used_percent: f64,
    /// Inodes available to unprivileged writers; `None` when the filesystem has no fixed inode table
    /// (btrfs, some overlays report zero).
    pub free_inodes: Option<u64>,
    /// Percent of inodes used, with the same caveat.
    pub inodes_used_percent: Option<f64>,
}

/// Errors name the path.
#[derive(Debug, thiserror::Error)]
#[error("cannot stat the filesystem of {path}: {source}")]
pub struct DiskError {
    path: PathBuf,
    source: std::io::Error,
}

/// Measures the filesystem holding `path`: `statvfs`, or the host's disk list through sysinfo
/// ([`crate::host::disk`], without inode counts) where `statvfs` is not available for an existing path.
pub fn usage(path: &Path) -> Result<DiskUsage, DiskError> {
    let st = match rustix::fs::statvfs(path) {
        Ok(st) => st,
        Err(e) => {
            let source: std::io::Error = e.into();
            return match crate::host::disk(path) {
                Some((total, available)) if source.kind() != std::io::ErrorKind::NotFound => {
                    Ok(from_totals(path, total, available))
                }
                _ => Err(DiskError {
                    path: path.to_path_buf(),
                    source,
                }),
            };
        }
    };
    let frsize = if st.f_frsize > 0 {
        st.f_frsize
    } else {
        st.f_bsize
    };
    let used_percent = if st.f_blocks == 0 {
        0.0
    } else {
        100.0 * (1.0 - st.f_bavail as f64 / st.f_blocks as f64)
    };
    let (free_inodes, inodes_used_percent) = if st.f_files == 0 {
        (None, None)
    } else {
        (
            Some(st.f_favail),
            Some(100.0 * (1.0 - st.f_favail as f64 / st.f_files as f64)),
        )
    };
    Ok(DiskUsage {
        path: path.to_path_buf(),
        total_bytes: st.f_blocks.saturating_mul(frsize),
        available_bytes: st.f_bavail.saturating_mul(frsize),
        used_percent: used_percent.clamp(0.0, 100.0),
        free_inodes,
        inodes_used_percent,
    })
}

/// A usage from byte totals alone (no inode table known).
fn from_totals(path: &Path, total: u64, available: u64) -> DiskUsage {
    DiskUsage {
        path: path.to_path_buf(),
        total_bytes: total,
        available_bytes: available,
        used_percent: (100.0 * (1.0 - available as f64 / total as f64)).clamp(0.0, 100.0),
        free_inodes: None,
        inodes_used_percent: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temp_dir_has_a_sane_filesystem() {
        let dir = tempfile::tempdir().unwrap();
        let u = usage(dir.path()).unwrap();
        assert!(u.total_bytes > 0);
        assert!(u.available_bytes <= u.total_bytes);
        assert!((0.0..=100.0).contains(&u.used_percent));
    }

    #[test]
    fn a_missing_path_is_an_error_naming_it() {
        let err = usage(Path::new("/no/such/dir/for/prevention")).unwrap_err();
        assert!(err.to_string().contains("/no/such/dir/for/prevention"));
    }
}
