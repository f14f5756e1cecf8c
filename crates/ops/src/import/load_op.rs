//! A bulk load whose body the packer already serialized.
//!
//! Core's bulk operations take models and serialize them when the request is built; the
//! importer has each load as bytes already (every entity serialized once, validated, and the
//! body sized against the 200 KB limit as it was packed). [`PreparedLoad`] builds the
//! operation's request — URI, headers, credentials, the [`OperationInfo`] extension the
//! retry layer reads — from core's own operation with a one-entity placeholder body, then
//! puts the prepared bytes in its place.

use std::marker::PhantomData;

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::{HeaderValue, Request, Response};
use okta_idsrc_core::models::{
    BulkDeleteRequestBody, BulkGroupDeleteRequestBody, BulkGroupMembershipsDeleteRequestBody,
    BulkGroupMembershipsUpsertRequestBody, BulkGroupUpsertRequestBody,
    BulkGroupUpsertRequestBodyProfilesInner, BulkUpsertRequestBody,
    BulkUpsertRequestBodyProfilesInner, IdentitySourceGroupMembershipsUpsertProfileInner,
    IdentitySourceGroupProfileForUpsert, IdentitySourceUserProfileForUpsert,
};
use okta_idsrc_core::operations::{
    UploadIdentitySourceDataForDelete, UploadIdentitySourceDataForUpsert,
    UploadIdentitySourceGroupMembershipsForDelete, UploadIdentitySourceGroupMembershipsForUpsert,
    UploadIdentitySourceGroupsDataForDelete, UploadIdentitySourceGroupsForUpsert,
};
use okta_idsrc_core::{ApiContext, Error, Operation, OperationInfo};

/// One of core's six bulk load operations, built with a placeholder body.
pub(crate) trait BulkOperation: Operation<Output = ()> {
    /// The operation with a valid one-entity body.
    fn placeholder(identity_source_id: &str, session_id: &str) -> Self;
}

impl BulkOperation for UploadIdentitySourceDataForUpsert {
    fn placeholder(identity_source_id: &str, session_id: &str) -> Self {
        let user = BulkUpsertRequestBodyProfilesInner::with(
            "x",
            IdentitySourceUserProfileForUpsert::new(),
        );
        Self::new(
            identity_source_id,
            session_id,
            BulkUpsertRequestBody::users(vec![user]),
        )
    }
}

impl BulkOperation for UploadIdentitySourceDataForDelete {
    fn placeholder(identity_source_id: &str, session_id: &str) -> Self {
        Self::new(
            identity_source_id,
            session_id,
            BulkDeleteRequestBody::users(["x"]),
        )
    }
}

impl BulkOperation for UploadIdentitySourceGroupsForUpsert {
    fn placeholder(identity_source_id: &str, session_id: &str) -> Self {
        let group = BulkGroupUpsertRequestBodyProfilesInner::with(
            "x",
            IdentitySourceGroupProfileForUpsert::new().display_name("x"),
        );
        Self::new(
            identity_source_id,
            session_id,
            BulkGroupUpsertRequestBody::new().profiles(vec![group]),
        )
    }
}

impl BulkOperation for UploadIdentitySourceGroupsDataForDelete {
    fn placeholder(identity_source_id: &str, session_id: &str) -> Self {
        Self::new(
            identity_source_id,
            session_id,
            BulkGroupDeleteRequestBody::new().external_ids(vec!["x".to_owned()]),
        )
    }
}

fn membership() -> Vec<IdentitySourceGroupMembershipsUpsertProfileInner> {
    vec![IdentitySourceGroupMembershipsUpsertProfileInner::with(
        "x",
        ["x"],
    )]
}

impl BulkOperation for UploadIdentitySourceGroupMembershipsForUpsert {
    fn placeholder(identity_source_id: &str, session_id: &str) -> Self {
        Self::new(
            identity_source_id,
            session_id,
            BulkGroupMembershipsUpsertRequestBody::new().memberships(membership()),
        )
    }
}

impl BulkOperation for UploadIdentitySourceGroupMembershipsForDelete {
    fn placeholder(identity_source_id: &str, session_id: &str) -> Self {
        Self::new(
            identity_source_id,
            session_id,
            BulkGroupMembershipsDeleteRequestBody::new().memberships(membership()),
        )
    }
}

/// Operation `O` with a prepared body.
pub(crate) struct PreparedLoad<'a, O> {
    identity_source_id: &'a str,
    session_id: &'a str,
    body: Bytes,
    operation: PhantomData<fn() -> O>,
}

impl<'a, O> PreparedLoad<'a, O> {
    pub(crate) fn new(identity_source_id: &'a str, session_id: &'a str, body: Bytes) -> Self {
        Self {
            identity_source_id,
            session_id,
            body,
            operation: PhantomData,
        }
    }
}

impl<O: BulkOperation> Operation for PreparedLoad<'_, O> {
    type Output = ();
    const INFO: OperationInfo = O::INFO;

    fn build(&self, ctx: &ApiContext) -> Result<Request<Bytes>, Error> {
        let mut request = O::placeholder(self.identity_source_id, self.session_id).build(ctx)?;
        request
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(self.body.len()));
        *request.body_mut() = self.body.clone();
        Ok(request)
    }

    fn parse(response: Response<Bytes>) -> Result<(), Error> {
        O::parse(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_idsrc_core::{Credentials, OrgUrl};

    #[test]
    fn the_prepared_body_replaces_the_placeholder() {
        let ctx = ApiContext::new(
            OrgUrl::parse("https://acme.okta.com").unwrap(),
            Some(Credentials::api_token("t")),
        );
        let body = Bytes::from_static(br#"{"externalIds":["g1","g2"]}"#);
        let op = PreparedLoad::<UploadIdentitySourceGroupsDataForDelete>::new(
            "0oa1",
            "aps1",
            body.clone(),
        );
        let request = op.build(&ctx).unwrap();
        assert_eq!(
            request.uri(),
            "https://acme.okta.com/api/v1/identity-sources/0oa1/sessions/aps1/bulk-groups-delete"
        );
        assert_eq!(request.body(), &body);
        assert_eq!(
            request.headers()[CONTENT_LENGTH],
            body.len().to_string().as_str()
        );
        assert_eq!(
            OperationInfo::of(&request).map(|i| i.name),
            Some("uploadIdentitySourceGroupsDataForDelete")
        );
        assert!(request.headers().contains_key(http::header::AUTHORIZATION));
    }
}
