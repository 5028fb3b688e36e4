//! `healing-core`: the shared library of the NeoLight self-healing system.
//!
//! It holds everything the three binaries agree on, so each concept lives once:
//!
//! | module | what it holds |
//! |---|---|
//! | [`config`], [`config_load`] | the shape of `healing.toml`; loading, env overrides, validation with line/column |
//! | [`kind`], [`incident`] | the closed vocabularies (error kinds, severities, actions) and the diagnosed incident |
//! | [`catalogue`], [`matcher`], [`line_reader`], [`package_map`] | the error-pattern catalogue and the streaming traceback-aware matcher |
//! | [`requirements`], [`fix`], [`policy`], [`executor`], [`create_path`] | typed fix actions, the safety policy, the argv executor, symlink-proof creation below a root |
//! | [`dependencies`] | requirements against what the agents' interpreter has installed; installing the missing ones |
//! | [`backoff`], [`budget`], [`breaker`], [`clock`] | restart timing: exponential backoff with jitter, rolling restart budget, circuit breaker |
//! | [`state`] | atomic, versioned, single-writer state documents |
//! | [`alert`] | Telegram and webhook alerts with de-duplication, a queue and a persistent outbox |
//! | [`service`] | what every binary's `main` shares: logging set-up and the stop signals |
//! | [`redact`], [`redirects`] | keeping secrets out of logs, state and HTTP responses; HTTP clients never redirected to another host |
//! | [`secrets`], [`child_env`] | the supervisor's own secrets; the environment children get without them |

pub mod alert;
pub mod backoff;
pub mod breaker;
pub mod budget;
pub mod catalogue;
pub mod child_env;
pub mod clock;
pub mod config;
pub mod config_load;
pub mod create_path;
pub mod dependencies;
pub mod duration_bound;
pub mod executor;
pub mod fingerprint;
pub mod fix;
pub mod incident;
pub mod kind;
pub mod line_reader;
pub mod matcher;
pub mod package_map;
pub mod policy;
pub mod redact;
pub mod redirects;
pub mod requirements;
pub mod secrets;
pub mod service;
pub mod state;
