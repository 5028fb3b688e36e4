//! The Telegram loop against a local Telegram-shaped server on 127.0.0.1: commands from the configured
//! chat and allowed users act through the control path and are answered; anything else is ignored; a
//! hold notice carries buttons, and pressing Resume resumes the agent and edits the message.

#![allow(clippy::unwrap_used)]

mod common;
use common::{Binary, Project, Webhook, ctl, fast, wait_for};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SLEEPER: &str = "import time\nprint('worker up', flush=True)\ntime.sleep(600)\n";
const BROKEN: &str = "import time\nprint('starting', flush=True\ntime.sleep(300)\n";
const FIXED: &str = "import time\nprint('fixed', flush=True)\ntime.sleep(300)\n";

#[derive(Default)]
struct Fake {
    updates: Vec<Value>,
    calls: Vec<(String, Value)>,
}

type Shared = Arc<Mutex<Fake>>;

async fn fake_telegram() -> (String, Shared) {
    use axum::extract::{Path, State};
    let shared: Shared = Arc::default();
    let app = axum::Router::new()
        .route(
            "/{bot}/{method}",
            axum::routing::post(
                |State(s): State<Shared>,
                 Path((bot, method)): Path<(String, String)>,
                 axum::Json(body): axum::Json<Value>| async move {
                    assert_eq!(bot, "bot123:secret-token");
                    if method == "getUpdates" {
                        let offset = body["offset"].as_i64().unwrap_or(0);
                        let pending: Vec<Value> = s
                            .lock()
                            .unwrap()
                            .updates
                            .iter()
                            .filter(|u| u["update_id"].as_i64().unwrap() >= offset)
                            .cloned()
                            .collect();
                        if pending.is_empty() {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        return axum::Json(json!({"ok": true, "result": pending}));
                    }
                    s.lock().unwrap().calls.push((method, body));
                    axum::Json(json!({"ok": true, "result": true}))
                },
            ),
        )
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, shared)
}

fn push(s: &Shared, update: Value) {
    let mut f = s.lock().unwrap();
    let id = f.updates.len() as i64 + 1;
    let mut u = update;
    u["update_id"] = json!(id);
    f.updates.push(u);
}

fn message(chat: i64, user: i64, text: &str) -> Value {
    json!({"message": {"message_id": 1, "chat": {"id": chat}, "from": {"id": user}, "text": text}})
}

fn sent(s: &Shared, method: &str, needle: &str) -> bool {
    s.lock()
        .unwrap()
        .calls
        .iter()
        .any(|(m, b)| m == method && b.to_string().contains(needle))
}

/// The supervisor with the bot's token and chat id (chat 100) in its environment.
fn start_with_bot(p: &Project) -> Binary {
    Binary::start(
        p,
        &[
            ("TELEGRAM_BOT_TOKEN", "123:secret-token"),
            ("TELEGRAM_CHAT_ID", "100"),
        ],
    )
}

