//! CPU cost of one prevention pass with 8 agents (budget: under 50 ms of CPU).
//!
//! Run: `cargo bench -p prevention-agent --bench pass`. The worst case is measured: memory and disk
//! over their thresholds every pass (so RSS suggestions for 8 agents and the bounded disk walk run),
//! 8 agents' commands resolved, required env checked. The agent's own CPU time (`/proc/self/stat`
//! utime+stime, all threads) is reported separately from the interpreter probe's (cutime+cstime of the
//! reaped children), once without and once with a requirements file, for the first pass of a fresh
//! agent (which asks the interpreter) and for the steady state (which reuses its answer).

#![allow(clippy::unwrap_used)]

use healing_core::alert::AlertHandle;
use healing_core::clock::system_clock;
use healing_core::config_load::load_from_str;
use healing_core::state::{FileBackend, StateStore, docs};
use prevention_agent::pass::{PassOptions, Prevention};
use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Linux's USER_HZ: `/proc/<pid>/stat` times are in 1/100 s on every mainstream architecture.
const TICKS_PER_SEC: f64 = 100.0;
const AGENTS: u32 = 8;

/// (own utime+stime, reaped children's cutime+cstime), in ms.
fn cpu_ms() -> (f64, f64) {
    let stat = fs::read_to_string("/proc/self/stat").unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<f64> = after.split(' ').map(|x| x.parse().unwrap_or(0.0)).collect();
    // after ')' : field 3 is index 0, so utime(14)=11, stime(15)=12, cutime(16)=13, cstime(17)=14
    let to_ms = |t: f64| t * 1000.0 / TICKS_PER_SEC;
    (to_ms(f[11] + f[12]), to_ms(f[13] + f[14]))
}

fn setup(dir: &Path, with_requirements: bool) -> Prevention {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cgroup/v2");
    let proc_root = dir.join("proc");
    fs::create_dir_all(proc_root.join("self")).unwrap();
    for f in ["meminfo", "stat", "self/cgroup"] {
        fs::copy(fixture.join("proc").join(f), proc_root.join(f)).unwrap();
    }
    let mut agents_toml = String::new();
    let mut status = serde_json::Map::new();
    let app = dir.join("app");
    fs::create_dir_all(app.join("logs")).unwrap();
    for i in 0..AGENTS {
        let pid = 5000 + i;
        fs::create_dir_all(proc_root.join(pid.to_string())).unwrap();
        fs::write(
            proc_root.join(format!("{pid}/status")),
            format!("Name:\tpython3\nVmRSS:\t{} kB\n", 50_000 + i * 1000),
        )
        .unwrap();
        fs::write(app.join(format!("agent{i}.py")), "pass\n").unwrap();
        fs::write(app.join(format!("logs/agent{i}.log")), vec![b'x'; 4096]).unwrap();
        fs::write(app.join(format!("logs/agent{i}.log.1")), vec![b'x'; 8192]).unwrap();
        agents_toml.push_str(&format!("[[agents]]\nname = \"agent{i}\"\ncommand = [\"python3\", \"agent{i}.py\"]\ncwd = \"app\"\n"));
        status.insert(
            format!("agent{i}"),
            serde_json::json!({"status": "running", "pid": pid}),
        );
    }
    let requirements = if with_requirements {
        fs::write(
            dir.join("requirements.txt"),
            "pip\nsetuptools>=40\nneolight-not-installed==1.0\n",
        )
        .unwrap();
        "requirements = \"requirements.txt\""
    } else {
        "# no requirements"
    };
    let src = format!(
        "state_dir = \"state\"\n{agents_toml}[fixes]\n{requirements}\ncreate_path_roots = [\"app\"]\n[prevention]\ncgroup_root = \"{}\"\nproc_root = \"{}\"\ndisk_paths = [\"app\"]\nmemory_percent = 50.0\ndisk_percent = 0.001\nrequired_env = [\"HOME\", \"PATH\"]\ninstall_missing = false\n",
        fixture.join("cgroup").display(),
        proc_root.display()
    );
    fs::write(dir.join("healing.toml"), &src).unwrap();
    let loaded = load_from_str(&src, Some(&dir.join("healing.toml")), dir, &|_| None).unwrap();
    let store = Arc::new(StateStore::new(
        Arc::new(FileBackend::new(&loaded.config.state_dir).unwrap()),
        system_clock(),
    ));
    fs::write(
        loaded.config.state_dir.join(docs::AGENT_STATUS),
        serde_json::json!({"schema_version": 1, "agents": status}).to_string(),
    )
    .unwrap();
    let options = PassOptions {
        cpu_window: Duration::ZERO,
        ..PassOptions::default()
    };
    let env = |name: &str| std::env::var(name).ok();
    Prevention::new(
        &loaded,
        store,
        AlertHandle::disabled(),
        system_clock(),
        options,
        Box::new(env),
    )
    .expect("the bench config's fix policy is valid")
}

/// CPU (own, probe children) and wall time of `f`, in ms.
fn cost(f: impl FnOnce()) -> (f64, f64, f64) {
    let (self0, child0) = cpu_ms();
    let wall = Instant::now();
    f();
    let (self1, child1) = cpu_ms();
    (
        self1 - self0,
        child1 - child0,
        wall.elapsed().as_secs_f64() * 1000.0,
    )
}

fn measure(label: &str, with_requirements: bool, firsts: u32, passes: u32) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // First pass of a fresh agent: first reads, first state write, and the interpreter probe. The
    // counters tick every 10 ms, so the figure is an average over fresh agents.
    let mut first = (0.0, 0.0, 0.0);
    let dir = tempfile::tempdir().unwrap();
    for i in 0..firsts {
        let sub = dir.path().join(i.to_string());
        fs::create_dir_all(&sub).unwrap();
        let mut agent = setup(&sub, with_requirements);
        let c = cost(|| {
            rt.block_on(agent.pass());
        });
        first = (first.0 + c.0, first.1 + c.1, first.2 + c.2);
    }
    let n = f64::from(firsts);
    println!(
        "{label}, first pass ({firsts} fresh agents): own CPU {:.2} ms, interpreter probe CPU {:.2} ms, wall {:.2} ms",
        first.0 / n,
        first.1 / n,
        first.2 / n
    );
    // Steady state: the same agent pass after pass (the probe's answer is reused while the interpreter
    // and its site directories are unchanged).
    let mut agent = setup(&dir.path().join("steady"), with_requirements);
    rt.block_on(agent.pass());
    let c = cost(|| {
        for _ in 0..passes {
            rt.block_on(agent.pass());
        }
    });
    let n = f64::from(passes);
    println!(
        "{label}, steady state ({passes} passes): own CPU {:.2} ms/pass, interpreter probe CPU {:.2} ms/pass, wall {:.2} ms/pass",
        c.0 / n,
        c.1 / n,
        c.2 / n
    );
}

fn main() {
    let passes = std::env::args()
        .filter_map(|a| a.parse().ok())
        .next()
        .unwrap_or(200);
    measure("without requirements", false, 10, passes);
    measure("with requirements (python3 probe)", true, 10, passes);
}
