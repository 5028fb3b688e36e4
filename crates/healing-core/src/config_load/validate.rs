//! Checks that need the whole value, not just its type: ranges, names, regexes, addresses, URLs.
//!
//! Every check runs and every failure is kept, so a user fixes the file in one pass. The loop of each
//! binary can then trust the config (style principle 5: validate once at start-up).

use super::keypath::KeyPath;
use super::rules::{
    argv, at_least, env_name, is_env_name, is_name, non_empty_path, non_zero, url_with_scheme,
};
use crate::config::{AgentConfig, Config, PatternConfig, ServiceConfig};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

/// Compiled size limit of one user regex: a pattern runs against every log line of every agent.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Longest user regex source accepted.
pub const REGEX_MAX_LEN: usize = 4096;
/// Render sends SIGKILL 30 s after SIGTERM; a longer grace period is never honoured there.
const RENDER_KILL_AFTER: Duration = Duration::from_secs(30);

/// Problems and warnings, each with the key it is about.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) problems: Vec<(KeyPath, String)>,
    pub(crate) warnings: Vec<(KeyPath, String)>,
}

impl Report {
    pub(crate) fn problem(&mut self, key: KeyPath, message: impl Into<String>) {
        self.problems.push((key, message.into()));
    }
}

pub(crate) fn check(cfg: &Config) -> Report {
    let mut r = Report::default();
    let root = KeyPath::root();
    non_empty_path(&mut r, root.key("state_dir"), &cfg.state_dir);
    if let Some(url) = &cfg.state_url {
        url_with_scheme(
            &mut r,
            root.key("state_url"),
            url,
            &["redis", "rediss"],
            false,
        );
    }

    let sh = root.key("self_healing");
    let s = &cfg.self_healing;
    non_zero(&mut r, sh.key("interval"), s.interval);
    non_zero(&mut r, sh.key("stable_after"), s.stable_after);
    non_zero(&mut r, sh.key("health_timeout"), s.health_timeout);
    if let Some(listen) = &s.listen
        && listen.parse::<SocketAddr>().is_err()
    {
        r.problem(
            sh.key("listen"),
            format!("expected a socket address like 127.0.0.1:8080, got {listen:?}"),
        );
    }
    if s.grace_period >= RENDER_KILL_AFTER {
        r.warnings.push((
            sh.key("grace_period"),
            "30s or more: Render kills the container 30s after SIGTERM, so agents may not get to finish".into(),
        ));
    }
    at_least(
        &mut r,
        sh.key("max_line_bytes"),
        s.max_line_bytes as u64,
        256,
    );
    at_least(&mut r, sh.key("log_max_bytes"), s.log_max_bytes, 1024);
    at_least(&mut r, sh.key("history_limit"), s.history_limit as u64, 1);
    non_zero(&mut r, sh.key("exit_cause_window"), s.exit_cause_window);
    at_least(&mut r, sh.key("exit_cause_lines"), s.exit_cause_lines, 1);

    let rs = root.key("restart");
    let m = cfg.restart.multiplier;
    if !(m.is_finite() && m >= 1.0) {
        r.problem(
            rs.key("multiplier"),
            format!("must be a finite number >= 1.0, got {m}"),
        );
    }
    non_zero(&mut r, rs.key("max_delay"), cfg.restart.max_delay);
    at_least(
        &mut r,
        rs.key("max_per_hour"),
        cfg.restart.max_per_hour.into(),
        1,
    );

    let br = root.key("breaker");
    at_least(
        &mut r,
        br.key("failure_threshold"),
        cfg.breaker.failure_threshold.into(),
        1,
    );
    non_zero(&mut r, br.key("cooldown"), cfg.breaker.cooldown);
    non_zero(&mut r, br.key("reset_after"), cfg.breaker.reset_after);

    agents(&mut r, &root.key("agents"), &cfg.agents);
    fixes(&mut r, &root.key("fixes"), cfg);
    patterns(&mut r, &root.key("patterns"), &cfg.patterns);

    let al = root.key("alerts");
    url_with_scheme(
        &mut r,
        al.key("telegram").key("api_base"),
        &cfg.alerts.telegram.api_base,
        HTTP,
        true,
    );
    env_name(
        &mut r,
        al.key("telegram").key("token_env"),
        &cfg.alerts.telegram.token_env,
    );
    env_name(
        &mut r,
        al.key("telegram").key("chat_id_env"),
        &cfg.alerts.telegram.chat_id_env,
    );
    env_name(
        &mut r,
        al.key("webhook").key("url_env"),
        &cfg.alerts.webhook.url_env,
    );

    prevention(&mut r, &root.key("prevention"), cfg);
    recovery(&mut r, &root.key("recovery"), cfg);
    r
}

