//! `prevention-agent`: notices trouble before it becomes a failure.
//!
//! Every pass measures memory, CPU and disk the way the container sees them (cgroup limits first, the
//! host otherwise), checks the agents' dependencies and configuration, raises sustained warnings once per
//! episode with a "recovered" message after, and writes `prevention_state.json`. It talks to the other
//! binaries only through the state directory.
//!
//! | module | what it holds |
//! |---|---|
//! | [`cgroup`], [`procfs`], [`disk`] | readers taking a root path (fixture trees in tests) |
//! | [`measure`] | readings turned into percentages against the right budget |
//! | [`thresholds`] | the warning episode state machine (sustained, hysteresis) |

pub mod cgroup;
pub mod checks;
pub mod disk;
pub mod measure;
pub mod procfs;
pub mod state_doc;
pub mod suggestions;
pub mod thresholds;
