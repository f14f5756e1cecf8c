//! Individual groups (operations 17–20).

use super::*;
use crate::models::{GroupsRequestSchema, GroupsResponseSchema};

operation! {
    /// `POST /groups`: creates a group (`createIdentitySourceGroups`).
    CreateIdentitySourceGroups("createIdentitySourceGroups", NonIdempotent, General) -> GroupsResponseSchema {
        /// The group.
        body: GroupsRequestSchema,
    }
    build |op, path| (Method::POST, path.lit("groups").finish(), json op.body);
    parse parse_json;
}

operation! {
    /// `GET /groups/{groupOrExternalId}` (`getIdentitySourceGroup`).
    GetIdentitySourceGroup("getIdentitySourceGroup", Idempotent, General) -> GroupsResponseSchema {
        /// The Okta group id (`00g…`) or the group's external id.
        group_or_external_id: String,
    }
    build |op, path| (Method::GET, path.group(&op.group_or_external_id)?.finish());
    parse parse_json;
}

operation! {
    /// `POST /groups/{groupOrExternalId}`: updates a group (`updateIdentitySourceGroups`).
    UpdateIdentitySourceGroups("updateIdentitySourceGroups", Idempotent, General) -> GroupsResponseSchema {
        /// The Okta group id (`00g…`) or the group's external id.
        group_or_external_id: String,
        /// The new group.
        body: GroupsRequestSchema,
    }
    build |op, path| (Method::POST, path.group(&op.group_or_external_id)?.finish(), json op.body);
    parse parse_json;
}

operation! {
    /// `DELETE /groups/{groupOrExternalId}` (`deleteIdentitySourceGroup`). Live Okta answers
    /// 200 with an empty body (the spec says 204); both are success.
    DeleteIdentitySourceGroup("deleteIdentitySourceGroup", Idempotent, General) -> () {
        /// The Okta group id (`00g…`) or the group's external id.
        group_or_external_id: String,
    }
    build |op, path| (Method::DELETE, path.group(&op.group_or_external_id)?.finish());
    parse parse_empty;
}
