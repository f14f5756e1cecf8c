//! A stateful emulator of Okta's Identity Sources API on a real socket.
//!
//! It behaves as `docs/okta-behavior.md` describes Okta, live quirks included: all 23
//! operations over HTTP/1.1 and HTTP/2 (h2c), the session lifecycle (one active session per
//! identity source, loads only in CREATED/IN_PROGRESS, start-import only from IN_PROGRESS,
//! idle expiry, asynchronous processing in order), the documented limits with Okta's error
//! bodies, rate limits with Okta's headers and 429s, and seeded fault injection. State lives in
//! memory; `GET /__emulator/state` shows it and `POST /__emulator/reset` empties it.
//!
//! # Choices where Okta's documented behaviour is silent
//!
//! - `POST /users` and `POST /groups` for an external id that exists: 400 E0000001 naming
//!   `externalId`. `DELETE /users/{externalId}` removes the user and its memberships (a bulk
//!   delete only deactivates). `PUT /users/…` and `POST /groups/{id}` need no `externalId` in the
//!   body (the path names the entity).
//! - `POST …/membership` for a user that does not exist, and `DELETE …/membership/{id}` for a
//!   user who is not a member: 404 E0000007. Bulk membership loads ignore unknown groups and
//!   users instead, as Okta's documentation says.
//! - Membership pages: 100 members by default, `limit` 1–1000 (else 400 E0000001); the cursor
//!   is opaque, and one whose member has since left the group ends the listing.
//! - A bulk load's 404 (unknown session) comes before any check of its body; the body is then
//!   checked (200 KB, malformed JSON, core's validation) before the session's state.
//! - Without a configured limit, the rate-limit headers still come, with
//!   `X-Rate-Limit-Limit: 1000000` and a remaining count that never reaches 0.
//! - A `411` has Okta's headers and no body. HTTP/2 requests need no `Content-Length`.
//! - Faults are drawn before authentication (a 503 or a drop comes from in front of Okta); a
//!   500 comes after the rate limit, so it counts against the bucket.
//! - User profiles come back in the recorded live order (`firstName, lastName, mobilePhone,
//!   secondEmail, userName, email`, custom attributes after, by name); no recording shows a set
//!   `homeAddress`, so it goes after `secondEmail`; unset `firstName`/`lastName` are `null`
//!   like the other nullable attributes written out, an unset `homeAddress` is left out.
//! - `/__emulator/*` needs the emulator's token (or an access token) as `/api/v1` does.
//!
//! # Live-like timing, several rate limits, seeding
//!
//! [`EmulatorBuilder::import_time_per_entity`] makes processing take longer for larger
//! sessions; [`EmulatorBuilder::time_scale`] runs the cool-down, processing, idle expiry and
//! rate windows faster (a 5-minute cool-down in 5 s at 60). [`EmulatorBuilder::org_rate_limit`]
//! adds an org-wide bucket, and responses then carry two values of each rate-limit header.
//! [`EmulatorBuilder::state`] starts from a [`StateSnapshot`] (`GET /__emulator/state`'s
//! format, [`StateSnapshot::from_json`]); [`EmulatorHandle::shutdown_with_state`] hands the
//! final one back.
//!
//! Users are held compactly (an inline id, times as seconds, the profile as one byte string
//! with attribute names interned per identity source): 400–510 bytes of resident memory per
//! sample user (`okta-idsrc sample`; README, "Benchmarks and measured runs").
//!
//! # OAuth 2.0 and DPoP
//!
//! Beside the static token, the emulator is Okta's org authorization server for service apps
//! (`docs/okta-behavior.md#oauth-20-service-apps-and-dpop`). Register clients with [`EmulatorBuilder::oauth_client`]; tune
//! with [`EmulatorBuilder::oauth`] ([`OAuthSettings`]: token lifetime, nonce rotation and grace,
//! forced or repeated nonce challenges, resource nonce mode, a token-endpoint rate limit); the
//! emulator's [`Clock`] ([`EmulatorBuilder::clock`]) — a `ManualClock` (feature `test-util`) — makes expiry and
//! rotation testable without waiting.
//!
//! - `POST {base_url}/oauth2/v1/token` (form-encoded): `grant_type=client_credentials`, `scope`
//!   (required, each scope granted to the client), and a `private_key_jwt` client assertion:
//!   `alg` RS256/384/512 or ES256/384 (ES512 is refused as unsupported), `kid` required when the
//!   client has several keys, `iss` = `sub` = client id, `aud` exactly
//!   [`EmulatorHandle::token_url`], `exp` in the future and at most one hour ahead (no skew
//!   allowance), `iat` not in the future, a single-use `jti` — consumed as soon as the
//!   assertion verifies, so a later `use_dpop_nonce` burns it. Failures: 401 `invalid_client`,
//!   400 `invalid_scope`, 400 `invalid_dpop_proof`, 400 `use_dpop_nonce` with `DPoP-Nonce`;
//!   429 E0000047 over [`OAuthSettings::token_rate_limit`].
//! - A DPoP-bound client ([`OAuthClient::dpop_bound`]) must send a proof (`typ` `dpop+jwt`, a
//!   public `jwk`, `htm` `POST`, `htu` the token URL, `iat` within the last 5 minutes, a fresh
//!   `jti`, and a nonce the server handed out). A client that does not require DPoP gets a
//!   Bearer token without a proof, and a DPoP-bound one when it sends a proof.
//! - `/api/v1` accepts `Authorization: DPoP <token>` with a proof per request (`htm`, `htu` =
//!   the URL without query with its path percent-decoded, `ath`, the key the token is bound
//!   to), and `Bearer <token>` for Bearer tokens. Proof failures and a DPoP-bound token sent as
//!   Bearer are 400 with an empty body and Okta's `WWW-Authenticate: DPoP algs=…, error=…`; an
//!   expired token, or a Bearer token sent with the DPoP scheme, is 401 `invalid_token`
//!   (`WWW-Authenticate` and the E0000011 body); an unknown token is 401 E0000011. Reads need
//!   `okta.identitySources.read` or `.manage`, writes `.manage` (else 403 E0000006 with
//!   `error="insufficient_scope"`).
//! - URLs (`aud`, `htu`, `realm`) use the origin the client addressed: `http://` and the
//!   request's authority or `Host` header.
//! - Emulator choices: a token proof signed with one of the client's own keys is refused
//!   (`invalid_dpop_proof`); the token endpoint has no faults, latency or concurrency limit, and
//!   counts in `stats.tokenRequests`, not `stats.requests`; a reset keeps tokens, nonces and
//!   used `jti`s.
//!
//! ```
//! use std::time::Duration;
//! use okta_idsrc_emulator::{Emulator, ManualClock, OAuthClient, OAuthSettings};
//! use okta_idsrc_jose::PrivateKey;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let key = PrivateKey::generate_p256().unwrap().with_kid("key-1");
//! let clock = ManualClock::starting_now();
//! let emulator = Emulator::builder()
//!     .oauth_client(OAuthClient::new("0oaservice0000000001", vec![key.public_jwk()]))
//!     .oauth(OAuthSettings {
//!         token_lifetime: Duration::from_secs(300),
//!         ..OAuthSettings::default()
//!     })
//!     .clock(clock.shared())
//!     .start()
//!     .await?;
//! assert_eq!(emulator.token_url(), format!("{}/oauth2/v1/token", emulator.base_url()));
//! // Sign assertions with `key` and `clock.now()`; `clock.advance(…)` expires tokens.
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Example
//!
//! ```
//! use okta_idsrc_emulator::Emulator;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let emulator = Emulator::builder().token("secret").start().await?;
//! assert!(emulator.base_url().starts_with("http://127.0.0.1:"));
//! // Point a client at `emulator.base_url()` with `Authorization: SSWS secret`, then:
//! let state = emulator.state();
//! assert_eq!(state.identity_sources[0].id, "0oaemulator000000001");
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod auth;
mod config;
mod entities;
mod error;
mod faults;
mod handle;
mod handlers;
mod ids;
mod oauth;
mod profiles;
mod rate_limit;
mod reply;
mod restore;
mod router;
mod server;
mod shared;
mod snapshot;
mod state;
mod sync;
#[cfg(feature = "test-util")]
pub mod testing;
mod worker;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::{DEFAULT_IDENTITY_SOURCE, DEFAULT_TOKEN, Faults};
pub use handle::EmulatorHandle;
pub use oauth::settings::{
    LIVE_NONCE_GRACE, LIVE_NONCE_ROTATION, LIVE_TOKEN_LIFETIME, OAuthClient, OAuthSettings,
    SCOPE_MANAGE, SCOPE_READ, TOKEN_PATH,
};
/// A clock that moves only when a test says so (the `test-util` feature).
#[cfg(feature = "test-util")]
pub use okta_idsrc_core::clock::ManualClock;
/// The clock types the emulator takes ([`EmulatorBuilder::clock`]), from core.
pub use okta_idsrc_core::clock::{Clock, SystemClock};
/// The JOSE types the OAuth configuration takes ([`Jwk`] in [`OAuthClient::jwks`]).
pub use okta_idsrc_jose::Jwk;
pub use snapshot::{
    GroupSnapshot, IdentitySourceCounts, IdentitySourceSnapshot, PendingLoad, SessionSnapshot,
    SnapshotError, StateSnapshot, Stats, UserSnapshot,
};

