//! OAuth 2.0 and DPoP as Okta applies them, sans IO (`docs/okta-behavior.md#oauth-20-service-apps-and-dpop`):
//! the error codes and typed failures, `WWW-Authenticate` challenges, the token request
//! and the claims the client signs, and the token endpoint's answers. The client's OAuth layer (in `okta-idsrc-ops`) signs and sends; this
//! module only reads.

mod challenge;
mod failure;
mod request;
mod token;

pub use challenge::{AuthChallenge, ChallengeParseError};
pub use failure::{ClockSkew, ErrorCode, OAuthFailure};
pub use request::{
    CLIENT_ASSERTION_TYPE, TOKEN_OPERATION, TokenRequest, client_assertion_claims,
    dpop_proof_claims, htu,
};
pub use token::{DEFAULT_TOKEN_LIFETIME, TokenResponse, TokenType, dpop_nonce};
