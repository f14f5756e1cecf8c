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

/// Declares, from one list of a profile type's attributes, how it is normalized (`$normalize`:
/// every nullable attribute explicit) and compared (`$same`: the plain attributes equal, the
/// nullable ones absent and null alike, the custom ones equal).
macro_rules! profile_rules {
    (
        $(#[$normalize_doc:meta])* fn $normalize:ident,
        $(#[$same_doc:meta])* fn $same:ident,
        $profile:ty,
        plain: [$($plain:ident),*],
        nullable: [$($nullable:ident),*] $(,)?
    ) => {
        $(#[$normalize_doc])*
        pub(crate) fn $normalize(p: &mut $profile) {
            $(null_if_absent(&mut p.$nullable);)*
        }

        $(#[$same_doc])*
        pub(crate) fn $same(a: &$profile, b: &$profile) -> bool {
            $(a.$plain == b.$plain &&)*
            $(same_nullable(&a.$nullable, &b.$nullable) &&)*
            a.additional_properties == b.additional_properties
        }
    };
}

profile_rules! {
    /// Makes every nullable attribute explicit, as live Okta returns users.
    fn normalize_user_profile,
    /// Whether two user profiles say the same, absent and null nullable attributes alike.
    fn same_user_profile,
    IdentitySourceUserProfileForUpsert,
    plain: [email, user_name],
    nullable: [first_name, last_name, mobile_phone, home_address, second_email],
}

profile_rules! {
    /// Makes an absent description explicit.
    fn normalize_group_profile,
    /// Whether two group profiles say the same, an absent and a null description alike.
    fn same_group_profile,
    IdentitySourceGroupProfileForUpsert,
    plain: [display_name],
    nullable: [description],
}

/// Writes `{"id":…,"externalId":…,` then each of `fields` (string values), then `"profile":…}`.
fn write_entity(
    out: &mut Vec<u8>,
    id: &str,
    external_id: &str,
    fields: &[(&str, &str)],
    profile: &impl WriteJson,
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
    profile.write_json(out);
    out.push(b'}');
}

/// Writes a user as `UserResponseSchema`.
pub(crate) fn write_user(out: &mut Vec<u8>, external_id: &str, user: &User) {
    let times = [
        ("created", user.created.as_str()),
        ("lastUpdated", user.last_updated.as_str()),
    ];
    write_entity(out, &user.id, external_id, &times, &user.profile);
}

/// Writes a group as live Okta does: `{"id","externalId","profile":{displayName, description}}`.
pub(crate) fn write_group(out: &mut Vec<u8>, external_id: &str, group: &Group) {
    write_entity(out, &group.id, external_id, &[], &group.profile);
}
