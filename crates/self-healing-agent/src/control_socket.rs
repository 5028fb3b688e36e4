//! The control commands' local transport: a Unix socket `control.sock` in the state directory (mode
//! 0600, so only the supervisor's user can command it). One JSON request line in, one JSON reply line
//! out; for `logs` the reply is followed by the (redacted) log lines, and with `-f` by every line
//! appended until the client hangs up.

use crate::control::{
    self, DEFAULT_LOG_LINES, MAX_LOG_LINES, Outcome, Reply, Request, Source, Verb,
};
use crate::event::Event;
use crate::log_tail::{FOLLOW_POLL, read_new, tail};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

/// The socket's file name in the state directory.
pub const SOCKET_NAME: &str = "control.sock";
/// Connections served at once; more wait (a stuck client cannot exhaust the supervisor).
const MAX_CONNECTIONS: usize = 16;
/// A request line longer than this is refused.
const MAX_REQUEST: u64 = 64 * 1024;
/// Time a client has to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// `state_dir/control.sock`.
pub fn socket_path(state_dir: &Path) -> PathBuf {
    state_dir.join(SOCKET_NAME)
}

/// Binds the socket (replacing a stale one: the caller holds the state directory's lock, so no other
/// supervisor owns it) and serves it until `stop`; the file is removed on the way out.
pub fn serve(
    path: PathBuf,
    events: mpsc::UnboundedSender<Event>,
    stop: CancellationToken,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    tracing::info!(socket = %path.display(), "control socket listening");
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    Ok(tokio::spawn(async move {
        loop {
            let permit = tokio::select! {
                _ = stop.cancelled() => break,
                p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            };
            let conn = tokio::select! {
                _ = stop.cancelled() => break,
                c = listener.accept() => c,
            };
            match conn {
                Ok((stream, _)) => {
                    let (events, stop) = (events.clone(), stop.clone());
                    tokio::spawn(async move {
                        handle(stream, events, stop).await;
                        drop(permit);
                    });
                }
                Err(e) => tracing::warn!(error = %e, "control socket accept failed"),
            }
        }
        let _ = std::fs::remove_file(&path);
    }))
}

async fn handle(stream: UnixStream, events: mpsc::UnboundedSender<Event>, stop: CancellationToken) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = tokio::io::BufReader::new(read.take(MAX_REQUEST));
    let got = tokio::time::timeout(REQUEST_TIMEOUT, reader.read_line(&mut line)).await;
    let request = match got {
        Ok(Ok(n)) if n > 0 => serde_json::from_str::<Request>(line.trim())
            .map_err(|e| Reply::new(Outcome::BadRequest, format!("malformed request: {e}"))),
        _ => Err(Reply::new(Outcome::BadRequest, "no request received")),
    };
    let (reply, req) = match request {
        Ok(req) => (
            control::submit(&events, req.clone(), Source::Cli).await,
            Some(req),
        ),
        Err(bad) => (bad, None),
    };
    if send_json(&mut write, &reply).await.is_err() {
        return;
    }
    if let (Some(req), Some(path)) = (req, &reply.log_path)
        && req.verb == Verb::Logs
    {
        let n = req.lines.unwrap_or(DEFAULT_LOG_LINES).min(MAX_LOG_LINES);
        stream_log(&mut write, path, n, req.follow, &stop).await;
    }
}

async fn send_json(
    write: &mut tokio::net::unix::OwnedWriteHalf,
    reply: &Reply,
) -> std::io::Result<()> {
    let mut text = serde_json::to_string(reply).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    write.write_all(text.as_bytes()).await
}

/// Writes the last `n` lines, then (with `follow`) new lines until the client or the supervisor goes.
async fn stream_log(
    write: &mut tokio::net::unix::OwnedWriteHalf,
    path: &Path,
    n: usize,
    follow: bool,
    stop: &CancellationToken,
) {
    let (lines, mut offset) = match tail(path, n) {
        Ok(t) => t,
        Err(e) => {
            let _ = write
                .write_all(format!("cannot read {}: {e}\n", path.display()).as_bytes())
                .await;
            return;
        }
    };
    if write_lines(write, &lines).await.is_err() || !follow {
        return;
    }
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(FOLLOW_POLL) => {}
        }
        let Ok((lines, next)) = read_new(path, offset) else {
            continue;
        };
        offset = next;
        if write_lines(write, &lines).await.is_err() {
            return;
        }
    }
}

