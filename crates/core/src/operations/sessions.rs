//! Sessions and bulk loads (operations 1–11).

use std::marker::PhantomData;

use super::*;
use crate::bulk::{BulkLoadBody, BulkLoadKind};
use crate::models::{
    BulkDeleteRequestBody, BulkGroupDeleteRequestBody, BulkGroupMembershipsDeleteRequestBody,
    BulkGroupMembershipsUpsertRequestBody, BulkGroupUpsertRequestBody, BulkUpsertRequestBody,
    IdentitySourceSession,
};

operation! {
    /// `GET /sessions`: the identity source's sessions (`listIdentitySourceSessions`).
    ListIdentitySourceSessions("listIdentitySourceSessions", Idempotent, General)
        -> Vec<IdentitySourceSession> {}
    build |_op, path| (Method::GET, path.lit("sessions").finish());
    parse parse_json;
}

operation! {
    /// `POST /sessions`: opens a session (`createIdentitySourceSession`). Live Okta answers
    /// 201 (the spec says 200); older docs say the body is a list. All are accepted.
    CreateIdentitySourceSession("createIdentitySourceSession", NonIdempotent, SessionCreate)
        -> IdentitySourceSession {}
    build |_op, path| (Method::POST, path.lit("sessions").finish());
    parse parse_one_or_list;
}

operation! {
    /// `GET /sessions/{sessionId}` (`getIdentitySourceSession`).
    GetIdentitySourceSession("getIdentitySourceSession", Idempotent, General)
        -> IdentitySourceSession {
        /// The session (`aps…`).
        session_id: String,
    }
    build |op, path| (Method::GET, path.session(&op.session_id)?.finish());
    parse parse_json;
}

operation! {
    /// `DELETE /sessions/{sessionId}`: cancels a CREATED or IN_PROGRESS session
    /// (`deleteIdentitySourceSession`).
    DeleteIdentitySourceSession("deleteIdentitySourceSession", Idempotent, General) -> () {
        /// The session (`aps…`).
        session_id: String,
    }
    build |op, path| (Method::DELETE, path.session(&op.session_id)?.finish());
    parse parse_empty;
}

operation! {
    /// `POST /sessions/{sessionId}/start-import`: starts processing the session's loads
    /// (`startImportFromIdentitySource`). Not idempotent: after an ambiguous failure, read
    /// the session back (TRIGGERED means it went through).
    StartImportFromIdentitySource("startImportFromIdentitySource", NonIdempotent, General)
        -> IdentitySourceSession {
        /// The session (`aps…`).
        session_id: String,
    }
    build |op, path| (Method::POST, path.session(&op.session_id)?.lit("start-import").finish());
    parse parse_one_or_list;
}

