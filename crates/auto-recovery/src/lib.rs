pub mod deploys;
pub mod probe;
pub mod rate_limit;
pub mod render_api;
pub mod render_types;
