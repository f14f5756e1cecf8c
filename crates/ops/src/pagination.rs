//! Group memberships (`getIdentitySourceGroupMemberships`, the only paged operation) as
//! streams of pages and of member external ids.
//!
//! - Each page's `rel="next"` link is followed as given; core refuses a link to another
//!   origin than the org (the token must not leave it), and that error is yielded.
//! - A next link that was already followed is an error (a server repeating a cursor would
//!   otherwise loop forever).
//! - A failed page is an `Err` item, never a silent end of the listing; the stream ends
//!   after it.
//! - The cursor is exposed so that a listing can resume: every [`Page`] carries its `next`
//!   link, [`MembershipPager::next_link`] is the link the next page comes from, and
//!   [`MembershipPager::resume_from`] starts from one.
//!
//! ```no_run
//! use std::pin::pin;
//! use futures_util::TryStreamExt;
//!
//! # async fn run(client: okta_idsrc_ops::Client) -> Result<(), okta_idsrc_core::Error> {
//! let mut members = pin!(client.memberships("0oa1234567890abcdefg", "engineering", Some(500)));
//! while let Some(external_id) = members.try_next().await? {
//!     println!("{external_id}");
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::HashSet;
use std::fmt;

use futures_util::stream::{self, Stream, TryStreamExt};
use okta_idsrc_core::models::GroupMembershipsResponseSchema;
use okta_idsrc_core::operations::{GetIdentitySourceGroupMemberships, Page};
use okta_idsrc_core::{Error, InvalidRequest, Operation};

use crate::client::{Client, IdentitySource};
use crate::service::HttpService;

/// One page of a group's members.
pub type MembershipPage = Page<GroupMembershipsResponseSchema>;

/// Where a [`MembershipPager`] stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cursor {
    /// Before the first page, which is asked for with `after` and `limit`.
    Start { after: Option<String> },
    /// The next page comes from this link.
    Next(String),
    /// The last page said to go to an already followed link: the next call fails.
    Repeated(String),
    /// Past the last page.
    Done,
}

/// Walks a group's members page by page, following each page's `rel="next"` link.
///
/// Use [`next_page`](Self::next_page) directly, or turn the pager into a stream of pages
/// ([`pages`](Self::pages)) or of member external ids ([`items`](Self::items)). After a
/// failed [`next_page`](Self::next_page) the pager stays where it was, so calling it again
/// retries the same page; [`next_link`](Self::next_link) is the cursor to save, and
/// [`resume_from`](Self::resume_from) continues a saved listing.
pub struct MembershipPager<S> {
    client: Client<S>,
    identity_source_id: String,
    group_or_external_id: String,
    limit: Option<u32>,
    cursor: Cursor,
    followed: HashSet<String>,
}

impl<S> fmt::Debug for MembershipPager<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MembershipPager")
            .field("identity_source_id", &self.identity_source_id)
            .field("group_or_external_id", &self.group_or_external_id)
            .field("limit", &self.limit)
            .field("cursor", &self.cursor)
            .finish_non_exhaustive()
    }
}

impl<S> MembershipPager<S> {
    /// A pager over the members of `group_or_external_id` (Okta id `00g…` or external id),
    /// starting at the first page.
    pub fn new(
        client: Client<S>,
        identity_source_id: impl Into<String>,
        group_or_external_id: impl Into<String>,
    ) -> Self {
        Self {
            client,
            identity_source_id: identity_source_id.into(),
            group_or_external_id: group_or_external_id.into(),
            limit: None,
            cursor: Cursor::Start { after: None },
            followed: HashSet::new(),
        }
    }

    /// Asks for `limit` members a page (1 to 1000) on the first page; later pages follow
    /// the server's links, which carry the limit.
    #[must_use]
    pub fn limit(mut self, limit: impl Into<Option<u32>>) -> Self {
        self.limit = limit.into();
        self
    }

    /// Starts the first page after `cursor` (an `after` value).
    #[must_use]
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Cursor::Start {
            after: Some(cursor.into()),
        };
        self
    }

    /// Continues a listing from `next_link`: a page's [`next`](Page::next) or a saved
    /// [`next_link`](Self::next_link). The link is followed as given (and refused if it is
    /// not on the org's origin).
    #[must_use]
    pub fn resume_from(mut self, next_link: impl Into<String>) -> Self {
        let link = next_link.into();
        self.followed.clear();
        self.cursor = Cursor::Next(link);
        self
    }

    /// The link the next page will be fetched from: the cursor to save to resume later.
    /// `None` before the first page and after the last one.
    pub fn next_link(&self) -> Option<&str> {
        match &self.cursor {
            Cursor::Next(link) | Cursor::Repeated(link) => Some(link),
            Cursor::Start { .. } | Cursor::Done => None,
        }
    }

    /// Whether the last page has been read.
    pub fn is_done(&self) -> bool {
        self.cursor == Cursor::Done
    }
}

