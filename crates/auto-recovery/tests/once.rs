//! The real `auto-recovery --once` binary against real servers on 127.0.0.1: exit codes, state file,
//! alerts once per failed deploy, and the API key never leaving the process.

mod common;

use common::{FakeRender, Health, Webhook, oom_event};
use serde_json::Value;
use std::path::{Path, PathBuf};

const KEY: &str = "rnd_OnceTestKeyMustNotLeak";

struct Run {
    code: i32,
    output: String,
    state: Value,
    state_text: String,
}

/// Writes `healing.toml` into `dir` and runs the binary once with a clean environment plus `env`.
async fn run_once(dir: &Path, toml: &str, env: &[(&str, &str)]) -> Run {
    let config = dir.join("healing.toml");
    std::fs::write(&config, toml).expect("config written");
    let state_dir = dir.join("state");
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_auto-recovery"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "debug")
        .arg("--config")
        .arg(&config)
        .arg("--state-dir")
        .arg(&state_dir)
        .arg("--once")
        .current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().await.expect("the binary runs");
    let state_path: PathBuf = state_dir.join("render_recovery_state.json");
    let state_text = std::fs::read_to_string(&state_path).unwrap_or_default();
    Run {
        code: out.status.code().unwrap_or(-1),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        state: serde_json::from_str(&state_text).unwrap_or(Value::Null),
        state_text,
    }
}

fn header(render_base: Option<&str>, extra_recovery: &str) -> String {
    let render = render_base
        .map(|b| {
            format!(
                "[recovery.render]\napi_base = \"{b}\"\npage_limit = 2\nmax_retry_wait = \"1s\"\n"
            )
        })
        .unwrap_or_default();
    format!(
        "[fixes]\nrequirements = \"requirements.txt\"\ncreate_path_roots = [\"data\"]\n\
         [alerts]\nmin_severity = \"high\"\ndedup_window = \"1ms\"\n\
         [recovery]\ncheck_self = false\ncheck_dependencies = false\n{extra_recovery}\n{render}"
    )
}

fn service(name: &str, url: &str) -> String {
    format!(
        "[[recovery.services]]\nname = \"{name}\"\nurl = \"{url}\"\ntimeout = \"150ms\"\nwake_timeout = \"800ms\"\n"
    )
}

#[tokio::test]
async fn once_exits_0_when_every_service_is_healthy_or_woke_up() {
    let dir = tempfile::tempdir().unwrap();
    let health = Health::default();
    let base = health.start().await;
    let mut toml = header(None, "");
    toml += &service("ok", &format!("{base}/healthy"));
    toml += &service("sleepy", &format!("{base}/waking/300"));
    toml += &service("flaky", &format!("{base}/flaky"));

    let run = run_once(dir.path(), &toml, &[]).await;

    assert_eq!(run.code, 0, "{}", run.output);
    assert_eq!(run.state["writer"], "auto-recovery");
    assert_eq!(run.state["services"]["sleepy"]["healthy"], true);
    assert!(run.state["services"]["sleepy"]["wake_ms"].as_u64().unwrap() >= 300);
    assert_eq!(run.state["services"]["ok"]["wake_tried"], false);
    assert_eq!(run.state["last_pass"]["healthy"], true);
}

#[tokio::test]
async fn once_exits_1_and_alerts_when_a_service_stays_down() {
    let dir = tempfile::tempdir().unwrap();
    let health = Health::default();
    let base = health.start().await;
    let hook = Webhook::default();
    let hook_url = hook.start().await;
    let toml = header(None, "") + &service("api", &format!("{base}/down"));

    let run = run_once(dir.path(), &toml, &[("HEALING_WEBHOOK_URL", &hook_url)]).await;

    assert_eq!(run.code, 1, "{}", run.output);
    assert_eq!(run.state["services"]["api"]["failure"], "server_error");
    assert_eq!(run.state["services"]["api"]["wake_tried"], true);
    assert_eq!(
        hook.count_containing("api is down"),
        1,
        "{:?}",
        hook.bodies.lock().unwrap()
    );
}

#[tokio::test]
async fn once_exits_2_on_a_bad_config() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_once(dir.path(), "[recovery]\nno_such_key = 1\n", &[]).await;
    assert_eq!(run.code, 2, "{}", run.output);
    assert!(run.output.contains("no_such_key"), "{}", run.output);
}

#[tokio::test]
async fn missing_env_is_reported_by_name_and_allowed_paths_are_created() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let extra =
        "required_env = [\"PRESENT_VAR\", \"ABSENT_VAR\"]\nrequired_paths = [\"data/cache\"]";
    let run = run_once(
        dir.path(),
        &header(None, extra),
        &[("PRESENT_VAR", "value-that-is-secret")],
    )
    .await;

    assert_eq!(run.code, 1, "{}", run.output);
    assert_eq!(
        run.state["environment"]["missing_env"],
        serde_json::json!(["ABSENT_VAR"])
    );
    assert!(dir.path().join("data/cache").is_dir());
    assert!(!run.state_text.contains("value-that-is-secret"));
    assert!(!run.output.contains("value-that-is-secret"));
}

