//! Private signing keys.

use std::fmt;
use std::sync::Arc;

use ring::rand::SystemRandom;
use ring::rsa::{KeyPairComponents, PublicKeyComponents};
use ring::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject as _;
use serde_json::Value;

use crate::{Algorithm, JoseError, Jwk, b64url_decode, der};

enum Inner {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// A private key that signs JWS: RSA (RS256/384/512) or EC (ES256 on P-256, ES384 on P-384).
/// Cheap to clone; `Debug` shows the algorithm and key id, never the key.
#[derive(Clone)]
pub struct PrivateKey {
    inner: Arc<Inner>,
    algorithm: Algorithm,
    kid: Option<String>,
}

fn rejected(what: &str) -> impl FnOnce(ring::error::KeyRejected) -> JoseError + '_ {
    move |e| JoseError::new(format!("the {what} private key was rejected: {e}"))
}

fn ec_alg(alg: Algorithm) -> &'static signature::EcdsaSigningAlgorithm {
    match alg {
        Algorithm::ES384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        _ => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
    }
}

impl PrivateKey {
    fn rsa(kp: RsaKeyPair) -> Self {
        Self {
            inner: Arc::new(Inner::Rsa(kp)),
            algorithm: Algorithm::RS256,
            kid: None,
        }
    }

    fn ec(kp: EcdsaKeyPair, algorithm: Algorithm) -> Self {
        Self {
            inner: Arc::new(Inner::Ec(kp)),
            algorithm,
            kid: None,
        }
    }

    fn ec_from_parts(private: &[u8], public: &[u8]) -> Result<Self, JoseError> {
        let alg = match private.len() {
            32 => Algorithm::ES256,
            48 => Algorithm::ES384,
            n => {
                return Err(JoseError::new(format!(
                    "unsupported EC private key size ({n} bytes); P-256 and P-384 are supported"
                )));
            }
        };
        let kp = EcdsaKeyPair::from_private_key_and_public_key(
            ec_alg(alg),
            private,
            public,
            &SystemRandom::new(),
        )
        .map_err(rejected("EC"))?;
        Ok(Self::ec(kp, alg))
    }

