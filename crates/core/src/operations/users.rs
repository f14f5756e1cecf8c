//! Individual users (operations 12–16).

use super::*;
use crate::models::{UserRequestSchema, UserResponseSchema, UsersUpdateRequestSchema};

operation! {
    /// `POST /users`: creates a user (`createIdentitySourceUser`).
    CreateIdentitySourceUser("createIdentitySourceUser", NonIdempotent, General) -> UserResponseSchema {
        /// The user; `profile.email` and `profile.userName` are required.
        body: UserRequestSchema,
    }
    build |op, path| (Method::POST, path.lit("users").finish(), json op.body);
    parse parse_json;
}

operation! {
    /// `GET /users/{externalId}` (`getIdentitySourceUser`).
    GetIdentitySourceUser("getIdentitySourceUser", Idempotent, General) -> UserResponseSchema {
        /// The user's external id.
        external_id: String,
    }
    build |op, path| (Method::GET, path.user(&op.external_id)?.finish());
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
    build |op, path| (Method::PUT, path.user(&op.external_id)?.finish(), json op.body);
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
    build |op, path| (Method::PATCH, path.user(&op.external_id)?.finish(), json op.body);
    parse parse_json;
}

operation! {
    /// `DELETE /users/{externalId}` (`deleteIdentitySourceUser`).
    DeleteIdentitySourceUser("deleteIdentitySourceUser", Idempotent, General) -> () {
        /// The user's external id.
        external_id: String,
    }
    build |op, path| (Method::DELETE, path.user(&op.external_id)?.finish());
    parse parse_empty;
}
