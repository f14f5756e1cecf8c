//! One method per operation, on [`Client`] (identity source id first) and on
//! [`IdentitySource`] (id bound).

use std::fmt;
use std::sync::Arc;

use okta_idsrc_core::Error;
use okta_idsrc_core::models::{
    BulkDeleteRequestBody, BulkGroupDeleteRequestBody, BulkGroupMembershipsDeleteRequestBody,
    BulkGroupMembershipsUpsertRequestBody, BulkGroupUpsertRequestBody, BulkUpsertRequestBody,
    GroupMembershipsResponseSchema, GroupsRequestSchema, GroupsResponseSchema,
    IdentitySourceSession, MembershipRequestSchema, UserRequestSchema, UserResponseSchema,
    UsersUpdateRequestSchema,
};
use okta_idsrc_core::operations::*;

use super::Client;
use crate::service::HttpService;

/// A handle on one identity source (`0oa…`) of a [`Client`]: the client's methods without
/// the identity source id. Get one with [`Client::identity_source`]; cheap to clone.
///
/// ```no_run
/// # async fn run(client: okta_idsrc_ops::Client) -> Result<(), okta_idsrc_core::Error> {
/// let source = client.identity_source("0oa1234567890abcdefg");
/// for session in source.list_identity_source_sessions().await? {
///     println!("{:?} {:?}", session.id, session.status);
/// }
/// # Ok(())
/// # }
/// ```
pub struct IdentitySource<S> {
    client: Client<S>,
    id: Arc<str>,
}

impl<S: Clone> Clone for IdentitySource<S> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            id: Arc::clone(&self.id),
        }
    }
}

impl<S> fmt::Debug for IdentitySource<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentitySource")
            .field("id", &self.id)
            .field("client", &self.client)
            .finish()
    }
}

impl<S> IdentitySource<S> {
    pub(super) fn new(client: Client<S>, id: String) -> Self {
        Self {
            client,
            id: id.into(),
        }
    }

    /// The identity source id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The client.
    pub fn client(&self) -> &Client<S> {
        &self.client
    }
}