impl<S> MembershipPager<S>
where
    S: HttpService,
{
    /// Fetches the next page: `Ok(None)` after the last one.
    ///
    /// Fails when the page fails (the pager stays put: calling again retries it), when the
    /// next link is on another origin than the org, and when the server repeats a next link
    /// that was already followed (then the listing is over).
    pub async fn next_page(&mut self) -> Result<Option<MembershipPage>, Error> {
        let op = match &self.cursor {
            Cursor::Done => return Ok(None),
            Cursor::Repeated(link) => {
                let error = repeated_cursor(link);
                self.cursor = Cursor::Done;
                return Err(error);
            }
            Cursor::Start { after } => {
                let mut op = GetIdentitySourceGroupMemberships::new(
                    self.identity_source_id.as_str(),
                    self.group_or_external_id.as_str(),
                );
                if let Some(after) = after {
                    op = op.after(after.as_str());
                }
                if let Some(limit) = self.limit {
                    op = op.limit(limit);
                }
                op
            }
            Cursor::Next(link) => GetIdentitySourceGroupMemberships::from_next_link(
                self.identity_source_id.as_str(),
                self.group_or_external_id.as_str(),
                link.as_str(),
            ),
        };
        let page = self.client.send(&op).await?;
        if let Cursor::Next(link) = &self.cursor {
            self.followed.insert(link.clone());
        }
        self.cursor = match &page.next {
            None => Cursor::Done,
            Some(next) if self.followed.contains(next) => Cursor::Repeated(next.clone()),
            Some(next) => Cursor::Next(next.clone()),
        };
        Ok(Some(page))
    }

    /// The pages, in order. A failed page is an `Err` item, after which the stream ends.
    /// Pin it (`std::pin::pin!`) to call `try_next`.
    pub fn pages(self) -> impl Stream<Item = Result<MembershipPage, Error>> {
        stream::try_unfold(self, |mut pager| async move {
            Ok(pager.next_page().await?.map(|page| (page, pager)))
        })
    }

    /// The members' external ids, page after page. A failed page is an `Err` item, after
    /// which the stream ends. Pin it (`std::pin::pin!`) to call `try_next`.
    pub fn items(self) -> impl Stream<Item = Result<String, Error>> {
        self.pages()
            .map_ok(|page| {
                stream::iter(
                    page.body
                        .member_external_ids
                        .unwrap_or_default()
                        .into_iter()
                        .map(Ok),
                )
            })
            .try_flatten()
    }
}

/// The error for a next link that was already followed.
fn repeated_cursor(link: &str) -> Error {
    InvalidRequest::new(
        GetIdentitySourceGroupMemberships::INFO.name,
        format!(
            "the server repeated the next link {link:?}, already followed; stopping the listing"
        ),
    )
    .into()
}

impl<S> Client<S>
where
    S: HttpService,
{
    /// A [`MembershipPager`] over the members of `group_or_external_id`.
    pub fn membership_pager(
        &self,
        identity_source_id: impl Into<String>,
        group_or_external_id: impl Into<String>,
    ) -> MembershipPager<S> {
        MembershipPager::new(self.clone(), identity_source_id, group_or_external_id)
    }

    /// The pages of a group's members, `limit` a page (1 to 1000; `None`: the server's
    /// default). See [`MembershipPager::pages`].
    pub fn memberships_pages<I: Into<String>, G: Into<String>>(
        &self,
        identity_source_id: I,
        group_or_external_id: G,
        limit: Option<u32>,
    ) -> impl Stream<Item = Result<MembershipPage, Error>> + use<S, I, G> {
        self.membership_pager(identity_source_id, group_or_external_id)
            .limit(limit)
            .pages()
    }

    /// A group's members' external ids, fetched `limit` a page. See
    /// [`MembershipPager::items`].
    pub fn memberships<I: Into<String>, G: Into<String>>(
        &self,
        identity_source_id: I,
        group_or_external_id: G,
        limit: Option<u32>,
    ) -> impl Stream<Item = Result<String, Error>> + use<S, I, G> {
        self.membership_pager(identity_source_id, group_or_external_id)
            .limit(limit)
            .items()
    }
}

impl<S> IdentitySource<S>
where
    S: HttpService,
{
    /// A [`MembershipPager`] over the members of `group_or_external_id`.
    pub fn membership_pager(&self, group_or_external_id: impl Into<String>) -> MembershipPager<S> {
        self.client()
            .membership_pager(self.id(), group_or_external_id)
    }

    /// The pages of a group's members; see [`Client::memberships_pages`].
    pub fn memberships_pages<G: Into<String>>(
        &self,
        group_or_external_id: G,
        limit: Option<u32>,
    ) -> impl Stream<Item = Result<MembershipPage, Error>> + use<S, G> {
        self.membership_pager(group_or_external_id)
            .limit(limit)
            .pages()
    }

    /// A group's members' external ids; see [`Client::memberships`].
    pub fn memberships<G: Into<String>>(
        &self,
        group_or_external_id: G,
        limit: Option<u32>,
    ) -> impl Stream<Item = Result<String, Error>> + use<S, G> {
        self.membership_pager(group_or_external_id)
            .limit(limit)
            .items()
    }
}