const HTTP: &[&str] = &["http", "https"];

fn agents(r: &mut Report, base: &KeyPath, agents: &[AgentConfig]) {
    let mut seen = BTreeSet::new();
    for (i, a) in agents.iter().enumerate() {
        let at = base.index(i);
        if !is_name(&a.name) {
            r.problem(
                at.key("name"),
                format!(
                    "{:?} is not a valid name: use letters, digits, '_', '.', '-'",
                    a.name
                ),
            );
        } else if !seen.insert(a.name.as_str()) {
            r.problem(at.key("name"), format!("duplicate agent name {:?}", a.name));
        }
        argv(r, at.key("command"), &a.command);
        non_empty_path(r, at.key("cwd"), &a.cwd);
        for (k, v) in &a.env {
            // The value is a secret: the message names the variable only.
            if !is_env_name(k) {
                r.problem(
                    at.key("env").key(k),
                    "not a valid environment variable name",
                );
            } else if v.contains('\0') {
                r.problem(at.key("env").key(k), "the value contains a NUL byte");
            }
        }
        for (j, name) in a.pass_env.iter().enumerate() {
            env_name(r, at.key("pass_env").index(j), name);
        }
        if let Some(p) = &a.log_file {
            non_empty_path(r, at.key("log_file"), p);
        }
        if let Some(p) = &a.heartbeat_file {
            non_empty_path(r, at.key("heartbeat_file"), p);
        }
        if let Some(url) = &a.health_url {
            url_with_scheme(r, at.key("health_url"), url, HTTP, true);
        }
        non_zero(r, at.key("heartbeat_max_age"), a.heartbeat_max_age);
    }
    super::agent_order::check(r, base, agents);
}

fn fixes(r: &mut Report, base: &KeyPath, cfg: &Config) {
    let f = &cfg.fixes;
    argv(r, base.key("install_command"), &f.install_command);
    if let Some(p) = &f.requirements {
        non_empty_path(r, base.key("requirements"), p);
    }
    for (i, p) in f.create_path_roots.iter().enumerate() {
        non_empty_path(r, base.key("create_path_roots").index(i), p);
    }
    for (i, g) in f.create_files.iter().enumerate() {
        if let Err(e) = globset::Glob::new(g) {
            r.problem(
                base.key("create_files").index(i),
                format!("invalid glob: {e}"),
            );
        }
    }
    for (i, name) in f.allow_packages.iter().enumerate() {
        if name.trim().is_empty() {
            r.problem(base.key("allow_packages").index(i), "empty package name");
        }
    }
    non_zero(r, base.key("command_timeout"), f.command_timeout);
    non_zero(r, base.key("proposal_ttl"), f.proposal_ttl);
}

