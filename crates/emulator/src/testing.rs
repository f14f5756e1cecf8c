//! Fixtures for tests that drive the emulator (the `test-util` feature).

use okta_idsrc_jose::PrivateKey;

use crate::{Emulator, EmulatorHandle, ManualClock, OAuthClient, OAuthSettings};

/// An emulator (seed 7) on a manual clock with one registered service app: the fixture the
/// workspace's OAuth tests share, the emulator's own and the client's.
#[derive(Debug)]
#[non_exhaustive]
pub struct OAuthOrg {
    /// The running emulator.
    pub emulator: EmulatorHandle,
    /// Its clock, which moves only when the test moves it.
    pub clock: ManualClock,
    /// The app's signing key; its public half is registered.
    pub key: PrivateKey,
}

impl OAuthOrg {
    /// The app `client_id` with the live settings and a fresh P-256 key (`kid` `key-1`).
    pub async fn start(client_id: &str) -> Self {
        Self::with(client_id, |c| c, |s| s).await
    }

    /// [`start`](Self::start), the emulator's OAuth settings changed by `change`.
    pub async fn with_settings(client_id: &str, change: impl FnOnce(&mut OAuthSettings)) -> Self {
        let settings = |mut s| {
            change(&mut s);
            s
        };
        Self::with(client_id, |c| c, settings).await
    }

    /// [`start`](Self::start), the registered app changed by `client` and the settings by
    /// `settings`.
    pub async fn with(
        client_id: &str,
        client: impl FnOnce(OAuthClient) -> OAuthClient,
        settings: impl FnOnce(OAuthSettings) -> OAuthSettings,
    ) -> Self {
        let key = PrivateKey::generate_p256()
            .expect("a P-256 key")
            .with_kid("key-1");
        Self::with_key(client_id, key, client, settings).await
    }

    /// [`with`](Self::with), the app's key `key`.
    pub async fn with_key(
        client_id: &str,
        key: PrivateKey,
        client: impl FnOnce(OAuthClient) -> OAuthClient,
        settings: impl FnOnce(OAuthSettings) -> OAuthSettings,
    ) -> Self {
        let clock = ManualClock::starting_now();
        let emulator = Emulator::builder()
            .seed(7)
            .oauth_client(client(OAuthClient::new(client_id, vec![key.public_jwk()])))
            .oauth(settings(OAuthSettings::default()))
            .clock(clock.shared())
            .start()
            .await
            .expect("the emulator starts on 127.0.0.1");
        Self {
            emulator,
            clock,
            key,
        }
    }
}
