//! DPoP proofs (RFC 9449 as Okta applies it): one fresh proof per HTTP attempt, signed with
//! the token's own ephemeral P-256 key.

use std::time::SystemTime;

use http::Method;
use okta_idsrc_core::clock::epoch_seconds;
use okta_idsrc_core::oauth::dpop_proof_claims;
use okta_idsrc_jose::{PrivateKey, random_id, sign_jwt};
use serde_json::{Map, Value};

use super::error::OAuthError;

/// The DPoP key of one access token: an ephemeral P-256 key and its public JWK, ready for
/// proof headers.
#[derive(Clone)]
pub(crate) struct DpopKey {
    key: PrivateKey,
    jwk: Value,
}

impl DpopKey {
    /// A fresh key.
    pub(crate) fn generate() -> Result<Self, OAuthError> {
        let key = PrivateKey::generate_p256().map_err(|e| OAuthError::Signing {
            what: "DPoP proof",
            message: e.to_string(),
        })?;
        let jwk = serde_json::to_value(key.public_jwk()).map_err(|e| OAuthError::Signing {
            what: "DPoP proof",
            message: e.to_string(),
        })?;
        Ok(Self { key, jwk })
    }

    /// A proof for one attempt: `htm` `method`, `htu` `htu`, `iat` `now`, a fresh `jti`, and
    /// `nonce` and `ath` when given.
    pub(crate) fn proof(
        &self,
        method: &Method,
        htu: &str,
        now: SystemTime,
        nonce: Option<&str>,
        ath: Option<&str>,
    ) -> Result<String, OAuthError> {
        let mut header = Map::new();
        header.insert("typ".into(), Value::from("dpop+jwt"));
        header.insert("jwk".into(), self.jwk.clone());
        let claims = dpop_proof_claims(method, htu, epoch_seconds(now), &random_id(), nonce, ath);
        sign_jwt(&self.key, header, &claims).map_err(|e| OAuthError::Signing {
            what: "DPoP proof",
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_idsrc_jose::{Algorithm, Jwk, decode_unverified, verify_jwt};

    #[test]
    fn proofs_are_fresh_and_public() {
        let key = DpopKey::generate().expect("key");
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let a = key
            .proof(&Method::POST, "https://x/t", now, Some("n1"), Some("ath1"))
            .expect("proof");
        let b = key
            .proof(&Method::POST, "https://x/t", now, None, None)
            .expect("proof");
        let (header, claims) = decode_unverified(&a).expect("decode");
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert!(header.get("kid").is_none());
        let jwk: Jwk = serde_json::from_value(header["jwk"].clone()).expect("jwk");
        assert_eq!(jwk.kty, "EC");
        assert!(
            header["jwk"].get("d").is_none(),
            "the private part never travels"
        );
        verify_jwt(&a, &jwk, &[Algorithm::ES256]).expect("verifies");
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["htu"], "https://x/t");
        assert_eq!(claims["iat"], 1_700_000_000);
        assert_eq!(claims["nonce"], "n1");
        assert_eq!(claims["ath"], "ath1");
        let (_, other) = decode_unverified(&b).expect("decode");
        assert_ne!(claims["jti"], other["jti"]);
        assert!(other.get("nonce").is_none() && other.get("ath").is_none());
    }
}
