//! DPoP proofs (RFC 9449 as Okta applies it): one fresh proof per HTTP attempt, signed with
//! the token's own ephemeral P-256 key.

use std::time::SystemTime;

use http::{Method, Uri};
use okta_idsrc_core::clock::epoch_seconds;
use okta_idsrc_jose::{PrivateKey, random_id, sign_jwt};
use serde_json::{Map, Value, json};

use super::error::OAuthError;

/// The `htu` of a request to `uri`: scheme and authority (lowercased, default port left
/// out) and the **percent-decoded** path, as Okta compares it; no query, no fragment.
/// `None` for a URI without a scheme or authority.
///
/// ```
/// let uri: http::Uri = "https://ACME.okta.com:443/api/v1/identity-sources/0oa1/users/a%40b?limit=2".parse().unwrap();
/// assert_eq!(
///     okta_idsrc_ops::oauth::htu(&uri).as_deref(),
///     Some("https://acme.okta.com/api/v1/identity-sources/0oa1/users/a@b")
/// );
/// ```
pub fn htu(uri: &Uri) -> Option<String> {
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let authority = uri.authority()?;
    let host = authority.host().to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    };
    let port = authority.port_u16().filter(|p| Some(*p) != default_port);
    let path = percent_encoding::percent_decode_str(uri.path()).decode_utf8_lossy();
    let path = if path.is_empty() { "/" } else { &path };
    Some(match port {
        Some(port) => format!("{scheme}://{host}:{port}{path}"),
        None => format!("{scheme}://{host}{path}"),
    })
}

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
        let mut claims = json!({
            "jti": random_id(),
            "htm": method.as_str(),
            "htu": htu,
            "iat": epoch_seconds(now),
        });
        if let Some(nonce) = nonce {
            claims["nonce"] = Value::from(nonce);
        }
        if let Some(ath) = ath {
            claims["ath"] = Value::from(ath);
        }
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
    fn htu_normalizes_and_decodes() {
        let cases = [
            (
                "https://acme.okta.com/api/v1/x",
                "https://acme.okta.com/api/v1/x",
            ),
            ("https://acme.okta.com", "https://acme.okta.com/"),
            (
                "http://127.0.0.1:8080/a%20b?x=1",
                "http://127.0.0.1:8080/a b",
            ),
            ("HTTP://LocalHost:80/p", "http://localhost/p"),
            (
                "https://acme.okta.com:8443/u/%E2%9C%93%40",
                "https://acme.okta.com:8443/u/✓@",
            ),
        ];
        for (uri, want) in cases {
            let uri: Uri = uri.parse().expect("uri");
            assert_eq!(htu(&uri).as_deref(), Some(want));
        }
        assert_eq!(htu(&"/relative".parse().expect("uri")), None);
    }

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
