//! A real `redis-server` for the Key Value backend's tests: the one `.ci/run` started
//! (`HEALING_TEST_REDIS_URL`), or one of our own on a free loopback port. Without either, the tests
//! say loudly (past the test harness's output capture) that the Key Value tests were not run.
#![allow(dead_code)]

use healing_core::state::KeyValueOptions;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A redis-server child process on 127.0.0.1, killed on drop.
pub struct Redis {
    child: Option<Child>,
    binary: PathBuf,
    pub port: u16,
}

fn binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HEALING_TEST_REDIS_SERVER") {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin".into(), "/usr/sbin".into()])
        .map(|d| d.join("redis-server"))
        .find(|p| p.is_file())
}

/// Prints once per test binary, straight to stderr so `cargo test` shows it even for passing tests.
pub fn say_skipped() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "\n*** Key Value tests skipped: redis-server not found (install the Debian package \
             redis-server, or set HEALING_TEST_REDIS_URL). The file backend was tested. ***\n"
        );
    });
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run the Key Value tests: .ci/run installs redis-server"
    );
}

impl Redis {
    /// Starts a private server, or `None` (after saying so) when redis-server is not installed.
    pub fn start() -> Option<Redis> {
        let Some(binary) = binary() else {
            say_skipped();
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let mut redis = Redis {
            child: None,
            binary,
            port,
        };
        redis.run();
        Some(redis)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn run(&mut self) {
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if ping(self.port) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server on port {} did not answer PING", self.port);
    }

    /// Kills the server (all data goes: it keeps nothing on disk).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again, empty, on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 16];
    s.write_all(b"PING\r\n").is_ok()
        && s.read(&mut buf)
            .is_ok_and(|n| buf[..n].starts_with(b"+PONG"))
}

/// A store URL for tests that do not restart the server: CI's shared one, else a private server
/// (kept alive by the returned handle). `None` after the skip message.
pub fn any_store() -> Option<(String, Option<Redis>)> {
    if let Ok(url) = std::env::var("HEALING_TEST_REDIS_URL") {
        return Some((url, None));
    }
    let redis = Redis::start()?;
    Some((redis.url(), Some(redis)))
}

/// Short timings and a namespace no other test uses (tests may share one server).
pub fn options(instance: &str) -> KeyValueOptions {
    static N: AtomicU32 = AtomicU32::new(0);
    let lease_ttl = Duration::from_millis(600);
    KeyValueOptions {
        namespace: format!(
            "t{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ),
        instance: instance.to_string(),
        lease_ttl,
        age_out: Duration::from_secs(5),
        op_timeout: Duration::from_millis(800),
        reconnect_min: Duration::from_millis(20),
        reconnect_max: Duration::from_millis(150),
    }
}

/// A raw command against the server, for checking what really is stored.
pub fn raw(url: &str, args: &[&str]) -> redis::Value {
    let client = redis::Client::open(url).expect("url");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut conn = client
            .get_multiplexed_async_connection()
            .await
            .expect("connect");
        let mut cmd = redis::cmd(args[0]);
        for a in &args[1..] {
            cmd.arg(*a);
        }
        cmd.query_async(&mut conn).await.expect("command")
    })
}

/// Polls `check` every 10 ms for up to 5 s.
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("timed out waiting for: {what}");
}

/// A namespace no other test (or earlier run against a shared server) uses, starting with `prefix`.
pub fn unique_namespace(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// The JSON document stored under `key`, if any.
pub fn stored(url: &str, key: &str) -> Option<serde_json::Value> {
    match raw(url, &["GET", key]) {
        redis::Value::BulkString(bytes) => serde_json::from_slice(&bytes).ok(),
        _ => None,
    }
}

/// A finished binary's stdout and stderr, for assertion messages and log checks.
pub fn output_text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// SIGTERM, then the exit status within 10 s (a binary that ignores it fails the test, named `what`).
pub fn stop_with_sigterm(mut child: Child, what: &str) -> std::process::ExitStatus {
    let pid = rustix::process::Pid::from_child(&child);
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    panic!("{what} did not stop on SIGTERM");
}

/// The exit status of `child` once it stops on its own within `within`, and its stderr (piped by the
/// caller); a child still running then is killed and fails the test with `why`.
pub fn exit_on_its_own(
    mut child: Child,
    within: Duration,
    why: &str,
) -> (std::process::ExitStatus, String) {
    let deadline = Instant::now() + within;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{why}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        pipe.read_to_string(&mut stderr).expect("stderr");
    }
    (status, stderr)
}
