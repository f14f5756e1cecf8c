//! [`Auth`], how a client authenticates, and [`Authenticated`], the service it makes.

use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::TryFutureExt;
use futures_util::future::{BoxFuture, Either, ErrInto};
use http::{Request, Response};
use okta_idsrc_core::Credentials;
use okta_idsrc_core::transport::BoxError;
use tower::Service;

use crate::oauth::{OAuthConfig, OAuthService};
use crate::service::SendHttpService;

/// How a client authenticates: a static token, or an Okta service app (OAuth 2.0 client
/// credentials with a `private_key_jwt` assertion, and DPoP). The input of
/// [`ClientBuilder::authenticate`](super::ClientBuilder::authenticate).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Auth {
    /// An API token (`SSWS`) or an access token (`Bearer`) on every request.
    Token(Credentials),
    /// An [`OAuthLayer`](crate::oauth::OAuthLayer) gets, renews and sends the access token
    /// (and DPoP proofs).
    OAuth(Box<OAuthConfig>),
}

impl From<Credentials> for Auth {
    fn from(credentials: Credentials) -> Self {
        Self::Token(credentials)
    }
}

impl From<OAuthConfig> for Auth {
    fn from(config: OAuthConfig) -> Self {
        Self::OAuth(Box::new(config))
    }
}

/// The service of a client built with
/// [`authenticate`](super::ClientBuilder::authenticate): the [`OAuthService`] over `S` for a
/// service app, `S` itself for a static token (the client adds the header). Errors are boxed.
#[derive(Debug, Clone)]
pub enum Authenticated<S> {
    /// A service app's.
    OAuth(OAuthService<S>),
    /// A static token's.
    Token(S),
}

impl<S> Service<Request<Bytes>> for Authenticated<S>
where
    S: SendHttpService,
{
    type Response = Response<Bytes>;
    type Error = BoxError;
    type Future =
        Either<BoxFuture<'static, Result<Response<Bytes>, BoxError>>, ErrInto<S::Future, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match self {
            Self::OAuth(s) => s.poll_ready(cx),
            Self::Token(s) => s.poll_ready(cx).map_err(Into::into),
        }
    }

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        match self {
            Self::OAuth(s) => Either::Left(s.call(request)),
            Self::Token(s) => Either::Right(s.call(request).err_into()),
        }
    }
}
