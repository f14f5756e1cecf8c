//! The state every connection and worker shares.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use tokio::time::Instant;

use crate::auth::{Authenticate, FirstOf, StaticToken};
use crate::config::Config;
use crate::faults::FaultInjector;
use crate::ids::{IdGen, timestamp};
use crate::oauth::OAuth;
use crate::rate_limit::{Bucket, Concurrency, RateState, WINDOW};
use crate::snapshot::{self, IdentitySourceCounts, StateSnapshot, Stats};
use crate::state::{Source, SourceState};

/// Request counters.
#[derive(Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub rate_limited: AtomicU64,
    pub faults_injected: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// One emulator's configuration and state.
pub(crate) struct Shared {
    pub config: Config,
    pub addr: SocketAddr,
    pub auth: Box<dyn Authenticate>,
    /// The org authorization server: token endpoint and access tokens.
    pub oauth: Arc<OAuth>,
    pub sources: Vec<Arc<Source>>,
    source_index: HashMap<String, usize>,
    pub ids: IdGen,
    pub faults: FaultInjector,
    /// Everything under `/api/v1` but session creation.
    pub general: Bucket,
    /// `POST …/sessions`.
    pub session_creation: Bucket,
    /// The org-wide bucket, when configured: every `/api/v1` request counts here too.
    pub org: Option<Bucket>,
    pub concurrency: Concurrency,
    pub stats: Counters,
}

impl Shared {
    pub(crate) fn new(config: Config, addr: SocketAddr) -> Self {
        let mut sources = Vec::new();
        let mut source_index = HashMap::new();
        for id in &config.identity_sources {
            if !source_index.contains_key(id) {
                source_index.insert(id.clone(), sources.len());
                sources.push(Arc::new(Source::new(id.clone())));
            }
        }
        let oauth = Arc::new(OAuth::new(
            config.oauth.clone(),
            &config.oauth_clients,
            Arc::clone(&config.clock),
        ));
        let window = WINDOW / config.time_scale.max(1);
        let auth = FirstOf(vec![
            Arc::new(StaticToken::new(config.token.clone())),
            oauth.clone(),
        ]);
        Self {
            addr,
            auth: Box::new(auth),
            oauth,
            sources,
            source_index,
            ids: IdGen::new(config.seed),
            faults: FaultInjector::new(config.faults, config.seed),
            general: Bucket::with_window(config.rate_limit, Arc::clone(&config.clock), window),
            session_creation: Bucket::with_window(
                config.session_rate_limit,
                Arc::clone(&config.clock),
                window,
            ),
            org: config
                .org_rate_limit
                .map(|limit| Bucket::with_window(Some(limit), Arc::clone(&config.clock), window)),
            concurrency: Concurrency::new(config.concurrency_limit),
            stats: Counters::default(),
            config,
        }
    }

    /// The emulator's wall clock now.
    pub(crate) fn now(&self) -> SystemTime {
        self.config.clock.now()
    }

    /// The emulator's time in seconds since the epoch.
    pub(crate) fn epoch_secs(&self) -> u64 {
        crate::ids::epoch_secs(self.now())
    }

    /// The emulator's time as an Okta timestamp.
    pub(crate) fn timestamp(&self) -> String {
        timestamp(self.now())
    }

    /// Counts a request against the org-wide bucket (when configured) and `endpoint`: `Ok`
    /// with the headers' values (org-wide first), or `Err` (429) when either has no request
    /// left — then neither counts it.
    pub(crate) fn take_rate(&self, endpoint: &Bucket) -> Result<Vec<RateState>, Vec<RateState>> {
        let Some(org) = &self.org else {
            return endpoint.take().map(|r| vec![r]).map_err(|r| vec![r]);
        };
        let org_rate = match org.take() {
            Ok(rate) => rate,
            Err(rate) => return Err(vec![rate, endpoint.peek()]),
        };
        match endpoint.take() {
            Ok(rate) => Ok(vec![org_rate, rate]),
            Err(rate) => {
                org.give_back();
                Err(vec![org.peek(), rate])
            }
        }
    }

