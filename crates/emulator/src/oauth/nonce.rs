//! The DPoP nonces the token endpoint hands out: one current nonce that rotates, and the
//! recent ones that stay valid for a grace period.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

/// Nonces handed out, oldest first; the last is the current one.
pub(crate) struct Nonces {
    rotation: Duration,
    grace: Duration,
    issued: VecDeque<(String, SystemTime)>,
    make: fn() -> String,
}

impl Nonces {
    pub(crate) fn new(rotation: Duration, grace: Duration, make: fn() -> String) -> Self {
        Self {
            rotation,
            grace,
            issued: VecDeque::new(),
            make,
        }
    }

    /// The current nonce, rotated first when it is due.
    pub(crate) fn current(&mut self, now: SystemTime) -> String {
        self.prune(now);
        let due = self.rotation.min(self.grace);
        match self.issued.back() {
            Some((nonce, at)) if now < *at + due => nonce.clone(),
            _ => self.fresh(now),
        }
    }

    /// A new current nonce, whether or not the old one was due.
    pub(crate) fn fresh(&mut self, now: SystemTime) -> String {
        let nonce = (self.make)();
        self.issued.push_back((nonce.clone(), now));
        nonce
    }

    /// Whether `nonce` was handed out less than the grace period ago.
    pub(crate) fn is_valid(&mut self, nonce: &str, now: SystemTime) -> bool {
        self.prune(now);
        self.issued.iter().any(|(n, _)| n == nonce)
    }

    /// Forgets every nonce: the next request carrying one is challenged.
    pub(crate) fn expire_all(&mut self) {
        self.issued.clear();
    }

    fn prune(&mut self, now: SystemTime) {
        while self
            .issued
            .front()
            .is_some_and(|(_, at)| now >= *at + self.grace)
        {
            self.issued.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::UNIX_EPOCH;

    use super::*;

    fn counter() -> String {
        static N: AtomicU32 = AtomicU32::new(0);
        format!("n{}", N.fetch_add(1, Ordering::Relaxed))
    }

    /// Nonces rotating every `rotation` `unit`s with a grace of `grace` `unit`s, the time
    /// `t0` (1000 `unit`s after the epoch), and the first nonce, handed out at `t0`.
    fn first_at_t0(unit: Duration, rotation: u32, grace: u32) -> (Nonces, SystemTime, String) {
        let mut nonces = Nonces::new(rotation * unit, grace * unit, counter);
        let t0 = UNIX_EPOCH + 1000 * unit;
        let first = nonces.current(t0);
        (nonces, t0, first)
    }

    #[test]
    fn rotates_and_keeps_a_grace_period() {
        let h = Duration::from_secs(3600);
        let (mut nonces, t0, first) = first_at_t0(h, 24, 72);
        assert_eq!(nonces.current(t0 + 23 * h), first);
        let second = nonces.current(t0 + 24 * h);
        assert_ne!(second, first);
        assert!(nonces.is_valid(&first, t0 + 71 * h));
        assert!(!nonces.is_valid(&first, t0 + 72 * h));
        assert!(nonces.is_valid(&second, t0 + 72 * h));
        assert!(!nonces.is_valid("other", t0));
        nonces.expire_all();
        assert!(!nonces.is_valid(&second, t0 + 72 * h));
        assert_ne!(nonces.current(t0 + 72 * h), second);
    }

    #[test]
    fn a_grace_shorter_than_the_rotation_rotates_early() {
        let s = Duration::from_secs(1);
        let (mut nonces, t0, first) = first_at_t0(s, 100, 10);
        assert_ne!(nonces.current(t0 + 10 * s), first);
    }
}
