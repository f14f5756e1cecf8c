//! Individual users (operations 12–16).

use super::*;
use crate::models::{UserRequestSchema, UserResponseSchema, UsersUpdateRequestSchema};

operation! {
    /// `POST /users`: creates a user (`createIdentitySourceUser`).
    CreateIdentitySourceUser("createIdentitySourceUser", NonIdempotent, General) -> UserResponseSchema {
        /// The user; `profile.email` and `profile.userName` are required.
        body: UserRequestSchema,
    }
    build |op, path| (Method::POST, path.lit("users").finish(), Some(json_body(
        "createIdentitySourceUser", &op.body, false,
    )?));
    parse parse_json;
}

operation! {
    /// `GET /users/{externalId}` (`getIdentitySourceUser`).
    GetIdentitySourceUser("getIdentitySourceUser", Idempotent, General) -> UserResponseSchema {
        /// The user's external id.
        external_id: String,
    }
    build |op, path| (Method::GET, path.lit("users").with("externalId", &op.external_id)?.finish(), None);
    parse parse_json;
}

operation! {
    /// `PUT /users/{externalId}`: replaces a user's profile (`replaceExistingIdentitySourceUser`).
    ReplaceExistingIdentitySourceUser("replaceExistingIdentitySourceUser", Idempotent, General)
        -> UserResponseSchema {
        /// The user's external id.
        external_id: String,
        /// The new user; `profile.email` and `profile.userName` are required.
        body: UserRequestSchema,
    }
    build |op, path| (
        Method::PUT,
        path.lit("users").with("externalId", &op.external_id)?.finish(),
        Some(json_body("replaceExistingIdentitySourceUser", &op.body, false)?),
    );
    parse parse_json;
}

operation! {
    /// `PATCH /users/{externalId}`: updates a user's profile (`updateIdentitySourceUsers`).
    UpdateIdentitySourceUsers("updateIdentitySourceUsers", Idempotent, General) -> UserResponseSchema {
        /// The user's external id.
        external_id: String,
        /// The update; `profile.email` and `profile.userName` are required.
        body: UsersUpdateRequestSchema,
    }
    build |op, path| (
        Method::PATCH,
        path.lit("users").with("externalId", &op.external_id)?.finish(),
        Some(json_body("updateIdentitySourceUsers", &op.body, false)?),
    );
    parse parse_json;
}

operation! {
    /// `DELETE /users/{externalId}` (`deleteIdentitySourceUser`).
    DeleteIdentitySourceUser("deleteIdentitySourceUser", Idempotent, General) -> () {
        /// The user's external id.
        external_id: String,
    }
    build |op, path| (Method::DELETE, path.lit("users").with("externalId", &op.external_id)?.finish(), None);
    parse parse_empty;
}
