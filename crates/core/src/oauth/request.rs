//! The token request and the claims of what the client signs, sans IO (the OAuth layer signs
//! them with its keys and sends the request): the client-credentials form with a
//! `private_key_jwt` assertion (RFC 7523), the assertion's and DPoP proofs' claims
//! (RFC 9449), and the `htu` Okta compares a proof against.

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Method, Request, Uri};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::{Value, json};

use crate::error::InvalidRequest;
use crate::headers::DPOP;
use crate::operation::{Idempotency, OperationInfo, RateLimitBucket, USER_AGENT_PREFIX};

/// The token request's intent. Idempotent for the retry classifier: every attempt is
/// rebuilt with a fresh assertion and proof, so repeating one is safe.
pub const TOKEN_OPERATION: OperationInfo =
    OperationInfo::new("token", Idempotency::Idempotent, RateLimitBucket::General);

/// `client_assertion_type` of a JWT client assertion.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Form values: everything but RFC 3986 unreserved characters is percent-encoded.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One request to the org authorization server's token endpoint.
///
/// ```
/// use okta_idsrc_core::oauth::TokenRequest;
///
/// let scopes = ["okta.identitySources.read".to_owned()];
/// let request = TokenRequest {
///     token_url: "https://acme.okta.com/oauth2/v1/token",
///     scopes: &scopes,
///     assertion: "eyJhbGciOiJFUzI1NiJ9.e30.c2ln",
///     dpop_proof: None,
/// }
/// .build()
/// .unwrap();
/// assert_eq!(request.headers()["content-type"], "application/x-www-form-urlencoded");
/// assert!(request.body().starts_with(b"grant_type=client_credentials&scope=okta.identitySources.read&"));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TokenRequest<'a> {
    /// `{org}/oauth2/v1/token`, exactly as the assertion's `aud` says.
    pub token_url: &'a str,
    /// The scopes, sent space-separated.
    pub scopes: &'a [String],
    /// The signed client assertion.
    pub assertion: &'a str,
    /// The signed DPoP proof, for a DPoP-bound app.
    pub dpop_proof: Option<&'a str>,
}

impl TokenRequest<'_> {
    /// The `POST` (form-encoded, `Accept: application/json`, the proof in a sensitive `DPoP`
    /// header), carrying [`TOKEN_OPERATION`].
    pub fn build(&self) -> Result<Request<Bytes>, InvalidRequest> {
        let invalid = |message: &str| InvalidRequest::new(TOKEN_OPERATION.name, message);
        let body = format!(
            "grant_type=client_credentials&scope={}&client_assertion_type={}&client_assertion={}",
            utf8_percent_encode(&self.scopes.join(" "), FORM),
            utf8_percent_encode(CLIENT_ASSERTION_TYPE, FORM),
            utf8_percent_encode(self.assertion, FORM),
        );
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(self.token_url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            )
            .header(CONTENT_LENGTH, HeaderValue::from(body.len()))
            .header(USER_AGENT, HeaderValue::from_static(USER_AGENT_PREFIX));
        if let Some(proof) = self.dpop_proof {
            let mut value = HeaderValue::from_str(proof)
                .map_err(|_| invalid("the DPoP proof cannot be sent in an HTTP header"))?;
            value.set_sensitive(true);
            builder = builder.header(DPOP, value);
        }
        let mut request = builder
            .body(Bytes::from(body))
            .map_err(|_| invalid("the token URL is not a valid URI"))?;
        request.extensions_mut().insert(TOKEN_OPERATION);
        Ok(request)
    }
}

/// The claims of a client assertion (RFC 7523): `iss` = `sub` = the client id, `aud` = exactly
/// the token URL, `iat`, `exp` = `iat` + `lifetime_secs`, and `jti` (single use: fresh for
/// every attempt).
pub fn client_assertion_claims(
    client_id: &str,
    token_url: &str,
    iat: u64,
    lifetime_secs: u64,
    jti: &str,
) -> Value {
    json!({
        "iss": client_id,
        "sub": client_id,
        "aud": token_url,
        "iat": iat,
        "exp": iat + lifetime_secs,
        "jti": jti,
    })
}

