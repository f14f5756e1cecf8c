//! The handle of a running emulator: its address and token, its state, and shutting it down.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::shared::Shared;
use crate::{IdentitySourceCounts, StateSnapshot, TOKEN_PATH};

/// A running emulator. Dropping it stops the server (without waiting); prefer
/// [`shutdown`](Self::shutdown), which lets open requests finish.
pub struct EmulatorHandle {
    pub(crate) shared: Arc<Shared>,
    pub(crate) shutdown: watch::Sender<bool>,
    pub(crate) server: Option<JoinHandle<()>>,
    pub(crate) workers: Vec<JoinHandle<()>>,
}

impl fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("addr", &self.shared.addr)
            .finish_non_exhaustive()
    }
}

impl EmulatorHandle {
    /// `http://ADDR`, e.g. `http://127.0.0.1:41234`: the org URL to point a client at.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    /// The address the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// The token it accepts.
    pub fn token(&self) -> &str {
        &self.shared.config.token
    }

    /// The identity sources it serves.
    pub fn identity_sources(&self) -> &[String] {
        &self.shared.config.identity_sources
    }

    /// The seed of its ids and faults.
    pub fn seed(&self) -> u64 {
        self.shared.config.seed
    }

    /// `{base_url}/oauth2/v1/token`: the token endpoint, and the exact `aud` of client
    /// assertions.
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.base_url())
    }

    /// The DPoP nonce the token endpoint currently hands out (rotated first when due).
    pub fn dpop_nonce(&self) -> String {
        self.shared.oauth.current_nonce()
    }

    /// Forgets every DPoP nonce handed out, as if they had all gone stale: the next token
    /// request (and, in resource nonce mode, the next resource request) carrying one is
    /// answered `use_dpop_nonce` with a new nonce.
    pub fn expire_dpop_nonces(&self) {
        self.shared.oauth.expire_nonces();
    }

    /// Everything it holds: what `GET /__emulator/state` returns.
    pub fn state(&self) -> StateSnapshot {
        self.shared.snapshot()
    }

    /// What identity source `id` holds, counted without copying it (cheap beside
    /// [`state`](Self::state) for large imports); `None` for an unknown identity source.
    pub fn counts(&self, identity_source_id: &str) -> Option<IdentitySourceCounts> {
        self.shared.counts(identity_source_id)
    }

    /// Empties users, groups, sessions and counters, as `POST /__emulator/reset` does.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Stops accepting connections, lets open requests finish (up to 5 s), and stops the
    /// import workers.
    pub async fn shutdown(mut self) {
        self.stop().await;
    }

    /// [`shutdown`](Self::shutdown), then everything the emulator held once nothing can change
    /// it any more (what `okta-idsrc emulator --save` writes). A session the worker had not
    /// processed yet stays TRIGGERED with its loads, and is processed after a load.
    pub async fn shutdown_with_state(mut self) -> StateSnapshot {
        self.stop().await;
        self.shared.snapshot()
    }

    /// [`shutdown_with_state`](Self::shutdown_with_state), the state written to `out` as JSON
    /// one entity at a time, so memory stays flat however large the state (what `okta-idsrc
    /// emulator --save` does). [`StateSnapshot::from_json`] reads it back.
    pub async fn shutdown_and_write_state(
        mut self,
        out: &mut dyn std::io::Write,
    ) -> io::Result<()> {
        self.stop().await;
        self.shared.write_snapshot(out)?;
        out.flush()
    }

    async fn stop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        for worker in std::mem::take(&mut self.workers) {
            let _ = worker.await;
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