/// Writes each operation's method on [`Client`] and on [`IdentitySource`].
macro_rules! operation_methods {
    ($(
        $(#[$meta:meta])*
        fn $name:ident($($arg:ident : $ty:ty),*) -> $out:ty = $op:ident;
    )*) => {
        impl<S> Client<S>
        where
            S: HttpService,
        {
            $(
                $(#[$meta])*
                #[doc = ""]
                #[doc = concat!("Sends [`", stringify!($op), "`] for the identity source `identity_source_id`.")]
                pub async fn $name(
                    &self,
                    identity_source_id: impl Into<String>,
                    $($arg: $ty),*
                ) -> Result<$out, Error> {
                    self.send(&$op::new(identity_source_id, $($arg),*)).await
                }
            )*
        }

        impl<S> IdentitySource<S>
        where
            S: HttpService,
        {
            $(
                $(#[$meta])*
                #[doc = ""]
                #[doc = concat!("Sends [`", stringify!($op), "`] for this identity source.")]
                pub async fn $name(&self, $($arg: $ty),*) -> Result<$out, Error> {
                    self.client.$name(&*self.id, $($arg),*).await
                }
            )*
        }
    };
}

operation_methods! {
    /// `GET /sessions`: the identity source's sessions (`listIdentitySourceSessions`).
    fn list_identity_source_sessions() -> Vec<IdentitySourceSession> = ListIdentitySourceSessions;

    /// `POST /sessions`: opens a session (`createIdentitySourceSession`). Not idempotent: a
    /// second session within five minutes is refused by Okta.
    fn create_identity_source_session() -> IdentitySourceSession = CreateIdentitySourceSession;

    /// `GET /sessions/{sessionId}`: one session (`getIdentitySourceSession`).
    fn get_identity_source_session(session_id: impl Into<String>) -> IdentitySourceSession
        = GetIdentitySourceSession;

    /// `DELETE /sessions/{sessionId}`: cancels a CREATED or IN_PROGRESS session
    /// (`deleteIdentitySourceSession`).
    fn delete_identity_source_session(session_id: impl Into<String>) -> () = DeleteIdentitySourceSession;

    /// `POST /sessions/{sessionId}/bulk-upsert`: uploads up to 200 users to create or update
    /// (`uploadIdentitySourceDataForUpsert`).
    fn upload_identity_source_data_for_upsert(
        session_id: impl Into<String>,
        body: BulkUpsertRequestBody
    ) -> () = UploadIdentitySourceDataForUpsert;

    /// `POST /sessions/{sessionId}/bulk-delete`: uploads up to 200 users to deactivate
    /// (`uploadIdentitySourceDataForDelete`).
    fn upload_identity_source_data_for_delete(
        session_id: impl Into<String>,
        body: BulkDeleteRequestBody
    ) -> () = UploadIdentitySourceDataForDelete;

    /// `POST /sessions/{sessionId}/bulk-groups-upsert`: uploads groups to create or update
    /// (`uploadIdentitySourceGroupsForUpsert`).
    fn upload_identity_source_groups_for_upsert(
        session_id: impl Into<String>,
        body: BulkGroupUpsertRequestBody
    ) -> () = UploadIdentitySourceGroupsForUpsert;

    /// `POST /sessions/{sessionId}/bulk-groups-delete`: uploads groups to delete
    /// (`uploadIdentitySourceGroupsDataForDelete`).
    fn upload_identity_source_groups_data_for_delete(
        session_id: impl Into<String>,
        body: BulkGroupDeleteRequestBody
    ) -> () = UploadIdentitySourceGroupsDataForDelete;

    /// `POST /sessions/{sessionId}/bulk-group-memberships-upsert`: uploads memberships to add
    /// (`uploadIdentitySourceGroupMembershipsForUpsert`).
    fn upload_identity_source_group_memberships_for_upsert(
        session_id: impl Into<String>,
        body: BulkGroupMembershipsUpsertRequestBody
    ) -> () = UploadIdentitySourceGroupMembershipsForUpsert;

    /// `POST /sessions/{sessionId}/bulk-group-memberships-delete`: uploads memberships to
    /// remove (`uploadIdentitySourceGroupMembershipsForDelete`).
    fn upload_identity_source_group_memberships_for_delete(
        session_id: impl Into<String>,
        body: BulkGroupMembershipsDeleteRequestBody
    ) -> () = UploadIdentitySourceGroupMembershipsForDelete;

    /// `POST /users`: creates a user (`createIdentitySourceUser`).
    fn create_identity_source_user(body: UserRequestSchema) -> UserResponseSchema = CreateIdentitySourceUser;

    /// `GET /users/{externalId}`: one user (`getIdentitySourceUser`).
    fn get_identity_source_user(external_id: impl Into<String>) -> UserResponseSchema = GetIdentitySourceUser;

    /// `PUT /users/{externalId}`: replaces a user's profile
    /// (`replaceExistingIdentitySourceUser`).
    fn replace_existing_identity_source_user(
        external_id: impl Into<String>,
        body: UserRequestSchema
    ) -> UserResponseSchema = ReplaceExistingIdentitySourceUser;

    /// `PATCH /users/{externalId}`: updates a user's profile (`updateIdentitySourceUsers`).
    fn update_identity_source_users(
        external_id: impl Into<String>,
        body: UsersUpdateRequestSchema
    ) -> UserResponseSchema = UpdateIdentitySourceUsers;

    /// `DELETE /users/{externalId}`: deletes a user (`deleteIdentitySourceUser`).
    fn delete_identity_source_user(external_id: impl Into<String>) -> () = DeleteIdentitySourceUser;

    /// `POST /groups`: creates a group (`createIdentitySourceGroups`).
    fn create_identity_source_groups(body: GroupsRequestSchema) -> GroupsResponseSchema = CreateIdentitySourceGroups;

    /// `GET /groups/{groupOrExternalId}`: one group, by Okta id (`00g…`) or external id
    /// (`getIdentitySourceGroup`).
    fn get_identity_source_group(group_or_external_id: impl Into<String>) -> GroupsResponseSchema
        = GetIdentitySourceGroup;

    /// `POST /groups/{groupOrExternalId}`: updates a group (`updateIdentitySourceGroups`).
    fn update_identity_source_groups(
        group_or_external_id: impl Into<String>,
        body: GroupsRequestSchema
    ) -> GroupsResponseSchema = UpdateIdentitySourceGroups;

    /// `DELETE /groups/{groupOrExternalId}`: deletes a group (`deleteIdentitySourceGroup`);
    /// live Okta's 200 with an empty body and the spec's 204 are both success.
    fn delete_identity_source_group(group_or_external_id: impl Into<String>) -> () = DeleteIdentitySourceGroup;

    /// `GET /groups/{groupOrExternalId}/membership`: the first page of a group's members
    /// with the server's page size (`getIdentitySourceGroupMemberships`). For a size, a
    /// cursor or every page, use [`send`](Client::send) with
    /// [`GetIdentitySourceGroupMemberships`] or the streams of [`crate::pagination`].
    fn get_identity_source_group_memberships(
        group_or_external_id: impl Into<String>
    ) -> Page<GroupMembershipsResponseSchema> = GetIdentitySourceGroupMemberships;

    /// `POST /groups/{groupOrExternalId}/membership`: adds a member
    /// (`createIdentitySourceGroupsMemberships`).
    fn create_identity_source_groups_memberships(
        group_or_external_id: impl Into<String>,
        body: MembershipRequestSchema
    ) -> () = CreateIdentitySourceGroupsMemberships;

    /// `DELETE /groups/{groupOrExternalId}/membership/{memberExternalId}`: removes a member
    /// (`deleteIdentitySourceGroupMemberships`).
    fn delete_identity_source_group_memberships(
        group_or_external_id: impl Into<String>,
        member_external_id: impl Into<String>
    ) -> () = DeleteIdentitySourceGroupMemberships;
}

impl<S> IdentitySource<S>
where
    S: HttpService,
{
    /// `POST /sessions/{sessionId}/start-import`: starts processing the session's loads
    /// (`startImportFromIdentitySource`), never blindly repeated; see
    /// [`Client::start_import_from_identity_source`].
    pub async fn start_import_from_identity_source(
        &self,
        session_id: impl Into<String>,
    ) -> Result<IdentitySourceSession, Error> {
        self.client
            .start_import_from_identity_source(&*self.id, session_id)
            .await
    }
}
