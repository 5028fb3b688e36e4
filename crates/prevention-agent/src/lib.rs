//! placeholder

pub mod render_metrics;
