//! Reading the service app's private key: PEM text, a JWK as Okta's admin console hands it
//! out, or a path to a file holding either.

use std::io;
use std::path::Path;

use crate::PrivateKey;

/// A private key that cannot be loaded. Messages never quote the key (nor the value given,
/// which may be a mis-pasted key).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The value is neither PEM nor a JWK, and no file by that name can be read.
    #[error(
        "the private key is neither PEM text (-----BEGIN …), a JWK ({{…}}) nor a readable file"
    )]
    Read {
        /// Why the file could not be read.
        #[source]
        source: io::Error,
    },
    /// PEM or JWK text that does not hold a usable key.
    #[error("the private key {what} cannot be used: {message}")]
    Invalid {
        /// `PEM`, `JWK`, or `file` and its kind.
        what: &'static str,
        /// Why (never key material).
        message: String,
    },
}

/// Loads a private key from `value`: PEM text (PKCS#1 `RSA PRIVATE KEY`, PKCS#8
/// `PRIVATE KEY`, SEC1 `EC PRIVATE KEY`), a private JWK (JSON, as Okta's admin console
/// gives it, `kid` kept), or else the path of a file holding either.
///
/// ```
/// use okta_idsrc_jose::load_private_key;
///
/// let err = load_private_key("/nonexistent/key.pem").unwrap_err();
/// assert!(err.to_string().contains("neither PEM text"));
/// let err = load_private_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").unwrap_err();
/// assert!(err.to_string().starts_with("the private key PEM cannot be used"));
/// ```
pub fn load_private_key(value: &str) -> Result<PrivateKey, KeyError> {
    if let Some(key) = parse_inline(value) {
        return key;
    }
    let text = std::fs::read_to_string(Path::new(value.trim()))
        .map_err(|source| KeyError::Read { source })?;
    match parse_inline(&text) {
        Some(Ok(key)) => Ok(key),
        Some(Err(KeyError::Invalid { what, message })) => Err(KeyError::Invalid {
            what: if what == "PEM" {
                "file (PEM)"
            } else {
                "file (JWK)"
            },
            message,
        }),
        Some(Err(other)) => Err(other),
        None => Err(KeyError::Invalid {
            what: "file",
            message: "it holds neither PEM text nor a JWK".to_owned(),
        }),
    }
}

/// The key in PEM or JWK text; `None` when the text is neither.
fn parse_inline(text: &str) -> Option<Result<PrivateKey, KeyError>> {
    let trimmed = text.trim();
    if trimmed.starts_with("-----BEGIN") {
        Some(
            PrivateKey::from_pem(trimmed).map_err(|e| KeyError::Invalid {
                what: "PEM",
                message: e.to_string(),
            }),
        )
    } else if trimmed.starts_with('{') {
        Some(
            PrivateKey::from_jwk_json(trimmed).map_err(|e| KeyError::Invalid {
                what: "JWK",
                message: e.to_string(),
            }),
        )
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC1: &str = "-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIBQ8Xk3cW0G9yB3bZ2m7t5YQqkgS8Fq7n4Jd3Hf8W3GZoAoGCCqGSM49
AwEHoUQDQgAE
-----END EC PRIVATE KEY-----";

    #[test]
    fn errors_never_quote_the_value() {
        let secret_ish = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ";
        let e = load_private_key(secret_ish).unwrap_err();
        assert!(!e.to_string().contains(secret_ish), "{e}");
        let e = load_private_key(SEC1).unwrap_err();
        assert!(!e.to_string().contains("MHcCAQEE"), "{e}");
        let e = load_private_key(r#"{"kty":"EC","d":"c2VjcmV0"}"#).unwrap_err();
        assert!(!e.to_string().contains("c2VjcmV0"), "{e}");
    }

    #[test]
    fn files_and_inline_values() {
        let key = PrivateKey::generate_p256().expect("key");
        let jwk = key.public_jwk();
        // A public JWK is not a private key.
        let public = serde_json::to_string(&jwk).expect("json");
        assert!(matches!(
            load_private_key(&public),
            Err(KeyError::Invalid { what: "JWK", .. })
        ));
        let dir = std::env::temp_dir().join(format!("okta-idsrc-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("public.json");
        std::fs::write(&path, &public).expect("write");
        assert!(matches!(
            load_private_key(path.to_str().expect("utf-8")),
            Err(KeyError::Invalid {
                what: "file (JWK)",
                ..
            })
        ));
        let path = dir.join("empty.txt");
        std::fs::write(&path, "nothing").expect("write");
        assert!(matches!(
            load_private_key(path.to_str().expect("utf-8")),
            Err(KeyError::Invalid { what: "file", .. })
        ));
        std::fs::remove_dir_all(&dir).ok();
    }
}
