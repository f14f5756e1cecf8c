//! Public JSON Web Keys (RFC 7517) and their thumbprints (RFC 7638).

use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

use crate::{Algorithm, JoseError, b64url, b64url_decode};

/// A public JWK: RSA (`n`, `e`) or EC (`crv`, `x`, `y`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type: `RSA` or `EC`.
    pub kty: String,
    /// EC curve: `P-256` or `P-384`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// RSA modulus, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Intended algorithm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Intended use (`sig`).
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
}

impl Jwk {
    fn member<'a>(&self, name: &str, value: &'a Option<String>) -> Result<&'a str, JoseError> {
        value
            .as_deref()
            .ok_or_else(|| JoseError::new(format!("the {} JWK has no {name}", self.kty)))
    }

    /// The RFC 7638 SHA-256 thumbprint, base64url (what `cnf.jkt` holds).
    pub fn thumbprint(&self) -> Result<String, JoseError> {
        let canonical = match self.kty.as_str() {
            "EC" => format!(
                r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                self.member("crv", &self.crv)?,
                self.member("x", &self.x)?,
                self.member("y", &self.y)?
            ),
            "RSA" => format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                self.member("e", &self.e)?,
                self.member("n", &self.n)?
            ),
            other => {
                return Err(JoseError::new(format!(
                    "unsupported JWK key type {other:?}"
                )));
            }
        };
        Ok(crate::sha256_b64url(canonical.as_bytes()))
    }

    /// An EC JWK from an uncompressed point (`04 || x || y`).
    pub(crate) fn from_ec_point(crv: &str, point: &[u8]) -> Self {
        let half = (point.len() - 1) / 2;
        Self::base("EC", |j| {
            j.crv = Some(crv.to_owned());
            j.x = Some(b64url(&point[1..1 + half]));
            j.y = Some(b64url(&point[1 + half..]));
        })
    }

    /// An RSA JWK from its modulus and exponent (big-endian).
    pub(crate) fn from_rsa(n: &[u8], e: &[u8]) -> Self {
        Self::base("RSA", |j| {
            j.n = Some(b64url(n));
            j.e = Some(b64url(e));
        })
    }

    fn base(kty: &str, fill: impl FnOnce(&mut Jwk)) -> Self {
        let mut j = Jwk {
            kty: kty.to_owned(),
            crv: None,
            x: None,
            y: None,
            n: None,
            e: None,
            kid: None,
            alg: None,
            use_: None,
        };
        fill(&mut j);
        j
    }

    /// The uncompressed EC point of an EC JWK.
    fn ec_point(&self, crv: &str) -> Result<Vec<u8>, JoseError> {
        if self.kty != "EC" || self.crv.as_deref() != Some(crv) {
            return Err(JoseError::new(format!("the key is not an EC {crv} key")));
        }
        let (x, y) = (
            b64url_decode(self.member("x", &self.x)?)?,
            b64url_decode(self.member("y", &self.y)?)?,
        );
        let mut point = Vec::with_capacity(1 + x.len() + y.len());
        point.push(4);
        point.extend_from_slice(&x);
        point.extend_from_slice(&y);
        Ok(point)
    }

    /// Verifies `signature` over `message` with this key and `alg`.
    pub fn verify(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), JoseError> {
        let bad = |_| JoseError::new("the signature does not verify");
        if alg.is_rsa() {
            if self.kty != "RSA" {
                return Err(JoseError::new(format!("{alg} needs an RSA key")));
            }
            let n = b64url_decode(self.member("n", &self.n)?)?;
            let e = b64url_decode(self.member("e", &self.e)?)?;
            let params = match alg {
                Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                _ => &signature::RSA_PKCS1_2048_8192_SHA512,
            };
            return RsaPublicKeyComponents { n, e }
                .verify(params, message, signature)
                .map_err(bad);
        }
        let (crv, params) = match alg {
            Algorithm::ES256 => ("P-256", &signature::ECDSA_P256_SHA256_FIXED),
            _ => ("P-384", &signature::ECDSA_P384_SHA384_FIXED),
        };
        UnparsedPublicKey::new(params, self.ec_point(crv)?)
            .verify(message, signature)
            .map_err(bad)
    }
}
