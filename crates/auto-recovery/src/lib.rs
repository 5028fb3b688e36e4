//! `auto-recovery`: detects and fixes Render-specific problems.
//!
//! One pass checks the environment (required env vars by name, required paths, Python dependencies),
//! probes every configured service — and this service's own public URL — at once, waking free web
//! services that went to sleep, and reads the Render API for failed deploys, failed instances and
//! suspensions. Each failed deploy or instance is alerted once; restarts and redeploys are opt-in and
//! budgeted. The result goes to `render_recovery_state.json`.
//!
//! | module | what it holds |
//! |---|---|
//! | [`service_probe`] | one health probe of a service and the classification of its failure |
//! | [`wake`] | concurrent probing and the wake-up of sleeping services |
//! | [`deploys`] | failed deploys/events, and the ids already alerted |
//! | [`dependencies`] | the dependency check (healing-core's workflow) as findings; env vars and paths are `healing_core::environment` |
//! | [`pass`], [`render_check`], [`check_findings`] | one pass; the Render API through `healing_core::render`; what checks hand back to the loop |
//! | [`state_doc`] | the state document |
//! | [`run`] | set-up, the loop, shutdown |

pub mod check_findings;
pub mod dependencies;
pub mod deploys;
pub mod pass;
pub mod render_check;
pub mod run;
pub mod service_probe;
pub mod state_doc;
pub mod wake;

pub use pass::SOURCE;
pub use run::{RunOptions, RunOutcome, run};
