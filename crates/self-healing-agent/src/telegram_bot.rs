//! Telegram commands (`alerts.telegram.commands = true`): the supervisor long-polls `getUpdates`
//! (outbound only, so it works on a Render worker that receives no traffic) and answers `/status`,
//! `/logs NAME [N]`, `/restart NAME`, `/stop NAME`, `/start NAME` and `/resume NAME` — only in the
//! configured chat and, when `allowed_user_ids` is set, only from those users; everything else is
//! ignored and logged. Hold notices carry Resume / Restart / Mute 1 h buttons; a press goes through the
//! same control path as the CLI and the message is edited to say what happened.

use crate::control::{self, Outcome, Reply, Request, Source, Verb};
use crate::event::Event;
use crate::log_tail::tail;
use crate::supervisor::Supervisor;
use crate::telegram_api::{BotApi, CallbackQuery, Message, Update};
use healing_core::config::TelegramConfig;
use healing_core::redact::{self, Secret};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// `/logs` without a count.
const TELEGRAM_LOG_LINES: usize = 20;
/// `/logs` at most (one message).
const MAX_TELEGRAM_LOG_LINES: usize = 100;
/// How long Mute silences an agent's hold notices.
const MUTE: Duration = Duration::from_secs(3600);
/// Longest pause after failed polls.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// A hold the chat should hear about, with buttons.
#[derive(Debug, Clone)]
pub struct HoldNotice {
    /// The held agent.
    pub agent: String,
    /// What happened (already redacted by the caller's alert path rules: no env values).
    pub text: String,
    /// A fix proposal (Apply / Skip buttons) instead of a hold (Resume / Restart / Mute).
    pub proposal: Option<u64>,
}

/// The bot's state.
#[derive(Debug)]
struct Bot {
    api: BotApi,
    chat_id: String,
    allowed: Vec<i64>,
    events: mpsc::UnboundedSender<Event>,
    muted: BTreeMap<String, Instant>,
}

/// Starts the bot when commands are on and the token and chat id are set; returns the channel hold
/// notices go to.
pub fn start(
    cfg: &TelegramConfig,
    events: mpsc::UnboundedSender<Event>,
    stop: CancellationToken,
) -> Option<mpsc::UnboundedSender<HoldNotice>> {
    if !cfg.commands {
        return None;
    }
    let token = std::env::var(&cfg.token_env).ok().filter(|t| !t.is_empty());
    let chat_id = std::env::var(&cfg.chat_id_env)
        .ok()
        .filter(|c| !c.is_empty());
    let (Some(token), Some(chat_id)) = (token, chat_id) else {
        tracing::warn!(token_env = %cfg.token_env, chat_id_env = %cfg.chat_id_env,
            "alerts.telegram.commands is on but the token or chat id is not set: no Telegram commands");
        return None;
    };
    let api = BotApi::new(&cfg.api_base, Secret::new(token))?;
    let (tx, rx) = mpsc::unbounded_channel();
    let bot = Bot {
        api,
        chat_id,
        allowed: cfg.allowed_user_ids.clone(),
        events,
        muted: BTreeMap::new(),
    };
    tokio::spawn(bot.run(rx, stop));
    tracing::info!("Telegram commands on");
    Some(tx)
}

impl Supervisor {
    /// Tells the chat an agent is held, with buttons (when the bot runs).
    pub(crate) fn notify_hold(&self, agent: &str, text: &str) {
        if let Some(tx) = &self.hold_notices {
            let _ = tx.send(HoldNotice {
                agent: agent.to_string(),
                text: text.to_string(),
                proposal: None,
            });
        }
    }
}

