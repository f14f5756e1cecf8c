//! Bulk load bodies for users.

use super::{BulkUpsertRequestBodyProfilesInner, IdentitySourceUserProfileForDelete};

open_enum! {
    /// The entity type of a bulk user load (`BulkUpsertRequestBody.entityType`); only `USERS`.
    pub enum BulkUpsertRequestBodyEntityType {
        /// Users.
        Users = "USERS",
    }
}

/// The entity type of a bulk user delete (`BulkDeleteRequestBody.entityType`); only `USERS`.
pub type BulkDeleteRequestBodyEntityType = BulkUpsertRequestBodyEntityType;

model! {
    /// A bulk user upsert (`BulkUpsertRequestBody`) ([`MAX_ENTITIES_PER_LOAD`](crate::limits::MAX_ENTITIES_PER_LOAD), [`MAX_LOAD_BYTES`](crate::limits::MAX_LOAD_BYTES)).
    pub struct BulkUpsertRequestBody {
        /// Always `USERS`.
        entity_type: Option<BulkUpsertRequestBodyEntityType> = "entityType",
        /// The users to create or update.
        profiles: Option<Vec<BulkUpsertRequestBodyProfilesInner>> = "profiles",
    }
}

impl BulkUpsertRequestBody {
    /// A `USERS` upsert of `profiles`.
    pub fn users(profiles: Vec<BulkUpsertRequestBodyProfilesInner>) -> Self {
        Self::new()
            .entity_type(BulkUpsertRequestBodyEntityType::Users)
            .profiles(profiles)
    }
}

model! {
    /// A bulk user delete (`BulkDeleteRequestBody`): the users are deactivated.
    pub struct BulkDeleteRequestBody {
        /// Always `USERS`.
        entity_type: Option<BulkDeleteRequestBodyEntityType> = "entityType",
        /// The users to deactivate.
        profiles: Option<Vec<IdentitySourceUserProfileForDelete>> = "profiles",
    }
}

impl BulkDeleteRequestBody {
    /// A `USERS` delete of the given external ids.
    pub fn users<I, S>(external_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new()
            .entity_type(BulkDeleteRequestBodyEntityType::Users)
            .profiles(
                external_ids
                    .into_iter()
                    .map(IdentitySourceUserProfileForDelete::with)
                    .collect::<Vec<_>>(),
            )
    }
}
