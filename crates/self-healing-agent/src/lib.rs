//! placeholder
pub mod documents;
pub mod http;
pub mod metrics;
pub mod status_cmd;
