//! The small JOSE subset okta-idsrc needs for Okta's OAuth 2.0 service apps and DPoP:
//! compact JWS signing and verification (RS256/384/512, ES256/384), public JWKs with RFC 7638
//! thumbprints, private keys from PEM (PKCS#1, PKCS#8, SEC1) or JWK, and ephemeral P-256 keys.
//!
//! Built on `ring`, the crypto provider rustls already uses in this workspace: no second
//! crypto stack. Private keys never appear in `Debug` or errors.
//!
//! ```
//! use okta_idsrc_jose::{Algorithm, PrivateKey, sign_jwt, verify_jwt};
//!
//! let key = PrivateKey::generate_p256().unwrap();
//! let jwt = sign_jwt(&key, serde_json::Map::new(), &serde_json::json!({"sub": "me"})).unwrap();
//! let (header, claims) = verify_jwt(&jwt, &key.public_jwk(), &[Algorithm::ES256]).unwrap();
//! assert_eq!(header["alg"], "ES256");
//! assert_eq!(claims["sub"], "me");
//! ```

mod der;
mod jwk;
mod key;
mod load;

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SecureRandom as _;
use serde_json::{Map, Value};

pub use jwk::Jwk;
pub use key::PrivateKey;
pub use load::{KeyError, load_private_key};

/// A JOSE failure. Messages never contain key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JoseError(pub String);

impl JoseError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// A JWS signature algorithm this crate supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
}

impl Algorithm {
    /// Every supported algorithm.
    pub const ALL: [Algorithm; 5] = [
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::ES256,
        Self::ES384,
    ];

    /// The `alg` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
        }
    }

    /// Whether this is an RSA algorithm.
    pub fn is_rsa(self) -> bool {
        matches!(self, Self::RS256 | Self::RS384 | Self::RS512)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = JoseError;
    fn from_str(s: &str) -> Result<Self, JoseError> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| JoseError::new(format!("unsupported JWS algorithm {s:?}")))
    }
}

/// Base64url without padding.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding.
pub fn b64url_decode(text: &str) -> Result<Vec<u8>, JoseError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| JoseError::new("invalid base64url"))
}

/// Base64url of the SHA-256 of `data` (a DPoP proof's `ath`).
pub fn sha256_b64url(data: &[u8]) -> String {
    b64url(ring::digest::digest(&ring::digest::SHA256, data).as_ref())
}

/// 128 random bits, base64url (for `jti` values and nonces).
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random generator works");
    b64url(&bytes)
}

/// Signs a compact JWS: `header` (with `alg`, and `kid` when the key has one, unless given)
/// and `claims`.
pub fn sign_jwt(
    key: &PrivateKey,
    mut header: Map<String, Value>,
    claims: &Value,
) -> Result<String, JoseError> {
    header
        .entry("alg")
        .or_insert_with(|| Value::String(key.algorithm().as_str().to_owned()));
    if let Some(kid) = key.kid() {
        header
            .entry("kid")
            .or_insert_with(|| Value::String(kid.to_owned()));
    }
    let header = serde_json::to_vec(&header).map_err(|e| JoseError::new(e.to_string()))?;
    let claims = serde_json::to_vec(claims).map_err(|e| JoseError::new(e.to_string()))?;
    let mut jwt = format!("{}.{}", b64url(&header), b64url(&claims));
    let signature = key.sign(jwt.as_bytes())?;
    jwt.push('.');
    jwt.push_str(&b64url(&signature));
    Ok(jwt)
}

/// The parts of a compact JWS.
struct Parts<'a> {
    signing_input: &'a str,
    header: Map<String, Value>,
    claims: Value,
    signature: Vec<u8>,
}

fn split(token: &str) -> Result<Parts<'_>, JoseError> {
    let mut it = token.splitn(3, '.');
    let (Some(h), Some(c), Some(s)) = (it.next(), it.next(), it.next()) else {
        return Err(JoseError::new(
            "not a compact JWS (expected three dot-separated parts)",
        ));
    };
    if s.contains('.') {
        return Err(JoseError::new("not a compact JWS (too many parts)"));
    }
    let header: Map<String, Value> = serde_json::from_slice(&b64url_decode(h)?)
        .map_err(|_| JoseError::new("the JWS header is not a JSON object"))?;
    let claims: Value = serde_json::from_slice(&b64url_decode(c)?)
        .map_err(|_| JoseError::new("the JWS payload is not JSON"))?;
    Ok(Parts {
        signing_input: &token[..h.len() + 1 + c.len()],
        header,
        claims,
        signature: b64url_decode(s)?,
    })
}

/// The header and claims of a compact JWS, without checking its signature.
pub fn decode_unverified(token: &str) -> Result<(Map<String, Value>, Value), JoseError> {
    let parts = split(token)?;
    Ok((parts.header, parts.claims))
}

/// Verifies a compact JWS with `key`, accepting only `allowed` algorithms; returns its header
/// and claims.
pub fn verify_jwt(
    token: &str,
    key: &Jwk,
    allowed: &[Algorithm],
) -> Result<(Map<String, Value>, Value), JoseError> {
    let parts = split(token)?;
    let alg: Algorithm = parts
        .header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or_else(|| JoseError::new("the JWS header has no alg"))?
        .parse()?;
    if !allowed.contains(&alg) {
        return Err(JoseError::new(format!(
            "the JWS algorithm {alg} is not allowed"
        )));
    }
    key.verify(alg, parts.signing_input.as_bytes(), &parts.signature)?;
    Ok((parts.header, parts.claims))
}