use config::{Config, InitialState};
use shared::Shared;

/// The port the `okta-idsrc emulator` command listens on by default (on 127.0.0.1).
pub const DEFAULT_PORT: u16 = 8080;

/// Live Okta's cool-down between two session creations of one identity source (5 minutes);
/// the emulator's default is none, see [`EmulatorBuilder::session_cooldown`].
pub const LIVE_SESSION_COOLDOWN: Duration =
    Duration::from_secs(okta_idsrc_core::limits::SESSION_COOLDOWN_SECS);

/// Live Okta's idle time after which a CREATED or IN_PROGRESS session expires (24 hours), the
/// emulator's default.
pub const LIVE_SESSION_IDLE_EXPIRY: Duration =
    Duration::from_secs(okta_idsrc_core::limits::SESSION_IDLE_EXPIRY_SECS);

/// The emulator. Start one with [`Emulator::builder`].
#[derive(Debug)]
#[non_exhaustive]
pub struct Emulator;

impl Emulator {
    /// A builder with the defaults: token [`DEFAULT_TOKEN`], one identity source
    /// [`DEFAULT_IDENTITY_SOURCE`], no rate limit, no faults, instant processing, no
    /// cool-down, 24 h idle expiry, a random seed, `127.0.0.1:0`.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// Starts an emulator with the defaults.
    pub async fn start() -> io::Result<EmulatorHandle> {
        Self::builder().start().await
    }
}