#[tokio::test]
async fn a_failed_deploy_and_an_oom_event_are_alerted_once_across_two_runs_without_leaking_the_key()
{
    let dir = tempfile::tempdir().unwrap();
    let render = FakeRender::new(KEY);
    render.add_service("srv-web", "web", &[]);
    render.set_deploys(
        "srv-web",
        &["live", "deactivated", "build_failed", "deactivated", "live"],
    );
    render.add_event(
        "srv-web",
        oom_event("evt-oom1", "srv-web", "2026-01-01T00:10:00Z"),
    );
    render.add_event("srv-web", serde_json::json!({"id": "evt-up", "type": "server_available", "timestamp": "2026-01-01T00:11:00Z", "details": {}}));
    let api = render.start().await;
    let hook = Webhook::default();
    let hook_url = hook.start().await;
    let env = [
        ("HEALING_WEBHOOK_URL", hook_url.as_str()),
        ("RENDER_API_KEY", KEY),
    ];

    let first = run_once(dir.path(), &header(Some(&api), ""), &env).await;
    let second = run_once(dir.path(), &header(Some(&api), ""), &env).await;

    assert_eq!(
        first.code, 0,
        "superseded failure, recovered instance: {}",
        first.output
    );
    assert_eq!(second.code, 0, "{}", second.output);
    assert_eq!(
        hook.count_containing("dep-srv-web-3"),
        1,
        "{:?}",
        hook.bodies.lock().unwrap()
    );
    assert_eq!(
        hook.count_containing("512Mi"),
        1,
        "{:?}",
        hook.bodies.lock().unwrap()
    );
    assert!(
        render.requests_matching("cursor=dep-srv-web-4").len() >= 2,
        "paged through deploys"
    );
    for text in [
        &first.output,
        &second.output,
        &first.state_text,
        &second.state_text,
    ] {
        assert!(!text.contains("OnceTestKey"), "the key leaked: {text}");
    }
    for body in hook.bodies.lock().unwrap().iter() {
        assert!(!body.contains("OnceTestKey"));
    }
    assert_eq!(
        second.state["render"]["services"]["srv-web"]["latest_deploy"]["status"],
        "live"
    );
}

#[tokio::test]
async fn a_rejected_key_exits_1_with_an_alert_that_does_not_contain_it() {
    let dir = tempfile::tempdir().unwrap();
    let render = FakeRender::new(KEY);
    let api = render.start().await;
    let hook = Webhook::default();
    let hook_url = hook.start().await;
    let env = [
        ("HEALING_WEBHOOK_URL", hook_url.as_str()),
        ("RENDER_API_KEY", "rnd_WrongButSecret"),
    ];

    let run = run_once(dir.path(), &header(Some(&api), ""), &env).await;

    assert_eq!(run.code, 1, "{}", run.output);
    assert_eq!(hook.count_containing("rejected the API key"), 1);
    for text in [&run.output, &run.state_text] {
        assert!(!text.contains("WrongButSecret"), "{text}");
    }
}

#[tokio::test]
async fn a_crashed_service_is_restarted_once_within_its_budget() {
    let dir = tempfile::tempdir().unwrap();
    let render = FakeRender::new(KEY);
    render.add_service("srv-w", "worker", &[]);
    render.set_deploys("srv-w", &["live"]);
    render.add_event("srv-w", oom_event("evt-1", "srv-w", "2026-01-01T00:10:00Z"));
    let api = render.start().await;
    let toml = header(Some(&api), "") + "auto_restart = true\nmax_actions_per_hour = 1\n";
    let env = [("RENDER_API_KEY", KEY)];

    let first = run_once(dir.path(), &toml, &env).await;
    let second = run_once(dir.path(), &toml, &env).await;

    assert_eq!(first.code, 0, "restart accepted: {}", first.output);
    assert_eq!(
        second.code, 1,
        "budget spent, still crashed: {}",
        second.output
    );
    assert_eq!(
        render
            .requests_matching("POST /services/srv-w/restart")
            .len(),
        1
    );
    let actions = second.state["actions"].as_array().unwrap();
    assert_eq!(actions[0]["outcome"], "accepted");
    assert!(
        actions[1]["outcome"]
            .as_str()
            .unwrap()
            .starts_with("skipped: budget")
    );
}

#[tokio::test]
async fn a_service_render_suspended_for_crashlooping_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let render = FakeRender::new(KEY);
    render.add_service("srv-loop", "looper", &["stuck_crashlooping"]);
    render.add_service("srv-off", "paused-by-user", &["user"]);
    let api = render.start().await;
    let hook = Webhook::default();
    let hook_url = hook.start().await;
    let env = [
        ("HEALING_WEBHOOK_URL", hook_url.as_str()),
        ("RENDER_API_KEY", KEY),
    ];

    let run = run_once(dir.path(), &header(Some(&api), ""), &env).await;

    assert_eq!(run.code, 1, "{}", run.output);
    assert_eq!(hook.count_containing("looper"), 1);
    assert_eq!(
        hook.count_containing("paused-by-user"),
        0,
        "a user's own suspension is not an incident"
    );
    assert_eq!(
        run.state["render"]["services"]["srv-loop"]["suspended"],
        true
    );
}

#[tokio::test]
async fn a_missing_dependency_goes_through_the_shared_check_and_the_policy_installer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("requirements.txt"),
        "pip\nnosuchdist-for-recovery-test==1.0.0\n",
    )
    .unwrap();
    let toml = "[fixes]\nrequirements = \"requirements.txt\"\ninstall_command = [\"false\"]\n\
                [prevention]\npython = \"python3\"\n\
                [recovery]\ncheck_self = false\ncheck_dependencies = true\n";

    let run = run_once(dir.path(), toml, &[]).await;

    assert_eq!(run.code, 1, "{}", run.output);
    let deps = run.state["environment"]["dependencies"].as_str().unwrap();
    assert!(
        deps.contains("nosuchdist-for-recovery-test==1.0.0"),
        "{deps}"
    );
    assert!(
        deps.contains("install failed"),
        "the allowed, pinned install was tried: {deps}"
    );
    assert!(!deps.contains("pip "), "pip itself is installed: {deps}");
}