    /// The headers' values for a request that is not counted (a 401).
    pub(crate) fn peek_rate(&self, endpoint: &Bucket) -> Vec<RateState> {
        self.org
            .iter()
            .chain(std::iter::once(endpoint))
            .map(Bucket::peek)
            .collect()
    }

    pub(crate) fn source(&self, id: &str) -> Option<&Arc<Source>> {
        self.source_index.get(id).map(|&i| &self.sources[i])
    }

    /// The whole state; idle sessions expire first.
    pub(crate) fn snapshot(&self) -> StateSnapshot {
        let now = Instant::now();
        let timestamp = self.timestamp();
        let identity_sources = self
            .sources
            .iter()
            .map(|source| {
                let mut state = source.lock();
                state.expire_idle(self.config.session_idle_expiry, now, &timestamp);
                snapshot::identity_source(&source.id, &state)
            })
            .collect();
        StateSnapshot {
            identity_sources,
            stats: self.stats(),
        }
    }

    /// The request counters.
    fn stats(&self) -> Stats {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            requests: load(&self.stats.requests),
            rate_limited: load(&self.stats.rate_limited),
            faults_injected: load(&self.stats.faults_injected),
            token_requests: load(&self.oauth.token_requests),
            tokens_issued: load(&self.oauth.tokens_issued),
        }
    }

    /// Writes [`snapshot`](Self::snapshot) as JSON, one entity at a time (no copy of the state).
    pub(crate) fn write_snapshot(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let now = Instant::now();
        let timestamp = self.timestamp();
        out.write_all(b"{\"identitySources\":[")?;
        for (i, source) in self.sources.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            let mut state = source.lock();
            state.expire_idle(self.config.session_idle_expiry, now, &timestamp);
            snapshot::write_identity_source(&source.id, &state, out)?;
        }
        out.write_all(b"],\"stats\":")?;
        serde_json::to_writer(&mut *out, &self.stats())?;
        out.write_all(b"}")
    }

    /// Counts what identity source `id` holds, under its lock, copying nothing.
    pub(crate) fn counts(&self, id: &str) -> Option<IdentitySourceCounts> {
        let source = self.sources.iter().find(|s| s.id == id)?;
        let mut state = source.lock();
        state.expire_idle(
            self.config.session_idle_expiry,
            Instant::now(),
            &self.timestamp(),
        );
        let users_active = state.users.values().filter(|u| u.active).count();
        let mut sessions: Vec<(String, usize)> = Vec::new();
        for session in state.sessions.values() {
            let status = session.status.as_str();
            match sessions.iter_mut().find(|(s, _)| s == status) {
                Some((_, n)) => *n += 1,
                None => sessions.push((status.to_owned(), 1)),
            }
        }
        Some(IdentitySourceCounts {
            users_active,
            users_inactive: state.users.len() - users_active,
            groups: state.groups.len(),
            memberships: state.groups.values().map(|g| g.members.len()).sum(),
            sessions,
        })
    }

    /// Replaces what the identity sources of `states` hold (each must be served), and wakes
    /// their workers for TRIGGERED sessions.
    pub(crate) fn install(&self, states: Vec<(String, SourceState)>) {
        for (id, state) in states {
            if let Some(source) = self.source(&id) {
                *source.lock() = state;
                source.wake.notify_one();
            }
        }
    }

    /// Empties every identity source, the counters and the rate-limit windows (issued tokens,
    /// nonces and seen `jti`s stay).
    pub(crate) fn reset(&self) {
        for source in &self.sources {
            *source.lock() = SourceState::default();
        }
        for c in [
            &self.stats.requests,
            &self.stats.rate_limited,
            &self.stats.faults_injected,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        self.general.clear();
        self.session_creation.clear();
        if let Some(org) = &self.org {
            org.clear();
        }
        self.oauth.reset_counters();
    }
}
