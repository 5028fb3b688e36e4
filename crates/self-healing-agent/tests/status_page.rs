//! The status page in a real browser: the supervisor binary runs three agents (one healthy, one
//! crash-looping into an open breaker, one hung), headless Chromium loads `/` over 127.0.0.1, and the
//! rendered DOM must show what a person needs — names and states, the breaker's next trial, the SVG
//! timeline's exit marks, a hostile log line as plain text — at desktop and at phone width.
//!
//! Without Chromium the test says it skipped; with `CI=true` a missing Chromium is a failure.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Binary, Project, wait_for};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The payload the crash-looping agent prints; it must reach the page as text, never as markup.
const PAYLOAD: &str = "<script>alert(1)</script>";

fn config() -> String {
    format!(
        r#"state_dir = "state"
[self_healing]
interval = "200ms"
grace_period = "1s"
stable_after = "1s"
listen = "127.0.0.1:0"
[restart]
initial_delay = "100ms"
multiplier = 2.0
max_delay = "1s"
jitter = false
max_per_hour = 60
[breaker]
failure_threshold = 3
cooldown = "10m"

[[agents]]
name = "market_data"
command = ["sh", "-c", "echo ready; exec sleep 600"]

[[agents]]
name = "sports_analytics"
command = ["sh", "-c", "echo 'TimeoutError: {PAYLOAD} feed broke' >&2; exit 3"]

[[agents]]
name = "news_scraper"
command = ["sh", "-c", "exec sleep 600"]
heartbeat_file = "state/heartbeat/news_scraper"
heartbeat_max_age = "1s"
health_start_period = "0s"
"#
    )
}

/// `chromium` on PATH; `None` skips the test outside CI and fails it in CI.
fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|p| p.is_file())
    });
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        found.is_some() || !ci,
        "CI is set but chromium is not installed: .ci/run must install Debian's chromium"
    );
    if found.is_none() {
        eprintln!("status_page browser test skipped: chromium is not installed (CI not set)");
    }
    found
}

/// Runs headless Chromium with the flags that keep it offline and quiet, plus `extra`; its stdout.
fn browse(chromium: &Path, profile: &Path, extra: &[&str], url: &str) -> String {
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "chromium failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The address the supervisor logged ("HTTP endpoints listening address=127.0.0.1:PORT").
fn listening(p: &Project) -> Option<String> {
    let log = std::fs::read_to_string(p.path().join("supervisor.err")).ok()?;
    let at = log.find("address=")? + "address=".len();
    let addr: String = log[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
        .collect();
    addr.contains(':').then_some(addr)
}

/// The markup from `anchor` up to the end of its element's first `</div>` or `</tr>`.
fn block<'a>(dom: &'a str, anchor: &str, end: &str) -> &'a str {
    let start = dom
        .find(anchor)
        .unwrap_or_else(|| panic!("{anchor} not in the page"));
    let rest = &dom[start..];
    &rest[..rest.find(end).map_or(rest.len(), |i| i + end.len())]
}

