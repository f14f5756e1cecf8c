//! How the emulator stores profiles and writes users and groups back: nullable attributes
//! made explicit as live Okta returns them, and "same profile" compared as Okta does (absent
//! and null alike), which decides whether a load changes anything.

use okta_idsrc_core::json::WriteJson;
use okta_idsrc_core::models::{
    IdentitySourceGroupProfileForUpsert, IdentitySourceUserProfileForUpsert, Nullable,
};

use crate::state::{Group, User};

/// `Absent` and `Null` alike.
fn same_nullable(a: &Nullable<String>, b: &Nullable<String>) -> bool {
    a.as_ref() == b.as_ref()
}

fn null_if_absent(v: &mut Nullable<String>) {
    if v.is_absent() {
        *v = Nullable::Null;
    }
}

/// Makes every nullable attribute explicit, as live Okta returns users.
pub(crate) fn normalize_user_profile(p: &mut IdentitySourceUserProfileForUpsert) {
    null_if_absent(&mut p.first_name);
    null_if_absent(&mut p.last_name);
    null_if_absent(&mut p.mobile_phone);
    null_if_absent(&mut p.home_address);
    null_if_absent(&mut p.second_email);
}

/// Whether two user profiles say the same, absent and null nullable attributes alike.
pub(crate) fn same_user_profile(
    a: &IdentitySourceUserProfileForUpsert,
    b: &IdentitySourceUserProfileForUpsert,
) -> bool {
    a.email == b.email
        && a.user_name == b.user_name
        && same_nullable(&a.first_name, &b.first_name)
        && same_nullable(&a.last_name, &b.last_name)
        && same_nullable(&a.mobile_phone, &b.mobile_phone)
        && same_nullable(&a.home_address, &b.home_address)
        && same_nullable(&a.second_email, &b.second_email)
        && a.additional_properties == b.additional_properties
}

/// Makes an absent description explicit.
pub(crate) fn normalize_group_profile(p: &mut IdentitySourceGroupProfileForUpsert) {
    null_if_absent(&mut p.description);
}

pub(crate) fn same_group_profile(
    a: &IdentitySourceGroupProfileForUpsert,
    b: &IdentitySourceGroupProfileForUpsert,
) -> bool {
    a.display_name == b.display_name
        && same_nullable(&a.description, &b.description)
        && a.additional_properties == b.additional_properties
}

/// Writes a user as `UserResponseSchema`.
pub(crate) fn write_user(out: &mut Vec<u8>, external_id: &str, user: &User) {
    out.extend_from_slice(b"{\"id\":");
    WriteJson::write_json(&user.id, out);
    out.extend_from_slice(b",\"externalId\":");
    WriteJson::write_json(external_id, out);
    out.extend_from_slice(b",\"created\":");
    WriteJson::write_json(&user.created, out);
    out.extend_from_slice(b",\"lastUpdated\":");
    WriteJson::write_json(&user.last_updated, out);
    out.extend_from_slice(b",\"profile\":");
    user.profile.write_json(out);
    out.push(b'}');
}

/// Writes a group as live Okta does: `{"id","externalId","profile":{displayName, description}}`.
pub(crate) fn write_group(out: &mut Vec<u8>, external_id: &str, group: &Group) {
    out.extend_from_slice(b"{\"id\":");
    WriteJson::write_json(&group.id, out);
    out.extend_from_slice(b",\"externalId\":");
    WriteJson::write_json(external_id, out);
    out.extend_from_slice(b",\"profile\":");
    group.profile.write_json(out);
    out.push(b'}');
}