    /// A fresh P-256 key (ES256), e.g. an ephemeral DPoP key.
    pub fn generate_p256() -> Result<Self, JoseError> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| JoseError::new("cannot generate a P-256 key"))?;
        let kp = EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            pkcs8.as_ref(),
            &rng,
        )
        .map_err(rejected("generated"))?;
        Ok(Self::ec(kp, Algorithm::ES256))
    }

    /// Reads a PEM private key: PKCS#1 (`RSA PRIVATE KEY`), PKCS#8 (`PRIVATE KEY`, RSA or EC)
    /// or SEC1 (`EC PRIVATE KEY`, with its public key).
    pub fn from_pem(pem: &str) -> Result<Self, JoseError> {
        let der = PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|_| {
            JoseError::new("no PEM private key found (expected PKCS#1, PKCS#8 or SEC1)")
        })?;
        match der {
            PrivateKeyDer::Pkcs1(k) => Ok(Self::rsa(
                RsaKeyPair::from_der(k.secret_pkcs1_der()).map_err(rejected("RSA"))?,
            )),
            PrivateKeyDer::Pkcs8(k) => {
                let bytes = k.secret_pkcs8_der();
                if let Ok(kp) = RsaKeyPair::from_pkcs8(bytes) {
                    return Ok(Self::rsa(kp));
                }
                let rng = SystemRandom::new();
                for alg in [Algorithm::ES256, Algorithm::ES384] {
                    if let Ok(kp) = EcdsaKeyPair::from_pkcs8(ec_alg(alg), bytes, &rng) {
                        return Ok(Self::ec(kp, alg));
                    }
                }
                Err(JoseError::new(
                    "the PKCS#8 key is neither RSA nor EC P-256/P-384",
                ))
            }
            PrivateKeyDer::Sec1(k) => {
                let (private, public) = der::sec1_private_key(k.secret_sec1_der())?;
                Self::ec_from_parts(&private, &public)
            }
            _ => Err(JoseError::new("unsupported private key format")),
        }
    }

    /// Reads a private JWK as Okta's admin console hands it out (RSA with `d`, `p`, `q`, `dp`,
    /// `dq`, `qi`; or EC with `d`, `x`, `y`). Its `kid` and `alg` are kept.
    pub fn from_jwk_json(json: &str) -> Result<Self, JoseError> {
        let v: Value = serde_json::from_str(json)
            .map_err(|_| JoseError::new("the private JWK is not valid JSON"))?;
        let member = |name: &str| -> Result<Vec<u8>, JoseError> {
            let text = v
                .get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| JoseError::new(format!("the private JWK has no {name}")))?;
            b64url_decode(text)
                .map_err(|_| JoseError::new(format!("the private JWK's {name} is not base64url")))
        };
        let mut key = match v.get("kty").and_then(Value::as_str) {
            Some("RSA") => {
                let components = KeyPairComponents {
                    public_key: PublicKeyComponents {
                        n: member("n")?,
                        e: member("e")?,
                    },
                    d: member("d")?,
                    p: member("p")?,
                    q: member("q")?,
                    dP: member("dp")?,
                    dQ: member("dq")?,
                    qInv: member("qi")?,
                };
                Self::rsa(RsaKeyPair::from_components(&components).map_err(rejected("RSA"))?)
            }
            Some("EC") => {
                let (x, y) = (member("x")?, member("y")?);
                let mut point = vec![4u8];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Self::ec_from_parts(&member("d")?, &point)?
            }
            _ => return Err(JoseError::new("the private JWK's kty must be RSA or EC")),
        };
        if let Some(alg) = v.get("alg").and_then(Value::as_str) {
            key = key.with_algorithm(alg.parse()?)?;
        }
        if let Some(kid) = v.get("kid").and_then(Value::as_str) {
            key = key.with_kid(kid);
        }
        Ok(key)
    }

    /// Sets the key id (`kid` header of signed tokens).
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Chooses the algorithm: RS256/384/512 for RSA keys; an EC key's is fixed by its curve.
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Result<Self, JoseError> {
        let ok = match &*self.inner {
            Inner::Rsa(_) => algorithm.is_rsa(),
            Inner::Ec(_) => algorithm == self.algorithm,
        };
        if !ok {
            return Err(JoseError::new(format!("{algorithm} does not fit this key")));
        }
        self.algorithm = algorithm;
        Ok(self)
    }

    /// The key id, if set.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The signing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The public half as a JWK (with `kid` when set).
    pub fn public_jwk(&self) -> Jwk {
        let mut jwk = match &*self.inner {
            Inner::Rsa(kp) => {
                let c = PublicKeyComponents::<Vec<u8>>::from(kp.public());
                Jwk::from_rsa(&c.n, &c.e)
            }
            Inner::Ec(kp) => {
                let crv = if self.algorithm == Algorithm::ES384 {
                    "P-384"
                } else {
                    "P-256"
                };
                Jwk::from_ec_point(crv, kp.public_key().as_ref())
            }
        };
        jwk.kid = self.kid.clone();
        jwk
    }

    /// Signs `message` (a JWS signing input) with the key's algorithm.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, JoseError> {
        let rng = SystemRandom::new();
        let failed = |_| JoseError::new("signing failed");
        match &*self.inner {
            Inner::Rsa(kp) => {
                let padding: &'static dyn signature::RsaEncoding = match self.algorithm {
                    Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0; kp.public().modulus_len()];
                kp.sign(padding, &rng, message, &mut sig).map_err(failed)?;
                Ok(sig)
            }
            Inner::Ec(kp) => Ok(kp.sign(&rng, message).map_err(failed)?.as_ref().to_vec()),
        }
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .field("key", &"<redacted>")
            .finish()
    }
}
