//! One exit-code table and one way of printing why a binary stopped, shared by the three `main.rs`.
//!
//! | status | meaning |
//! |---|---|
//! | 0 | ok: a clean stop, or `--once` found nothing left to do |
//! | 1 | problems remain (`--once`), or a runtime failure: the state is taken or unreachable, the lease was lost, a port cannot be bound |
//! | 2 | bad configuration: the config file, an env override or a setting built from them (the fix policy, the Render key) is unusable |

use crate::config_load::ConfigError;
use crate::state::StateError;
use std::error::Error;
use std::future::Future;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

/// The exit-code table (see the module docs and the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: clean stop, or nothing left to do.
    Ok,
    /// 1: problems remain, or the service failed at run time.
    Problems,
    /// 2: the configuration is unusable.
    BadConfig,
}

impl Exit {
    /// The process status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Problems => 1,
            Exit::BadConfig => 2,
        }
    }

    /// The status for a run that failed with `err`: [`Exit::BadConfig`] when a [`ConfigError`] or a
    /// [`ServiceError::BadConfig`] is anywhere in its chain of causes, else [`Exit::Problems`].
    pub fn of_error(err: &(dyn Error + 'static)) -> Exit {
        let mut cause = Some(err);
        while let Some(e) = cause {
            if e.is::<ConfigError>() || matches!(e.downcast_ref(), Some(ServiceError::BadConfig(_)))
            {
                return Exit::BadConfig;
            }
            cause = e.source();
        }
        Exit::Problems
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

/// Why the service runtime itself stopped a binary.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A setting that loaded but cannot be used (exit 2).
    #[error("bad configuration: {0}")]
    BadConfig(String),
    /// The state store could not be opened, or its one-writer guard is held by another process.
    #[error("cannot open the state for {service}: {source}")]
    State {
        /// The binary.
        service: &'static str,
        /// Why.
        #[source]
        source: StateError,
    },
    /// Another process took the state lease while this one ran; it stopped without writing on.
    #[error("{service} lost its state lease to another process and stopped without writing state")]
    LeaseLost {
        /// The binary.
        service: &'static str,
    },
    /// The async runtime or the signal handlers could not be set up.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// Prints why `binary` stopped on stderr and returns the exit status. A configuration with problems prints
/// one `file:line:column: key: message` line per problem, nothing around them (the format
/// docs/configuration.md promises); anything else prints `binary: error: cause: cause…` on one line.
pub fn report(binary: &str, err: &(dyn Error + 'static)) -> Exit {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if let Some(invalid @ ConfigError::Invalid { .. }) = e.downcast_ref::<ConfigError>() {
            eprintln!("{invalid}");
            return Exit::BadConfig;
        }
        cause = e.source();
    }
    let mut line = format!("{binary}: error: {err}");
    let mut cause = err.source();
    while let Some(e) = cause {
        line.push_str(&format!(": {e}"));
        cause = e.source();
    }
    eprintln!("{line}");
    Exit::of_error(err)
}

/// Runs a binary's service on the one runtime set-up all three share — a current-thread tokio runtime
/// (the memory and idle-CPU goals), stop signals hooked to the token `run` gets — and turns its result into
/// the exit status: `Ok(exit)` as given, an error through [`report`].
pub fn main<F, Fut, E>(binary: &str, run: F) -> ExitCode
where
    F: FnOnce(CancellationToken) -> Fut,
    Fut: Future<Output = Result<Exit, E>>,
    E: AsRef<dyn Error + Send + Sync + 'static>,
{
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return report(binary, &ServiceError::Runtime(e)).into(),
    };
    let result = runtime.block_on(async move {
        let token = CancellationToken::new();
        if let Err(e) = super::cancel_on_signals(token.clone()) {
            return Ok(Err(ServiceError::Runtime(e)));
        }
        run(token).await.map(Ok)
    });
    match result {
        Ok(Ok(exit)) => exit.into(),
        Ok(Err(e)) => report(binary, &e).into(),
        Err(e) => {
            let err: &(dyn Error + 'static) = e.as_ref();
            report(binary, err).into()
        }
    }
}
