//! Python dependency check and install for auto-recovery.
//!
//! The issue requires the same code as the prevention-agent ("no second implementation"): this module only
//! adapts `healing_core::dependencies` to the pass and the state document.

use crate::pass::{PassContext, PassReport};
use crate::state_doc::EnvironmentStatus;

/// Checks (and, through the fix policy, installs) the declared dependencies.
///
/// CALL SITE PENDING: `healing_core::dependencies` (helper "prev") has not landed on main yet. Until it
/// does, the check is recorded as not run — never as passed.
pub async fn check(_ctx: &PassContext, env: &mut EnvironmentStatus, _report: &mut PassReport) {
    // TODO(prev): call healing_core::dependencies here once merged.
    env.dependencies =
        Some("not checked: healing_core::dependencies is not available in this build".into());
}
