//! Scaling out on Render Key Value: one supervisor per instance, each owning its own documents, and the
//! views (`status`, `/health`) showing every live instance; a second process for the same instance is
//! refused like a second process on one machine.

#![allow(clippy::unwrap_used)]

#[path = "../../healing-core/tests/kv_support/mod.rs"]
mod kv_support;

use kv_support::{any_store, raw};
use std::io::Read;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CONFIG: &str = r#"
[self_healing]
interval = "1s"
stable_after = "1s"
[[agents]]
name = "worker"
command = ["sleep", "30"]
"#;

fn supervisor(dir: &Path, url: &str, ns: &str, instance: &str, listen: Option<&str>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_self-healing-agent"));
    cmd.current_dir(dir)
        .arg("--config")
        .arg(dir.join("healing.toml"))
        .arg("--state-url")
        .arg(url)
        .env_remove("HEALING_CONFIG")
        .env_remove("HEALING_STATE_DIR")
        .env_remove("HEALING_STATE_URL")
        .env_remove("PORT")
        .env("HEALING_NAMESPACE", ns)
        .env("RENDER_INSTANCE_ID", instance)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(listen) = listen {
        cmd.env("PORT", listen);
    }
    cmd
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::Write;
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let code = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split("\r\n\r\n").nth(1)?.to_string();
    Some((code, body))
}

fn status(dir: &Path, url: &str, ns: &str) -> String {
    let out = supervisor(dir, url, ns, "viewer", None)
        .arg("status")
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stop(mut child: Child) -> String {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "supervisor exited with {status}: {err}");
    err
}

#[test]
fn every_live_instance_shows_in_status_and_health_and_a_same_instance_twin_is_refused() {
    let Some((url, _redis)) = any_store() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("healing.toml"), CONFIG).unwrap();
    let ns = format!("inst{}", std::process::id());
    // On Render, PORT means 0.0.0.0:$PORT; loopback-only is all a test needs, but PORT is the real path.
    let port = free_port();
    let a = supervisor(dir.path(), &url, &ns, "srv-a-1", Some(&port.to_string()))
        .spawn()
        .unwrap();
    let b = supervisor(dir.path(), &url, &ns, "srv-a-2", None)
        .spawn()
        .unwrap();

    let start = Instant::now();
    let mut shown = String::new();
    while start.elapsed() < Duration::from_secs(20) {
        shown = status(dir.path(), &url, &ns);
        if shown.contains("srv-a-1")
            && shown.contains("srv-a-2")
            && shown.matches("running").count() >= 2
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(shown.contains("== instance srv-a-1 =="), "{shown}");
    assert!(shown.contains("== instance srv-a-2 =="), "{shown}");

    let (code, body) = get(port, "/health").expect("health answers");
    assert_eq!(code, 200, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["instances"]["srv-a-1"]["status"], "ok", "{body}");
    assert_eq!(health["instances"]["srv-a-2"]["status"], "ok", "{body}");

    // The prevention-agent runs in its own service (another instance id): its service-scoped document
    // is still what /health/prevention shows.
    let doc = r#"{"schema_version":1,"writer":"prevention-agent","written_at":"2026-01-01T00:00:00Z","warnings":[]}"#;
    raw(
        &url,
        &[
            "SET",
            &format!("healing:{ns}:service:prevention_state.json"),
            doc,
        ],
    );
    let (code, body) = get(port, "/health/prevention").expect("prevention view answers");
    assert_eq!(code, 200, "{body}");
    let view: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(view["status"], "running", "{body}");
    assert_eq!(view["state"]["writer"], "prevention-agent", "{body}");
    let (_, body) = get(port, "/health/recovery").expect("recovery view answers");
    assert!(body.contains("not_running"), "{body}");

    // A second process for an instance that already has one is refused, naming the instance.
    let twin = supervisor(dir.path(), &url, &ns, "srv-a-2", None)
        .output()
        .unwrap();
    assert!(!twin.status.success());
    let err = String::from_utf8_lossy(&twin.stderr);
    assert!(err.contains("srv-a-2"), "{err}");

    stop(b);
    stop(a);
    // Nothing on disk: the documents went to the store (logs of the agents stay local, under state/).
    assert!(!dir.path().join("state/agent_status.json").exists());
}
