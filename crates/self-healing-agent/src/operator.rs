//! What each operator command does to the supervisor's state: the one dispatch `match` over
//! [`Verb`], run inside the event loop. `stop` and a `restart` of a live agent answer once the process
//! has ended (see [`Supervisor::after_operator_exit`]); everything else answers at once.

use crate::agent::{AgentRt, Pending, Wake};
use crate::agent_state::{Lifecycle, Transition};
use crate::control::{Outcome, Reply, Request, Source, Verb};
use crate::event::AgentId;
use crate::healer::breaker_key;
use crate::supervisor::Supervisor;
use tokio::sync::oneshot;

impl Supervisor {
    /// An operator's command in the history (`event: operator`, the verb as the action).
    fn record_operator(&mut self, agent: &str, verb: Verb, msg: &str) {
        self.record(
            agent,
            "operator",
            None,
            Some(verb.as_str().into()),
            None,
            msg,
        );
        self.dirty = true;
    }

    /// Applies one operator command; the answer goes to `reply` (now, or when the process ends).
    pub(crate) fn on_control(
        &mut self,
        req: Request,
        source: Source,
        reply: oneshot::Sender<Reply>,
    ) {
        if self.stopping {
            let _ = reply.send(Reply::refused("the supervisor is shutting down"));
            return;
        }
        match req.verb {
            Verb::Reload => {
                let _ = reply.send(self.reload_config(source));
                return;
            }
            Verb::Status => {
                let _ = reply.send(Reply::done(self.status_lines()));
                return;
            }
            Verb::Apply | Verb::Skip => {
                let pid = req.name.clone().unwrap_or_default();
                let answer = if req.verb == Verb::Apply {
                    self.apply_proposal(&pid)
                } else {
                    self.skip_proposal(&pid)
                };
                let msg = format!(
                    "{} by operator ({}): {}",
                    req.verb,
                    source.as_str(),
                    answer.message
                );
                tracing::info!(proposal = %pid, "{msg}");
                self.record_operator(crate::SOURCE, req.verb, &msg);
                let _ = reply.send(answer);
                return;
            }
            _ => {}
        }
        let name = req.name.clone().unwrap_or_default();
        let Some(id) = self
            .agents
            .iter()
            .position(|a| a.cfg.name == name && !a.removed)
        else {
            let known: Vec<&str> = self
                .agents
                .iter()
                .filter(|a| !a.removed)
                .map(|a| a.cfg.name.as_str())
                .collect();
            let _ = reply.send(Reply::new(
                Outcome::UnknownAgent,
                format!("unknown agent {name:?} (agents: {})", known.join(", ")),
            ));
            return;
        };
        let answer = match req.verb {
            Verb::Logs => Answer::Now(Reply {
                log_path: Some(self.logs_dir.join(format!("{name}.log"))),
                ..Reply::done("")
            }),
            Verb::Stop => self.operator_stop(id),
            Verb::Restart => self.operator_restart(id),
            Verb::Start => Answer::Now(self.operator_start(id)),
            Verb::Resume => Answer::Now(self.operator_resume(id)),
            Verb::Mute => Answer::Now(self.operator_mute(id)),
            Verb::Reload | Verb::Status | Verb::Apply | Verb::Skip => {
                Answer::Now(Reply::refused("names no agent"))
            }
        };
        if req.verb != Verb::Logs {
            let what = match &answer {
                Answer::Now(r) => format!("{}: {}", r.outcome.as_str(), r.message),
                Answer::Park(_) => "waiting for the process to end".to_string(),
            };
            let msg = format!("{} by operator ({}): {what}", req.verb, source.as_str());
            tracing::info!(agent = %name, verb = %req.verb, source = source.as_str(), "{msg}");
            self.record_operator(&name, req.verb, &msg);
        }
        match answer {
            Answer::Now(r) => {
                let _ = reply.send(r);
            }
            Answer::Park(verb) => park(&mut self.agents[id], verb, Some(reply)),
        }
    }

