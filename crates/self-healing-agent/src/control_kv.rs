//! The control commands through Key Value (with `state_url`), so `self-healing-agent restart X` works
//! from a Render Shell of another service. Each supervisor instance pops requests from its own list
//! `healing:<ns>:~control:<instance>`; the answer comes back on `healing:<ns>:~reply:<id>`: first an
//! acknowledgement, then the result. A request nobody acknowledges within [`ACK_WAIT`] fails — and is
//! taken back off the list, so a supervisor that starts later never runs a stale command.

use crate::control::{
    self, DEFAULT_LOG_LINES, MAX_LOG_LINES, Outcome, Reply, Request, Source, Verb,
};
use crate::event::Event;
use crate::log_tail::tail;
use healing_core::redact;
use redis::AsyncConnectionConfig;
use redis::aio::MultiplexedConnection;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How long a command waits for a supervisor to take it.
pub const ACK_WAIT: Duration = Duration::from_secs(5);
/// Replies and unanswered requests disappear after this (seconds).
const KEY_TTL: i64 = 120;
/// Instances whose heartbeat is older than this are not offered as targets (ms).
const LIVE_MS: u64 = 90_000;

/// The request list of one instance.
pub fn control_key(ns: &str, instance: &str) -> String {
    format!("healing:{ns}:~control:{instance}")
}

fn reply_key(ns: &str, id: &str) -> String {
    format!("healing:{ns}:~reply:{id}")
}

#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    id: String,
    /// Unix ms after which the request must not run (its sender has given up).
    deadline_ms: u64,
    request: Request,
}

/// One message on the reply list.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Answer {
    #[serde(default)]
    ack: bool,
    #[serde(default)]
    outcome: Option<Outcome>,
    #[serde(default)]
    message: String,
    #[serde(default)]
    lines: Vec<String>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

async fn connect(client: &redis::Client) -> redis::RedisResult<MultiplexedConnection> {
    // No response timeout: BLPOP waits on purpose.
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(5)))
        .set_response_timeout(None);
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

/// Serves this instance's request list until `stop`, reconnecting with backoff.
pub fn serve(
    url: &str,
    ns: String,
    instance: String,
    events: mpsc::UnboundedSender<Event>,
    stop: CancellationToken,
) -> Option<tokio::task::JoinHandle<()>> {
    let client = redis::Client::open(url).ok()?;
    Some(tokio::spawn(async move {
        let key = control_key(&ns, &instance);
        let mut pause = Duration::from_millis(100);
        while !stop.is_cancelled() {
            let (Ok(mut pop), Ok(push)) = (connect(&client).await, connect(&client).await) else {
                tokio::select! { _ = stop.cancelled() => return, _ = tokio::time::sleep(pause) => {} }
                pause = (pause * 2).min(Duration::from_secs(10));
                continue;
            };
            pause = Duration::from_millis(100);
            loop {
                let mut blpop = redis::cmd("BLPOP");
                blpop.arg(&key).arg(1);
                let popped: redis::RedisResult<Option<(String, String)>> = tokio::select! {
                    _ = stop.cancelled() => return,
                    r = blpop.query_async(&mut pop) => r,
                };
                match popped {
                    Err(e) => {
                        tracing::warn!(error = %why(&e), "Key Value control channel lost; reconnecting");
                        break;
                    }
                    Ok(None) => {}
                    Ok(Some((_, body))) => {
                        let (push, events, ns) = (push.clone(), events.clone(), ns.clone());
                        tokio::spawn(handle(body, push, events, ns));
                    }
                }
            }
        }
    }))
}

async fn handle(
    body: String,
    mut conn: MultiplexedConnection,
    events: mpsc::UnboundedSender<Event>,
    ns: String,
) {
    let Ok(env) = serde_json::from_str::<Envelope>(&body) else {
        tracing::warn!("malformed Key Value control request ignored");
        return;
    };
    if now_ms() > env.deadline_ms {
        tracing::warn!(verb = %env.request.verb, "Key Value control request arrived after its sender gave up: ignored");
        return;
    }
    let key = reply_key(&ns, &env.id);
    let ack = Answer {
        ack: true,
        ..Answer::default()
    };
    push(&mut conn, &key, &ack).await;
    let req = env.request;
    let reply = if req.follow {
        Reply::new(
            Outcome::BadRequest,
            "logs -f needs the local control socket",
        )
    } else {
        control::submit(&events, req.clone(), Source::Cli).await
    };
    let mut answer = Answer {
        ack: false,
        outcome: Some(reply.outcome),
        message: reply.message.clone(),
        lines: Vec::new(),
    };
    if let (Verb::Logs, Some(path), Outcome::Done) = (req.verb, reply.log_path, reply.outcome) {
        let n = req.lines.unwrap_or(DEFAULT_LOG_LINES).min(MAX_LOG_LINES);
        if let Ok(Ok((lines, _))) = tokio::task::spawn_blocking(move || tail(&path, n)).await {
            answer.lines = lines.iter().map(|l| redact::line(l)).collect();
        }
    }
    push(&mut conn, &key, &answer).await;
}

