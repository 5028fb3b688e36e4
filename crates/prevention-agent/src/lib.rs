//! `prevention-agent`: notices trouble before it becomes a failure.
//!
//! Every pass measures memory, CPU and disk the way the container sees them (cgroup limits first, the
//! host otherwise), checks the agents' dependencies and configuration, raises sustained warnings once per
//! episode with a "recovered" message after, and writes `prevention_state.json`. It talks to the other
//! binaries only through the state store (a directory or Key Value).
//!
//! | module | what it holds |
//! |---|---|
//! | [`cgroup`], [`procfs`], [`disk`] | readers taking a root path (fixture trees in tests) |
//! | [`host`] | the host through `sysinfo`, for machines without procfs (macOS development) |
//! | [`measure`] | readings turned into percentages against the right budget |
//! | [`thresholds`] | the warning episode state machine (sustained, hysteresis) |
//! | [`checks`], [`deps_check`] | configuration, environment and dependency pre-checks |
//! | [`suggestions`], [`report`] | which agent holds the memory, which files hold the disk; the warning line |
//! | [`render_source`] | the agents' service as Render's metrics API sees it (when the agents run in another service, through `healing_core::render`), and its place in a pass |
//! | [`pass`], [`state_doc`], [`run`] | one pass, its state document, and the loop around it |

pub mod cgroup;
pub mod checks;
pub mod deps_check;
pub mod disk;
pub mod host;
pub mod measure;
pub mod pass;
pub mod procfs;
pub mod render_source;
pub mod report;
pub mod run;
pub mod state_doc;
pub mod suggestions;
pub mod thresholds;
