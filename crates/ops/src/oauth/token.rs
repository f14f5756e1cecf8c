//! The token endpoint, sans IO: the client assertion, the form request, and reading the
//! answer into an [`IssuedToken`] or an OAuth error.

use std::fmt;
use std::time::SystemTime;

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Method, Request, Response};
use okta_idsrc_core::headers;
use okta_idsrc_core::headers::DPOP;
use okta_idsrc_jose::{random_id, sha256_b64url, sign_jwt};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Map;

use super::config::OAuthConfig;
use super::dpop::DpopKey;
use super::error::OAuthError;
use okta_idsrc_core::clock::epoch_seconds;
pub(crate) use okta_idsrc_core::oauth::TOKEN_OPERATION;
use okta_idsrc_core::oauth::{TokenRequest, TokenResponse, TokenType, client_assertion_claims};

/// An access token in the cache: the token, how it is sent, its DPoP key, and when to renew.
pub(crate) struct IssuedToken {
    pub(crate) token_type: TokenType,
    /// `Authorization` value, marked sensitive.
    pub(crate) authorization: HeaderValue,
    /// The token's own DPoP key (`None` for a bearer token).
    pub(crate) dpop: Option<DpopKey>,
    /// base64url(SHA-256(token)), the `ath` of resource proofs.
    pub(crate) ath: String,
    pub(crate) renew_at: SystemTime,
    pub(crate) expires_at: SystemTime,
    /// Which issue this is (to invalidate exactly this token).
    pub(crate) serial: u64,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token_type", &self.token_type)
            .field("token", &"<redacted>")
            .field("renew_at", &self.renew_at)
            .field("expires_at", &self.expires_at)
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

/// Builds one token request: a fresh client assertion, and a proof by `dpop` carrying
/// `nonce` when given.
pub(crate) fn token_request(
    config: &OAuthConfig,
    token_url: &str,
    dpop: Option<&DpopKey>,
    nonce: Option<&str>,
    now: SystemTime,
) -> Result<Request<Bytes>, OAuthError> {
    let assertion = client_assertion(config, token_url, now)?;
    let proof = match dpop {
        Some(key) => Some(key.proof(&Method::POST, token_url, now, nonce, None)?),
        None => None,
    };
    TokenRequest {
        token_url,
        scopes: &config.scopes,
        assertion: assertion.expose_secret(),
        dpop_proof: proof.as_deref(),
    }
    .build()
    .map_err(|e| OAuthError::Signing {
        what: "token request",
        message: e.message,
    })
}

/// A header value holding a secret (proof, `Authorization`), marked sensitive.
pub(crate) fn sensitive(value: &str, what: &'static str) -> Result<HeaderValue, OAuthError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| OAuthError::Signing {
        what,
        message: "it cannot be sent in an HTTP header".to_owned(),
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// The client assertion (core's claims with a random `jti`), signed with the app's key
/// (`kid` in the header when the key has one).
pub(crate) fn client_assertion(
    config: &OAuthConfig,
    token_url: &str,
    now: SystemTime,
) -> Result<SecretString, OAuthError> {
    let claims = client_assertion_claims(
        &config.client_id,
        token_url,
        epoch_seconds(now),
        config.assertion_lifetime.as_secs(),
        &random_id(),
    );
    let mut header = Map::new();
    header.insert("typ".into(), "JWT".into());
    sign_jwt(&config.key, header, &claims)
        .map(SecretString::from)
        .map_err(|e| OAuthError::Signing {
            what: "client assertion",
            message: e.to_string(),
        })
}

/// Reads a 2xx token response into a token valid from `now`, bound to `dpop` when the
/// server says `DPoP`.
pub(crate) fn issued_token(
    response: &Response<Bytes>,
    dpop: Option<DpopKey>,
    config: &OAuthConfig,
    now: SystemTime,
    serial: u64,
) -> Result<IssuedToken, OAuthError> {
    let unusable = |message: &str| OAuthError::TokenResponse {
        message: message.to_owned(),
        request_id: headers::request_id(response.headers()).map(str::to_owned),
    };
    let TokenResponse {
        token_type,
        access_token,
        lifetime,
        ..
    } = TokenResponse::parse(response.body()).map_err(|m| unusable(&m))?;
    let dpop =
        match token_type {
            TokenType::Dpop => Some(dpop.ok_or_else(|| {
                unusable("token_type DPoP, but the request carried no DPoP proof")
            })?),
            _ => None,
        };
    let authorization = sensitive(
        &format!("{} {}", token_type.scheme(), access_token.expose_secret()),
        "access token",
    )
    .map_err(|_| unusable("the access_token cannot be sent in an HTTP header"))?;
    let ahead = config.renew_before.min(lifetime / 2);
    Ok(IssuedToken {
        token_type,
        authorization,
        dpop,
        ath: sha256_b64url(access_token.expose_secret().as_bytes()),
        renew_at: now + (lifetime - ahead),
        expires_at: now + lifetime,
        serial,
    })
}

/// Removes any `Authorization` the request came with (an OAuth layer sets its own).
pub(crate) fn clear_authorization(headers: &mut HeaderMap) {
    headers.remove(AUTHORIZATION);
    headers.remove(DPOP);
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_idsrc_jose::{Algorithm, PrivateKey, decode_unverified, verify_jwt};
    use std::time::{Duration, UNIX_EPOCH};

    const URL: &str = "https://acme.okta.com/oauth2/v1/token";

    fn config() -> (OAuthConfig, PrivateKey) {
        let key = PrivateKey::generate_p256().expect("key").with_kid("kid-1");
        (OAuthConfig::new("0oaclient", key.clone()), key)
    }

    #[test]
    fn assertion_claims() {
        let (config, key) = config();
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let a = client_assertion(&config, URL, now).expect("assertion");
        let b = client_assertion(&config, URL, now).expect("assertion");
        let (header, claims) =
            verify_jwt(a.expose_secret(), &key.public_jwk(), &[Algorithm::ES256]).expect("ok");
        assert_eq!(header["kid"], "kid-1");
        assert_eq!(claims["iss"], "0oaclient");
        assert_eq!(claims["sub"], "0oaclient");
        assert_eq!(claims["aud"], URL);
        assert_eq!(claims["iat"], 1_700_000_000);
        assert_eq!(claims["exp"], 1_700_000_300);
        let (_, other) = decode_unverified(b.expose_secret()).expect("decode");
        assert_ne!(claims["jti"], other["jti"], "a fresh jti every time");
    }

    #[test]
    fn request_carries_a_fresh_proof_with_the_nonce() {
        let (config, _) = config();
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let key = DpopKey::generate().expect("key");
        let r = token_request(&config, URL, Some(&key), Some("n-1"), now).expect("request");
        let (_, proof) = decode_unverified(r.headers()[DPOP].to_str().expect("ascii")).expect("p");
        assert_eq!(
            (proof["htu"].as_str(), proof["htm"].as_str()),
            (Some(URL), Some("POST"))
        );
        assert_eq!(proof["nonce"], "n-1");
        assert!(proof.get("ath").is_none());
        let without = token_request(&config, URL, None, None, now).expect("request");
        assert!(without.headers().get(DPOP).is_none());
    }

    #[test]
    fn token_responses() {
        let (config, _) = config();
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let reply = |body: &str| {
            Response::builder()
                .status(200)
                .body(Bytes::from(body.to_owned()))
                .expect("response")
        };
        let key = DpopKey::generate().expect("key");
        let t = issued_token(
            &reply(r#"{"token_type":"DPoP","expires_in":3600,"access_token":"tok","scope":"s"}"#),
            Some(key.clone()),
            &config,
            now,
            1,
        )
        .expect("token");
        assert_eq!(t.token_type, TokenType::Dpop);
        assert_eq!(t.authorization, "DPoP tok");
        assert!(t.authorization.is_sensitive());
        assert_eq!(t.renew_at, now + Duration::from_secs(3540));
        assert_eq!(t.ath, sha256_b64url(b"tok"));
        assert!(!format!("{t:?}").contains("tok\""));
        let t = issued_token(
            &reply(r#"{"token_type":"Bearer","expires_in":10,"access_token":"tok"}"#),
            Some(key.clone()),
            &config,
            now,
            2,
        )
        .expect("token");
        assert_eq!(t.token_type, TokenType::Bearer);
        assert!(t.dpop.is_none());
        assert_eq!(
            t.renew_at,
            now + Duration::from_secs(5),
            "half of a short life"
        );
        let t = issued_token(
            &reply(r#"{"token_type":"bearer","expires_in":"120","access_token":"tok"}"#),
            None,
            &config,
            now,
            3,
        )
        .expect("token");
        assert_eq!(t.expires_at, now + Duration::from_secs(120));
        let e = issued_token(
            &reply(r#"{"token_type":"DPoP","access_token":"tok"}"#),
            None,
            &config,
            now,
            3,
        )
        .expect_err("DPoP without a proof");
        assert!(matches!(e, OAuthError::TokenResponse { .. }));
        for bad in [
            r#"{"token_type":"MAC","access_token":"tok"}"#,
            r#"{"token_type":"Bearer","access_token":""}"#,
            r#"{"token_type":"Bearer","access_token":"a\nb"}"#,
            "not json",
        ] {
            let e = issued_token(&reply(bad), Some(key.clone()), &config, now, 4)
                .expect_err("unusable");
            assert!(!e.to_string().contains("a\nb"), "{e}");
        }
    }
}
