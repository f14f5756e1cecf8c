//! Feeds arbitrary statuses and bodies to every operation's response parser: each must return
//! `Ok` or `Err`, never panic.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use okta_idsrc_core::Operation;
use okta_idsrc_core::operations::*;

fn response(status: u16, link: &[u8], body: &[u8]) -> http::Response<Bytes> {
    let mut builder = http::Response::builder().status(status);
    if let Ok(v) = http::HeaderValue::from_bytes(link) {
        builder = builder.header("link", v);
    }
    builder.body(Bytes::copy_from_slice(body)).expect("valid response")
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let status = 100 + u16::from_le_bytes([data[0], data[1]]) % 500;
    let split = (data[2] as usize).min(data.len() - 3);
    let (link, body) = data[3..].split_at(split);
    let r = || response(status, link, body);
    let _ = ListIdentitySourceSessions::parse(r());
    let _ = CreateIdentitySourceSession::parse(r());
    let _ = GetIdentitySourceSession::parse(r());
    let _ = DeleteIdentitySourceSession::parse(r());
    let _ = UploadIdentitySourceDataForUpsert::parse(r());
    let _ = StartImportFromIdentitySource::parse(r());
    let _ = GetIdentitySourceUser::parse(r());
    let _ = GetIdentitySourceGroup::parse(r());
    let _ = DeleteIdentitySourceGroup::parse(r());
    let _ = GetIdentitySourceGroupMemberships::parse(r());
    // Errors render without panicking.
    if let Err(e) = GetIdentitySourceGroupMemberships::parse(r()) {
        let _ = e.to_string();
    }
});
