//! Following the Key Value state store's health for the length of a run.
//!
//! An outage is not fatal — documents stay in memory and are written when the store returns — so it
//! raises one alert per outage and one log line when it ends. A lost lease is different: another process
//! writes for this instance now, and carrying on would interleave two writers, so the run is cancelled
//! and ends with an error.

use healing_core::alert::{Alert, AlertHandle};
use healing_core::kind::Severity;
use healing_core::state::{StateStore, StoreHealth};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// The watcher of one run; [`HealthWatch::stop`] it before the state guard is dropped (releasing the
/// lease on purpose is not a loss).
#[derive(Debug)]
pub struct HealthWatch {
    lease_lost: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl HealthWatch {
    /// Starts following `store` when its backend can lose the store (`None` for a directory).
    pub fn start(
        store: &StateStore,
        alerts: AlertHandle,
        source: &'static str,
        run: CancellationToken,
    ) -> Option<HealthWatch> {
        let rx = store.health()?;
        let lease_lost = Arc::new(AtomicBool::new(false));
        let notify = move |alert: Alert| alerts.send(alert);
        let task = tokio::spawn(follow(rx, notify, source, run, lease_lost.clone()));
        Some(HealthWatch { lease_lost, task })
    }

    /// Whether the lease was taken by another process during the run.
    pub fn lease_lost(&self) -> bool {
        self.lease_lost.load(Ordering::SeqCst)
    }

    /// Stops following (the run is over).
    pub fn stop(self) {
        self.task.abort();
    }
}

/// Turns health transitions into alerts and log lines until the channel closes or the lease is lost.
pub async fn follow(
    mut rx: watch::Receiver<StoreHealth>,
    notify: impl Fn(Alert),
    source: &'static str,
    run: CancellationToken,
    lease_lost: Arc<AtomicBool>,
) {
    let alert = |key: &str, severity, title: &str, body: String| {
        notify(Alert {
            key: format!("{source}:{key}"),
            severity,
            source: source.to_string(),
            agent: None,
            title: title.to_string(),
            body,
        });
    };
    let mut unreachable = false;
    loop {
        let health = rx.borrow_and_update().clone();
        match health {
            StoreHealth::Unreachable { error } if !unreachable => {
                unreachable = true;
                alert(
                    "state_store_unreachable",
                    Severity::High,
                    "state store unreachable; keeping state in memory, will write when it returns",
                    error,
                );
            }
            StoreHealth::Unreachable { .. } => {}
            StoreHealth::Reachable if unreachable => {
                unreachable = false;
                tracing::info!("state store reachable again; state written");
            }
            StoreHealth::Reachable => {}
            StoreHealth::LeaseLost => {
                lease_lost.store(true, Ordering::SeqCst);
                alert(
                    "state_lease_lost",
                    Severity::Critical,
                    "state lease lost: another process writes for this instance; stopping",
                    format!("{source} stopped so that two writers never interleave"),
                );
                run.cancel();
                return;
            }
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn collect() -> (Arc<Mutex<Vec<Alert>>>, impl Fn(Alert)) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        (seen, move |a| sink.lock().unwrap().push(a))
    }

    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn an_outage_alerts_once_and_a_lost_lease_cancels_the_run() {
        let (tx, rx) = watch::channel(StoreHealth::Reachable);
        let (seen, notify) = collect();
        let run = CancellationToken::new();
        let lost = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(follow(
            rx,
            notify,
            "auto-recovery",
            run.clone(),
            lost.clone(),
        ));
        for error in ["timed out", "refused", "timed out again"] {
            tx.send_replace(StoreHealth::Unreachable {
                error: error.into(),
            });
            settle().await;
        }
        assert_eq!(seen.lock().unwrap().len(), 1, "one alert per outage");
        tx.send_replace(StoreHealth::Reachable);
        settle().await;
        tx.send_replace(StoreHealth::Unreachable { error: "x".into() });
        settle().await;
        assert_eq!(seen.lock().unwrap().len(), 2, "a new outage alerts again");
        assert!(!run.is_cancelled());

        tx.send_replace(StoreHealth::LeaseLost);
        task.await.unwrap();
        assert!(run.is_cancelled() && lost.load(Ordering::SeqCst));
        let seen = seen.lock().unwrap();
        assert_eq!(
            seen[0].title,
            "state store unreachable; keeping state in memory, will write when it returns"
        );
        assert_eq!(seen[2].severity, Severity::Critical);
    }
}