/// Defines the bulk load operations, one a row: `POST /sessions/{sessionId}/<suffix>` with a
/// validated, size-checked JSON body and a 202 answer.
macro_rules! bulk_load {
    ($($(#[$meta:meta])* $name:ident($op:literal, $suffix:literal, $body:ty, $kind:ident);)*) => {$(
        operation! {
            $(#[$meta])*
            $name($op, Idempotent, General) -> () {
                /// The session (`aps…`).
                session_id: String,
                /// The load.
                body: $body,
            }
            build |op, path| (
                Method::POST,
                path.session(&op.session_id)?.lit($suffix).finish(),
                json_load op.body,
            );
            parse parse_empty;
        }

        impl BulkLoad for $name {
            const SUFFIX: &'static str = $suffix;
            const KIND: BulkLoadKind = BulkLoadKind::$kind;
        }
    )*};
}

/// One of the six bulk load operations (`POST /sessions/{sessionId}/<suffix>`, answered 202).
pub trait BulkLoad: Operation<Output = ()> {
    /// The path suffix after `/sessions/{sessionId}/`, e.g. `bulk-upsert`.
    const SUFFIX: &'static str;
    /// The kind of load it uploads.
    const KIND: BulkLoadKind;
}

/// A bulk load of operation `O` whose body a [`BulkLoadWriter`](crate::bulk::BulkLoadWriter)
/// wrote: every entity validated and serialized once, the framing and the limits core's own
/// (the importer packs its loads this way).
///
/// A body of another kind than `O`'s is refused when the request is built.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PreparedBulkLoad<O> {
    /// The identity source (`0oa…`).
    pub identity_source_id: String,
    /// The session (`aps…`).
    pub session_id: String,
    /// The body.
    pub body: BulkLoadBody,
    operation: PhantomData<fn() -> O>,
}

impl<O: BulkLoad> PreparedBulkLoad<O> {
    /// A load of `body` into `session_id`.
    pub fn new(
        identity_source_id: impl Into<String>,
        session_id: impl Into<String>,
        body: BulkLoadBody,
    ) -> Self {
        Self {
            identity_source_id: identity_source_id.into(),
            session_id: session_id.into(),
            body,
            operation: PhantomData,
        }
    }
}

impl<O: BulkLoad> Operation for PreparedBulkLoad<O> {
    type Output = ();
    const INFO: OperationInfo = O::INFO;

    fn build(&self, ctx: &ApiContext) -> Result<Request<Bytes>, Error> {
        let name = Self::INFO.name;
        if self.body.kind() != O::KIND {
            return Err(crate::error::InvalidRequest::new(
                name,
                format!(
                    "the body is a {:?} load, not a {:?} load",
                    self.body.kind(),
                    O::KIND
                ),
            )
            .into());
        }
        let path = PathBuilder::identity_source(name, &self.identity_source_id)?
            .session(&self.session_id)?
            .lit(O::SUFFIX)
            .finish();
        request(
            ctx,
            Self::INFO,
            Method::POST,
            &path,
            Some(self.body.bytes().clone()),
        )
    }

    fn parse(response: Response<Bytes>) -> Result<(), Error> {
        O::parse(response)
    }
}

bulk_load! {
    /// `POST /sessions/{sessionId}/bulk-upsert`: uploads users to create or update
    /// (`uploadIdentitySourceDataForUpsert`).
    UploadIdentitySourceDataForUpsert("uploadIdentitySourceDataForUpsert", "bulk-upsert", BulkUpsertRequestBody, UserUpsert);

    /// `POST /sessions/{sessionId}/bulk-delete`: uploads users to deactivate
    /// (`uploadIdentitySourceDataForDelete`).
    UploadIdentitySourceDataForDelete("uploadIdentitySourceDataForDelete", "bulk-delete", BulkDeleteRequestBody, UserDelete);

    /// `POST /sessions/{sessionId}/bulk-groups-upsert`: uploads groups to create or update
    /// (`uploadIdentitySourceGroupsForUpsert`).
    UploadIdentitySourceGroupsForUpsert("uploadIdentitySourceGroupsForUpsert", "bulk-groups-upsert", BulkGroupUpsertRequestBody, GroupUpsert);

    /// `POST /sessions/{sessionId}/bulk-groups-delete`: uploads groups to delete
    /// (`uploadIdentitySourceGroupsDataForDelete`).
    UploadIdentitySourceGroupsDataForDelete("uploadIdentitySourceGroupsDataForDelete", "bulk-groups-delete", BulkGroupDeleteRequestBody, GroupDelete);

    /// `POST /sessions/{sessionId}/bulk-group-memberships-upsert`: uploads memberships to add
    /// (`uploadIdentitySourceGroupMembershipsForUpsert`).
    UploadIdentitySourceGroupMembershipsForUpsert("uploadIdentitySourceGroupMembershipsForUpsert", "bulk-group-memberships-upsert", BulkGroupMembershipsUpsertRequestBody, MembershipUpsert);

    /// `POST /sessions/{sessionId}/bulk-group-memberships-delete`: uploads memberships to
    /// remove (`uploadIdentitySourceGroupMembershipsForDelete`).
    UploadIdentitySourceGroupMembershipsForDelete("uploadIdentitySourceGroupMembershipsForDelete", "bulk-group-memberships-delete", BulkGroupMembershipsDeleteRequestBody, MembershipDelete);
}