/// The builder's setters: `fn name(arg: Type) => field = value;` sets `config.field` to
/// `value`, `fn name(arg: Type) => field.push(value);` adds `value` to it; each returns the
/// builder and is `#[must_use]`.
macro_rules! setters {
    () => {};
    (
        $(#[$doc:meta])*
        fn $name:ident($arg:ident: $ty:ty) => $field:ident = $value:expr;
        $($rest:tt)*
    ) => {
        $(#[$doc])*
        #[must_use]
        pub fn $name(mut self, $arg: $ty) -> Self {
            self.config.$field = $value;
            self
        }
        setters! { $($rest)* }
    };
    (
        $(#[$doc:meta])*
        fn $name:ident($arg:ident: $ty:ty) => $field:ident.push($item:expr);
        $($rest:tt)*
    ) => {
        $(#[$doc])*
        #[must_use]
        pub fn $name(mut self, $arg: $ty) -> Self {
            self.config.$field.push($item);
            self
        }
        setters! { $($rest)* }
    };
}

/// Configures and starts an [`Emulator`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    config: Config,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            config: Config {
                token: DEFAULT_TOKEN.to_owned(),
                identity_sources: Vec::new(),
                rate_limit: None,
                session_rate_limit: None,
                org_rate_limit: None,
                concurrency_limit: None,
                faults: Faults::NONE,
                latency: Duration::ZERO,
                import_delay: Duration::ZERO,
                import_time_per_entity: Duration::ZERO,
                time_scale: 1,
                session_cooldown: Duration::ZERO,
                session_idle_expiry: LIVE_SESSION_IDLE_EXPIRY,
                seed: fastrand::u64(..),
                listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                oauth_clients: Vec::new(),
                oauth: OAuthSettings::default(),
                clock: Arc::new(SystemClock),
                initial_state: None,
            },
        }
    }
}

