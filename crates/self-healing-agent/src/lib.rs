//! placeholder

pub mod scan;
