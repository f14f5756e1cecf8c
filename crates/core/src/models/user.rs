//! Identity source users and their profiles.

use super::Nullable;

model! {
    /// A user's profile attributes (`IdentitySourceUserProfileForUpsert`).
    ///
    /// Standard attributes are fields; custom attributes of the identity source's schema live
    /// in `additional_properties` (strings only, as Okta requires) — see
    /// [`custom_attribute`](Self::custom_attribute).
    pub struct IdentitySourceUserProfileForUpsert {
        /// Email address ([`EMAIL`](crate::limits::EMAIL)).
        email: Option<String> = "email",
        /// First name ([`NAME`](crate::limits::NAME)), or `null`.
        first_name: Nullable<String> = "firstName",
        /// Home address ([`HOME_ADDRESS`](crate::limits::HOME_ADDRESS)), or `null`.
        home_address: Nullable<String> = "homeAddress",
        /// Last name ([`NAME`](crate::limits::NAME)), or `null`.
        last_name: Nullable<String> = "lastName",
        /// Mobile phone ([`MOBILE_PHONE`](crate::limits::MOBILE_PHONE)), or `null`.
        mobile_phone: Nullable<String> = "mobilePhone",
        /// Alternative email ([`EMAIL`](crate::limits::EMAIL)); live Okta also returns `null`.
        second_email: Nullable<String> = "secondEmail",
        /// Username ([`USER_NAME`](crate::limits::USER_NAME)).
        user_name: Option<String> = "userName",
    }
}

/// The profile of a user create, replace or update (`IdentitySourceUserProfileForUpsertRequired`):
/// the same attributes, with `email` and `userName` required (checked by validation).
pub type IdentitySourceUserProfileForUpsertRequired = IdentitySourceUserProfileForUpsert;

impl IdentitySourceUserProfileForUpsert {
    /// A profile whose `userName` and `email` are both `login`, as most orgs have them.
    pub fn with_login(login: impl Into<String>) -> Self {
        let login = login.into();
        Self::new().email(login.clone()).user_name(login)
    }

    /// Sets a custom string attribute.
    #[must_use]
    pub fn custom_attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.additional_properties
            .insert(name.into(), serde_json::Value::String(value.into()));
        self
    }

    /// A custom attribute's string value, if it is set to a string.
    pub fn get_custom_attribute(&self, name: &str) -> Option<&str> {
        self.additional_properties
            .get(name)
            .and_then(serde_json::Value::as_str)
    }
}

model! {
    /// One user of a bulk upsert (`BulkUpsertRequestBodyProfilesInner`).
    pub struct BulkUpsertRequestBodyProfilesInner {
        /// The user's external id ([`USER_EXTERNAL_ID`](crate::limits::USER_EXTERNAL_ID)).
        external_id: Option<String> = "externalId",
        /// The user's profile.
        profile: Option<IdentitySourceUserProfileForUpsert> = "profile",
    }
}

impl BulkUpsertRequestBodyProfilesInner {
    /// A user to upsert.
    pub fn with(
        external_id: impl Into<String>,
        profile: IdentitySourceUserProfileForUpsert,
    ) -> Self {
        Self::new().external_id(external_id).profile(profile)
    }
}

model! {
    /// One user of a bulk delete (`IdentitySourceUserProfileForDelete`).
    pub struct IdentitySourceUserProfileForDelete {
        /// The external id of the user to deactivate ([`USER_EXTERNAL_ID`](crate::limits::USER_EXTERNAL_ID)).
        external_id: Option<String> = "externalId",
    }
}

impl IdentitySourceUserProfileForDelete {
    /// A user to deactivate.
    pub fn with(external_id: impl Into<String>) -> Self {
        Self::new().external_id(external_id)
    }
}

model! {
    /// The body of a user create or replace (`UserRequestSchema`).
    pub struct UserRequestSchema {
        /// The user's external id ([`USER_EXTERNAL_ID`](crate::limits::USER_EXTERNAL_ID)).
        external_id: Option<String> = "externalId",
        /// The user's profile; `email` and `userName` are required.
        profile: Option<IdentitySourceUserProfileForUpsertRequired> = "profile",
    }
}

model! {
    /// The body of a user update (`UsersUpdateRequestSchema`).
    pub struct UsersUpdateRequestSchema {
        /// The user's profile; `email` and `userName` are required.
        profile: Option<IdentitySourceUserProfileForUpsertRequired> = "profile",
    }
}

model! {
    /// A user as Okta returns it (`UserResponseSchema`).
    pub struct UserResponseSchema {
        /// When the user was created.
        created: Option<String> = "created",
        /// The user's external id.
        external_id: Option<String> = "externalId",
        /// The Okta user id (`0ua…`/`00u…`).
        id: Option<String> = "id",
        /// When the user last changed.
        last_updated: Option<String> = "lastUpdated",
        /// The user's profile.
        profile: Option<IdentitySourceUserProfileForUpsert> = "profile",
    }
}