/// The claims of a DPoP proof for one HTTP attempt: `jti`, `htm` (the exact method), `htu`
/// (see [`htu`]), `iat`, and the server's `nonce` and the token's `ath` when given.
pub fn dpop_proof_claims(
    htm: &Method,
    htu: &str,
    iat: u64,
    jti: &str,
    nonce: Option<&str>,
    ath: Option<&str>,
) -> Value {
    let mut claims = json!({ "jti": jti, "htm": htm.as_str(), "htu": htu, "iat": iat });
    if let Some(nonce) = nonce {
        claims["nonce"] = Value::from(nonce);
    }
    if let Some(ath) = ath {
        claims["ath"] = Value::from(ath);
    }
    claims
}

/// The `htu` of a request to `uri`: scheme and authority (lowercased, default port left
/// out) and the **percent-decoded** path, as Okta compares it; no query, no fragment.
/// `None` for a URI without a scheme or authority.
///
/// ```
/// let uri: http::Uri = "https://ACME.okta.com:443/api/v1/identity-sources/0oa1/users/a%40b?limit=2".parse().unwrap();
/// assert_eq!(
///     okta_idsrc_core::oauth::htu(&uri).as_deref(),
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
    let path = percent_decode_str(uri.path()).decode_utf8_lossy();
    let path = if path.is_empty() { "/" } else { &path };
    Some(match port {
        Some(port) => format!("{scheme}://{host}:{port}{path}"),
        None => format!("{scheme}://{host}{path}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://acme.okta.com/oauth2/v1/token";

    fn form(body: &[u8]) -> Vec<(String, String)> {
        std::str::from_utf8(body)
            .expect("utf-8")
            .split('&')
            .map(|pair| {
                let (k, v) = pair.split_once('=').expect("pair");
                let v = percent_decode_str(v)
                    .decode_utf8()
                    .expect("utf-8")
                    .into_owned();
                (k.to_owned(), v)
            })
            .collect()
    }

    #[test]
    fn request_shape() {
        let scopes = [
            "okta.identitySources.manage".to_owned(),
            "okta.identitySources.read".to_owned(),
        ];
        let r = TokenRequest {
            token_url: URL,
            scopes: &scopes,
            assertion: "a.b+c/d=",
            dpop_proof: Some("p.r.f"),
        }
        .build()
        .expect("request");
        assert_eq!(r.method(), Method::POST);
        assert_eq!(r.uri(), URL);
        assert_eq!(
            r.headers()[CONTENT_TYPE],
            "application/x-www-form-urlencoded"
        );
        assert!(r.headers()[DPOP].is_sensitive());
        assert_eq!(OperationInfo::of(&r), Some(&TOKEN_OPERATION));
        let fields = form(r.body());
        assert_eq!(
            fields,
            [
                ("grant_type".to_owned(), "client_credentials".to_owned()),
                (
                    "scope".to_owned(),
                    "okta.identitySources.manage okta.identitySources.read".to_owned()
                ),
                (
                    "client_assertion_type".to_owned(),
                    CLIENT_ASSERTION_TYPE.to_owned()
                ),
                ("client_assertion".to_owned(), "a.b+c/d=".to_owned()),
            ]
        );
        let bad = TokenRequest {
            dpop_proof: Some("a\nb"),
            ..TokenRequest {
                token_url: URL,
                scopes: &scopes,
                assertion: "x",
                dpop_proof: None,
            }
        };
        assert!(!bad.build().unwrap_err().to_string().contains("a\nb"));
    }

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
    fn claims() {
        let a = client_assertion_claims("0oaclient", URL, 1_700_000_000, 300, "j1");
        assert_eq!(
            a,
            json!({"iss":"0oaclient","sub":"0oaclient","aud":URL,"iat":1_700_000_000u64,"exp":1_700_000_300u64,"jti":"j1"})
        );
        let p = dpop_proof_claims(&Method::GET, "https://x/y", 5, "j2", None, Some("h"));
        assert_eq!(
            p,
            json!({"jti":"j2","htm":"GET","htu":"https://x/y","iat":5,"ath":"h"})
        );
    }
}
