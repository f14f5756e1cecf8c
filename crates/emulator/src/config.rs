//! What an emulator is configured with: [`Faults`] (public) and the whole configuration.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use okta_idsrc_core::Clock;

use crate::oauth::settings::{OAuthClient, OAuthSettings};
use crate::snapshot::StateSnapshot;

/// Faults to inject, each a probability between 0 and 1.
///
/// The four request faults hit `/api/v1` requests only (never `/__emulator`) and exclude each
/// other: one seeded draw per request picks at most one of them, so a given seed and request
/// order always give the same faults. `import_error_rate` is drawn (from its own seeded
/// sequence) when a triggered session is processed. Every injected fault counts in
/// `stats.faultsInjected`.
///
/// ```
/// use okta_idsrc_emulator::Faults;
///
/// let f = Faults::uniform(0.2);
/// assert_eq!(f.error_500_rate, 0.05);
/// assert_eq!(f.import_error_rate, 0.0);
/// assert!(Faults::default().is_none());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Faults {
    /// A 500 with Okta's error body (E0000009) and headers; nothing is applied.
    pub error_500_rate: f64,
    /// A 503 with a plain-text body and no Okta headers, as a load balancer sends it; nothing
    /// is applied.
    pub error_503_rate: f64,
    /// The connection is closed before any response, and nothing is applied.
    pub drop_before_apply_rate: f64,
    /// The request is applied (a bulk load is stored, a session created…), then the connection
    /// is closed without a response: the one ambiguous failure a client must survive.
    pub drop_after_apply_rate: f64,
    /// A triggered session ends in `ERROR` instead of `COMPLETED`, with none of its loads
    /// applied.
    pub import_error_rate: f64,
}

impl Faults {
    /// No faults at all.
    pub const NONE: Faults = Faults {
        error_500_rate: 0.0,
        error_503_rate: 0.0,
        drop_before_apply_rate: 0.0,
        drop_after_apply_rate: 0.0,
        import_error_rate: 0.0,
    };

    /// A total request-fault `rate` (clamped to 0–1) split evenly across the four request
    /// faults: 500s, 503s, drops before and drops after applying. No import errors.
    pub fn uniform(rate: f64) -> Self {
        let each = clamp_rate(rate) / 4.0;
        Faults {
            error_500_rate: each,
            error_503_rate: each,
            drop_before_apply_rate: each,
            drop_after_apply_rate: each,
            import_error_rate: 0.0,
        }
    }

    /// The probability that a request meets one of the four request faults.
    pub fn request_fault_rate(&self) -> f64 {
        clamp_rate(self.error_500_rate)
            + clamp_rate(self.error_503_rate)
            + clamp_rate(self.drop_before_apply_rate)
            + clamp_rate(self.drop_after_apply_rate)
    }

    /// Whether no fault can ever be injected.
    pub fn is_none(&self) -> bool {
        self.request_fault_rate() <= 0.0 && clamp_rate(self.import_error_rate) <= 0.0
    }
}

/// A rate as a probability: NaN and negatives are 0, anything above 1 is 1.
pub(crate) fn clamp_rate(rate: f64) -> f64 {
    if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, 1.0)
    }
}

/// The identity source an emulator serves when none is configured.
pub const DEFAULT_IDENTITY_SOURCE: &str = "0oaemulator000000001";
/// The token an emulator accepts when none is configured.
pub const DEFAULT_TOKEN: &str = "emulator-token";

/// Everything the builder collects.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub token: String,
    pub identity_sources: Vec<String>,
    pub rate_limit: Option<u32>,
    pub session_rate_limit: Option<u32>,
    /// The org-wide bucket every `/api/v1` request counts against beside its endpoint's.
    pub org_rate_limit: Option<u32>,
    pub concurrency_limit: Option<usize>,
    pub faults: Faults,
    pub latency: Duration,
    pub import_delay: Duration,
    /// Processing time per entity a triggered session holds, on top of `import_delay`.
    pub import_time_per_entity: Duration,
    /// Divides the cool-down, processing times, idle expiry and rate-limit windows.
    pub time_scale: u32,
    pub session_cooldown: Duration,
    pub session_idle_expiry: Duration,
    pub seed: u64,
    pub listen: SocketAddr,
    pub oauth_clients: Vec<OAuthClient>,
    pub oauth: OAuthSettings,
    /// The wall clock of `Date` headers, timestamps, rate windows and the OAuth side.
    pub clock: Arc<dyn Clock>,
    /// The state to start from.
    pub initial_state: Option<InitialState>,
}

/// What an emulator starts from.
#[derive(Debug, Clone)]
pub(crate) enum InitialState {
    /// A snapshot in memory.
    Snapshot(StateSnapshot),
    /// A snapshot file's bytes, parsed straight into the state.
    Json(Vec<u8>),
}