/// The number in `attr="N"` inside `text`.
fn number(text: &str, attr: &str) -> u64 {
    let at = text.find(&format!("{attr}=\"")).unwrap() + attr.len() + 2;
    text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_shows_a_crash_loop_a_hang_and_a_healthy_agent_in_a_real_browser() {
    let Some(chromium) = chromium() else { return };
    let p = Project::new();
    p.write("healing.toml", &config());
    let sup = Binary::start(&p, &[("NO_COLOR", "1")]);
    assert!(
        wait_for(Duration::from_secs(20), || listening(&p).is_some()).await,
        "the supervisor never listened"
    );
    let addr = listening(&p).unwrap();
    let ready = wait_for(Duration::from_secs(60), || {
        let Some(status) = p.state("agent_status.json") else {
            return false;
        };
        let hung = p.state("self_healing_state.json").is_some_and(|s| {
            s["history"].as_array().is_some_and(|h| {
                h.iter()
                    .any(|e| e["event"] == "hang" && e["agent"] == "news_scraper")
            })
        });
        status["agents"]["sports_analytics"]["status"] == "circuit_open"
            && status["agents"]["market_data"]["healthy"] == true
            && hung
    })
    .await;
    assert!(ready, "agents never reached the scene to show");

    let profile = tempfile::tempdir().unwrap();
    let url = format!("http://{addr}/");
    let dom = browse(&chromium, profile.path(), &["--dump-dom"], &url);

    let healthy = block(&dom, "<tr data-agent=\"market_data\"", "</tr>");
    assert!(healthy.contains("running"), "{healthy}");
    let looping = block(&dom, "<tr data-agent=\"sports_analytics\"", "</tr>");
    assert!(looping.contains("held: breaker open"), "{looping}");
    assert!(looping.contains("next trial"), "{looping}");
    assert!(
        looping.contains("in 9m") || looping.contains("in 10m"),
        "{looping}"
    );
    let hung = block(&dom, "<tr data-agent=\"news_scraper\"", "</tr>");
    assert!(hung.contains("hung: heartbeat"), "{hung}");

    let timeline = block(
        &dom,
        "<div class=\"timeline\" data-agent=\"sports_analytics\"",
        "</div>",
    );
    assert!(timeline.contains("<svg"), "{timeline}");
    assert!(number(timeline, "data-exits") >= 3, "{timeline}");
    assert!(timeline.contains("class=\"m exit\""), "{timeline}");
    let hangs = block(
        &dom,
        "<div class=\"timeline\" data-agent=\"news_scraper\"",
        "</div>",
    );
    assert!(hangs.contains("class=\"m hang\""), "{hangs}");

    // The log line is on the page, as text: the browser serialises it escaped, and no such script ran.
    assert!(
        dom.contains("TimeoutError: &lt;script&gt;alert(1)&lt;/script&gt; feed broke"),
        "the payload is not shown as text"
    );
    assert!(!dom.contains(PAYLOAD), "the payload became markup");
    // The page's own script ran (it records the layout width), and nothing scrolls sideways.
    assert!(
        number(&dom, "data-scroll-width") <= number(&dom, "data-client-width"),
        "desktop page scrolls sideways"
    );

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("status-page.png");
    let _ = std::fs::remove_file(&shot);
    browse(
        &chromium,
        profile.path(),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,900",
        ],
        &url,
    );
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(size > 10_000, "screenshot missing or blank: {size} bytes");

    let harness = harness::Harness::start(&addr).await;
    harness.fits_a_phone(&chromium, profile.path()).await;
    harness
        .buttons_send_the_token(&chromium, profile.path())
        .await;
    // TERM, so the supervisor stops its agents (a kill would orphan their `sleep`s).
    assert!(sup.stop().success(), "the supervisor stops cleanly");
}

/// The page framed by a harness page: a pass-through proxy on 127.0.0.1 makes the frame same-origin, so
/// the harness can read the framed page's layout and drive its buttons. Headless Chromium will not make a
/// window narrower than 500 px, so the phone check frames the page at 390 px. The proxy answers
/// `POST /control/<verb>/<name>` itself, as the operator's control endpoint would, and records what came.
mod harness {
    use super::{Path, block, browse, number};
    use axum::Router;
    use axum::extract::{Request, State};
    use axum::http::{HeaderMap, header};
    use axum::response::{Html, IntoResponse, Json, Response};
    use axum::routing::{get, post};
    use std::sync::{Arc, Mutex};

    /// Clicks Restart for market_data with a token in the session, then copies the outcome line out.
    const CONTROL: &str = r#"<!DOCTYPE html><html><body>
<iframe id="f" src="/" style="width:1200px;height:800px;border:0"></iframe>
<script>var f = document.getElementById("f");
f.addEventListener("load", function () {
  f.contentWindow.sessionStorage.setItem("self-healing-token", "the-operator-token");
  f.contentDocument.querySelector('button[data-verb="restart"][data-agent="market_data"]').click();
  var tries = 0, timer = setInterval(function () {
    var text = f.contentDocument.getElementById("outcome").textContent;
    if (text.indexOf("restart market_data:") === 0 || ++tries > 200) {
      clearInterval(timer);
      var out = document.createElement("div");
      out.id = "control";
      out.textContent = text;
      document.body.appendChild(out);
    }
  }, 50);
});</script></body></html>"#;

