//! Operator control: the closed set of commands an operator can give a running supervisor, whatever
//! the transport (Unix socket, HTTP, Key Value, Telegram), and the one place they are dispatched.
//!
//! Every transport turns its input into a [`Request`] and sends it as [`Event::Control`] into the
//! supervisor's event loop, so a command is applied between two events like everything else — no
//! lock, no race with an exit being handled. The reply comes back on a oneshot channel.

use crate::event::Event;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;
use tokio::sync::{mpsc, oneshot};

/// What the operator asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verb {
    /// Start a stopped agent.
    Start,
    /// Stop an agent and keep it stopped (also across supervisor restarts).
    Stop,
    /// Graceful restart now, outside the hourly budget; backoff starts over.
    Restart,
    /// Clear a hold (breaker, budget, needs attention) and start one trial now.
    Resume,
    /// Re-read the configuration and apply the difference.
    Reload,
    /// The agent's last log lines.
    Logs,
    /// One line per agent (Telegram `/status`; the CLI's `status` reads the state documents).
    Status,
    /// Run a proposed fix (`fixes.mode = "propose"`); the name is the proposal id.
    Apply,
    /// Drop a proposed fix; the name is the proposal id.
    Skip,
    /// Hold back the agent's alerts (all sinks) for an hour (see [`crate::mute`]).
    Mute,
}

impl Verb {
    /// Every verb, for parsing and help texts.
    pub const ALL: [Verb; 10] = [
        Verb::Start,
        Verb::Stop,
        Verb::Restart,
        Verb::Resume,
        Verb::Reload,
        Verb::Logs,
        Verb::Status,
        Verb::Apply,
        Verb::Skip,
        Verb::Mute,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Start => "start",
            Verb::Stop => "stop",
            Verb::Restart => "restart",
            Verb::Resume => "resume",
            Verb::Reload => "reload",
            Verb::Logs => "logs",
            Verb::Status => "status",
            Verb::Apply => "apply",
            Verb::Skip => "skip",
            Verb::Mute => "mute",
        }
    }

    /// Parses a lowercase name (`/control/<verb>/...`, Telegram `/<verb>`).
    pub fn parse(s: &str) -> Option<Verb> {
        Verb::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Whether the verb names an agent.
    pub fn needs_agent(self) -> bool {
        !matches!(self, Verb::Reload | Verb::Status)
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a command came from (recorded in the history).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `self-healing-agent <verb>` on the same machine (Unix socket) or through Key Value.
    Cli,
    /// `POST /control/<verb>/<name>`.
    Http,
    /// A Telegram command or button.
    Telegram,
    /// SIGHUP (reload).
    Signal,
}

impl Source {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Cli => "cli",
            Source::Http => "http",
            Source::Telegram => "telegram",
            Source::Signal => "sighup",
        }
    }
}

/// One command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// What to do.
    pub verb: Verb,
    /// The agent (all verbs but `reload`).
    #[serde(default)]
    pub name: Option<String>,
    /// `logs`: how many lines (default [`DEFAULT_LOG_LINES`]).
    #[serde(default)]
    pub lines: Option<usize>,
    /// `logs`: keep following the file.
    #[serde(default)]
    pub follow: bool,
}

impl Request {
    /// `reload`.
    pub fn reload() -> Self {
        Self {
            verb: Verb::Reload,
            name: None,
            lines: None,
            follow: false,
        }
    }

    /// A request naming an agent (or a proposal id).
    pub fn named(verb: Verb, name: String) -> Self {
        Self {
            verb,
            name: Some(name),
            lines: None,
            follow: false,
        }
    }
}

/// Lines `logs` prints without `-n`.
pub const DEFAULT_LOG_LINES: usize = 50;
/// Upper bound on `logs -n`, so no request makes the supervisor hold a whole file in memory.
pub const MAX_LOG_LINES: usize = 10_000;