impl Bot {
    async fn run(
        mut self,
        mut notices: mpsc::UnboundedReceiver<HoldNotice>,
        stop: CancellationToken,
    ) {
        let mut offset = 0i64;
        let mut failures = 0u32;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                Some(n) = notices.recv() => self.hold_notice(n).await,
                got = self.api.updates(offset) => match got {
                    Ok(updates) => {
                        failures = 0;
                        for u in updates {
                            offset = offset.max(u.update_id + 1);
                            self.handle(u).await;
                        }
                    }
                    Err(e) => {
                        failures = failures.saturating_add(1);
                        let pause = Duration::from_secs(1 << failures.min(6)).min(MAX_BACKOFF);
                        tracing::warn!(error = %e, ?pause, "Telegram getUpdates failed");
                        tokio::select! {
                            _ = stop.cancelled() => return,
                            _ = tokio::time::sleep(pause) => {}
                        }
                    }
                },
            }
        }
    }

    /// Only the configured chat, and the allowed users when a list is set.
    fn permitted(&self, chat: i64, user: Option<i64>) -> bool {
        chat.to_string() == self.chat_id
            && (self.allowed.is_empty() || user.is_some_and(|u| self.allowed.contains(&u)))
    }

    async fn handle(&mut self, u: Update) {
        if let Some(m) = u.message {
            let user = m.from.as_ref().map(|f| f.id);
            if !self.permitted(m.chat.id, user) {
                tracing::info!(chat = m.chat.id, user = ?user, "Telegram message ignored: not the configured chat or an allowed user");
                return;
            }
            let answer = self.command(&m).await;
            if let Err(e) = self.api.send(&self.chat_id, &answer, &[]).await {
                tracing::warn!(error = %e, "Telegram answer not sent");
            }
        } else if let Some(q) = u.callback_query {
            self.button(q).await;
        }
    }

    /// Runs one `/command` and says what happened.
    async fn command(&self, m: &Message) -> String {
        let text = m.text.as_deref().unwrap_or("").trim();
        let mut words = text.split_whitespace();
        let Some(cmd) = words.next().and_then(|w| w.strip_prefix('/')) else {
            return usage();
        };
        // `/status@MyBot` in groups.
        let cmd = cmd.split('@').next().unwrap_or(cmd);
        let name = words.next().map(str::to_string);
        let verb = match cmd {
            "status" => Verb::Status,
            "logs" | "restart" | "stop" | "start" | "resume" => match Verb::parse(cmd) {
                Some(v) => v,
                None => return usage(),
            },
            _ => return usage(),
        };
        if verb.needs_agent() && name.is_none() {
            return format!("usage: /{cmd} NAME");
        }
        let lines = words
            .next()
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(TELEGRAM_LOG_LINES)
            .clamp(1, MAX_TELEGRAM_LOG_LINES);
        let req = Request {
            verb,
            name: name.filter(|_| verb.needs_agent()),
            lines: Some(lines),
            follow: false,
        };
        let reply = control::submit(&self.events, req, Source::Telegram).await;
        match (verb, &reply.log_path, reply.outcome) {
            (Verb::Logs, Some(path), Outcome::Done) => {
                let path = path.clone();
                match tokio::task::spawn_blocking(move || tail(&path, lines)).await {
                    Ok(Ok((l, _))) if !l.is_empty() => l
                        .iter()
                        .map(|l| redact::line(l))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    _ => "(no lines yet)".into(),
                }
            }
            _ => outcome_text(&reply),
        }
    }

    /// A pressed button: `resume:NAME`, `restart:NAME` or `mute:NAME`.
    async fn button(&mut self, q: CallbackQuery) {
        let chat = q.message.as_ref().map(|m| m.chat.id).unwrap_or_default();
        if !self.permitted(chat, Some(q.from.id)) {
            tracing::info!(
                chat,
                user = q.from.id,
                "Telegram button ignored: not the configured chat or an allowed user"
            );
            let _ = self.api.answer_callback(&q.id, "not allowed").await;
            return;
        }
        let data = q.data.as_deref().unwrap_or("");
        let (action, name) = data.split_once(':').unwrap_or((data, ""));
        let text = match action {
            "mute" => {
                self.muted.insert(name.to_string(), Instant::now() + MUTE);
                format!("🔕 {name}: hold notices muted for 1 h")
            }
            "resume" | "restart" | "apply" | "skip" => {
                let verb = Verb::parse(action).unwrap_or(Verb::Resume);
                let req = Request {
                    verb,
                    name: Some(name.to_string()),
                    lines: None,
                    follow: false,
                };
                outcome_text(&control::submit(&self.events, req, Source::Telegram).await)
            }
            _ => "unknown button".into(),
        };
        let _ = self.api.answer_callback(&q.id, &text).await;
        if let Some(m) = &q.message
            && let Err(e) = self.api.edit(m.chat.id, m.message_id, &text).await
        {
            tracing::warn!(error = %e, "Telegram message not edited");
        }
    }

    async fn hold_notice(&mut self, n: HoldNotice) {
        if self
            .muted
            .get(&n.agent)
            .is_some_and(|until| Instant::now() < *until)
        {
            return;
        }
        let buttons: Vec<(&str, String)> = match n.proposal {
            Some(id) => vec![
                ("Apply", format!("apply:{id}")),
                ("Skip", format!("skip:{id}")),
            ],
            None => vec![
                ("Resume", format!("resume:{}", n.agent)),
                ("Restart", format!("restart:{}", n.agent)),
                ("Mute 1 h", format!("mute:{}", n.agent)),
            ],
        };
        let text = redact::line(&n.text);
        if let Err(e) = self.api.send(&self.chat_id, &text, &buttons).await {
            tracing::warn!(error = %e, "Telegram hold notice not sent");
        }
    }
}

fn outcome_text(reply: &Reply) -> String {
    match reply.outcome {
        Outcome::Done => format!("✅ {}", reply.message),
        _ => format!("⛔ {}", reply.message),
    }
}

fn usage() -> String {
    "commands: /status, /logs NAME [N], /restart NAME, /stop NAME, /start NAME, /resume NAME".into()
}