    const HARNESS: &str = r#"<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="/" style="width:390px;height:844px;border:0"></iframe>
<script>document.getElementById("f").addEventListener("load", function () {
  var root = this.contentDocument.documentElement;
  var out = document.createElement("div");
  out.id = "phone";
  out.setAttribute("data-scroll-width", root.scrollWidth);
  out.setAttribute("data-client-width", root.clientWidth);
  document.body.appendChild(out);
});</script></body></html>"#;

    /// Where the proxy forwards to, and the control requests it received.
    #[derive(Clone)]
    struct Ctx {
        upstream: String,
        controls: Arc<Mutex<Vec<String>>>,
    }

    async fn control(
        State(ctx): State<Ctx>,
        axum::extract::Path((verb, name)): axum::extract::Path<(String, String)>,
        headers: HeaderMap,
    ) -> Response {
        let auth = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        ctx.controls
            .lock()
            .unwrap()
            .push(format!("{verb} {name} {auth}"));
        Json(serde_json::json!({"outcome": "done", "message": format!("{name} restarted (pid 4321)")}))
            .into_response()
    }

    async fn pass_through(State(ctx): State<Ctx>, request: Request) -> Response {
        let url = format!("{}{}", ctx.upstream, request.uri());
        let answer = reqwest::get(url).await.expect("supervisor answers");
        let kind = answer
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("text/html")
            .to_string();
        let body = answer.bytes().await.expect("body");
        ([(header::CONTENT_TYPE, kind)], body).into_response()
    }

    pub struct Harness {
        base: String,
        controls: Arc<Mutex<Vec<String>>>,
        server: tokio::task::JoinHandle<std::io::Result<()>>,
    }

    impl Drop for Harness {
        fn drop(&mut self) {
            self.server.abort();
        }
    }

    impl Harness {
        pub async fn start(supervisor: &str) -> Harness {
            let controls = Arc::new(Mutex::new(Vec::new()));
            let app = Router::new()
                .route("/harness", get(|| async { Html(HARNESS) }))
                .route("/control-harness", get(|| async { Html(CONTROL) }))
                .route("/control/{verb}/{name}", post(control))
                .fallback(pass_through)
                .with_state(Ctx {
                    upstream: format!("http://{supervisor}"),
                    controls: controls.clone(),
                });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let server = tokio::spawn(async move { axum::serve(listener, app).await });
            Harness {
                base,
                controls,
                server,
            }
        }

        /// Restart is a POST to `/control/restart/market_data` with the session's bearer token, and the
        /// endpoint's message is shown.
        pub async fn buttons_send_the_token(&self, chromium: &Path, profile: &Path) {
            let url = format!("{}/control-harness", self.base);
            let (chromium, profile) = (chromium.to_path_buf(), profile.to_path_buf());
            let dom = tokio::task::spawn_blocking(move || {
                browse(
                    &chromium,
                    &profile,
                    &["--virtual-time-budget=15000", "--dump-dom"],
                    &url,
                )
            })
            .await
            .unwrap();
            let got = self.controls.lock().unwrap().clone();
            assert_eq!(
                got,
                ["restart market_data Bearer the-operator-token"],
                "{dom}"
            );
            let shown = block(&dom, "<div id=\"control\"", "</div>");
            assert!(
                shown.contains("restart market_data: market_data restarted (pid 4321)"),
                "{shown}"
            );
        }

        pub async fn fits_a_phone(&self, chromium: &Path, profile: &Path) {
            let url = format!("{}/harness", self.base);
            let chromium = chromium.to_path_buf();
            let profile = profile.to_path_buf();
            let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("status-page-phone.png");
            let (dom, _) = tokio::task::spawn_blocking(move || {
                let dom = browse(&chromium, &profile, &["--dump-dom"], &url);
                let flag = format!("--screenshot={}", shot.display());
                let shot = browse(
                    &chromium,
                    &profile,
                    &[&flag, "--window-size=500,1400"],
                    &url,
                );
                (dom, shot)
            })
            .await
            .unwrap();
            let phone = block(&dom, "<div id=\"phone\"", ">");
            let (scroll, client) = (
                number(phone, "data-scroll-width"),
                number(phone, "data-client-width"),
            );
            assert_eq!(client, 390, "{phone}");
            assert!(
                scroll <= client,
                "the page scrolls sideways at phone width: {phone}"
            );
        }
    }
}
