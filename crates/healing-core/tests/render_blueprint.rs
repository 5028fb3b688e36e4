//! render.yaml against the Blueprint rules that matter (render-facts.md §1–§4) and against the code:
//! the binaries it starts exist, every env var they read is declared, shutdown outlasts the grace period.

mod blueprint_support;

use blueprint_support::*;
use healing_core::config_load;
use serde_yaml_ng::Value;
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;

const ROOT_KEYS: &[&str] = &[
    "services",
    "databases",
    "envVarGroups",
    "projects",
    "ungrouped",
    "previews",
];
const TYPES: &[&str] = &["web", "pserv", "worker", "cron", "keyvalue"];
const PLANS: &[&str] = &[
    "free",
    "starter",
    "standard",
    "pro",
    "pro plus",
    "pro max",
    "pro ultra",
];
const REGIONS: &[&str] = &["oregon", "ohio", "virginia", "frankfurt", "singapore"];
const THE_THREE: &[&str] = &["self-healing-agent", "prevention-agent", "auto-recovery"];

#[test]
fn the_blueprint_uses_only_known_root_keys_and_service_types() {
    let doc = blueprint();
    for key in doc.as_mapping().expect("a mapping at the root").keys() {
        let key = key.as_str().expect("string keys");
        assert!(ROOT_KEYS.contains(&key), "unknown root key {key}");
    }
    let mut names = BTreeSet::new();
    for s in services(&doc) {
        let name = str_of(s, "name").expect("every service has a name");
        assert!(names.insert(name), "service name {name} is not unique");
        let ty = str_of(s, "type").expect("every service has a type");
        assert!(TYPES.contains(&ty), "{name}: unknown type {ty}");
    }
}

#[test]
fn every_code_service_is_a_native_rust_build_with_a_plan_valid_for_its_type() {
    let doc = blueprint();
    for s in services(&doc) {
        let name = str_of(s, "name").unwrap_or_default();
        let ty = str_of(s, "type").unwrap_or_default();
        let plan = str_of(s, "plan").unwrap_or("starter");
        assert!(PLANS.contains(&plan), "{name}: unknown plan {plan}");
        if let Some(region) = str_of(s, "region") {
            assert!(REGIONS.contains(&region), "{name}: unknown region {region}");
        }
        if ty == "keyvalue" {
            continue;
        }
        assert_eq!(str_of(s, "runtime"), Some("rust"), "{name}: runtime");
        assert!(
            str_of(s, "buildCommand").is_some(),
            "{name}: buildCommand is required"
        );
        assert!(
            str_of(s, "startCommand").is_some(),
            "{name}: startCommand is required"
        );
        assert!(
            !(plan == "free" && matches!(ty, "worker" | "cron" | "pserv")),
            "{name}: a {ty} has no free plan"
        );
        assert!(
            ty == "web" || s.get("healthCheckPath").is_none(),
            "{name}: healthCheckPath is for web services only"
        );
        match s.get("maxShutdownDelaySeconds") {
            Some(v) => {
                assert!(
                    matches!(ty, "web" | "pserv" | "worker"),
                    "{name}: no shutdown delay on {ty}"
                );
                let secs = v.as_u64().expect("an integer");
                assert!(
                    (1..=300).contains(&secs),
                    "{name}: maxShutdownDelaySeconds {secs} not in 1..=300"
                );
            }
            None => assert_eq!(
                ty, "cron",
                "{name}: long-running services set maxShutdownDelaySeconds"
            ),
        }
        assert_eq!(
            ty == "cron",
            s.get("schedule").is_some(),
            "{name}: schedule is for (and required by) cron jobs"
        );
    }
}