/// How a command ended; decides the CLI's exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done (exit 0).
    Done,
    /// Refused: the agent is not in a state the verb applies to, or the new config is invalid (exit 1).
    Refused,
    /// No agent of that name (exit 1).
    UnknownAgent,
    /// No running supervisor answered (exit 1).
    NoSupervisor,
    /// The request itself is malformed (exit 2).
    BadRequest,
}

impl Outcome {
    /// The CLI's exit status.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Done => 0,
            Outcome::BadRequest => 2,
            Outcome::Refused | Outcome::UnknownAgent | Outcome::NoSupervisor => 1,
        }
    }

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Refused => "refused",
            Outcome::UnknownAgent => "unknown_agent",
            Outcome::NoSupervisor => "no_supervisor",
            Outcome::BadRequest => "bad_request",
        }
    }

    /// The HTTP status for the same outcome.
    pub fn http_status(self) -> u16 {
        match self {
            Outcome::Done => 200,
            Outcome::Refused => 409,
            Outcome::UnknownAgent => 404,
            Outcome::NoSupervisor => 503,
            Outcome::BadRequest => 400,
        }
    }
}

/// The answer to one command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// How it ended.
    pub outcome: Outcome,
    /// One line for a human (already redacted).
    pub message: String,
    /// `logs`: the agent's log file (for the transport to read; never sent to clients).
    #[serde(skip)]
    pub log_path: Option<PathBuf>,
}

impl Reply {
    /// A reply without a log path.
    pub fn new(outcome: Outcome, message: impl Into<String>) -> Self {
        Self {
            outcome,
            message: message.into(),
            log_path: None,
        }
    }

    /// [`Outcome::Done`].
    pub fn done(message: impl Into<String>) -> Self {
        Self::new(Outcome::Done, message)
    }

    /// [`Outcome::Refused`].
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(Outcome::Refused, message)
    }
}

/// Checks the shape of a request before it reaches the loop.
pub fn validate(req: &Request) -> Result<(), Reply> {
    match (&req.name, req.verb.needs_agent()) {
        (None, true) => Err(Reply::new(
            Outcome::BadRequest,
            format!("{} needs an agent name", req.verb),
        )),
        (Some(n), true) if n.is_empty() || n.len() > 200 => {
            Err(Reply::new(Outcome::BadRequest, "invalid agent name"))
        }
        _ => Ok(()),
    }
}

/// Sends `req` into the supervisor's loop and waits for its answer. Used by every transport.
pub async fn submit(events: &mpsc::UnboundedSender<Event>, req: Request, source: Source) -> Reply {
    if let Err(bad) = validate(&req) {
        return bad;
    }
    let (tx, rx) = oneshot::channel();
    let sent = events.send(Event::Control {
        request: req,
        source,
        reply: tx,
    });
    if sent.is_err() {
        return Reply::new(Outcome::NoSupervisor, "the supervisor is shutting down");
    }
    rx.await.unwrap_or_else(|_| {
        Reply::new(
            Outcome::NoSupervisor,
            "the supervisor stopped before answering",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_round_trip_and_exit_codes_follow_the_contract() {
        for v in Verb::ALL {
            assert_eq!(Verb::parse(v.as_str()), Some(v));
        }
        assert_eq!(Verb::parse("kill"), None);
        assert_eq!(Outcome::Done.exit_code(), 0);
        assert_eq!(Outcome::Refused.exit_code(), 1);
        assert_eq!(Outcome::UnknownAgent.exit_code(), 1);
        assert_eq!(Outcome::NoSupervisor.exit_code(), 1);
        assert_eq!(Outcome::BadRequest.exit_code(), 2);
    }

    #[test]
    fn a_verb_that_names_an_agent_without_one_is_a_bad_request() {
        let req = Request {
            verb: Verb::Stop,
            name: None,
            lines: None,
            follow: false,
        };
        assert_eq!(validate(&req).unwrap_err().outcome, Outcome::BadRequest);
        let reload = Request {
            verb: Verb::Reload,
            ..req
        };
        assert!(validate(&reload).is_ok());
    }
}