async fn push(conn: &mut MultiplexedConnection, key: &str, answer: &Answer) {
    let body = serde_json::to_string(answer).unwrap_or_default();
    let sent: redis::RedisResult<()> = redis::pipe()
        .cmd("RPUSH")
        .arg(key)
        .arg(body)
        .ignore()
        .cmd("EXPIRE")
        .arg(key)
        .arg(KEY_TTL)
        .ignore()
        .query_async(conn)
        .await;
    if let Err(e) = sent {
        tracing::warn!(error = %why(&e), "Key Value control reply not sent");
    }
}

/// The CLI side: sends `req` to `instance` (or the only live one) and prints the answer; returns the
/// exit status.
pub fn call(
    url: &str,
    instance: Option<&str>,
    req: &Request,
    timeout: Duration,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: cannot start the runtime: {e}");
            return 1;
        }
    };
    match runtime.block_on(exchange(url, instance, req, timeout)) {
        Ok(answer) => {
            let outcome = answer.outcome.unwrap_or(Outcome::NoSupervisor);
            if outcome != Outcome::Done {
                let _ = writeln!(err, "error: {}", answer.message);
                return outcome.exit_code();
            }
            if !answer.message.is_empty() {
                let _ = writeln!(out, "{}", answer.message);
            }
            for l in &answer.lines {
                let _ = writeln!(out, "{l}");
            }
            0
        }
        Err((outcome, message)) => {
            let _ = writeln!(err, "error: {message}");
            outcome.exit_code()
        }
    }
}

async fn exchange(
    url: &str,
    instance: Option<&str>,
    req: &Request,
    timeout: Duration,
) -> Result<Answer, (Outcome, String)> {
    let no = |m: String| (Outcome::NoSupervisor, m);
    let client = redis::Client::open(url).map_err(|e| no(format!("bad state_url: {}", why(&e))))?;
    let mut conn = connect(&client)
        .await
        .map_err(|e| no(format!("cannot reach the Key Value store: {}", why(&e))))?;
    let ns = healing_core::state::namespace();
    let instance = match instance {
        Some(i) => i.to_string(),
        None => only_instance(&mut conn, &ns).await?,
    };
    let id = format!("{:x}{:x}", now_ms(), std::process::id());
    let envelope = serde_json::to_string(&Envelope {
        id: id.clone(),
        deadline_ms: now_ms() + u64::try_from(ACK_WAIT.as_millis()).unwrap_or(5000),
        request: req.clone(),
    })
    .map_err(|e| no(e.to_string()))?;
    let key = control_key(&ns, &instance);
    let sent: redis::RedisResult<()> = redis::pipe()
        .cmd("RPUSH")
        .arg(&key)
        .arg(&envelope)
        .ignore()
        .cmd("EXPIRE")
        .arg(&key)
        .arg(KEY_TTL)
        .ignore()
        .query_async(&mut conn)
        .await;
    sent.map_err(|e| no(format!("cannot send the command: {}", why(&e))))?;
    let replies = reply_key(&ns, &id);
    let first = pop(&mut conn, &replies, ACK_WAIT).await;
    if !first.as_ref().is_some_and(|a| a.ack) {
        // Take it back so nobody runs it later; if it is gone, a supervisor took it just now.
        let removed: i64 = redis::cmd("LREM")
            .arg(&key)
            .arg(1)
            .arg(&envelope)
            .query_async(&mut conn)
            .await
            .unwrap_or(0);
        if removed == 1 {
            return Err(no(format!(
                "no running supervisor answers on instance {instance} (Key Value, namespace {ns}) within {ACK_WAIT:?}"
            )));
        }
    }
    pop(&mut conn, &replies, timeout)
        .await
        .filter(|a| !a.ack)
        .ok_or_else(|| {
            no(format!(
                "instance {instance} took the command but gave no result within {timeout:?}"
            ))
        })
}

async fn pop(conn: &mut MultiplexedConnection, key: &str, wait: Duration) -> Option<Answer> {
    let got: Option<(String, String)> = redis::cmd("BLPOP")
        .arg(key)
        .arg(wait.as_secs_f64())
        .query_async(conn)
        .await
        .ok()?;
    got.and_then(|(_, body)| serde_json::from_str(&body).ok())
}

/// The one live supervisor instance; several need `--instance`.
async fn only_instance(
    conn: &mut MultiplexedConnection,
    ns: &str,
) -> Result<String, (Outcome, String)> {
    let since = now_ms().saturating_sub(LIVE_MS);
    let live: Vec<String> = redis::cmd("ZRANGEBYSCORE")
        .arg(format!("healing:{ns}:~instances"))
        .arg(since)
        .arg("+inf")
        .query_async(conn)
        .await
        .unwrap_or_default();
    let live: Vec<String> = live.into_iter().filter(|i| i != "service").collect();
    match live.as_slice() {
        [] => Err((
            Outcome::NoSupervisor,
            format!("no running supervisor is registered in Key Value (namespace {ns})"),
        )),
        [one] => Ok(one.clone()),
        many => Err((
            Outcome::BadRequest,
            format!(
                "several instances run ({}): pass --instance",
                many.join(", ")
            ),
        )),
    }
}

/// An error's kind only: redis errors can carry the URL, and the URL carries the password.
fn why(e: &redis::RedisError) -> String {
    format!("{:?}", e.kind())
}
