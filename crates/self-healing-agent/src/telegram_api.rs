//! The few Bot API calls the command bot makes: `getUpdates` (long poll), `sendMessage` (with inline
//! buttons), `editMessageText` and `answerCallbackQuery`. The token is in the URL path, so no URL and no
//! `reqwest` error carrying one is ever logged: errors are reduced to their kind.

use healing_core::redact::Secret;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// How long `getUpdates` waits for news (Telegram holds the request open).
pub const LONG_POLL: Duration = Duration::from_secs(25);

/// A connection to the Bot API as one bot.
#[derive(Debug, Clone)]
pub struct BotApi {
    client: reqwest::Client,
    api_base: String,
    token: Secret,
}

/// The `{"ok":…,"result":…}` envelope.
#[derive(Debug, Deserialize)]
struct Envelope<T> {
    ok: bool,
    #[serde(default = "Option::default")]
    result: Option<T>,
}

/// One update (only the two kinds asked for).
#[derive(Debug, Clone, Deserialize)]
pub struct Update {
    pub update_id: i64,
    #[serde(default)]
    pub message: Option<Message>,
    #[serde(default)]
    pub callback_query: Option<CallbackQuery>,
}

/// A chat message.
#[derive(Debug, Clone, Deserialize)]
pub struct Message {
    pub message_id: i64,
    pub chat: Chat,
    #[serde(default)]
    pub from: Option<User>,
    #[serde(default)]
    pub text: Option<String>,
}

/// A chat.
#[derive(Debug, Clone, Deserialize)]
pub struct Chat {
    pub id: i64,
}

/// A user.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: i64,
}

/// A pressed inline button.
#[derive(Debug, Clone, Deserialize)]
pub struct CallbackQuery {
    pub id: String,
    pub from: User,
    #[serde(default)]
    pub message: Option<Message>,
    #[serde(default)]
    pub data: Option<String>,
}

/// Why a call failed (never with the URL).
#[derive(Debug)]
pub struct ApiError {
    method: &'static str,
    why: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "telegram {}: {}", self.method, self.why)
    }
}

impl BotApi {
    /// A client for `api_base` (tests: a server on 127.0.0.1).
    pub fn new(api_base: &str, token: Secret) -> Option<Self> {
        let client = reqwest::Client::builder()
            .timeout(LONG_POLL + Duration::from_secs(10))
            .build()
            .ok()?;
        Some(Self {
            client,
            api_base: api_base.trim_end_matches('/').to_string(),
            token,
        })
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: &'static str,
        body: Value,
    ) -> Result<T, ApiError> {
        let url = format!("{}/bot{}/{method}", self.api_base, self.token.expose());
        let err = |why: String| ApiError { method, why };
        let resp = self
            .client
            .post(url)
            .json(&body)
            .send()
            .await
            .map_err(|e| err(e.without_url().to_string()))?;
        let status = resp.status();
        let env: Envelope<T> = resp
            .json()
            .await
            .map_err(|_| err(format!("unreadable answer ({status})")))?;
        match (env.ok, env.result) {
            (true, Some(r)) => Ok(r),
            _ => Err(err(format!("refused ({status})"))),
        }
    }

    /// New updates after `offset` (messages and button presses only).
    pub async fn updates(&self, offset: i64) -> Result<Vec<Update>, ApiError> {
        self.call(
            "getUpdates",
            json!({"offset": offset, "timeout": LONG_POLL.as_secs(), "allowed_updates": ["message", "callback_query"]}),
        )
        .await
    }

    /// Sends plain text (no parse mode: log lines must not be read as markup), with optional buttons
    /// as `(label, callback_data)` rows.
    pub async fn send(
        &self,
        chat_id: &str,
        text: &str,
        buttons: &[(&str, String)],
    ) -> Result<(), ApiError> {
        let mut body =
            json!({"chat_id": chat_id, "text": clip(text), "disable_web_page_preview": true});
        if !buttons.is_empty() {
            let row: Vec<Value> = buttons
                .iter()
                .map(|(label, data)| json!({"text": label, "callback_data": data}))
                .collect();
            body["reply_markup"] = json!({"inline_keyboard": [row]});
        }
        self.call::<Value>("sendMessage", body).await.map(|_| ())
    }

    /// Replaces a message's text (and removes its buttons).
    pub async fn edit(&self, chat_id: i64, message_id: i64, text: &str) -> Result<(), ApiError> {
        self.call::<Value>(
            "editMessageText",
            json!({"chat_id": chat_id, "message_id": message_id, "text": clip(text)}),
        )
        .await
        .map(|_| ())
    }

    /// Stops the button's spinner, with a short notice.
    pub async fn answer_callback(&self, id: &str, text: &str) -> Result<(), ApiError> {
        self.call::<Value>(
            "answerCallbackQuery",
            json!({"callback_query_id": id, "text": clip_to(text, 190)}),
        )
        .await
        .map(|_| ())
    }
}

/// Telegram's message limit is 4096 characters.
fn clip(text: &str) -> String {
    clip_to(text, 4000)
}

fn clip_to(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}
