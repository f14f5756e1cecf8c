//! Group memberships (operations 21–23).

use super::*;
use crate::error::{DecodeError, InvalidRequest};
use crate::headers;
use crate::limits::MAX_MEMBERSHIP_PAGE_LIMIT;
use crate::models::{GroupMembershipsResponseSchema, MembershipRequestSchema};
use crate::operation::{request_to, success};
use crate::validate::{ValidationError, Violation};

/// One page of a paged listing, with the `Link` header's cursors.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The page's body.
    pub body: T,
    /// The `rel="next"` link, absent on the last page. Follow it as given.
    pub next: Option<String>,
}

/// `GET /groups/{groupOrExternalId}/membership`: one page of a group's members
/// (`getIdentitySourceGroupMemberships`), the only paged operation.
///
/// The first page is asked for with `after`/`limit`; later pages by following the `next`
/// link of the previous [`Page`] as given ([`from_next_link`](Self::from_next_link)). A next
/// link on another origin than the org is refused, so the token never leaves the org.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GetIdentitySourceGroupMemberships {
    /// The identity source (`0oa…`).
    pub identity_source_id: String,
    /// The Okta group id (`00g…`) or the group's external id.
    pub group_or_external_id: String,
    /// The cursor to start after.
    pub after: Option<String>,
    /// The page size, at most 1000.
    pub limit: Option<u32>,
    /// A `rel="next"` link to follow instead of building the URL.
    pub next_link: Option<String>,
}

impl GetIdentitySourceGroupMemberships {
    /// The first page of `group_or_external_id`'s members.
    pub fn new(
        identity_source_id: impl Into<String>,
        group_or_external_id: impl Into<String>,
    ) -> Self {
        Self {
            identity_source_id: identity_source_id.into(),
            group_or_external_id: group_or_external_id.into(),
            after: None,
            limit: None,
            next_link: None,
        }
    }

    /// The page that `next_link` (a previous page's `next`) points to.
    pub fn from_next_link(
        identity_source_id: impl Into<String>,
        group_or_external_id: impl Into<String>,
        next_link: impl Into<String>,
    ) -> Self {
        let mut op = Self::new(identity_source_id, group_or_external_id);
        op.next_link = Some(next_link.into());
        op
    }

    /// Starts after `cursor`.
    #[must_use]
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.after = Some(cursor.into());
        self
    }

    /// Asks for `limit` members a page (at most 1000).
    #[must_use]
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
}

impl Operation for GetIdentitySourceGroupMemberships {
    type Output = Page<GroupMembershipsResponseSchema>;
    const INFO: OperationInfo = OperationInfo::new(
        "getIdentitySourceGroupMemberships",
        Idempotency::Idempotent,
        RateLimitBucket::General,
    );

    fn build(&self, ctx: &ApiContext) -> Result<Request<Bytes>, Error> {
        let name = Self::INFO.name;
        if let Some(link) = &self.next_link {
            let uri: http::Uri = link
                .parse()
                .map_err(|_| InvalidRequest::new(name, "the next link is not a valid URL"))?;
            if !ctx.org().is_same_origin(&uri) {
                let origin = format!(
                    "{}://{}",
                    uri.scheme_str().unwrap_or("?"),
                    uri.authority().map_or("?", |a| a.as_str())
                );
                return Err(InvalidRequest::new(
                    name,
                    format!(
                        "refusing a next link to {origin}: it is not the org's origin {}",
                        ctx.org()
                    ),
                )
                .into());
            }
            return request_to(ctx, Self::INFO, Method::GET, link, None);
        }
        if let Some(limit) = self.limit
            && (limit == 0 || limit > MAX_MEMBERSHIP_PAGE_LIMIT)
        {
            let v = Violation::new(
                "limit",
                None,
                format!("is {limit}; must be 1 to {MAX_MEMBERSHIP_PAGE_LIMIT}"),
            );
            return Err(ValidationError {
                operation: name,
                violations: vec![v],
            }
            .into());
        }
        let limit = self.limit.map(|l| l.to_string());
        let path = PathBuilder::identity_source(name, &self.identity_source_id)?
            .group(&self.group_or_external_id)?
            .lit("membership")
            .query(&[
                ("after", self.after.as_deref()),
                ("limit", limit.as_deref()),
            ])
            .finish();
        request(ctx, Self::INFO, Method::GET, &path, None)
    }

    fn parse(response: Response<Bytes>) -> Result<Self::Output, Error> {
        let name = Self::INFO.name;
        success(name, &response)?;
        let next = headers::next_link(response.headers()).map_err(|e| {
            Error::from(DecodeError::new(
                name,
                &response,
                format!("bad Link header: {e}"),
            ))
        })?;
        let body = parse_json(name, response)?;
        Ok(Page { body, next })
    }
}

operation! {
    /// `POST /groups/{groupOrExternalId}/membership`: adds a member
    /// (`createIdentitySourceGroupsMemberships`).
    CreateIdentitySourceGroupsMemberships("createIdentitySourceGroupsMemberships", Idempotent, General) -> () {
        /// The Okta group id (`00g…`) or the group's external id.
        group_or_external_id: String,
        /// The member to add.
        body: MembershipRequestSchema,
    }
    build |op, path| (
        Method::POST,
        path.group(&op.group_or_external_id)?.lit("membership").finish(),
        json op.body,
    );
    parse parse_empty;
}

operation! {
    /// `DELETE /groups/{groupOrExternalId}/membership/{memberExternalId}`: removes a member
    /// (`deleteIdentitySourceGroupMemberships`).
    DeleteIdentitySourceGroupMemberships("deleteIdentitySourceGroupMemberships", Idempotent, General) -> () {
        /// The Okta group id (`00g…`) or the group's external id.
        group_or_external_id: String,
        /// The member's external id.
        member_external_id: String,
    }
    build |op, path| (
        Method::DELETE,
        path.group(&op.group_or_external_id)?
            .lit("membership")
            .with("memberExternalId", &op.member_external_id)?
            .finish(),
    );
    parse parse_empty;
}
