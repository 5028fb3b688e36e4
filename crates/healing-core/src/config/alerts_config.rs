//! `[alerts]`: where alerts go (Telegram, a webhook) and how often.

use super::secs;
use crate::kind::Severity;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[alerts]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertsConfig {
    /// Alerts below this severity are recorded, not sent.
    pub min_severity: Severity,
    /// The same incident key is sent at most once per window.
    #[serde(with = "crate::duration_bound")]
    pub dedup_window: Duration,
    /// Telegram (active when `TELEGRAM_BOT_TOKEN` and `TELEGRAM_CHAT_ID` are set).
    pub telegram: TelegramConfig,
    /// Slack-compatible webhook (active when the env var named by `url_env` is set).
    pub webhook: WebhookConfig,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            min_severity: Severity::High,
            dedup_window: secs(900),
            telegram: TelegramConfig::default(),
            webhook: WebhookConfig::default(),
        }
    }
}

/// `[alerts.telegram]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TelegramConfig {
    /// Bot API base URL (tests point it at 127.0.0.1).
    pub api_base: String,
    /// Env var holding the bot token.
    pub token_env: String,
    /// Env var holding the chat id.
    pub chat_id_env: String,
    /// Answer `/status`, `/logs`, `/restart`, `/stop`, `/start`, `/resume` from the chat (long-polls
    /// `getUpdates`: outbound only) and put Resume/Restart/Mute buttons under hold notices.
    pub commands: bool,
    /// When non-empty, only these Telegram user ids may command (besides being in the chat).
    pub allowed_user_ids: Vec<i64>,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        Self {
            api_base: "https://api.telegram.org".into(),
            token_env: "TELEGRAM_BOT_TOKEN".into(),
            chat_id_env: "TELEGRAM_CHAT_ID".into(),
            commands: false,
            allowed_user_ids: Vec::new(),
        }
    }
}

/// `[alerts.webhook]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhookConfig {
    /// Env var holding the webhook URL (a URL is a secret: it is never written anywhere).
    pub url_env: String,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            url_env: "HEALING_WEBHOOK_URL".into(),
        }
    }
}
