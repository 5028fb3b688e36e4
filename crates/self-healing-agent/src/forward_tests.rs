use super::*;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// stdout stand-in: records what is written; while `blocked`, every write waits (a pipe nobody reads).
#[derive(Clone, Default)]
struct Sink {
    bytes: Arc<Mutex<Vec<u8>>>,
    gate: Arc<(Mutex<bool>, Condvar)>,
}

impl Sink {
    fn blocked() -> Self {
        let s = Self::default();
        *s.gate.0.lock().unwrap() = true;
        s
    }
    fn unblock(&self) {
        *self.gate.0.lock().unwrap() = false;
        self.gate.1.notify_all();
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes.lock().unwrap()).into_owned()
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (lock, cv) = &*self.gate;
        let mut blocked = lock.lock().unwrap();
        while *blocked {
            blocked = cv.wait(blocked).unwrap();
        }
        self.bytes.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn wait_until(mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    f()
}

fn agent(name: &str) -> Arc<str> {
    Arc::from(name)
}

/// A forwarder writing into `sink`.
fn forwarder(sink: &Sink, format: Format) -> Forwarder {
    Forwarder::spawn(Box::new(sink.clone()), format).unwrap()
}

#[test]
fn text_lines_carry_the_agent_name_without_colour_codes() {
    let sink = Sink::default();
    let f = forwarder(&sink, Format::Text { colour: false });
    f.line(&agent("market_data"), b"\x1b[32mtick 42\x1b[0m\r");
    f.line(&agent("news_agent"), b"3 headlines");
    assert!(wait_until(|| f.written() == 2));
    assert_eq!(
        sink.text(),
        "[market_data] tick 42\n[news_agent] 3 headlines\n"
    );
}

#[test]
fn on_a_terminal_the_prefix_is_coloured_the_same_for_every_line_of_an_agent() {
    let sink = Sink::default();
    let f = forwarder(&sink, Format::Text { colour: true });
    f.line(&agent("a"), b"one");
    f.line(&agent("a"), b"two");
    assert!(wait_until(|| f.written() == 2));
    let text = sink.text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("\x1b[") && lines[0].ends_with("[a]\x1b[0m one"),
        "{text:?}"
    );
    assert_eq!(lines[0].replace("one", "two"), lines[1]);
}

#[test]
fn json_lines_are_objects_with_an_agent_field_and_secrets_masked() {
    let sink = Sink::default();
    // A value the config registered (an agent `env` value, say), as loading a config does.
    let mut set = healing_core::secrets::SecretSet::default();
    set.add_value("s3cr3t-token-value");
    healing_core::secrets::register(set);
    let f = forwarder(&sink, Format::Json);
    f.line(
        &agent("report_agent"),
        b"posting with s3cr3t-token-value \"quoted\" to https://u:pw-in-url@host/x",
    );
    assert!(wait_until(|| f.written() == 1));
    let v: serde_json::Value = serde_json::from_str(sink.text().trim()).unwrap();
    assert_eq!(v["agent"], "report_agent");
    assert_eq!(
        v["message"],
        "posting with *** \"quoted\" to https://***@host/x"
    );
    assert!(v["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
}

#[test]
fn a_blocked_stdout_never_blocks_the_caller_and_drops_are_counted_then_announced() {
    let sink = Sink::blocked();
    let f = forwarder(&sink, Format::Text { colour: false });
    let a = agent("flood");
    let line = [b'x'; 200];
    let start = Instant::now();
    for _ in 0..50_000 {
        f.line(&a, &line);
    }
    // 50 000 lines against a stdout that never drains: the caller is never held up.
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    let dropped = f.dropped();
    assert!(dropped > 40_000, "dropped {dropped}");
    sink.unblock();
    // The queue is still full the moment stdout unblocks: a line sent then may be dropped too, so
    // "after" is offered until the writer, draining again, takes one.
    assert!(wait_until(|| {
        let before = f.dropped();
        f.line(&a, b"after");
        f.dropped() == before
    }));
    assert!(wait_until(|| sink.text().contains("[flood] after")));
    let text = sink.text();
    assert!(
        text.contains("line(s) of agent output dropped: stdout did not keep up"),
        "{}",
        &text[text.len().saturating_sub(300)..]
    );
    // Memory stayed bounded: what was queued is at most the byte budget.
    assert!(
        text.len() <= QUEUE_BYTES + 64 * 1024 + 10_000,
        "{}",
        text.len()
    );
}

#[test]
fn format_follows_log_format_terminal_and_no_color() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_string())
        }
    };
    assert_eq!(
        Format::from_env(true, &env(&[])),
        Format::Text { colour: true }
    );
    assert_eq!(
        Format::from_env(false, &env(&[])),
        Format::Text { colour: false }
    );
    assert_eq!(
        Format::from_env(true, &env(&[("NO_COLOR", "1")])),
        Format::Text { colour: false }
    );
    assert_eq!(
        Format::from_env(true, &env(&[("NO_COLOR", "")])),
        Format::Text { colour: true }
    );
    assert_eq!(
        Format::from_env(true, &env(&[("LOG_FORMAT", "JSON")])),
        Format::Json
    );
}

/// A stdout whose reader went away: every write fails as a closed pipe does (SIGPIPE is ignored).
struct Closed;

impl Write for Closed {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_closed_stdout_turns_every_line_into_a_counted_drop() {
    let f = Forwarder::spawn(Box::new(Closed), Format::Text { colour: false }).unwrap();
    for _ in 0..100 {
        f.line(&agent("a"), b"line");
    }
    assert!(wait_until(|| f.dropped() == 100), "{}", f.dropped());
    assert_eq!(f.written(), 0);
}
