//! Okta-shaped ids (`aps…`, `00u…`, `00g…`, `oae…`), request ids and timestamps.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::sync::lock;

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

    /// A user id: `00u` and 17 alphanumerics.
    pub(crate) fn user(&self) -> String {
        self.make("00u", 17)
    }

    /// A group id: `00g` and 17 alphanumerics.
    pub(crate) fn group(&self) -> String {
        self.make("00g", 17)
    }

    /// An error id: `oae` and 19 alphanumerics.
    pub(crate) fn error(&self) -> String {
        self.make("oae", 19)
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

/// `t` as Okta writes timestamps: `2026-05-13T05:52:24.000Z` (UTC, milliseconds always 0).
pub(crate) fn timestamp(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Year, month and day of the `days`th day after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
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
    fn ids_have_okta_shapes_and_are_reproducible() {
        let a = IdGen::new(7);
        let b = IdGen::new(7);
        let s = a.session();
        assert_eq!(s, b.session());
        assert!(s.starts_with("aps") && s.len() == 20, "{s}");
        let u = a.user();
        assert!(u.starts_with("00u") && u.len() == 20, "{u}");
        let g = a.group();
        assert!(g.starts_with("00g") && g.len() == 20, "{g}");
        let r1 = a.request();
        let r2 = a.request();
        assert_ne!(r1, r2);
        assert_eq!(r1.len(), 22);
        assert!(r1.bytes().all(|c| c.is_ascii_alphanumeric()));
    }
}