    /// `stop`: TERM the group (grace, KILL) and keep it stopped.
    fn operator_stop(&mut self, id: AgentId) -> Answer {
        if self.operator_end(id, true, "stopped by operator") {
            return Answer::Park(Verb::Stop);
        }
        self.agents[id].go(Transition::Halt);
        let name = &self.agents[id].cfg.name;
        Answer::Now(Reply::done(format!("{name} stopped (it was not running)")))
    }

    /// `restart`: graceful restart now, outside the hourly budget, backoff from the start.
    fn operator_restart(&mut self, id: AgentId) -> Answer {
        let name = self.agents[id].cfg.name.clone();
        let life = self.agents[id].life;
        if life.is_held() {
            return Answer::Now(Reply::refused(format!(
                "{name} is held ({life}): use resume to clear the hold"
            )));
        }
        if life == Lifecycle::Starting && self.agents[id].pid.is_none() {
            return Answer::Now(Reply::refused(format!(
                "{name} is starting (a fix is running)"
            )));
        }
        if self.operator_end(id, false, "restarted by operator") {
            return Answer::Park(Verb::Restart);
        }
        Answer::Now(self.operator_spawn(id, "restarted"))
    }

    /// What `stop` and `restart` share: timers cleared, backoff from the start, `keep_stopped`
    /// recorded, and the process (if any) ended gracefully. True when there was one to end.
    fn operator_end(&mut self, id: AgentId, keep_stopped: bool, reason: &str) -> bool {
        let name = self.agents[id].cfg.name.clone();
        self.healer.operator_reset(&name);
        let agent = &mut self.agents[id];
        agent.operator_stopped = keep_stopped;
        agent.wake = None;
        match agent.pid {
            Some(pid) => {
                self.end_process(id, pid, reason);
                true
            }
            None => false,
        }
    }

    /// `start`: starts an agent that is not running and not held.
    fn operator_start(&mut self, id: AgentId) -> Reply {
        let agent = &self.agents[id];
        let name = agent.cfg.name.clone();
        if let Some(pid) = agent.pid {
            return Reply::refused(format!("{name} is already running (pid {pid})"));
        }
        match agent.life {
            l if l.is_held() => Reply::refused(format!(
                "{name} is held ({l}): use resume to clear the hold"
            )),
            Lifecycle::Starting => Reply::refused(format!("{name} is starting (a fix is running)")),
            _ => {
                self.healer.operator_reset(&name);
                self.agents[id].operator_stopped = false;
                self.agents[id].wake = None;
                self.operator_spawn(id, "started")
            }
        }
    }

    /// `resume`: clears the hold (breaker — the shared dependency's too —, budget, needs attention) and
    /// starts one trial now. Other agents held by the same dependency breaker are retried at once.
    fn operator_resume(&mut self, id: AgentId) -> Reply {
        let agent = &self.agents[id];
        let name = agent.cfg.name.clone();
        if let Some(pid) = agent.pid {
            return Reply::refused(format!("{name} is running (pid {pid}): nothing to resume"));
        }
        if agent.operator_stopped {
            return Reply::refused(format!("{name} was stopped by the operator: use start"));
        }
        if agent.life == Lifecycle::Starting {
            return Reply::refused(format!("{name} is starting (a fix is running)"));
        }
        let key = agent
            .cause
            .as_ref()
            .map(|c| breaker_key(&name, c))
            .unwrap_or_else(|| format!("agent:{name}"));
        self.healer.resume(&name, &key);
        let now = self.clock.now();
        let behind: Vec<AgentId> = (0..self.agents.len())
            .filter(|&o| o != id && self.agents[o].pid.is_none() && self.agents[o].life.is_held())
            .filter(|&o| {
                let other = &self.agents[o];
                other
                    .cause
                    .as_ref()
                    .is_some_and(|c| breaker_key(&other.cfg.name, c) == key)
            })
            .collect();
        for o in &behind {
            self.agents[*o].wake = Some((now, Wake::Retry));
        }
        self.agents[id].wake = None;
        self.agents[id].go(Transition::Prepare);
        if !self.spawn_agent(id) {
            return Reply::refused(format!("{name} could not be started; see its log"));
        }
        // The trial counts like any restart: if it fails fast the breaker sees it.
        self.healer.on_restarted(&name, &key, now);
        let also = if behind.is_empty() {
            String::new()
        } else {
            format!(" ({} more agent(s) behind {key} retried)", behind.len())
        };
        Reply::done(format!(
            "{name} resumed: trial started (pid {}){also}",
            self.agents[id].pid.unwrap_or_default()
        ))
    }

