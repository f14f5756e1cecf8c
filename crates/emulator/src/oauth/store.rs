//! Issued access tokens, and the `jti`s already seen (client assertions, DPoP proofs).

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

/// How long an expired token is remembered, so that it is refused as expired (401
/// `invalid_token`) rather than unknown (401 E0000011).
const KEEP_EXPIRED: Duration = Duration::from_secs(24 * 3600);

/// The smallest map size at which a cache prunes.
const PRUNE_FROM: usize = 1024;

/// An access token handed out.
#[derive(Debug, Clone)]
pub(crate) struct IssuedToken {
    pub scopes: Vec<String>,
    /// The RFC 7638 thumbprint of the DPoP key it is bound to (`cnf.jkt`); `None` for a
    /// Bearer token.
    pub jkt: Option<String>,
    pub expires_at: SystemTime,
}

/// Tokens by value.
#[derive(Default)]
pub(crate) struct TokenStore {
    tokens: HashMap<String, IssuedToken>,
    prune_at: usize,
}

impl TokenStore {
    pub(crate) fn insert(&mut self, token: String, issued: IssuedToken, now: SystemTime) {
        if self.tokens.len() >= self.prune_at.max(PRUNE_FROM) {
            self.tokens.retain(|_, t| now < t.expires_at + KEEP_EXPIRED);
            self.prune_at = self.tokens.len() * 2;
        }
        self.tokens.insert(token, issued);
    }

    pub(crate) fn get(&self, token: &str) -> Option<&IssuedToken> {
        self.tokens.get(token)
    }
}

/// Ids seen, each remembered until a given epoch second (after which whatever carried it is
/// refused for its time anyway).
#[derive(Default)]
pub(crate) struct JtiCache {
    seen: HashMap<String, i64>,
    prune_at: usize,
}

impl JtiCache {
    /// Records `jti`; `false` when it was already recorded (a replay).
    pub(crate) fn consume(&mut self, jti: String, keep_until: i64, now: i64) -> bool {
        if self.seen.len() >= self.prune_at.max(PRUNE_FROM) {
            self.seen.retain(|_, until| now <= *until);
            self.prune_at = self.seen.len() * 2;
        }
        match self.seen.get(&jti) {
            Some(_) => false,
            None => {
                self.seen.insert(jti, keep_until);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jti_is_single_use_and_old_ones_are_pruned() {
        let mut cache = JtiCache::default();
        assert!(cache.consume("a".into(), 10, 0));
        assert!(!cache.consume("a".into(), 10, 5));
        for i in 0..PRUNE_FROM - 1 {
            assert!(cache.consume(format!("x{i}"), 10, 0));
        }
        // Past every entry's time: the next insert prunes them all.
        assert!(cache.consume("b".into(), 100, 50));
        assert_eq!(cache.seen.len(), 1);
    }
}