async fn write_lines(
    write: &mut tokio::net::unix::OwnedWriteHalf,
    lines: &[String],
) -> std::io::Result<()> {
    let mut out = String::new();
    for l in lines {
        out.push_str(&healing_core::redact::line(l));
        out.push('\n');
    }
    write.write_all(out.as_bytes()).await?;
    write.flush().await
}

/// Where the supervisor's socket is when the config file does not load (a `reload` of a broken file
/// must still reach the supervisor, which reports every problem and keeps the old configuration):
/// `--state-dir`, then `$HEALING_STATE_DIR`, then the file's `state_dir` key read leniently, then
/// `state` — relative paths against the config file's directory.
pub fn fallback_state_dir(args: &healing_core::config_load::ConfigArgs) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let file = args
        .config
        .clone()
        .or_else(|| std::env::var_os("HEALING_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(healing_core::config_load::DEFAULT_CONFIG_FILE));
    let file = cwd.join(file);
    let base = file.parent().map_or(cwd.clone(), Path::to_path_buf);
    let from_file = || {
        let text = std::fs::read_to_string(&file).ok()?;
        let value: toml::Table = toml::from_str(&text).ok()?;
        value.get("state_dir")?.as_str().map(PathBuf::from)
    };
    let dir = args
        .state_dir
        .clone()
        .or_else(|| std::env::var_os("HEALING_STATE_DIR").map(PathBuf::from))
        .or_else(from_file)
        .unwrap_or_else(|| PathBuf::from("state"));
    base.join(dir)
}

/// The CLI side: sends `req` to the supervisor at `path`, prints the answer (and log lines) to `out`,
/// problems to `err`, and returns the exit status. `timeout` bounds the wait for the reply.
pub fn call(
    path: &Path,
    req: &Request,
    timeout: Duration,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let mut no_supervisor = |why: String| -> u8 {
        let _ = writeln!(
            err,
            "error: no running supervisor answers at {} ({why})",
            path.display()
        );
        Outcome::NoSupervisor.exit_code()
    };
    let mut stream = match std::os::unix::net::UnixStream::connect(path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return no_supervisor(
                "no control socket: is the supervisor running with this --config/--state-dir?"
                    .into(),
            );
        }
        Err(e) => return no_supervisor(e.to_string()),
    };
    let mut line = serde_json::to_string(req).unwrap_or_default();
    line.push('\n');
    if let Err(e) = stream.write_all(line.as_bytes()) {
        return no_supervisor(e.to_string());
    }
    let _ = stream.set_read_timeout(Some(timeout));
    let mut reader = BufReader::new(stream);
    let mut answer = String::new();
    match reader.read_line(&mut answer) {
        Ok(n) if n > 0 => {}
        Ok(_) => return no_supervisor("it closed the connection without answering".into()),
        Err(e) => return no_supervisor(format!("no answer within {timeout:?}: {e}")),
    }
    let reply: Reply = match serde_json::from_str(answer.trim()) {
        Ok(r) => r,
        Err(e) => return no_supervisor(format!("unreadable answer: {e}")),
    };
    if reply.outcome != Outcome::Done {
        let _ = writeln!(err, "error: {}", reply.message);
        return reply.outcome.exit_code();
    }
    if !reply.message.is_empty() {
        let _ = writeln!(out, "{}", reply.message);
    }
    if req.verb == Verb::Logs {
        let _ = reader
            .get_ref()
            .set_read_timeout(if req.follow { None } else { Some(timeout) });
        let mut buf = String::new();
        while matches!(reader.read_line(&mut buf), Ok(n) if n > 0) {
            if out
                .write_all(buf.as_bytes())
                .and_then(|()| out.flush())
                .is_err()
            {
                break;
            }
            buf.clear();
        }
    }
    0
}
