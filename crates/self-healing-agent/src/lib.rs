//! `self-healing-agent`: owns the agents listed in `healing.toml`, watches them and fixes what
//! breaks — within seconds — without ever making things worse.
//!
//! | module | what it holds |
//! |---|---|
//! | [`cli`], [`commands`], [`scan`] | the command line and its one-shot commands; `scan` replays log files through the catalogue and policy |
//! | [`startup`] | what [`run`] wires around the event loop, and the order it is ended in |
//! | [`supervisor`], [`event_loop`], [`reactions`], [`incident_reactions`], [`fixing`], [`shutdown`], [`health_probe`] | the event loop and what it does with events |
//! | [`healer`], [`decision`], [`correlation`], [`agent_state`] | the pure decisions: backoff, budget, breaker, correlation, lifecycle |
//! | [`spawn`], [`output`], [`log_writer`], [`oom`] | processes: spawning, capture, exit and OOM detection |
//! | [`forward`] | agent output copied to the supervisor's stdout (Render's log stream), bounded |
//! | [`lifetime`], [`proc_tree`] | no agent outlives the supervisor: death signal, subreaper, leftovers |
//! | [`follow`] | agents' own log files, followed with `tail -F` semantics |
//! | [`state_docs`], [`snapshot`] | the state documents and their coalescing writer |
//! | [`http`], [`status_page`], [`status_cmd`], [`findings`] | the views: endpoints, the HTML page, `status` |
//!
//! [`run`] is the whole service; `main.rs` only wires arguments, tracing and signals to it.

pub mod agent;
pub mod agent_state;
pub mod cli;
pub mod commands;
pub mod control;
pub mod control_cli;
pub mod control_kv;
pub mod control_socket;
pub mod control_transports;
pub mod correlation;
pub mod decision;
pub mod documents;
pub mod event;
pub mod event_loop;
pub mod findings;
pub mod fixing;
pub mod follow;
pub mod followers;
pub mod forward;
pub mod hang;
pub mod healer;
pub mod health_probe;
pub mod history;
pub mod http;
pub mod http_access;
pub mod http_conn;
pub mod http_control;
pub mod import_check;
pub mod incident_reactions;
pub mod lifetime;
pub mod live_docs;
pub mod log_tail;
pub mod log_writer;
pub mod metrics;
pub mod mute;
pub mod oom;
pub mod operator;
pub mod output;
pub mod proc_tree;
pub mod proposals;
pub mod publishing;
pub mod reactions;
pub mod reload;
pub mod scan;
pub mod shutdown;
pub mod snapshot;
pub mod spawn;
pub mod start_order;
pub mod startup;
pub mod state_docs;
pub mod status_cmd;
pub mod status_page;
pub mod supervisor;
pub mod telegram_api;
pub mod telegram_bot;

use healing_core::clock::{SharedClock, system_clock};
use healing_core::config_load::LoadedConfig;
use tokio_util::sync::CancellationToken;

/// The `source` of every alert and the writer name of every document.
pub const SOURCE: &str = "self-healing-agent";

/// Runs the supervisor until `shutdown` fires, then stops every agent and writes the final state.
pub async fn run(loaded: LoadedConfig, shutdown: CancellationToken) -> anyhow::Result<()> {
    run_with_clock(loaded, shutdown, system_clock()).await
}

/// [`run`] with an injected clock.
pub async fn run_with_clock(
    loaded: LoadedConfig,
    shutdown: CancellationToken,
    clock: SharedClock,
) -> anyhow::Result<()> {
    // A panic anywhere below kills every agent: none outlives its supervisor.
    let _kill_on_panic = lifetime::KillOnPanic;
    // State and lease, leftovers of an earlier run, agents, alerter, endpoints, control transports.
    let mut running = startup::start(&loaded, shutdown, clock).await?;
    // Events, timers and health passes until `shutdown` fires or the lease is lost.
    running.supervise().await;
    // Agents stopped, final state written, everything ended in reverse; a lost lease is the error.
    running.stop().await
}
