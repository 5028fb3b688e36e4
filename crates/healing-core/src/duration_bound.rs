//! Every configured duration is at most [`MAX`] (ten years).
//!
//! Durations are added to clock readings and multiplied on backoff curves; `"10000y"` parses fine
//! but overflows the first `SystemTime + Duration` at run time (a panic, and agents orphaned). The
//! bound is enforced where the value is read, so `check-config` reports it with its key and line and
//! the loops can add any configured duration to any clock reading without overflow.

use serde::{Deserialize, Deserializer, Serializer};
use std::time::Duration;

/// The longest duration a configuration may hold: ten of humantime's years (365.25 days), so `"10y"` passes.
pub const MAX: Duration = Duration::from_secs(315_576_000);

/// `Err` naming the bound when `d` exceeds [`MAX`].
pub fn check(d: Duration) -> Result<Duration, String> {
    if d > MAX {
        Err(format!(
            "{} is too long: at most 10 years",
            humantime::format_duration(d)
        ))
    } else {
        Ok(d)
    }
}

/// `t + d`, saturating instead of panicking (a clock reading far in the future stays far in the
/// future): the decisions add configured durations to wall-clock readings.
pub fn later(t: std::time::SystemTime, d: Duration) -> std::time::SystemTime {
    t.checked_add(d).or_else(|| t.checked_add(MAX)).unwrap_or(t)
}

/// `#[serde(with = "crate::duration_bound")]`: a humantime string, at most [`MAX`].
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    let value = humantime::parse_duration(&text).map_err(serde::de::Error::custom)?;
    check(value).map_err(serde::de::Error::custom)
}

/// Serialises as humantime text, the form it is read in.
pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    humantime_serde::serialize(d, s)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ten_years_pass_and_more_is_refused_by_name() {
        assert_eq!(check(MAX), Ok(MAX));
        let err = check(MAX + Duration::from_secs(1)).unwrap_err();
        assert!(err.contains("at most 10 years"), "{err}");
        // The bound keeps clock arithmetic in range.
        assert!(std::time::SystemTime::now().checked_add(MAX).is_some());
        let now = std::time::SystemTime::now();
        assert_eq!(later(now, Duration::MAX), now + MAX);
        assert_eq!(
            later(now, Duration::from_secs(1)),
            now + Duration::from_secs(1)
        );
    }
}
