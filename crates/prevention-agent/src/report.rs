//! The words of a warning: one line a human can act on, the same in the log and in the alert.

use crate::measure::{Measurement, Source, Unit, human_bytes};
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
}
