//! Seeded, reproducible fault injection.

use std::sync::Mutex;

use crate::config::{Faults, clamp_rate};
use crate::sync::lock;

/// A fault chosen for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestFault {
    /// 500 with an Okta error body; nothing applied.
    Error500,
    /// 503 without Okta headers; nothing applied.
    Error503,
    /// Close the connection before applying anything.
    DropBeforeApply,
    /// Apply, then close the connection without a response.
    DropAfterApply,
}

/// Draws faults from two seeded sequences: one draw per `/api/v1` request, one per processed
/// session.
pub(crate) struct FaultInjector {
    faults: Faults,
    requests: Mutex<fastrand::Rng>,
    imports: Mutex<fastrand::Rng>,
}

impl FaultInjector {
    pub(crate) fn new(faults: Faults, seed: u64) -> Self {
        Self {
            faults,
            requests: Mutex::new(fastrand::Rng::with_seed(seed ^ 0x5EED_FA17_0000_0001)),
            imports: Mutex::new(fastrand::Rng::with_seed(seed ^ 0x5EED_FA17_0000_0002)),
        }
    }

    /// The fault for the next request, if any.
    pub(crate) fn decide(&self) -> Option<RequestFault> {
        if self.faults.request_fault_rate() <= 0.0 {
            return None;
        }
        let x = lock(&self.requests).f64();
        let mut edge = 0.0;
        for (rate, fault) in [
            (self.faults.error_500_rate, RequestFault::Error500),
            (self.faults.error_503_rate, RequestFault::Error503),
            (
                self.faults.drop_before_apply_rate,
                RequestFault::DropBeforeApply,
            ),
            (
                self.faults.drop_after_apply_rate,
                RequestFault::DropAfterApply,
            ),
        ] {
            edge += clamp_rate(rate);
            if x < edge {
                return Some(fault);
            }
        }
        None
    }

    /// Whether the next processed session fails.
    pub(crate) fn import_fails(&self) -> bool {
        let rate = clamp_rate(self.faults.import_error_rate);
        rate > 0.0 && lock(&self.imports).f64() < rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let seq = |seed| {
            let f = FaultInjector::new(Faults::uniform(0.5), seed);
            (0..200).map(|_| f.decide()).collect::<Vec<_>>()
        };
        assert_eq!(seq(3), seq(3));
        assert_ne!(seq(3), seq(4));
        let s = seq(3);
        for kind in [
            RequestFault::Error500,
            RequestFault::Error503,
            RequestFault::DropBeforeApply,
            RequestFault::DropAfterApply,
        ] {
            assert!(s.contains(&Some(kind)), "{kind:?} never drawn");
        }
        assert!(s.contains(&None));
    }

    #[test]
    fn certain_and_impossible() {
        let f = FaultInjector::new(
            Faults {
                error_500_rate: 1.0,
                ..Faults::NONE
            },
            1,
        );
        assert!((0..50).all(|_| f.decide() == Some(RequestFault::Error500)));
        let f = FaultInjector::new(Faults::NONE, 1);
        assert!((0..50).all(|_| f.decide().is_none()));
        assert!(!f.import_fails());
        let f = FaultInjector::new(
            Faults {
                import_error_rate: 1.0,
                ..Faults::NONE
            },
            1,
        );
        assert!(f.import_fails());
    }
}
