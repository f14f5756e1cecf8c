//! Okta-shaped ids (`aps…`, `0ua…`, `00g…`, `oae…`), request ids and timestamps.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use okta_idsrc_core::clock;

use crate::sync::lock;

/// The prefix of identity-source user ids.
pub(crate) const USER_ID_PREFIX: &str = "0ua";

const ALPHANUMERIC: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Makes ids from a seeded generator, and unique request ids from a counter.
pub(crate) struct IdGen {
    rng: Mutex<fastrand::Rng>,
    request_prefix: String,
    requests: AtomicU64,
}

impl IdGen {
    pub(crate) fn new(seed: u64) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut request_prefix = String::with_capacity(12);
        push_random(&mut rng, &mut request_prefix, 12);
        Self {
            rng: Mutex::new(rng),
            request_prefix,
            requests: AtomicU64::new(0),
        }
    }

    fn make(&self, prefix: &str, random: usize) -> String {
        let mut id = String::with_capacity(prefix.len() + random);
        id.push_str(prefix);
        push_random(&mut lock(&self.rng), &mut id, random);
        id
    }

    /// A session id: `aps` and 17 alphanumerics.
    pub(crate) fn session(&self) -> String {
        self.make("aps", 17)
    }

    /// An identity-source user id: `0ua` and 17 alphanumerics, as live Okta issues them
    /// (`0uaxr8kpjfWHJpAKK1d7`).
    pub(crate) fn user(&self) -> UserId {
        UserId::parse(&self.make(USER_ID_PREFIX, 17)).expect("20 alphanumerics")
    }

    /// A group id: `00g` and 17 alphanumerics.
    pub(crate) fn group(&self) -> String {
        self.make("00g", 17)
    }

    /// An error id: `oae` and 22 alphanumerics, 25 in all, as live Okta's
    /// (`oaeCvJxtXDbTBCgsdhf12mhvQ`).
    pub(crate) fn error(&self) -> String {
        self.make("oae", 22)
    }

    /// A request id, unique within this emulator: 12 seeded alphanumerics and a base-62
    /// counter of 10 digits.
    pub(crate) fn request(&self) -> String {
        let mut n = self.requests.fetch_add(1, Ordering::Relaxed);
        let mut digits = [b'0'; 10];
        for d in digits.iter_mut().rev() {
            *d = ALPHANUMERIC[(n % 62) as usize];
            n /= 62;
        }
        let mut id = String::with_capacity(22);
        id.push_str(&self.request_prefix);
        id.extend(digits.iter().map(|&b| char::from(b)));
        id
    }
}

fn push_random(rng: &mut fastrand::Rng, out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(char::from(ALPHANUMERIC[rng.usize(..ALPHANUMERIC.len())]));
    }
}

/// A 20-character id kept inline (identity-source user ids: `0ua` and 17 alphanumerics).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct UserId([u8; 20]);

impl UserId {
    /// `id` when it is 20 ASCII alphanumerics.
    pub(crate) fn parse(id: &str) -> Option<Self> {
        let bytes: [u8; 20] = id.as_bytes().try_into().ok()?;
        bytes
            .iter()
            .all(u8::is_ascii_alphanumeric)
            .then_some(Self(bytes))
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII alphanumerics get in (`parse`).
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::fmt::Debug for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Seconds since the Unix epoch of `t` (0 before it).
pub(crate) fn epoch_secs(t: SystemTime) -> u64 {
    clock::epoch_seconds(t)
}

/// `t` as Okta writes timestamps: `2026-05-13T05:52:24.000Z` (UTC, milliseconds always 0).
pub(crate) fn timestamp(t: SystemTime) -> String {
    clock::timestamp(t)
}

/// [`timestamp`] of `secs` seconds after the epoch.
pub(crate) fn timestamp_from_secs(secs: u64) -> String {
    clock::timestamp(UNIX_EPOCH + Duration::from_secs(secs))
}

/// The seconds after the epoch of an Okta timestamp (`2026-05-13T05:52:24.000Z`; the
/// fraction, of any length, is dropped); `None` when `s` is not one or is before 1970.
///
/// Stricter than core's reader, which it builds on: `Z` only (no `+00:00`), a fraction of
/// at least one digit when there is a point, and a day the month has.
pub(crate) fn parse_timestamp(s: &str) -> Option<u64> {
    let zone_ok = match s.as_bytes().get(19..)? {
        [b'Z'] => true,
        [b'.', frac @ .., b'Z'] => !frac.is_empty() && frac.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    let t = zone_ok.then(|| clock::parse_timestamp(s)).flatten()?;
    // Core reads 2026-02-30 as 2026-03-02; written back, the date must be the one given.
    (clock::timestamp(t).get(..10) == s.get(..10)).then(|| clock::epoch_seconds(t))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn timestamps_are_okta_shaped() {
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_778_651_544);
        assert_eq!(timestamp(t), "2026-05-13T05:52:24.000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(timestamp(leap), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn timestamps_parse_back() {
        for secs in [0, 951_782_400, 1_778_651_544, 4_102_444_799] {
            assert_eq!(parse_timestamp(&timestamp_from_secs(secs)), Some(secs));
        }
        assert_eq!(parse_timestamp("2026-05-13T05:52:24Z"), Some(1_778_651_544));
        assert_eq!(
            parse_timestamp("2026-05-13T05:52:24.123456Z"),
            Some(1_778_651_544)
        );
        for bad in [
            "",
            "2026-05-13",
            "2026-05-13T05:52:24.000",
            "2026-02-30T00:00:00.000Z",
            "2026-13-01T00:00:00.000Z",
            "1969-12-31T23:59:59.000Z",
            "2026-05-13T05:52:24.Z",
            "2026-05-13 05:52:24.000Z",
            "２026-05-13T05:52:24.000Z",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn user_ids_inline() {
        let id = UserId::parse("0uaxr8kpjfWHJpAKK1d7").unwrap();
        assert_eq!(id.as_str(), "0uaxr8kpjfWHJpAKK1d7");
        assert!(UserId::parse("0uaxr8kpjfWHJpAKK1d").is_none());
        assert!(UserId::parse("0uaxr8kpjfWHJpAKK1d-").is_none());
        assert_eq!(std::mem::size_of::<UserId>(), 20);
    }

    #[test]
    fn ids_have_okta_shapes_and_are_reproducible() {
        let a = IdGen::new(7);
        let b = IdGen::new(7);
        let s = a.session();
        assert_eq!(s, b.session());
        assert!(s.starts_with("aps") && s.len() == 20, "{s}");
        let u = a.user();
        let u = u.as_str();
        assert!(u.starts_with("0ua") && u.len() == 20, "{u}");
        let e = a.error();
        assert!(e.starts_with("oae") && e.len() == 25, "{e}");
        assert!(
            u.bytes()
                .chain(e.bytes())
                .all(|c| c.is_ascii_alphanumeric())
        );
        let g = a.group();
        assert!(g.starts_with("00g") && g.len() == 20, "{g}");
        let r1 = a.request();
        let r2 = a.request();
        assert_ne!(r1, r2);
        assert_eq!(r1.len(), 22);
        assert!(r1.bytes().all(|c| c.is_ascii_alphanumeric()));
    }
}
