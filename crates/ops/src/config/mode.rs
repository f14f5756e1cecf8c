//! [`AuthorizationMode`]: how requests authenticate.

use crate::macros::names;

/// How requests authenticate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthorizationMode {
    /// An API token: `Authorization: SSWS <token>` (the default).
    #[default]
    Ssws,
    /// An OAuth 2.0 access token obtained by the caller: `Authorization: Bearer <token>`.
    Bearer,
    /// An OAuth 2.0 service app: access tokens obtained with the client id and private key
    /// (client credentials, `private_key_jwt`), DPoP-bound (see [`crate::oauth`]).
    PrivateKey,
}

impl AuthorizationMode {
    /// The values accepted, as written in messages.
    pub const ACCEPTED: &'static str = "SSWS, Bearer or PrivateKey";

    /// Parses a mode, ignoring case.
    pub fn parse(value: &str) -> Result<Self, String> {
        let v = value.trim();
        if v.eq_ignore_ascii_case("SSWS") {
            Ok(Self::Ssws)
        } else if v.eq_ignore_ascii_case("Bearer") {
            Ok(Self::Bearer)
        } else if v.eq_ignore_ascii_case("PrivateKey") {
            Ok(Self::PrivateKey)
        } else {
            Err(format!(
                "unknown authorization mode {v:?}; expected {}",
                Self::ACCEPTED
            ))
        }
    }
}

names! {
    /// The mode's name (`SSWS`, `Bearer`, `PrivateKey`).
    AuthorizationMode {
        Ssws => "SSWS",
        Bearer => "Bearer",
        PrivateKey => "PrivateKey",
    }
}
