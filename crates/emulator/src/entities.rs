//! How the emulator writes users and groups back, as live Okta does
//! (`docs/okta-behavior.md#wire-conventions`), and compares group profiles.

use okta_idsrc_core::json::WriteJson;
use okta_idsrc_core::models::{IdentitySourceGroupProfileForUpsert, Nullable};

use crate::ids::timestamp_from_secs;
use crate::profiles::Names;
use crate::state::{Group, User};

/// Makes an absent description explicit.
pub(crate) fn normalize_group_profile(p: &mut IdentitySourceGroupProfileForUpsert) {
    if p.description.is_absent() {
        p.description = Nullable::Null;
    }
}

/// Whether two group profiles say the same, an absent and a null description alike.
pub(crate) fn same_group_profile(
    a: &IdentitySourceGroupProfileForUpsert,
    b: &IdentitySourceGroupProfileForUpsert,
) -> bool {
    a.display_name == b.display_name
        && a.description.as_ref() == b.description.as_ref()
        && a.additional_properties == b.additional_properties
}

/// Writes `{"id":…,"externalId":…,` then each of `fields` (string values), then `"profile":`,
/// the profile `profile` writes, and `}`.
fn write_entity(
    out: &mut Vec<u8>,
    id: &str,
    external_id: &str,
    fields: &[(&str, &str)],
    profile: impl FnOnce(&mut Vec<u8>),
) {
    out.extend_from_slice(b"{\"id\":");
    WriteJson::write_json(id, out);
    out.extend_from_slice(b",\"externalId\":");
    WriteJson::write_json(external_id, out);
    for (name, value) in fields {
        out.extend_from_slice(b",\"");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        WriteJson::write_json(*value, out);
    }
    out.extend_from_slice(b",\"profile\":");
    profile(out);
    out.push(b'}');
}

/// Writes a user as `UserResponseSchema`, its profile in live Okta's key order.
pub(crate) fn write_user(out: &mut Vec<u8>, external_id: &str, user: &User, names: &Names) {
    let created = timestamp_from_secs(user.created);
    let last_updated = timestamp_from_secs(user.last_updated);
    let times = [
        ("created", created.as_str()),
        ("lastUpdated", last_updated.as_str()),
    ];
    write_entity(out, user.id.as_str(), external_id, &times, |out| {
        user.profile.write_json(names, out);
    });
}

/// Writes a group as live Okta does: `{"id","externalId","profile":{displayName, description,
/// …}}`, the profile flat and in that order.
pub(crate) fn write_group(out: &mut Vec<u8>, external_id: &str, group: &Group) {
    write_entity(out, &group.id, external_id, &[], |out| {
        let p = &group.profile;
        out.extend_from_slice(b"{\"displayName\":");
        match &p.display_name {
            Some(name) => WriteJson::write_json(name, out),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"description\":");
        match p.description.as_ref() {
            Some(d) => WriteJson::write_json(d, out),
            None => out.extend_from_slice(b"null"),
        }
        for (name, value) in &p.additional_properties {
            out.push(b',');
            WriteJson::write_json(name, out);
            out.push(b':');
            value.write_json(out);
        }
        out.push(b'}');
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_order() {
        let group = Group {
            id: "00g1".into(),
            profile: IdentitySourceGroupProfileForUpsert::new()
                .description("D")
                .display_name("N"),
            members: Default::default(),
        };
        let mut out = Vec::new();
        write_group(&mut out, "G", &group);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"id":"00g1","externalId":"G","profile":{"displayName":"N","description":"D"}}"#
        );
    }
}
