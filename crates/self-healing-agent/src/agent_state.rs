//! An agent's lifecycle as the supervisor sees it, with every allowed move in one table.
//!
//! The names are the `status` values of `agent_status.json`, so they are a public contract.

use serde::Serialize;
use std::fmt;

/// Where an agent is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    /// About to be spawned: a fix is running or the restart is due now.
    Starting,
    /// The process is alive.
    Running,
    /// Waiting for its backoff delay or for the hourly budget to allow a restart.
    Backoff,
    /// Its breaker is open: held until the cooldown allows one trial.
    CircuitOpen,
    /// Restarting cannot help (code, config or a refused fix): held until a human acts.
    NeedsAttention,
    /// Not running and nothing scheduled (exited and not yet decided, disabled, or shut down).
    Stopped,
}

/// What happened to the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// A fix or an immediate restart begins.
    Prepare,
    /// The process was spawned.
    Spawned,
    /// The process ended (or could not be spawned).
    Exited,
    /// A restart was scheduled for later.
    Delay,
    /// The breaker refused a restart.
    Trip,
    /// The failure needs a human.
    Hold,
    /// The supervisor is shutting down (held agents keep their state).
    Shutdown,
    /// The operator stopped an agent that had no process (held, waiting or stopped).
    Halt,
}

impl Lifecycle {
    /// Every state, for table tests and summaries.
    pub const ALL: [Lifecycle; 6] = [
        Lifecycle::Starting,
        Lifecycle::Running,
        Lifecycle::Backoff,
        Lifecycle::CircuitOpen,
        Lifecycle::NeedsAttention,
        Lifecycle::Stopped,
    ];

    /// The one transition table. `None` means the move is not allowed and the state stays.
    pub fn next(self, t: Transition) -> Option<Lifecycle> {
        use Lifecycle::*;
        use Transition::*;
        match (self, t) {
            // A deliberate hold outlives the supervisor: `status` after a run shows why.
            (CircuitOpen | NeedsAttention, Shutdown) => None,
            (_, Shutdown) => Some(Stopped),
            (Running, Exited) | (Starting, Exited) => Some(Stopped),
            (Running, _) => None,
            (_, Halt) => Some(Stopped),
            (Stopped | Backoff | CircuitOpen | NeedsAttention | Starting, Spawned) => Some(Running),
            (Stopped | Backoff | CircuitOpen | NeedsAttention, Prepare) => Some(Starting),
            (Stopped | Starting | Backoff | CircuitOpen, Delay) => Some(Backoff),
            (Stopped | Starting | Backoff | CircuitOpen, Trip) => Some(CircuitOpen),
            (Stopped | Starting | Backoff | CircuitOpen, Hold) => Some(NeedsAttention),
            _ => None,
        }
    }

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Starting => "starting",
            Lifecycle::Running => "running",
            Lifecycle::Backoff => "backoff",
            Lifecycle::CircuitOpen => "circuit_open",
            Lifecycle::NeedsAttention => "needs_attention",
            Lifecycle::Stopped => "stopped",
        }
    }

    /// Deliberately held (counts as acceptable for `/health`).
    pub fn is_held(self) -> bool {
        matches!(self, Lifecycle::NeedsAttention | Lifecycle::CircuitOpen)
    }
}

impl fmt::Display for Lifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Lifecycle::*;
    use super::Transition::*;
    use super::*;

    #[test]
    fn lifecycle_transitions_follow_the_table() {
        let table = [
            (Stopped, Spawned, Some(Running)),
            (Running, Exited, Some(Stopped)),
            (Running, Delay, None),
            (Running, Spawned, None),
            (Stopped, Delay, Some(Backoff)),
            (Backoff, Prepare, Some(Starting)),
            (Starting, Spawned, Some(Running)),
            (Starting, Exited, Some(Stopped)),
            (Stopped, Trip, Some(CircuitOpen)),
            (CircuitOpen, Prepare, Some(Starting)),
            (Stopped, Hold, Some(NeedsAttention)),
            (NeedsAttention, Delay, None),
            (Backoff, Exited, None),
            (NeedsAttention, Halt, Some(Stopped)),
            (CircuitOpen, Halt, Some(Stopped)),
            (Running, Halt, None),
        ];
        for (from, t, to) in table {
            assert_eq!(from.next(t), to, "{from} --{t:?}-->");
        }
    }

    #[test]
    fn shutdown_stops_every_state_but_the_held_ones_which_only_count_as_held() {
        for s in Lifecycle::ALL {
            let want = if s.is_held() { None } else { Some(Stopped) };
            assert_eq!(s.next(Shutdown), want, "{s}");
        }
        let held: Vec<_> = Lifecycle::ALL.into_iter().filter(|s| s.is_held()).collect();
        assert_eq!(held, vec![CircuitOpen, NeedsAttention]);
    }
}
