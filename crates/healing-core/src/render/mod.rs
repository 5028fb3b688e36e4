//! The one client of the Render REST API, shared by auto-recovery (services, deploys, events, restart,
//! redeploy) and the prevention-agent (the metrics of the agents' service).
//!
//! Both read `[recovery.render]` ([`ClientOptions::from_config`]) and the key from the variable it names.
//! What every call gets, whoever makes it:
//!
//! - auth: the key travels only in the `Authorization` header (marked sensitive); it is never part of
//!   `Debug`, an error or a log line (the key reaches every workspace of its owner and has no scopes);
//! - cursor pagination (`[{"cursor": "…", "<resource>": {…}}]`, next page via `?cursor=<last cursor>`);
//! - one rate limiter per client ([`rate_limit`]): `Ratelimit-Remaining: 0` closes the gate until
//!   `Ratelimit-Reset`, a 429 waits `Retry-After` — both bounded by `max_retry_wait`, beyond which the call
//!   fails with [`RenderApiError::RateLimited`] instead of stalling a pass;
//! - bounded response bodies ([`MAX_BODY`]) and one error type, [`RenderApiError`], whose
//!   [`RenderApiError::is_transient`] tells "try again next pass" from "a person must fix this".

mod client;
mod error;
pub mod rate_limit;
mod services;
pub mod types;
mod usage;

pub use client::{ClientOptions, MAX_BODY, RenderClient};
pub use error::RenderApiError;
pub use types::{Commit, Deploy, Service, ServiceEvent};
pub use usage::{RenderSample, Usage};
