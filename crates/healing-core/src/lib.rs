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
//! | [`dependencies`], [`environment`] | requirements against what the agents' interpreter has installed, installing the missing ones; required env vars and paths |
//! | [`backoff`], [`budget`], [`breaker`], [`clock`], [`duration_bound`] | restart timing: exponential backoff with jitter, rolling restart budget, circuit breaker; every configured duration bounded |
//! | [`state`] | atomic, versioned, single-writer state documents |
//! | [`alert`] | Telegram and webhook alerts with de-duplication, rate limits, a queue and a persistent outbox |
//! | [`render`], [`http_client`], [`redirects`] | the one Render API client (auth, pagination, rate limits, bounded bodies); what every HTTP caller shares; no redirect to another host |
//! | [`service`] | the runtime every binary runs inside: state and lease, alerter, store watch, shutdown order, exit codes |
//! | [`redact`], [`fingerprint`] | keeping secrets out of logs, state and HTTP responses; stable identities of incidents |
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
pub mod environment;
pub mod executor;
pub mod fingerprint;
pub mod fix;
pub mod http_client;
pub mod incident;
pub mod kind;
pub mod line_reader;
pub mod matcher;
pub mod package_map;
pub mod policy;
pub mod redact;
pub mod redirects;
pub mod render;
pub mod requirements;
pub mod secrets;
pub mod service;
pub mod state;
