//! The healer's answer for one agent — restart (when, which attempt, fix first?) or hold (why, until
//! when) — which the supervisor's reactions carry out.

use std::time::SystemTime;

/// Why an agent is not restarted now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldReason {
    /// Needs a human (code/config problem or a refused fix).
    NeedsAttention,
    /// The breaker is open.
    CircuitOpen,
    /// The hourly budget is spent.
    Budget,
}

/// The supervisor's next move for one agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Restart at `at` (now or later); `fix_first` runs the planned fix before spawning.
    Restart {
        /// When to spawn.
        at: SystemTime,
        /// 1-based attempt number, for the log line.
        attempt: u32,
        /// This is the breaker's single half-open trial.
        trial: bool,
        /// Breaker the attempt is counted against.
        breaker_key: String,
        /// Run the planned fix before the restart.
        fix_first: bool,
    },
    /// Do not restart now; retry at `retry_at` when set.
    Hold {
        /// Why.
        reason: HoldReason,
        /// When the hold may end by itself.
        retry_at: Option<SystemTime>,
        /// The breaker concerned.
        breaker_key: String,
    },
}