#[test]
fn the_cron_schedule_is_a_five_field_cron_expression() {
    let doc = blueprint();
    let cron = service(&doc, "auto-recovery");
    assert_eq!(str_of(cron, "type"), Some("cron"));
    let schedule = str_of(cron, "schedule").expect("a schedule");
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    assert_eq!(fields.len(), 5, "{schedule:?}");
    let field = regex::Regex::new(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$").unwrap();
    for f in fields {
        assert!(field.is_match(f), "bad cron field {f:?} in {schedule:?}");
    }
}

/// The program a start command runs, after checking it execs (so the program gets SIGTERM).
fn exec_target(name: &str, command: &str) -> (String, Vec<String>) {
    let mut words = command.split_whitespace();
    assert_eq!(
        words.next(),
        Some("exec"),
        "{name}: startCommand must exec: {command}"
    );
    let program = words.next().expect("a program after exec").to_owned();
    (program, words.map(str::to_owned).collect())
}

#[test]
fn start_commands_exec_binaries_that_exist_in_the_workspace() {
    let doc = blueprint();
    let bins = workspace_binaries();
    assert!(
        THE_THREE.iter().all(|b| bins.contains(*b)),
        "workspace binaries: {bins:?}"
    );
    for s in services(&doc)
        .into_iter()
        .filter(|s| str_of(s, "type") != Some("keyvalue"))
    {
        let name = str_of(s, "name").unwrap_or_default();
        let (program, _) = exec_target(name, str_of(s, "startCommand").unwrap_or_default());
        let built = if let Some(bin) = program.strip_prefix("./target/dist/") {
            assert!(
                bins.contains(bin),
                "{name}: {bin} is not a workspace binary ({bins:?})"
            );
            bin.to_owned()
        } else {
            let script = repo_root().join(program.trim_start_matches("./"));
            let text = std::fs::read_to_string(&script).unwrap_or_else(|e| {
                panic!("{name}: start script {} is missing: {e}", script.display())
            });
            let bin = bins
                .iter()
                .find(|b| {
                    text.contains(&format!("target/dist/{b}"))
                        || text.contains(&format!("exec {b}"))
                })
                .unwrap_or_else(|| panic!("{name}: {program} does not run a workspace binary"));
            assert!(
                text.contains("exec "),
                "{name}: {program} must exec the binary"
            );
            bin.clone()
        };
        // The build script is the one way binaries are built for users (static, into target/dist/);
        // render-build.sh prepares the agents' venv first and then hands its arguments to it.
        let build = str_of(s, "buildCommand").unwrap_or_default();
        let mut words = build.split_whitespace();
        let first = words.next().unwrap_or_default();
        assert!(
            first == "scripts/build-release.sh" || first == "scripts/render-build.sh",
            "{name}: {build}"
        );
        let script = repo_root().join(first);
        let mode = std::fs::metadata(&script)
            .unwrap_or_else(|e| panic!("{name}: {} is missing: {e}", script.display()))
            .permissions()
            .mode();
        assert!(
            mode & 0o111 != 0,
            "{name}: the build script is not executable"
        );
        let named: Vec<&str> = words.collect();
        assert!(
            named.is_empty() || named.contains(&built.as_str()),
            "{name}: {build} does not build {built}"
        );
    }
}

#[test]
fn config_files_named_by_start_commands_load_without_problems() {
    let doc = blueprint();
    for s in services(&doc)
        .into_iter()
        .filter(|s| str_of(s, "type") != Some("keyvalue"))
    {
        let name = str_of(s, "name").unwrap_or_default();
        let (_, args) = exec_target(name, str_of(s, "startCommand").unwrap_or_default());
        if let Some(i) = args.iter().position(|a| a == "--config") {
            let path = repo_root().join(&args[i + 1]);
            let src = std::fs::read_to_string(&path).expect("the config file exists");
            let loaded = config_load::load_from_str(&src, Some(&path), &repo_root(), &|_| None);
            assert!(
                loaded.is_ok(),
                "{name}: {}: {:?}",
                path.display(),
                loaded.err()
            );
        }
    }
}

#[test]
fn the_supervisor_gets_more_shutdown_time_than_its_agents_grace_period() {
    let doc = blueprint();
    let sup = service(&doc, "self-healing-agent");
    let delay = sup
        .get("maxShutdownDelaySeconds")
        .and_then(Value::as_u64)
        .expect("set");
    // The config the supervisor's start command names.
    let (_, args) = exec_target(
        "self-healing-agent",
        str_of(sup, "startCommand").expect("set"),
    );
    let i = args.iter().position(|a| a == "--config").expect("--config");
    let path = repo_root().join(&args[i + 1]);
    let src = std::fs::read_to_string(&path).expect("the supervisor's config");
    let loaded =
        config_load::load_from_str(&src, Some(&path), &repo_root(), &|_| None).expect("loads");
    let grace = loaded.config.self_healing.grace_period.as_secs();
    assert!(
        delay > grace,
        "maxShutdownDelaySeconds {delay} must exceed grace_period {grace}s"
    );
}

#[test]
fn the_deployment_settings_of_each_service_are_declared() {
    let doc = blueprint();
    let value = |svc: &str, key: &str| {
        let env = effective_env(&doc, service(&doc, svc));
        env.get(key)
            .and_then(|e| str_of(e, "value").map(str::to_owned))
    };
    for name in THE_THREE {
        assert_eq!(
            value(name, "RENDER_MODE").as_deref(),
            Some("true"),
            "{name}"
        );
        let env = effective_env(&doc, service(&doc, name));
        for secret in ["TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID"] {
            assert_eq!(
                env.get(secret)
                    .and_then(|e| e.get("sync"))
                    .and_then(Value::as_bool),
                Some(false),
                "{name}: {secret}"
            );
        }
    }
    assert_eq!(
        value("self-healing-agent", "SELF_HEALING_INTERVAL").as_deref(),
        Some("60")
    );
    assert_eq!(
        value("prevention-agent", "PREVENTION_INTERVAL").as_deref(),
        Some("300")
    );
    for name in ["prevention-agent", "auto-recovery"] {
        let env = effective_env(&doc, service(&doc, name));
        let key = env
            .get("RENDER_API_KEY")
            .unwrap_or_else(|| panic!("{name}: RENDER_API_KEY"));
        assert_eq!(
            key.get("sync").and_then(Value::as_bool),
            Some(false),
            "{name}"
        );
    }
}

#[test]
fn the_toolchain_is_pinned_in_the_file_render_reads() {
    let root = repo_root();
    // rustup refuses to pick when both names exist; Render documents `rust-toolchain` with one line.
    assert!(
        !root.join("rust-toolchain.toml").exists(),
        "remove rust-toolchain.toml: rust-toolchain pins it"
    );
    let text = std::fs::read_to_string(root.join("rust-toolchain")).expect("rust-toolchain exists");
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "Render reads a single version line: {text:?}"
    );
    let version = lines[0].trim();
    assert!(
        regex::Regex::new(r"^\d+\.\d+\.\d+$")
            .unwrap()
            .is_match(version),
        "pin an exact version: {version}"
    );
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    let msrv = regex::Regex::new(r#"rust-version\s*=\s*"([0-9.]+)""#).unwrap();
    let msrv = &msrv.captures(&manifest).expect("workspace rust-version")[1];
    assert!(
        version.starts_with(msrv),
        "toolchain {version} differs from rust-version {msrv}"
    );
}
