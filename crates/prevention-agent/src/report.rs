//! The words of a warning: one line a human can act on, the same in the log and in the alert.

use crate::measure::{Measurement, Source, Unit, human_bytes};
use crate::pass::PassSummary;
use crate::suggestions::AgentRss;

/// `Memory 91% of 512 MiB container limit (cgroup v2) > 85% — top: sports_analytics 310 MiB`
pub fn describe(m: &Measurement, threshold: f64, top: &[AgentRss]) -> String {
    let limit = match m.unit {
        Unit::Bytes => human_bytes(m.limit),
        Unit::Cores => format!("{:.2} cores", m.limit),
        Unit::Inodes => "inodes".to_string(),
    };
    let budget = match m.source {
        Source::CgroupV1 | Source::CgroupV2 => format!("{limit} container limit ({})", m.source),
        Source::Host => format!("{limit} host ({})", m.source),
        Source::Filesystem => limit,
        Source::RenderApi => format!("{limit} service limit ({})", m.source),
    };
    let mut line = format!("{} {:.0}% of {budget}", title(&m.key), m.percent);
    line.push_str(if m.percent > threshold { " > " } else { " <= " });
    line.push_str(&format!("{threshold:.0}%"));
    if m.key == "memory" && !top.is_empty() {
        let top: Vec<String> = top
            .iter()
            .map(|a| format!("{} {}", a.agent, human_bytes(a.rss_bytes as f64)))
            .collect();
        line.push_str(&format!(" — top: {}", top.join(", ")));
    }
    if let Some(note) = &m.note {
        line.push_str(&format!(" ({note})"));
    }
    line
}

/// The one line a pass logs in loop mode: `pass 12: Memory 71%, CPU 34%, Disk / 40%; all clear`, or what
/// is over its threshold and which checks failed — so a quiet log still shows the agent is alive.
pub fn pass_line(passes: u64, measurements: &[Measurement], summary: &PassSummary) -> String {
    let readings: Vec<String> = measurements
        .iter()
        .map(|m| format!("{} {:.0}%", title(&m.key), m.percent))
        .collect();
    let mut line = format!("pass {passes}: {}", readings.join(", "));
    if readings.is_empty() {
        line.push_str("no readings");
    }
    if summary.all_clear() {
        line.push_str("; all clear");
    }
    if !summary.over_threshold.is_empty() {
        line.push_str(&format!(
            "; over threshold: {}",
            summary.over_threshold.join(", ")
        ));
    }
    if !summary.failed_checks.is_empty() {
        line.push_str(&format!(
            "; failed checks: {}",
            summary.failed_checks.join(", ")
        ));
    }
    line
}

/// `memory` -> `Memory`, `disk:/data` -> `Disk /data`, `render:memory` -> `Memory`.
pub fn title(key: &str) -> String {
    let key = key
        .strip_prefix(crate::render_source::KEY_PREFIX)
        .unwrap_or(key);
    let (kind, rest) = key.split_once(':').unwrap_or((key, ""));
    let kind = match kind {
        "memory" => "Memory",
        "cpu" => "CPU",
        "disk" => "Disk",
        "inodes" => "Inodes",
        other => other,
    };
    if rest.is_empty() {
        kind.to_string()
    } else {
        format!("{kind} {rest}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::measurement;

    #[test]
    fn lines_say_what_against_which_budget_and_who_holds_it() {
        let mib = 1024.0 * 1024.0;
        let m = measurement(
            "memory",
            0.91 * 512.0 * mib,
            512.0 * mib,
            Unit::Bytes,
            Source::CgroupV2,
        );
        let top = [AgentRss {
            agent: "sports_analytics".into(),
            pid: 7,
            rss_bytes: 310 * 1024 * 1024,
        }];
        assert_eq!(
            describe(&m, 85.0, &top),
            "Memory 91% of 512 MiB container limit (cgroup v2) > 85% — top: sports_analytics 310 MiB"
        );
        let mut cpu = measurement("cpu", 0.2, 2.0, Unit::Cores, Source::Host);
        cpu.note = Some("throttled in 0 periods".into());
        assert_eq!(
            describe(&cpu, 90.0, &[]),
            "CPU 10% of 2.00 cores host (host) <= 90% (throttled in 0 periods)"
        );
        let disk = measurement("disk:/data", 95.0, 100.0, Unit::Bytes, Source::Filesystem);
        assert_eq!(describe(&disk, 90.0, &[]), "Disk /data 95% of 100 B > 90%");
    }

    #[test]
    fn a_pass_is_one_line_of_readings_and_verdict() {
        let cpu = measurement("cpu", 0.2, 2.0, Unit::Cores, Source::Host);
        let disk = measurement("disk:/data", 95.0, 100.0, Unit::Bytes, Source::Filesystem);
        let clear = PassSummary::default();
        assert_eq!(
            pass_line(3, std::slice::from_ref(&cpu), &clear),
            "pass 3: CPU 10%; all clear"
        );
        let over = PassSummary {
            over_threshold: vec!["disk:/data".into()],
            failed_checks: vec!["env:API_KEY".into()],
            ..PassSummary::default()
        };
        assert_eq!(
            pass_line(4, &[cpu, disk], &over),
            "pass 4: CPU 10%, Disk /data 95%; over threshold: disk:/data; failed checks: env:API_KEY"
        );
    }
}
