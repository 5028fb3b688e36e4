//! What a binary does when its state store comes and goes: one alert when it becomes unreachable (the
//! binary keeps working from memory and the backend writes everything when the store returns), one log
//! line when it is back, and a clean stop when the one-writer lease was taken by another process —
//! writing on would fight the new owner.

use super::{StateStore, StoreHealth};
use crate::alert::{Alert, AlertHandle};
use crate::kind::Severity;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Watches `store`'s health for `source` (a binary's name) until `stop` fires. On a lost lease it
/// cancels `on_lease_lost` (the binary's run token) after alerting. `None` for stores that cannot be
/// lost (a local directory).
pub fn watch_store_health(
    store: &StateStore,
    alerts: AlertHandle,
    source: &str,
    on_lease_lost: CancellationToken,
    stop: CancellationToken,
) -> Option<JoinHandle<()>> {
    let mut rx = store.backend().health()?;
    let source = source.to_string();
    let described = store.describe();
    Some(tokio::spawn(async move {
        loop {
            let health = rx.borrow_and_update().clone();
            match health {
                StoreHealth::Reachable => {}
                StoreHealth::Unreachable { error } => alerts.send(Alert {
                    key: format!("{source}:state_store_unreachable"),
                    severity: Severity::High,
                    source: source.clone(),
                    agent: None,
                    title: "State store unreachable".into(),
                    body: format!(
                        "{described} is not answering ({error}); {source} keeps healing from memory \
                         and writes its state when the store returns"
                    ),
                }),
                StoreHealth::LeaseLost => {
                    tracing::error!(%source, "state lease lost to another process; stopping");
                    alerts.send(Alert {
                        key: format!("{source}:state_lease_lost"),
                        severity: Severity::Critical,
                        source: source.clone(),
                        agent: None,
                        title: "State lease lost".into(),
                        body: format!(
                            "another {source} process took over the state lease on {described}; \
                             this one stops so that only one writer remains"
                        ),
                    });
                    on_lease_lost.cancel();
                    return;
                }
            }
            tokio::select! {
                changed = rx.changed() => if changed.is_err() { return },
                () = stop.cancelled() => return,
            }
        }
    }))
}
