//! Resource readings against fixture trees written like real v1 and v2 hosts, and against this machine.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::{copy_fixture, fixture};
use prevention_agent::cgroup::Version;
use prevention_agent::measure::{CpuSnapshot, Sampler, Source};
use std::fs;
use std::path::Path;
use std::time::Duration;

const MIB: f64 = 1024.0 * 1024.0;
const HOST_TOTAL: f64 = 65_842_084.0 * 1024.0;

fn sampler(name: &str) -> Sampler {
    let root = fixture(name);
    Sampler::new(&root.join("cgroup"), &root.join("proc"))
}

#[test]
fn v2_container_at_91_percent_of_512_mib_reads_91_percent_not_a_share_of_the_host() {
    let reading = sampler("v2").memory().unwrap();
    let m = reading.measurement;
    assert_eq!(m.source, Source::CgroupV2);
    assert_eq!(m.limit, 512.0 * MIB);
    // memory.current minus inactive_file: the working set, as Kubernetes computes it.
    assert!((m.percent - 91.0).abs() < 0.01, "{}", m.percent);
    assert_eq!(reading.oom_kills, Some(3));
}

#[test]
fn v2_group_with_memory_max_is_measured_against_the_host() {
    let s = sampler("v2-unlimited");
    assert_eq!(s.cgroup().unwrap().version, Version::V2);
    let m = s.memory().unwrap().measurement;
    assert_eq!(m.source, Source::Host);
    assert_eq!(m.limit, HOST_TOTAL);
    // The nested group's own working set (3.2 GB current - 2 GB inactive file), not the root's.
    assert_eq!(m.used, 1_200_000_000.0);
}

#[test]
fn v1_container_subtracts_total_inactive_file_and_uses_its_limit() {
    let reading = sampler("v1").memory().unwrap();
    let m = reading.measurement;
    assert_eq!(m.source, Source::CgroupV1);
    assert_eq!(m.limit, 1024.0 * MIB);
    assert!((m.percent - 80.0).abs() < 0.01, "{}", m.percent);
    assert_eq!(reading.oom_kills, Some(1));
}

#[test]
fn v1_unlimited_sentinel_falls_back_to_host_memory() {
    let reading = sampler("v1-unlimited").memory().unwrap();
    assert_eq!(reading.measurement.source, Source::Host);
    assert_eq!(reading.measurement.limit, HOST_TOTAL);
    assert_eq!(reading.measurement.used, 2_147_483_648.0);
    assert_eq!(reading.oom_kills, None);
}

#[test]
fn without_a_cgroup_filesystem_memory_is_host_used_over_total() {
    let s = sampler("host");
    assert!(s.cgroup().is_none());
    let m = s.memory().unwrap().measurement;
    assert_eq!(m.source, Source::Host);
    let used = (65_842_084.0 - 58_231_144.0) * 1024.0;
    assert_eq!(m.used, used);
}

#[test]
fn v2_cpu_usage_is_measured_against_the_quota_and_reports_throttling() {
    let tree = copy_fixture("v2");
    let s = Sampler::new(&tree.path().join("cgroup"), &tree.path().join("proc"));
    let before = s.cpu_snapshot().unwrap();
    // 0.45 s of CPU in one second against a 0.5-core quota is 90%.
    fs::write(
        tree.path().join("cgroup/cpu.stat"),
        "usage_usec 81972311\nnr_periods 9130\nnr_throttled 419\nthrottled_usec 30418021\n",
    )
    .unwrap();
    let after = s.cpu_snapshot().unwrap();
    let m = s.cpu(&before, &after, Duration::from_secs(1)).unwrap();
    assert_eq!(m.source, Source::CgroupV2);
    assert!((m.percent - 90.0).abs() < 1e-6, "{}", m.percent);
    assert!(m.note.unwrap().contains("throttled in 7 periods"));
}

#[test]
fn v1_cpu_uses_cfs_quota_and_without_quota_the_host_cores() {
    for (name, expected_limit, source) in [
        ("v1", 1.5, Source::CgroupV1),
        ("v1-unlimited", 4.0, Source::Host),
    ] {
        let tree = copy_fixture(name);
        let s = Sampler::new(&tree.path().join("cgroup"), &tree.path().join("proc"));
        let before = s.cpu_snapshot().unwrap();
        let usage = tree.path().join("cgroup/cpu,cpuacct/cpuacct.usage");
        let ns: u64 = fs::read_to_string(&usage).unwrap().trim().parse().unwrap();
        fs::write(&usage, (ns + 750_000_000).to_string()).unwrap();
        let after = s.cpu_snapshot().unwrap();
        let m = s.cpu(&before, &after, Duration::from_millis(500)).unwrap();
        assert_eq!((m.limit, m.source), (expected_limit, source), "{name}");
        assert!((m.used - 1.5).abs() < 1e-9, "{name}: {}", m.used);
    }
}

#[test]
fn host_cpu_without_cgroup_reads_proc_stat_deltas() {
    let tree = copy_fixture("host");
    let s = Sampler::new(&tree.path().join("cgroup"), &tree.path().join("proc"));
    let before = s.cpu_snapshot().unwrap();
    let stat = fs::read_to_string(tree.path().join("proc/stat")).unwrap();
    // +300 busy (user) and +100 idle jiffies: 75% of the host.
    let bumped = stat.replacen("cpu  4705 356 584 3699176", "cpu  5005 356 584 3699276", 1);
    fs::write(tree.path().join("proc/stat"), bumped).unwrap();
    let after = s.cpu_snapshot().unwrap();
    assert!(matches!(after, CpuSnapshot::Host(_)));
    let m = s.cpu(&before, &after, Duration::from_secs(1)).unwrap();
    assert!((m.percent - 75.0).abs() < 1e-9);
    assert_eq!(m.limit, 4.0);
}

#[test]
fn this_machines_real_files_give_a_sane_reading() {
    let s = Sampler::new(Path::new("/sys/fs/cgroup"), Path::new("/proc"));
    let m = s.memory().unwrap().measurement;
    assert!(m.limit > 0.0 && m.used > 0.0, "{m:?}");
    assert!((0.0..=100.0).contains(&m.percent), "{m:?}");
    let before = s.cpu_snapshot().unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let after = s.cpu_snapshot().unwrap();
    if let Some(cpu) = s.cpu(&before, &after, Duration::from_millis(50)) {
        assert!(cpu.percent >= 0.0 && cpu.limit >= 1.0, "{cpu:?}");
    }
}
