//! The service runtime every binary runs inside, so the three services start, stop and fail alike.
//!
//! A binary's `main` parses its arguments, loads the config and hands its own loop to [`main`]; the loop
//! opens a [`Service`] (state store and its one-writer guard, alerter, store watch) and ends with
//! [`Service::finish`]. Everything around the loop lives here once:
//!
//! | step | where |
//! |---|---|
//! | logs, stop signals | [`init_tracing`], [`cancel_on_signals`] |
//! | async runtime, error printing, exit code | [`main`], [`Exit`], [`report`] |
//! | state + lease, alerter, store watch, fix executor | [`Service::start`], [`Service::executor`] |
//! | a document or its default | [`Service::read_or_default`] |
//! | shutdown order, lost lease | [`Service::finish`], [`ServiceError::LeaseLost`] |
//!
//! # What happens when a binary loses its lease
//!
//! With the Key Value state store each binary holds a lease, renewed in the background. When another
//! process takes it (this one was cut off from the store longer than the lease lasts), the store refuses
//! every further write ([`crate::state::StateError::LeaseLost`]) and reports
//! [`crate::state::StoreHealth::LeaseLost`]. The store watch started by [`Service::start`] then sends one
//! critical alert and cancels [`Service::token`] — the token the binary's loop runs on — exactly as a
//! SIGTERM would. The loop ends, [`Service::finish`] flushes the alerts, stops the watch, releases what is
//! left of the guard and returns [`ServiceError::LeaseLost`]; [`main`] prints it and exits with status 1
//! (a runtime failure, so Render restarts the service and the new process queues for the lease). The
//! same happens in all three binaries.

mod exit;
mod runtime;
mod signals;

pub use crate::state::Loaded;
pub use exit::{Exit, ServiceError, main, report};
pub use runtime::{ALERT_FLUSH, Service};
pub use signals::{cancel_on_signals, init_tracing};
