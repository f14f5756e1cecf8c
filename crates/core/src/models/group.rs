//! Identity source groups and memberships.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::Nullable;
use crate::json::{self, WriteJson};

model! {
    /// A group's profile (`IdentitySourceGroupProfileForUpsert`).
    pub struct IdentitySourceGroupProfileForUpsert {
        /// Description ([`DESCRIPTION`](crate::limits::DESCRIPTION)), or `null`.
        description: Nullable<String> = "description",
        /// Name ([`DISPLAY_NAME`](crate::limits::DISPLAY_NAME)).
        display_name: Option<String> = "displayName",
    }
}

model! {
    /// One group of a bulk group upsert (`BulkGroupUpsertRequestBodyProfilesInner`).
    pub struct BulkGroupUpsertRequestBodyProfilesInner {
        /// The group's external id ([`GROUP_EXTERNAL_ID`](crate::limits::GROUP_EXTERNAL_ID)).
        external_id: Option<String> = "externalId",
        /// The group's profile.
        profile: Option<IdentitySourceGroupProfileForUpsert> = "profile",
    }
}

impl BulkGroupUpsertRequestBodyProfilesInner {
    /// A group to upsert.
    pub fn with(
        external_id: impl Into<String>,
        profile: IdentitySourceGroupProfileForUpsert,
    ) -> Self {
        Self::new().external_id(external_id).profile(profile)
    }
}

model! {
    /// A bulk group upsert (`BulkGroupUpsertRequestBody`) ([`MAX_ENTITIES_PER_LOAD`](crate::limits::MAX_ENTITIES_PER_LOAD), [`MAX_LOAD_BYTES`](crate::limits::MAX_LOAD_BYTES)).
    pub struct BulkGroupUpsertRequestBody {
        /// The groups to create or update.
        profiles: Option<Vec<BulkGroupUpsertRequestBodyProfilesInner>> = "profiles",
    }
}

model! {
    /// A bulk group delete (`BulkGroupDeleteRequestBody`) ([`MAX_ENTITIES_PER_LOAD`](crate::limits::MAX_ENTITIES_PER_LOAD), [`MAX_LOAD_BYTES`](crate::limits::MAX_LOAD_BYTES)).
    pub struct BulkGroupDeleteRequestBody {
        /// External ids of the groups to delete.
        external_ids: Option<Vec<String>> = "externalIds",
    }
}

model! {
    /// One group's members in a bulk membership load
    /// (`IdentitySourceGroupMembershipsUpsertProfileInner`).
    pub struct IdentitySourceGroupMembershipsUpsertProfileInner {
        /// The group's external id ([`GROUP_EXTERNAL_ID`](crate::limits::GROUP_EXTERNAL_ID)).
        group_external_id: Option<String> = "groupExternalId",
        /// The members' external ids (each [`GROUP_EXTERNAL_ID`](crate::limits::GROUP_EXTERNAL_ID)).
        member_external_ids: Option<Vec<String>> = "memberExternalIds",
    }
}

impl IdentitySourceGroupMembershipsUpsertProfileInner {
    /// The given members of the given group.
    pub fn with<I, S>(group_external_id: impl Into<String>, members: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new()
            .group_external_id(group_external_id)
            .member_external_ids(members.into_iter().map(Into::into).collect::<Vec<_>>())
    }
}

/// One group's members in a bulk membership delete
/// (`IdentitySourceGroupMembershipsDeleteProfileInner`); the same shape as an upsert.
pub type IdentitySourceGroupMembershipsDeleteProfileInner =
    IdentitySourceGroupMembershipsUpsertProfileInner;

/// Memberships to insert (`IdentitySourceGroupMembershipsUpsertProfile`) ([`MAX_ENTITIES_PER_LOAD`](crate::limits::MAX_ENTITIES_PER_LOAD), [`MAX_LOAD_BYTES`](crate::limits::MAX_LOAD_BYTES)).
pub type IdentitySourceGroupMembershipsUpsertProfile =
    Vec<IdentitySourceGroupMembershipsUpsertProfileInner>;

/// Memberships to delete (`IdentitySourceGroupMembershipsDeleteProfile`) ([`MAX_ENTITIES_PER_LOAD`](crate::limits::MAX_ENTITIES_PER_LOAD), [`MAX_LOAD_BYTES`](crate::limits::MAX_LOAD_BYTES)).
pub type IdentitySourceGroupMembershipsDeleteProfile =
    Vec<IdentitySourceGroupMembershipsDeleteProfileInner>;

model! {
    /// A bulk membership upsert (`BulkGroupMembershipsUpsertRequestBody`).
    pub struct BulkGroupMembershipsUpsertRequestBody {
        /// The memberships to insert.
        memberships: Option<IdentitySourceGroupMembershipsUpsertProfile> = "memberships",
    }
}

