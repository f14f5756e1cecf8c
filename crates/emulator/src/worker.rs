//! The import worker of one identity source: processes its triggered sessions in order, one at
//! a time, each after the configured delay plus its per-entity processing time.

use std::sync::Arc;
use std::time::Duration;

use okta_idsrc_core::models::IdentitySourceSessionStatus as Status;
use tokio::sync::watch;

use crate::shared::{Counters, Shared};
use crate::snapshot::PendingLoad;
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
        let delay = processing_time(&shared, &source, &session_id);
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

/// How long session `session_id` takes: the import delay, plus the per-entity time for each
/// entity its loads name.
fn processing_time(shared: &Shared, source: &Source, session_id: &str) -> Duration {
    let entities: usize = source
        .lock()
        .sessions
        .get(session_id)
        .map_or(0, |s| s.loads.iter().map(PendingLoad::entities).sum());
    let per_entity = shared.config.import_time_per_entity;
    shared.config.import_delay
        + per_entity.saturating_mul(u32::try_from(entities).unwrap_or(u32::MAX))
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
