//! Client authentication by `private_key_jwt` (RFC 7523): the client assertion's checks, in
//! the order Okta makes them. Every failure is a 401 `invalid_client`.

use std::time::SystemTime;

use okta_idsrc_jose::{Algorithm, Jwk, decode_unverified, verify_jwt};
use serde_json::Value;

use super::epoch_secs;
use super::settings::OAuthClient;

/// The longest an assertion may live past now: `exp` ≤ now + 1 h, no tolerance.
const MAX_LIFETIME_SECS: i64 = 3600;

/// A verified assertion: its client, and the `jti` to consume (until `exp`).
pub(crate) struct Verified<'a> {
    pub client: &'a OAuthClient,
    pub jti: String,
    pub exp: i64,
}

/// Checks `assertion` (signature, `iss`/`sub`, `aud` = `token_url` exactly, `exp`, `nbf`,
/// `iat`, a `jti` present); the error is the `error_description`. Single use is the caller's
/// (it holds the `jti` cache).
pub(crate) fn verify<'a>(
    assertion: &str,
    form_client_id: Option<&str>,
    find: impl Fn(&str) -> Option<&'a OAuthClient>,
    token_url: &str,
    now: SystemTime,
) -> Result<Verified<'a>, String> {
    let (header, claims) = decode_unverified(assertion)
        .map_err(|_| "The client_assertion token is not a well-formed JWT.".to_owned())?;
    let str_claim = |name: &str| claims.get(name).and_then(Value::as_str);
    let sub = str_claim("sub").or(form_client_id).unwrap_or("");
    if form_client_id.is_some_and(|id| id != sub) {
        return Err("The client_id parameter does not match the client_assertion subject.".into());
    }
    let Some(client) = find(sub) else {
        return Err("Invalid value for 'client_id' parameter.".into());
    };
    if str_claim("iss") != Some(client.client_id.as_str())
        || str_claim("sub") != Some(client.client_id.as_str())
    {
        return Err(
            "The issuer and subject claims in the client_assertion must both be the client_id."
                .into(),
        );
    }

    let alg_name = header.get("alg").and_then(Value::as_str).unwrap_or("");
    let alg = match alg_name.parse::<Algorithm>() {
        Ok(alg) => alg,
        Err(_) if alg_name == "ES512" => {
            return Err("The client_assertion signature algorithm ES512 is not supported.".into());
        }
        Err(_) => {
            return Err(format!(
                "The client_assertion token has an unsupported signature algorithm: '{alg_name}'."
            ));
        }
    };
    let key = select_key(client, header.get("kid").and_then(Value::as_str))?;
    verify_jwt(assertion, key, &[alg])
        .map_err(|_| "The client_assertion signature is invalid.".to_owned())?;

    if !audience_is(&claims, token_url) {
        return Err(
            "The audience claim for client_assertion must be the endpoint invoked for the request."
                .into(),
        );
    }
    let now = epoch_secs(now);
    let time = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_f64)
            .map(|t| t.floor() as i64)
    };
    let Some(exp) = time("exp") else {
        return Err("The client_assertion token must contain an 'exp' claim.".into());
    };
    if exp <= now {
        return Err("The client_assertion token is expired.".into());
    }
    if exp > now + MAX_LIFETIME_SECS {
        return Err("The client_assertion token has an expiration too far into the future.".into());
    }
    if time("nbf").is_some_and(|nbf| nbf > now) {
        return Err("The client_assertion token is not yet valid.".into());
    }
    if time("iat").is_some_and(|iat| iat > now) {
        return Err("The client_assertion token was issued in the future.".into());
    }
    let jti = match str_claim("jti") {
        Some(jti) if !jti.is_empty() => jti.to_owned(),
        _ => return Err("The client_assertion token must contain a 'jti' claim.".into()),
    };
    Ok(Verified { client, jti, exp })
}

/// The key named by `kid`, or the client's only key when there is no `kid`.
fn select_key<'a>(client: &'a OAuthClient, kid: Option<&str>) -> Result<&'a Jwk, String> {
    match kid {
        Some(kid) => client
            .jwks
            .iter()
            .find(|k| k.kid.as_deref() == Some(kid))
            .ok_or_else(|| {
                format!("The client_assertion 'kid' '{kid}' does not name a key of the client.")
            }),
        None => match client.jwks.as_slice() {
            [only] => Ok(only),
            [] => Err("The client has no registered keys.".into()),
            _ => Err(
                "The client_assertion must name its key in 'kid': the client has more than one key."
                    .into(),
            ),
        },
    }
}

/// `aud` is exactly `url`: the string, or an array holding only it.
fn audience_is(claims: &Value, url: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(aud)) => aud == url,
        Some(Value::Array(auds)) => auds.len() == 1 && auds[0].as_str() == Some(url),
        _ => false,
    }
}
