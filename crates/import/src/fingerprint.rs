//! The input's fingerprint: a hash of every source's name and kind and every record's line
//! and serialized entity, plus the invalid-entity policy. The journal stores it, so that a
//! journal is never resumed against another input.

use super::input::EntityKind;
use super::options::InvalidPolicy;
use okta_idsrc_core::stable_hash::StableHasher;

/// Version of what goes into the fingerprint; bump it when that changes.
const FINGERPRINT_VERSION: u64 = 2;

/// The fingerprint being computed over one pass of the input.
#[derive(Debug, Clone)]
pub(crate) struct Fingerprint {
    hasher: StableHasher,
}

impl Fingerprint {
    pub(crate) fn new(policy: InvalidPolicy) -> Self {
        let mut hasher = StableHasher::new();
        hasher.u64(FINGERPRINT_VERSION);
        hasher.u64(match policy {
            InvalidPolicy::Stop => 0,
            InvalidPolicy::Skip => 1,
        });
        Self { hasher }
    }

    /// A source starts.
    pub(crate) fn source(&mut self, name: &str, kind: EntityKind) {
        self.hasher.u64(u64::MAX);
        self.hasher.bytes(name.as_bytes());
        self.hasher.u64(kind.index() as u64);
    }

    /// A record: its line and serialized entity (`None` for one that cannot be read or is of
    /// the wrong kind).
    pub(crate) fn record(&mut self, line: u64, parts: Option<[&[u8]; 2]>) {
        self.hasher.u64(line);
        match parts {
            Some([a, b]) => {
                self.hasher.bytes(a);
                self.hasher.bytes(b);
            }
            None => self.hasher.u64(u64::MAX - 1),
        }
    }

    /// The fingerprint, as 32 hex digits.
    pub(crate) fn finish(&self) -> String {
        self.hasher.finish_hex()
    }
}