impl EmulatorBuilder {
    setters! {
        /// The token accepted as `Authorization: SSWS <token>` or `Bearer <token>`. It keeps
        /// working beside OAuth access tokens.
        fn token(token: impl Into<String>) => token = token.into();

        /// Adds an identity source (repeatable). Without any, the emulator serves
        /// [`DEFAULT_IDENTITY_SOURCE`]; others are 404 E0000007.
        fn identity_source(id: impl Into<String>) => identity_sources.push(id.into());

        /// Requests allowed per 60-second window in the general `/api/v1` bucket (everything but
        /// session creation). Default: no limit (the headers still say 1,000,000).
        fn rate_limit(per_minute: u32) => rate_limit = Some(per_minute);

        /// Session creations (`POST …/sessions`) allowed per 60-second window, a bucket of its own
        /// (a live org showed 15). Default: no limit.
        fn session_rate_limit(per_minute: u32) => session_rate_limit = Some(per_minute);

        /// An org-wide bucket of `per_minute` requests a window that every `/api/v1` request
        /// counts against beside its endpoint's bucket (the general one or session creation).
        /// A 429 comes when either runs out, and every response then carries two values of each
        /// rate-limit header, as live Okta does when several limits apply to a request: the
        /// org-wide bucket's first, then the endpoint's (their windows start apart, so their
        /// `X-Rate-Limit-Reset` values differ). Default: none (one value each).
        fn org_rate_limit(per_minute: u32) => org_rate_limit = Some(per_minute);

        /// Requests in flight at once; more get 429 with `X-Rate-Limit-Limit: 0` and
        /// `X-Rate-Limit-Remaining: 0`, Okta's concurrent-limit signal. Default: no limit.
        fn concurrency_limit(n: usize) => concurrency_limit = Some(n);

        /// The faults to inject (default: none).
        fn faults(faults: Faults) => faults = faults;

        /// Latency added to every `/api/v1` request, counted as in flight (default: none).
        fn latency(latency: Duration) => latency = latency;

        /// How long a triggered session waits before it is processed (default: zero — processed
        /// promptly, yet after start-import has answered TRIGGERED).
        fn import_delay(delay: Duration) => import_delay = delay;

        /// Processing time per entity a triggered session holds — each user, group and (group,
        /// member) pair of its loads — on top of [`import_delay`](Self::import_delay), as live
        /// Okta takes longer for larger sessions (default: zero).
        fn import_time_per_entity(per_entity: Duration) => import_time_per_entity = per_entity;

        /// Runs the emulator's durations `scale` times faster: the session cool-down, the
        /// import delay and per-entity processing time, the idle expiry and the rate-limit
        /// windows (60 s / `scale`) are divided by `scale`, so a live-like 5-minute cool-down
        /// takes 5 s at 60. Latency, timestamps, `Date` and the OAuth side are not scaled; a
        /// scaled window's `X-Rate-Limit-Reset` is still whole epoch seconds (rounded up).
        /// Default 1; 0 counts as 1.
        fn time_scale(scale: u32) => time_scale = scale.max(1);

        /// The minimum time between two session creations of one identity source. Default: zero;
        /// live Okta uses five minutes ([`LIVE_SESSION_COOLDOWN`]).
        fn session_cooldown(cooldown: Duration) => session_cooldown = cooldown;

        /// The idle time after which a CREATED or IN_PROGRESS session becomes EXPIRED (default:
        /// 24 hours, as live).
        fn session_idle_expiry(idle: Duration) => session_idle_expiry = idle;

        /// The seed of ids and faults: the same seed and the same request order give the same
        /// faults. Default: random (see [`EmulatorHandle::seed`]).
        fn seed(seed: u64) => seed = seed;

        /// The address to listen on (default `127.0.0.1:0`, an ephemeral loopback port). Anything
        /// but loopback must be asked for explicitly.
        fn listen(addr: SocketAddr) => listen = addr;

        /// Registers an OAuth 2.0 service app (repeatable; a later client with the same id
        /// replaces the earlier one). Its access tokens, from `POST {base_url}/oauth2/v1/token`,
        /// are accepted on `/api/v1` beside the static token. See the crate docs, "OAuth 2.0 and
        /// DPoP".
        fn oauth_client(client: OAuthClient) => oauth_clients.push(client);

        /// How the token endpoint and access tokens behave (default: [`OAuthSettings::default`],
        /// live Okta's).
        fn oauth(settings: OAuthSettings) => oauth = settings;

        /// The wall clock the emulator reads (default: the system clock): `Date` headers,
        /// session and user timestamps, rate-limit windows and their `X-Rate-Limit-Reset`, and on
        /// the OAuth side assertion and proof times, token expiry and nonce rotation. A
        /// `ManualClock` (feature `test-util`) makes all of them move only when a test says so (the emulator allows
        /// no clock skew on assertions, as Okta: sign them with the same clock's time).
        ///
        /// Idle expiry, the session cool-down, import delays and latency are durations on tokio's
        /// (possibly paused) time.
        fn clock(clock: Arc<dyn Clock>) => clock = clock;

        /// The state to start from, in the `GET /__emulator/state` format (for example
        /// [`StateSnapshot::from_json`] of a file `--save` wrote): users, groups, memberships
        /// and sessions, pending loads included; TRIGGERED sessions are processed as usual.
        /// Its identity sources are served beside the configured ones. Counters start at zero.
        /// [`start`](Self::start) fails with `InvalidData` when [`StateSnapshot::check`] does.
        fn state(snapshot: StateSnapshot) => initial_state = Some(InitialState::Snapshot(snapshot));

        /// [`state`](Self::state) from a snapshot file's bytes (what `--save` writes), parsed
        /// straight into the emulator's compact state, one user at a time: memory stays near
        /// what the loaded org needs. [`start`](Self::start) fails with `InvalidData` and a
        /// [`SnapshotError`] (JSON path, line and column) when the file is malformed.
        fn state_json(json: Vec<u8>) => initial_state = Some(InitialState::Json(json));
    }

