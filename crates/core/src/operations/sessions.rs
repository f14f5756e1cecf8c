//! Sessions and bulk loads (operations 1–11).

use super::*;
use crate::models::{
    BulkDeleteRequestBody, BulkGroupDeleteRequestBody, BulkGroupMembershipsDeleteRequestBody,
    BulkGroupMembershipsUpsertRequestBody, BulkGroupUpsertRequestBody, BulkUpsertRequestBody,
    IdentitySourceSession,
};

operation! {
    /// `GET /sessions`: the identity source's sessions (`listIdentitySourceSessions`).
    ListIdentitySourceSessions("listIdentitySourceSessions", Idempotent, General)
        -> Vec<IdentitySourceSession> {}
    build |_op, path| (Method::GET, path.lit("sessions").finish(), None);
    parse parse_json;
}

operation! {
    /// `POST /sessions`: opens a session (`createIdentitySourceSession`). Live Okta answers
    /// 201 (the spec says 200); older docs say the body is a list. All are accepted.
    CreateIdentitySourceSession("createIdentitySourceSession", NonIdempotent, SessionCreate)
        -> IdentitySourceSession {}
    build |_op, path| (Method::POST, path.lit("sessions").finish(), None);
    parse parse_one_or_list;
}

operation! {
    /// `GET /sessions/{sessionId}` (`getIdentitySourceSession`).
    GetIdentitySourceSession("getIdentitySourceSession", Idempotent, General)
        -> IdentitySourceSession {
        /// The session (`aps…`).
        session_id: String,
    }
    build |op, path| (Method::GET, path.lit("sessions").with("sessionId", &op.session_id)?.finish(), None);
    parse parse_json;
}

operation! {
    /// `DELETE /sessions/{sessionId}`: cancels a CREATED or IN_PROGRESS session
    /// (`deleteIdentitySourceSession`).
    DeleteIdentitySourceSession("deleteIdentitySourceSession", Idempotent, General) -> () {
        /// The session (`aps…`).
        session_id: String,
    }
    build |op, path| (Method::DELETE, path.lit("sessions").with("sessionId", &op.session_id)?.finish(), None);
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
    build |op, path| (
        Method::POST,
        path.lit("sessions").with("sessionId", &op.session_id)?.lit("start-import").finish(),
        None,
    );
    parse parse_one_or_list;
}

/// Defines a bulk load operation: `POST /sessions/{sessionId}/<suffix>` with a validated,
/// size-checked JSON body and a 202 answer.
macro_rules! bulk_load {
    ($(#[$meta:meta])* $name:ident($op:literal, $suffix:literal, $body:ty)) => {
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
                path.lit("sessions").with("sessionId", &op.session_id)?.lit($suffix).finish(),
                Some(json_body($op, &op.body, true)?),
            );
            parse parse_empty;
        }
    };
}

bulk_load! {
    /// `POST /sessions/{sessionId}/bulk-upsert`: uploads users to create or update
    /// (`uploadIdentitySourceDataForUpsert`).
    UploadIdentitySourceDataForUpsert("uploadIdentitySourceDataForUpsert", "bulk-upsert", BulkUpsertRequestBody)
}

bulk_load! {
    /// `POST /sessions/{sessionId}/bulk-delete`: uploads users to deactivate
    /// (`uploadIdentitySourceDataForDelete`).
    UploadIdentitySourceDataForDelete("uploadIdentitySourceDataForDelete", "bulk-delete", BulkDeleteRequestBody)
}

bulk_load! {
    /// `POST /sessions/{sessionId}/bulk-groups-upsert`: uploads groups to create or update
    /// (`uploadIdentitySourceGroupsForUpsert`).
    UploadIdentitySourceGroupsForUpsert("uploadIdentitySourceGroupsForUpsert", "bulk-groups-upsert", BulkGroupUpsertRequestBody)
}

bulk_load! {
    /// `POST /sessions/{sessionId}/bulk-groups-delete`: uploads groups to delete
    /// (`uploadIdentitySourceGroupsDataForDelete`).
    UploadIdentitySourceGroupsDataForDelete("uploadIdentitySourceGroupsDataForDelete", "bulk-groups-delete", BulkGroupDeleteRequestBody)
}

bulk_load! {
    /// `POST /sessions/{sessionId}/bulk-group-memberships-upsert`: uploads memberships to add
    /// (`uploadIdentitySourceGroupMembershipsForUpsert`).
    UploadIdentitySourceGroupMembershipsForUpsert("uploadIdentitySourceGroupMembershipsForUpsert", "bulk-group-memberships-upsert", BulkGroupMembershipsUpsertRequestBody)
}

bulk_load! {
    /// `POST /sessions/{sessionId}/bulk-group-memberships-delete`: uploads memberships to
    /// remove (`uploadIdentitySourceGroupMembershipsForDelete`).
    UploadIdentitySourceGroupMembershipsForDelete("uploadIdentitySourceGroupMembershipsForDelete", "bulk-group-memberships-delete", BulkGroupMembershipsDeleteRequestBody)
}