fn patterns(r: &mut Report, base: &KeyPath, patterns: &[PatternConfig]) {
    for (i, p) in patterns.iter().enumerate() {
        let at = base.index(i);
        if p.name.trim().is_empty() {
            r.problem(at.key("name"), "empty pattern name");
        }
        if p.regex.len() > REGEX_MAX_LEN {
            r.problem(
                at.key("regex"),
                format!("longer than {REGEX_MAX_LEN} characters"),
            );
            continue;
        }
        if let Err(e) = regex::RegexBuilder::new(&p.regex)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
        {
            // The regex crate's message spans several lines (it draws a caret); one line per problem.
            let msg = e
                .to_string()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            r.problem(at.key("regex"), format!("does not compile: {msg}"));
        }
    }
}

fn prevention(r: &mut Report, base: &KeyPath, cfg: &Config) {
    let p = &cfg.prevention;
    non_zero(r, base.key("interval"), p.interval);
    for (key, v) in [
        ("memory_percent", p.memory_percent),
        ("cpu_percent", p.cpu_percent),
        ("disk_percent", p.disk_percent),
    ] {
        if !(v > 0.0 && v <= 100.0) {
            r.problem(
                base.key(key),
                format!("must be a percentage in (0, 100], got {v}"),
            );
        }
    }
    let h = p.hysteresis_percent;
    if !(0.0..100.0).contains(&h) {
        r.problem(
            base.key("hysteresis_percent"),
            format!("must be in [0, 100), got {h}"),
        );
    }
    at_least(
        r,
        base.key("sustained_samples"),
        p.sustained_samples.into(),
        1,
    );
    for (i, d) in p.disk_paths.iter().enumerate() {
        non_empty_path(r, base.key("disk_paths").index(i), d);
    }
    for (i, n) in p.required_env.iter().enumerate() {
        env_name(r, base.key("required_env").index(i), n);
    }
    if p.python.trim().is_empty() {
        r.problem(base.key("python"), "empty interpreter name");
    }
    non_empty_path(r, base.key("cgroup_root"), &p.cgroup_root);
    non_empty_path(r, base.key("proc_root"), &p.proc_root);
}

fn recovery(r: &mut Report, base: &KeyPath, cfg: &Config) {
    let rc = &cfg.recovery;
    non_zero(r, base.key("interval"), rc.interval);
    for (i, n) in rc.required_env.iter().enumerate() {
        env_name(r, base.key("required_env").index(i), n);
    }
    for (i, p) in rc.required_paths.iter().enumerate() {
        non_empty_path(r, base.key("required_paths").index(i), p);
    }
    let mut seen = BTreeSet::new();
    for (i, s) in rc.services.iter().enumerate() {
        service(r, &base.key("services").index(i), s, &mut seen);
    }
    let rd = base.key("render");
    url_with_scheme(r, rd.key("api_base"), &rc.render.api_base, HTTP, true);
    env_name(r, rd.key("api_key_env"), &rc.render.api_key_env);
    at_least(
        r,
        rd.key("max_actions_per_hour"),
        rc.render.max_actions_per_hour.into(),
        1,
    );
    for (i, id) in rc.render.service_ids.iter().enumerate() {
        if id.trim().is_empty() {
            r.problem(rd.key("service_ids").index(i), "empty service id");
        }
    }
}

fn service<'a>(r: &mut Report, at: &KeyPath, s: &'a ServiceConfig, seen: &mut BTreeSet<&'a str>) {
    if s.name.trim().is_empty() {
        r.problem(at.key("name"), "empty service name");
    } else if !seen.insert(s.name.as_str()) {
        r.problem(
            at.key("name"),
            format!("duplicate service name {:?}", s.name),
        );
    }
    url_with_scheme(r, at.key("url"), &s.url, HTTP, true);
    if !s.health_path.starts_with('/') {
        r.problem(
            at.key("health_path"),
            format!("must start with '/', got {:?}", s.health_path),
        );
    }
    if let Some(code) = s.expect_status
        && !(100..=599).contains(&code)
    {
        r.problem(
            at.key("expect_status"),
            format!("not an HTTP status: {code}"),
        );
    }
    non_zero(r, at.key("timeout"), s.timeout);
    non_zero(r, at.key("wake_timeout"), s.wake_timeout);
}
