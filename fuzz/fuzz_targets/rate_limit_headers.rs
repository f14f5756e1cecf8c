//! Rate-limit header parsing never panics, and the wait it derives is bounded.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use okta_idsrc_core::headers::{self, RateLimit};

fuzz_target!(|data: &[u8]| {
    let mut map = http::HeaderMap::new();
    for (i, chunk) in data.split(|b| *b == b'\n').enumerate() {
        let name = match i % 4 {
            0 => "x-rate-limit-limit",
            1 => "x-rate-limit-remaining",
            2 => "x-rate-limit-reset",
            _ => "date",
        };
        if let Ok(v) = http::HeaderValue::from_bytes(chunk) {
            map.append(name, v);
        }
    }
    let rl = RateLimit::from_headers(&map);
    let now = headers::date(&map).unwrap_or(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    if let Some(wait) = rl.wait_until_reset(now) {
        assert!(wait >= Duration::from_secs(1));
    }
    let _ = headers::retry_after(&map, now);
});
