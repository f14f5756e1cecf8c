//! `Link` parsing never panics, and whatever parses formats back to the same links.
#![no_main]

use libfuzzer_sys::fuzz_target;
use okta_idsrc_core::headers::{format_links, parse_link};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(links) = parse_link(text) {
        let formatted = format_links(&links);
        let again = parse_link(&formatted).expect("formatted links parse");
        assert_eq!(links, again);
    }
});
