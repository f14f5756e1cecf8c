//! `POST /oauth2/v1/token`: the `client_credentials` grant with a `private_key_jwt` client
//! assertion, and DPoP (proof checks and the nonce handshake).
//!
//! Order of checks: method, rate limit, form, `grant_type`, the client assertion (its `jti`
//! consumed as soon as it verifies, so any later failure burns it), `scope`, the DPoP proof
//! (its `jti` consumed), the nonce.

use std::collections::HashMap;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue, PRAGMA};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use okta_idsrc_core::json::WriteJson;
use percent_encoding::percent_decode_str;

use super::dpop::{self, Expected};
use super::resource::single_proof;
use super::settings::TOKEN_PATH;
use super::{OAuth, assertion, request_origin};
use crate::error::ApiError;
use crate::server::{base_response, error_response, with_rate};
use crate::shared::{Counters, Shared};

/// The largest token request body read.
const MAX_FORM_BYTES: usize = 64 * 1024;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The `DPoP-Nonce` response header.
const DPOP_NONCE: &str = "dpop-nonce";

/// A token granted.
struct Granted {
    token_type: &'static str,
    access_token: String,
    expires_in: u64,
    scope: String,
    nonce: Option<String>,
}

/// An OAuth error answer: `{"error", "error_description"}`.
struct TokenError {
    status: StatusCode,
    error: &'static str,
    description: String,
    nonce: Option<String>,
}

impl TokenError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            nonce: None,
        }
    }

    fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", description)
    }

    fn invalid_dpop_proof(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_dpop_proof", description)
    }
}

/// Serves one token request.
pub(crate) async fn token_endpoint(
    shared: &Shared,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let oauth = &shared.oauth;
    Counters::bump(&oauth.token_requests);
    let request_id = shared.ids.request();
    if req.method() != Method::POST {
        return error_response(shared, &ApiError::method_not_allowed(), &request_id, &[]);
    }
    let rate = match oauth.bucket.take() {
        Ok(rate) => rate,
        Err(rate) => {
            Counters::bump(&shared.stats.rate_limited);
            let error = ApiError::rate_limited();
            return no_store(error_response(shared, &error, &request_id, &[rate]));
        }
    };
    let (parts, body) = req.into_parts();
    let origin = request_origin(&parts.uri, &parts.headers, shared.addr);
    let result = match read_form(&parts.headers, body).await {
        Ok(form) => oauth.grant(&parts.headers, &form, &origin),
        Err(e) => Err(e),
    };
    let (status, body, nonce) = match result {
        Ok(granted) => (StatusCode::OK, granted.body(), granted.nonce),
        Err(e) => (e.status, e.body(), e.nonce),
    };
    let mut response = no_store(with_rate(
        base_response(shared, status, Some(body), &request_id),
        &[rate],
    ));
    if let Some(v) = nonce.and_then(|n| HeaderValue::try_from(n).ok()) {
        response.headers_mut().insert(DPOP_NONCE, v);
    }
    response
}

/// Adds `Cache-Control: no-cache, no-store` and `Pragma: no-cache`.
fn no_store(mut response: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    let headers = response.headers_mut();
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store"),
    );
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// The form parameters of a `application/x-www-form-urlencoded` body.
async fn read_form(
    headers: &HeaderMap,
    body: Incoming,
) -> Result<HashMap<String, String>, TokenError> {
    let form_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form_type {
        return Err(TokenError::invalid_request(
            "The request must be form-encoded (application/x-www-form-urlencoded).",
        ));
    }
    let body = Limited::new(body, MAX_FORM_BYTES)
        .collect()
        .await
        .map_err(|_| TokenError::invalid_request("The request body could not be read."))?
        .to_bytes();
    parse_form(&body).map_err(TokenError::invalid_request)
}

/// Decodes `k=v&…` (`+` is a space); a parameter given twice is an error.
fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, String> {
    let text = std::str::from_utf8(body).map_err(|_| "The request body is not UTF-8.")?;
    let decode = |s: &str| -> Result<String, String> {
        percent_decode_str(&s.replace('+', " "))
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| "The request body is not well-formed.".to_owned())
    };
    let mut form = HashMap::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(k)?;
        if form.insert(key.clone(), decode(v)?).is_some() {
            return Err(format!("The '{key}' parameter was given more than once."));
        }
    }
    Ok(form)
}

