//! One type per operationId of the Identity Sources API (all 23).
//!
//! Each type holds the operation's parameters and implements [`Operation`]: `build` makes an
//! `http::Request<Bytes>` (validated, path parameters percent-encoded as single segments) and
//! `parse` reads the `http::Response<Bytes>` into the output.
//!
//! [`Operation`]: crate::Operation

use bytes::Bytes;
use http::{Method, Request, Response};

use crate::error::Error;
#[allow(unused_imports)]
use crate::operation::{
    ApiContext, Idempotency, Operation, OperationInfo, PathBuilder, RateLimitBucket, json_body,
    parse_empty, parse_json, parse_one_or_list, request,
};

/// Defines an operation type: the struct (identity source id first, then the listed fields),
/// a `new` constructor taking every field, and its [`Operation`] impl.
///
/// `build |op, path| (method, path, body)` makes the request from the operation and a
/// [`PathBuilder`] at the identity source; the body is left out, `json <expr>` (validated and
/// sent as JSON) or `json_load <expr>` (a bulk load: its size checked as well).
macro_rules! operation {
    (
        $(#[$meta:meta])*
        $name:ident ($op:literal, $idem:ident, $bucket:ident) -> $out:ty {
            $( $(#[$fmeta:meta])* $field:ident : $fty:ty ),* $(,)?
        }
        build |$this:ident, $path:ident| (
            $method:expr, $uri:expr $(, $kind:ident $body:expr)? $(,)?
        );
        parse $parse:path;
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            /// The identity source (`0oa…`).
            pub identity_source_id: String,
            $( $(#[$fmeta])* pub $field: $fty, )*
        }

        impl $name {
            /// The operation with its parameters.
            pub fn new(identity_source_id: impl Into<String>, $( $field: impl Into<$fty> ),*) -> Self {
                Self { identity_source_id: identity_source_id.into(), $( $field: $field.into() ),* }
            }
        }

        impl Operation for $name {
            type Output = $out;
            const INFO: OperationInfo =
                OperationInfo::new($op, Idempotency::$idem, RateLimitBucket::$bucket);

            fn build(&self, ctx: &ApiContext) -> Result<Request<Bytes>, Error> {
                let $this = self;
                let $path = PathBuilder::identity_source($op, &self.identity_source_id)?;
                let uri: String = $uri;
                let body: Option<Vec<u8>> = operation!(@body $op $($kind $body)?);
                request(ctx, Self::INFO, $method, &uri, body.map(Bytes::from))
            }

            fn parse(response: Response<Bytes>) -> Result<$out, Error> {
                $parse($op, response)
            }
        }
    };
    (@body $op:literal) => { None };
    (@body $op:literal json $body:expr) => { Some(json_body($op, &$body, false)?) };
    (@body $op:literal json_load $body:expr) => { Some(json_body($op, &$body, true)?) };
}

mod groups;
mod memberships;
mod sessions;
mod users;

pub use groups::*;
pub use memberships::*;
pub use sessions::*;
pub use users::*;

/// The operationIds of all 23 operations, in the order of `docs/okta-behavior.md#operations`.
pub const OPERATION_IDS: [&str; 23] = [
    <ListIdentitySourceSessions as Operation>::INFO.name,
    <CreateIdentitySourceSession as Operation>::INFO.name,
    <GetIdentitySourceSession as Operation>::INFO.name,
    <DeleteIdentitySourceSession as Operation>::INFO.name,
    <UploadIdentitySourceDataForUpsert as Operation>::INFO.name,
    <UploadIdentitySourceDataForDelete as Operation>::INFO.name,
    <StartImportFromIdentitySource as Operation>::INFO.name,
    <UploadIdentitySourceGroupsForUpsert as Operation>::INFO.name,
    <UploadIdentitySourceGroupsDataForDelete as Operation>::INFO.name,
    <UploadIdentitySourceGroupMembershipsForUpsert as Operation>::INFO.name,
    <UploadIdentitySourceGroupMembershipsForDelete as Operation>::INFO.name,
    <CreateIdentitySourceUser as Operation>::INFO.name,
    <GetIdentitySourceUser as Operation>::INFO.name,
    <ReplaceExistingIdentitySourceUser as Operation>::INFO.name,
    <UpdateIdentitySourceUsers as Operation>::INFO.name,
    <DeleteIdentitySourceUser as Operation>::INFO.name,
    <CreateIdentitySourceGroups as Operation>::INFO.name,
    <GetIdentitySourceGroup as Operation>::INFO.name,
    <UpdateIdentitySourceGroups as Operation>::INFO.name,
    <DeleteIdentitySourceGroup as Operation>::INFO.name,
    <GetIdentitySourceGroupMemberships as Operation>::INFO.name,
    <CreateIdentitySourceGroupsMemberships as Operation>::INFO.name,
    <DeleteIdentitySourceGroupMemberships as Operation>::INFO.name,
];