model! {
    /// A bulk membership delete (`BulkGroupMembershipsDeleteRequestBody`).
    pub struct BulkGroupMembershipsDeleteRequestBody {
        /// The memberships to delete.
        memberships: Option<IdentitySourceGroupMembershipsDeleteProfile> = "memberships",
    }
}

model! {
    /// The body of a group create or update (`GroupsRequestSchema`).
    pub struct GroupsRequestSchema {
        /// The group's external id ([`GROUP_EXTERNAL_ID`](crate::limits::GROUP_EXTERNAL_ID)).
        external_id: Option<String> = "externalId",
        /// The group's profile.
        profile: Option<IdentitySourceGroupProfileForUpsert> = "profile",
    }
}

model! {
    /// A group as Okta returns it (`GroupsResponseSchema`).
    pub struct GroupsResponseSchema {
        /// The group's external id.
        external_id: Option<String> = "externalId",
        /// The Okta group id (`00g…`).
        id: Option<String> = "id",
        /// The group's profile, nested (as the spec says) or flat (as live Okta sends it).
        profile: Option<GroupsResponseSchemaProfile> = "profile",
    }
}

impl GroupsResponseSchema {
    /// The group's profile attributes, whichever shape they came in.
    pub fn group_profile(&self) -> Option<&IdentitySourceGroupProfileForUpsert> {
        self.profile.as_ref().map(|p| &p.profile)
    }
}

/// The `profile` of a [`GroupsResponseSchema`] (`GroupsResponseSchemaProfile`).
///
/// The spec nests the attributes (`{"profile":{"profile":{"displayName":…}}}`); live Okta
/// sends them flat (`{"profile":{"displayName":…}}`). Both parse; the shape is remembered and
/// written back as it came.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct GroupsResponseSchemaProfile {
    /// The group's attributes.
    pub profile: IdentitySourceGroupProfileForUpsert,
    /// Whether the attributes were nested under a second `profile` key (the spec's shape).
    pub nested: bool,
    /// Unknown fields beside the nested `profile` (empty for the flat shape, whose unknown
    /// fields live in `profile.additional_properties`).
    pub additional_properties: Map<String, Value>,
}

impl GroupsResponseSchemaProfile {
    /// A flat profile (the live shape).
    pub fn flat(profile: IdentitySourceGroupProfileForUpsert) -> Self {
        Self {
            profile,
            nested: false,
            additional_properties: Map::new(),
        }
    }

    /// A nested profile (the spec's shape).
    pub fn nested(profile: IdentitySourceGroupProfileForUpsert) -> Self {
        Self {
            profile,
            nested: true,
            additional_properties: Map::new(),
        }
    }
}

impl From<IdentitySourceGroupProfileForUpsert> for GroupsResponseSchemaProfile {
    fn from(profile: IdentitySourceGroupProfileForUpsert) -> Self {
        Self::flat(profile)
    }
}

impl Serialize for GroupsResponseSchemaProfile {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !self.nested {
            return self.profile.serialize(serializer);
        }
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("profile", &self.profile)?;
        for (k, v) in &self.additional_properties {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for GroupsResponseSchemaProfile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut map = Map::deserialize(deserializer)?;
        match map.remove("profile") {
            Some(inner @ Value::Object(_)) => {
                let profile = serde_json::from_value(inner).map_err(serde::de::Error::custom)?;
                Ok(Self {
                    profile,
                    nested: true,
                    additional_properties: map,
                })
            }
            other => {
                if let Some(v) = other {
                    map.insert("profile".to_owned(), v);
                }
                let profile =
                    serde_json::from_value(Value::Object(map)).map_err(serde::de::Error::custom)?;
                Ok(Self::flat(profile))
            }
        }
    }
}

impl WriteJson for GroupsResponseSchemaProfile {
    fn write_json(&self, out: &mut Vec<u8>) {
        if !self.nested {
            return self.profile.write_json(out);
        }
        out.extend_from_slice(b"{\"profile\":");
        self.profile.write_json(out);
        json::write_map_entries(out, &self.additional_properties, false);
        out.push(b'}');
    }
    fn size_hint(&self) -> usize {
        14 + self.profile.size_hint() + json::map_entries_hint(&self.additional_properties)
    }
}

model! {
    /// The members of a group (`GroupMembershipsResponseSchema`), one page of them.
    pub struct GroupMembershipsResponseSchema {
        /// The members' external ids.
        member_external_ids: Option<Vec<String>> = "memberExternalIds",
    }
}

model! {
    /// The body of a membership create (`MembershipRequestSchema`).
    pub struct MembershipRequestSchema {
        /// The external id of the user to add ([`GROUP_EXTERNAL_ID`](crate::limits::GROUP_EXTERNAL_ID)).
        member_external_id: Option<String> = "memberExternalId",
    }
}