impl OAuth {
    fn grant(
        &self,
        headers: &HeaderMap,
        form: &HashMap<String, String>,
        origin: &str,
    ) -> Result<Granted, TokenError> {
        let param = |name: &str| form.get(name).map(String::as_str);
        match param("grant_type") {
            None | Some("") => {
                return Err(TokenError::invalid_request(
                    "The 'grant_type' parameter is required.",
                ));
            }
            Some("client_credentials") => {}
            Some(_) => {
                return Err(TokenError::new(
                    StatusCode::BAD_REQUEST,
                    "unsupported_grant_type",
                    "The authorization grant type is not supported by the authorization server.",
                ));
            }
        }

        let token_url = format!("{origin}{TOKEN_PATH}");
        let (Some(assertion_type), Some(assertion)) =
            (param("client_assertion_type"), param("client_assertion"))
        else {
            return Err(TokenError::invalid_client(
                "Client authentication failed. Either the client or the client credentials are invalid.",
            ));
        };
        if assertion_type != JWT_BEARER {
            return Err(TokenError::invalid_client(format!(
                "The client_assertion_type must be '{JWT_BEARER}'."
            )));
        }
        let now = self.now();
        let verified = assertion::verify(
            assertion,
            param("client_id"),
            |id| self.clients.get(id),
            &token_url,
            now,
        )
        .map_err(TokenError::invalid_client)?;
        let client = verified.client;
        if !self.consume_assertion_jti(&client.client_id, &verified.jti, verified.exp) {
            return Err(TokenError::invalid_client(
                "The client_assertion token has already been used.",
            ));
        }

        let mut scopes: Vec<String> = Vec::new();
        for scope in param("scope").unwrap_or("").split_whitespace() {
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
        if scopes.is_empty() {
            return Err(TokenError::invalid_scope("No scopes were requested."));
        }
        let refused: Vec<&str> = scopes
            .iter()
            .filter(|s| !client.scopes.contains(s))
            .map(String::as_str)
            .collect();
        if !refused.is_empty() {
            return Err(TokenError::invalid_scope(format!(
                "The following scopes were requested, but not granted: {}.",
                refused.join(" ")
            )));
        }

        let proof = if headers.contains_key(super::resource::DPOP) || client.dpop_bound {
            let proof = single_proof(headers).map_err(TokenError::invalid_dpop_proof)?;
            let expected = Expected {
                method: "POST",
                url: &token_url,
                access_token: None,
                jkt: None,
                now,
            };
            let proof = dpop::verify(proof, &expected).map_err(TokenError::invalid_dpop_proof)?;
            let client_key =
                |k: &okta_idsrc_jose::Jwk| k.thumbprint().is_ok_and(|t| t == proof.jkt);
            if client.jwks.iter().any(client_key) {
                return Err(TokenError::invalid_dpop_proof(
                    "The DPoP proof JWT must be signed with a key of its own, not the client's key.",
                ));
            }
            if !self.consume_proof_jti(&proof.jti, proof.iat) {
                return Err(TokenError::invalid_dpop_proof(
                    "The DPoP proof JWT has already been used.",
                ));
            }
            Some(proof)
        } else {
            None
        };
        let scope = scopes.join(" ");
        let Some(proof) = proof else {
            let (access_token, expires_in) = self.issue(scopes, None);
            return Ok(Granted {
                token_type: "Bearer",
                access_token,
                expires_in,
                scope,
                nonce: None,
            });
        };
        let nonce = match self.token_nonce(proof.nonce.as_deref()) {
            Ok(nonce) => nonce,
            Err(nonce) => {
                let mut e = TokenError::new(
                    StatusCode::BAD_REQUEST,
                    "use_dpop_nonce",
                    "Authorization server requires nonce in DPoP proof.",
                );
                e.nonce = Some(nonce);
                return Err(e);
            }
        };
        let (access_token, expires_in) = self.issue(scopes, Some(proof.jkt));
        Ok(Granted {
            token_type: "DPoP",
            access_token,
            expires_in,
            scope,
            nonce: Some(nonce),
        })
    }
}

impl Granted {
    /// `{"token_type","expires_in","access_token","scope"}`, in Okta's order.
    fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.access_token.len() + self.scope.len());
        out.extend_from_slice(b"{\"token_type\":");
        WriteJson::write_json(self.token_type, &mut out);
        out.extend_from_slice(b",\"expires_in\":");
        out.extend_from_slice(self.expires_in.to_string().as_bytes());
        out.extend_from_slice(b",\"access_token\":");
        WriteJson::write_json(&self.access_token, &mut out);
        out.extend_from_slice(b",\"scope\":");
        WriteJson::write_json(&self.scope, &mut out);
        out.push(b'}');
        out
    }
}

impl TokenError {
    fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.description.len());
        out.extend_from_slice(b"{\"error\":");
        WriteJson::write_json(self.error, &mut out);
        out.extend_from_slice(b",\"error_description\":");
        WriteJson::write_json(&self.description, &mut out);
        out.push(b'}');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode() {
        let form = parse_form(b"a=1&b=x+y%40z&c=&d").unwrap();
        assert_eq!(form["a"], "1");
        assert_eq!(form["b"], "x y@z");
        assert_eq!(form["c"], "");
        assert_eq!(form["d"], "");
        assert!(parse_form(b"a=1&a=2").is_err());
        assert!(parse_form(b"a=%FF").is_err());
    }
}
