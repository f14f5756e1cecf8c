//! The import worker of one identity source: processes its triggered sessions in order, one at
//! a time, after the configured delay.

use std::sync::Arc;

use okta_idsrc_core::models::IdentitySourceSessionStatus as Status;
use tokio::sync::watch;

use crate::shared::{Counters, Shared};
use crate::state::Source;

/// Runs until `shutdown` changes (or its sender is gone).
pub(crate) async fn run(
    shared: Arc<Shared>,
    source: Arc<Source>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let next = source.lock().queue.pop_front();
        let Some(session_id) = next else {
            tokio::select! {
                _ = source.wake.notified() => continue,
                _ = shutdown.changed() => return,
            }
        };
        let delay = shared.config.import_delay;
        if delay.is_zero() {
            tokio::task::yield_now().await;
        } else {
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.changed() => return,
            }
        }
        process(&shared, &source, &session_id);
    }
}

/// TRIGGERED → COMPLETED with every load applied in upload order, or → ERROR with none.
fn process(shared: &Shared, source: &Source, session_id: &str) {
    let timestamp = shared.timestamp();
    let now = shared.epoch_secs();
    let mut state = source.lock();
    let Some(session) = state.sessions.get_mut(session_id) else {
        return; // the state was reset meanwhile
    };
    if session.status != Status::Triggered {
        return;
    }
    let loads = std::mem::take(&mut session.loads);
    let failed = shared.faults.import_fails();
    if failed {
        Counters::bump(&shared.stats.faults_injected);
    } else {
        for load in loads {
            state.apply_load(load, &shared.ids, now);
        }
    }
    let session = state
        .sessions
        .get_mut(session_id)
        .expect("present under the same lock");
    session.status = if failed {
        Status::Error
    } else {
        Status::Completed
    };
    session.last_updated = timestamp;
    if state.active.as_deref() == Some(session_id) {
        state.active = None;
    }
}
