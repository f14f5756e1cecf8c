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
/// for session in source.list_sessions().await? {
///     println!("{:?} {:?}", session.id, session.status);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct IdentitySource<S> {
    client: Client<S>,
    id: Arc<str>,
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

/// Writes each operation's method on [`Client`] (named after the operationId) and on
/// [`IdentitySource`] (a short name in Okta's words). The docs are the operation type's, in
/// core: one summary per operation, linked, never copied, and any given with the row. The
/// client method sends the operation with [`Client::send`], or with the method named after
/// `via`.
macro_rules! operation_methods {
    (@send $client:ident, $op:expr) => {
        $client.send(&$op).await
    };
    (@send $client:ident, $op:expr, $via:ident) => {
        $client.$via(&$op).await
    };
    ($(
        $(#[$doc:meta])*
        $name:ident / $short:ident ($($arg:ident : $ty:ty),*) -> $out:ty = $op:ident
            $(via $via:ident)?;
    )*) => {
        impl<S> Client<S>
        where
            S: HttpService,
        {
            $(
                #[doc = concat!("Sends [`", stringify!($op), "`](okta_idsrc_core::operations::", stringify!($op), ") for the identity source `identity_source_id`.")]
                #[doc = ""]
                $(#[$doc])*
                pub async fn $name(
                    &self,
                    identity_source_id: impl Into<String>,
                    $($arg: $ty),*
                ) -> Result<$out, Error> {
                    operation_methods!(@send self, $op::new(identity_source_id, $($arg),*) $(, $via)?)
                }
            )*
        }

        impl<S> IdentitySource<S>
        where
            S: HttpService,
        {
            $(
                #[doc = concat!("Sends [`", stringify!($op), "`](okta_idsrc_core::operations::", stringify!($op), ") for this identity source ([`Client::", stringify!($name), "`]).")]
                pub async fn $short(&self, $($arg: $ty),*) -> Result<$out, Error> {
                    self.client.$name(&*self.id, $($arg),*).await
                }
            )*
        }
    };
}

/// [`operation_methods!`] for the bulk loads: `session_id`, a body of the load's type, no
/// output.
macro_rules! bulk_load_methods {
    ($($name:ident / $short:ident($body:ty) = $op:ident;)*) => {
        operation_methods! {
            $($name / $short(session_id: impl Into<String>, body: $body) -> () = $op;)*
        }
    };
}

operation_methods! {
    list_identity_source_sessions / list_sessions() -> Vec<IdentitySourceSession>
        = ListIdentitySourceSessions;
    create_identity_source_session / create_session() -> IdentitySourceSession
        = CreateIdentitySourceSession;
    get_identity_source_session / get_session(session_id: impl Into<String>)
        -> IdentitySourceSession = GetIdentitySourceSession;
    delete_identity_source_session / delete_session(session_id: impl Into<String>) -> ()
        = DeleteIdentitySourceSession;
    /// `POST /sessions/{sessionId}/start-import`: starts processing the session's loads
    /// (`startImportFromIdentitySource`).
    ///
    /// start-import is not idempotent, so it is never blindly repeated. When it fails in a way
    /// that leaves unknown whether Okta acted (core's classifier says
    /// [`NotSafe`](crate::retry::RetryDecision::NotSafe): a timeout, a connection lost after
    /// sending, a 5xx), the session is read back with `getIdentitySourceSession`:
    /// - TRIGGERED, COMPLETED or ERROR: the import went through; that session is returned;
    /// - IN_PROGRESS: it did not; start-import is sent again, as often as the client's retry
    ///   configuration allows attempts (the default's without a retry layer), after its
    ///   backoff;
    /// - anything else, or a failed read-back: the original error is returned.
    start_import_from_identity_source / start_import(session_id: impl Into<String>)
        -> IdentitySourceSession = StartImportFromIdentitySource via send_start_import;
    create_identity_source_user / create_user(body: UserRequestSchema) -> UserResponseSchema
        = CreateIdentitySourceUser;
    get_identity_source_user / get_user(external_id: impl Into<String>) -> UserResponseSchema
        = GetIdentitySourceUser;
    replace_existing_identity_source_user / replace_user(
        external_id: impl Into<String>,
        body: UserRequestSchema
    ) -> UserResponseSchema = ReplaceExistingIdentitySourceUser;
    update_identity_source_users / update_user(
        external_id: impl Into<String>,
        body: UsersUpdateRequestSchema
    ) -> UserResponseSchema = UpdateIdentitySourceUsers;
    delete_identity_source_user / delete_user(external_id: impl Into<String>) -> ()
        = DeleteIdentitySourceUser;
    create_identity_source_groups / create_group(body: GroupsRequestSchema)
        -> GroupsResponseSchema = CreateIdentitySourceGroups;
    get_identity_source_group / get_group(group_or_external_id: impl Into<String>)
        -> GroupsResponseSchema = GetIdentitySourceGroup;
    update_identity_source_groups / update_group(
        group_or_external_id: impl Into<String>,
        body: GroupsRequestSchema
    ) -> GroupsResponseSchema = UpdateIdentitySourceGroups;
    delete_identity_source_group / delete_group(group_or_external_id: impl Into<String>) -> ()
        = DeleteIdentitySourceGroup;
    get_identity_source_group_memberships / get_group_memberships(
        group_or_external_id: impl Into<String>
    ) -> Page<GroupMembershipsResponseSchema> = GetIdentitySourceGroupMemberships;
    create_identity_source_groups_memberships / add_group_member(
        group_or_external_id: impl Into<String>,
        body: MembershipRequestSchema
    ) -> () = CreateIdentitySourceGroupsMemberships;
    delete_identity_source_group_memberships / remove_group_member(
        group_or_external_id: impl Into<String>,
        member_external_id: impl Into<String>
    ) -> () = DeleteIdentitySourceGroupMemberships;
}

bulk_load_methods! {
    upload_identity_source_data_for_upsert / bulk_upsert_users(BulkUpsertRequestBody)
        = UploadIdentitySourceDataForUpsert;
    upload_identity_source_data_for_delete / bulk_delete_users(BulkDeleteRequestBody)
        = UploadIdentitySourceDataForDelete;
    upload_identity_source_groups_for_upsert / bulk_upsert_groups(BulkGroupUpsertRequestBody)
        = UploadIdentitySourceGroupsForUpsert;
    upload_identity_source_groups_data_for_delete / bulk_delete_groups(BulkGroupDeleteRequestBody)
        = UploadIdentitySourceGroupsDataForDelete;
    upload_identity_source_group_memberships_for_upsert
        / bulk_upsert_memberships(BulkGroupMembershipsUpsertRequestBody)
        = UploadIdentitySourceGroupMembershipsForUpsert;
    upload_identity_source_group_memberships_for_delete
        / bulk_delete_memberships(BulkGroupMembershipsDeleteRequestBody)
        = UploadIdentitySourceGroupMembershipsForDelete;
}