fn agent(p: &Project, name: &str) -> Value {
    p.state("agent_status.json")
        .map(|s| s["agents"][name].clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn commands_and_buttons_from_the_chat_drive_the_supervisor() {
    let (url, tg) = fake_telegram().await;
    let p = Project::new();
    p.write("worker.py", SLEEPER);
    p.write("report.py", BROKEN);
    let toml = fast(&format!(
        "[alerts.telegram]\napi_base = \"{url}\"\ncommands = true\nallowed_user_ids = [42]\n\
         [[agents]]\nname = \"worker\"\ncommand = [\"python3\", \"worker.py\"]\n\
         [[agents]]\nname = \"report\"\ncommand = [\"python3\", \"report.py\"]\n"
    ))
    .replace(
        "cooldown = \"1s\"",
        "cooldown = \"1s\"\nreset_after = \"1h\"",
    );
    p.write("healing.toml", &toml);
    let sup = start_with_bot(&p);
    let long = Duration::from_secs(20);

    // The hold notice carries the buttons.
    assert!(wait_for(long, || sent(&tg, "sendMessage", "resume:report")).await);
    assert!(sent(&tg, "sendMessage", "mute:report") && sent(&tg, "sendMessage", "restart:report"));
    assert!(wait_for(long, || agent(&p, "worker")["status"] == "running").await);

    // Another chat, and a user not on the list: ignored.
    push(&tg, message(999, 42, "/stop worker"));
    push(&tg, message(100, 7, "/stop worker"));
    push(&tg, message(100, 42, "/status"));
    assert!(wait_for(long, || sent(&tg, "sendMessage", "worker: running")).await);
    assert_eq!(agent(&p, "worker")["status"], "running");

    push(&tg, message(100, 42, "/stop@MyBot worker"));
    assert!(wait_for(long, || sent(&tg, "sendMessage", "✅ worker stopped")).await);
    assert!(wait_for(long, || agent(&p, "worker")["stopped_by"] == "operator").await);

    push(&tg, message(100, 42, "/logs report 5"));
    assert!(wait_for(long, || sent(&tg, "sendMessage", "SyntaxError")).await);

    // A button from someone else is refused; Resume from an allowed user resumes and edits.
    p.write("report.py", FIXED);
    let press = |id: &str, user: i64| {
        json!({"callback_query": {"id": id, "from": {"id": user}, "data": "resume:report",
            "message": {"message_id": 77, "chat": {"id": 100}}}})
    };
    push(&tg, press("cb-7", 7));
    push(&tg, press("cb-42", 42));
    assert!(wait_for(long, || sent(&tg, "answerCallbackQuery", "cb-42")).await);
    assert!(sent(&tg, "answerCallbackQuery", "not allowed"));
    assert!(wait_for(long, || sent(&tg, "editMessageText", "resumed")).await);
    assert!(wait_for(long, || agent(&p, "report")["status"] == "running").await);
    let history = || {
        p.state("self_healing_state.json")
            .map(|s| s["history"].to_string())
            .unwrap_or_default()
    };
    assert!(
        wait_for(long, || history().contains("(telegram)")).await,
        "{}",
        history()
    );
    assert!(sup.stop().success());
}

#[tokio::test]
async fn a_proposed_fix_is_applied_from_its_telegram_button() {
    let (url, tg) = fake_telegram().await;
    let p = Project::new();
    p.write(
        "writer.py",
        "import time\nopen('data/reports/out.txt', 'a').write('ok\\n')\ntime.sleep(300)\n",
    );
    let toml = fast(&format!(
        "[alerts.telegram]\napi_base = \"{url}\"\ncommands = true\n\
         [fixes]\nmode = \"propose\"\ncreate_path_roots = [\"data\"]\nrequirements = \"none.txt\"\n\
         [[agents]]\nname = \"writer\"\ncommand = [\"python3\", \"writer.py\"]\n"
    ));
    p.write("healing.toml", &toml);
    let sup = start_with_bot(&p);
    let long = Duration::from_secs(20);
    assert!(wait_for(long, || sent(&tg, "sendMessage", "apply:1")).await);
    assert!(sent(&tg, "sendMessage", "skip:1"));
    assert!(
        !p.path().join("data/reports").exists(),
        "a proposal ran by itself"
    );
    push(
        &tg,
        json!({"callback_query": {"id": "cb-apply", "from": {"id": 5}, "data": "apply:1",
            "message": {"message_id": 9, "chat": {"id": 100}}}}),
    );
    assert!(wait_for(long, || sent(&tg, "editMessageText", "proposal 1 applied")).await);
    assert!(wait_for(long, || p.path().join("data/reports/out.txt").exists()).await);
    assert!(wait_for(long, || agent(&p, "writer")["status"] == "running").await);
    assert!(sup.stop().success());
}

/// Waits for `go_<name>` in its directory, then prints one traceback of its own bug and idles.
fn bug_after_go(name: &str, error: &str) -> String {
    format!(
        "import os, time, traceback\nprint('up', flush=True)\n\
         while not os.path.exists('go_{name}'):\n    time.sleep(0.05)\n\
         try:\n    raise {error}('{name} broke')\nexcept {error}:\n    traceback.print_exc()\nprint('idle', flush=True)\n\
         time.sleep(300)\n"
    )
}

#[tokio::test]
async fn mute_from_the_chat_silences_every_sink_for_that_agent_only() {
    let (url, tg) = fake_telegram().await;
    let hook = Webhook::start().await;
    let p = Project::new();
    p.write("noisy.py", &bug_after_go("noisy", "KeyError"));
    p.write("quiet.py", &bug_after_go("quiet", "LookupError"));
    p.write(
        "healing.toml",
        &fast(&format!(
            "[alerts]\nmin_severity = \"medium\"\n\
             [alerts.telegram]\napi_base = \"{url}\"\ncommands = true\n\
             [[agents]]\nname = \"noisy\"\ncommand = [\"python3\", \"noisy.py\"]\n\
             [[agents]]\nname = \"quiet\"\ncommand = [\"python3\", \"quiet.py\"]\n"
        )),
    );
    let env = [
        ("TELEGRAM_BOT_TOKEN", "123:secret-token"),
        ("TELEGRAM_CHAT_ID", "100"),
        ("HEALING_WEBHOOK_URL", hook.url.as_str()),
    ];
    let sup = Binary::start(&p, &env);
    let long = Duration::from_secs(30);
    assert!(wait_for(long, || agent(&p, "noisy")["status"] == "running").await);
    assert!(wait_for(long, || agent(&p, "quiet")["status"] == "running").await);

    push(
        &tg,
        json!({"callback_query": {"id": "cb-mute", "from": {"id": 5}, "data": "mute:noisy",
            "message": {"message_id": 3, "chat": {"id": 100}}}}),
    );
    assert!(wait_for(long, || sent(&tg, "editMessageText", "muted for 1 h")).await);
    assert!(wait_for(long, || agent(&p, "noisy")["muted_until"].is_string()).await);
    let (code, out, _) = ctl(&p, &["status"]);
    assert_eq!(code, 0);
    assert!(out.contains("(muted)"), "{out}");

    p.write("go_quiet", "");
    assert!(
        wait_for(long, || hook
            .texts()
            .iter()
            .any(|t| t.contains("quiet broke")))
        .await,
        "{:#?} {} {}",
        hook.texts(),
        agent(&p, "quiet"),
        std::fs::read_to_string(p.path().join("supervisor.err")).unwrap_or_default()
    );
    p.write("go_noisy", "");
    // The muted agent's incident was diagnosed, and still no alert about it anywhere.
    assert!(
        wait_for(long, || agent(&p, "noisy")["last_incident"]["line"]
            .as_str()
            .is_some_and(|l| l.contains("noisy broke")))
        .await
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let texts = hook.texts();
    assert!(
        !texts.iter().any(|t| t.contains("noisy broke")),
        "{texts:#?}"
    );
    assert!(!sent(&tg, "sendMessage", "noisy broke"));
    let history = p
        .state("self_healing_state.json")
        .map(|s| s["history"].to_string())
        .unwrap_or_default();
    assert!(history.contains("mute by operator (telegram)"), "{history}");
    assert!(sup.stop().success());
}