    /// One line per agent: status, pid, why it is not running.
    fn status_lines(&self) -> String {
        let lines: Vec<String> = self
            .agents
            .iter()
            .filter(|a| !a.removed)
            .map(|a| {
                let mut l = format!("{}: {}", a.cfg.name, a.life);
                if let Some(pid) = a.pid {
                    l.push_str(&format!(" (pid {pid})"));
                }
                if a.operator_stopped {
                    l.push_str(" by operator");
                }
                if !a.waiting_for.is_empty() {
                    l.push_str(&format!(", waiting for {}", a.waiting_for.join(", ")));
                }
                if let (Some(c), true) = (&a.cause, a.life.is_held()) {
                    l.push_str(&format!(", cause {}", c.kind));
                }
                l
            })
            .collect();
        lines.join("\n")
    }

    /// Ends the agent's process gracefully (TERM to the group, grace, KILL) for `reason`; its exit is
    /// then finished by [`Supervisor::after_operator_exit`].
    pub(crate) fn end_process(&mut self, id: AgentId, pid: u32, reason: &str) {
        self.agents[id].kill_reason = Some(reason.to_string());
        let grace = self.config.self_healing.grace_period;
        tokio::spawn(crate::shutdown::terminate_group(pid, grace));
    }

    /// Spawns outside the healer (not a restart decision, not counted in the budget).
    fn operator_spawn(&mut self, id: AgentId, what: &str) -> Reply {
        let name = self.agents[id].cfg.name.clone();
        self.agents[id].go(Transition::Prepare);
        if self.spawn_agent(id) {
            Reply::done(format!(
                "{name} {what} (pid {})",
                self.agents[id].pid.unwrap_or_default()
            ))
        } else {
            Reply::refused(format!("{name} could not be started; see its log"))
        }
    }

    /// The process of an agent with a parked `stop`/`restart` ended: finish the command. Returns false
    /// when nothing was parked (the exit is handled as usual).
    pub(crate) fn after_operator_exit(&mut self, id: AgentId) -> bool {
        let Some(pending) = self.agents[id].pending.take() else {
            return false;
        };
        let name = self.agents[id].cfg.name.clone();
        self.agents[id].run_cause = None;
        let answer = match pending.verb {
            Verb::Restart if !self.stopping => {
                self.healer.operator_reset(&name);
                self.operator_spawn(id, "restarted")
            }
            _ => {
                self.agents[id].operator_stopped = pending.verb == Verb::Stop;
                Reply::done(format!("{name} stopped"))
            }
        };
        for w in pending.waiters {
            let _ = w.send(answer.clone());
        }
        self.dirty = true;
        true
    }
}

/// Parks a `stop`/`restart` (and who waits for it) on the agent until its process ends. A second one
/// while the first is in flight: the later verb wins, everyone is answered.
pub(crate) fn park(agent: &mut AgentRt, verb: Verb, reply: Option<oneshot::Sender<Reply>>) {
    let pending = agent.pending.get_or_insert_with(|| Pending {
        verb,
        waiters: Vec::new(),
    });
    pending.verb = verb;
    pending.waiters.extend(reply);
}

/// A command's answer: now, or when the agent's process has ended.
#[derive(Debug)]
enum Answer {
    Now(Reply),
    Park(Verb),
}