    /// Binds the socket and starts serving on the current tokio runtime. The emulator accepts
    /// connections when this returns.
    pub async fn start(self) -> io::Result<EmulatorHandle> {
        let mut config = self.config;
        let scale = config.time_scale.max(1);
        for d in [
            &mut config.session_cooldown,
            &mut config.import_delay,
            &mut config.import_time_per_entity,
            &mut config.session_idle_expiry,
        ] {
            *d /= scale;
        }
        let now = ids::epoch_secs(config.clock.now());
        let initial = match config.initial_state.take() {
            None => Ok(Vec::new()),
            Some(InitialState::Snapshot(snapshot)) => restore::states(&snapshot, now),
            Some(InitialState::Json(json)) => restore::states_from_json(&json, now),
        }
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        for (id, _) in &initial {
            if !config.identity_sources.contains(id) {
                config.identity_sources.push(id.clone());
            }
        }
        if config.identity_sources.is_empty() {
            config
                .identity_sources
                .push(DEFAULT_IDENTITY_SOURCE.to_owned());
        }
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config, addr));
        shared.install(initial);
        let (shutdown, rx) = watch::channel(false);
        let workers = shared
            .sources
            .iter()
            .map(|source| tokio::spawn(worker::run(shared.clone(), source.clone(), rx.clone())))
            .collect();
        let server = tokio::spawn(server::serve(listener, shared.clone(), rx));
        Ok(EmulatorHandle {
            shared,
            shutdown,
            server: Some(server),
            workers,
        })
    }
}
