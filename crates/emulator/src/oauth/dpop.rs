//! DPoP proof verification (RFC 9449 as Okta applies it), shared by the token endpoint and the
//! resource server. Replay and nonce checks need state and are left to the caller.

use std::time::SystemTime;

use okta_idsrc_jose::{Algorithm, Jwk, decode_unverified, sha256_b64url, verify_jwt};
use serde_json::Value;

use super::epoch_secs;

/// How old a proof's `iat` may be.
pub(crate) const MAX_AGE_SECS: i64 = 300;

/// Members of a JWK that only a private key has.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// What a proof must match.
pub(crate) struct Expected<'a> {
    /// The request method (`htm`).
    pub method: &'a str,
    /// The request URL without query, path percent-decoded (`htu`).
    pub url: &'a str,
    /// The access token presented with it (resource requests): the proof's `ath` must be its
    /// hash.
    pub access_token: Option<&'a str>,
    /// The thumbprint the token is bound to (resource requests).
    pub jkt: Option<&'a str>,
    pub now: SystemTime,
}

/// A proof whose signature and claims checked out.
#[derive(Debug)]
pub(crate) struct Proof {
    /// The RFC 7638 thumbprint of its key.
    pub jkt: String,
    pub jti: String,
    pub iat: i64,
    pub nonce: Option<String>,
}

/// Checks everything about `proof` but replay and nonce; the error is the
/// `error_description` of an `invalid_dpop_proof`.
pub(crate) fn verify(proof: &str, expected: &Expected<'_>) -> Result<Proof, &'static str> {
    let (header, _) = decode_unverified(proof).map_err(|_| "The DPoP proof JWT is malformed.")?;
    if header.get("typ").and_then(Value::as_str) != Some("dpop+jwt") {
        return Err("The DPoP proof JWT 'typ' header must be 'dpop+jwt'.");
    }
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    let alg = match alg.parse::<Algorithm>() {
        Ok(alg) => alg,
        Err(_) if alg == "ES512" => {
            return Err("The DPoP proof JWT signature algorithm ES512 is not supported.");
        }
        Err(_) => return Err("The DPoP proof JWT signature algorithm is not supported."),
    };
    let Some(jwk) = header.get("jwk").and_then(Value::as_object) else {
        return Err("The DPoP proof JWT header must contain a 'jwk'.");
    };
    if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
        return Err("The DPoP proof JWT 'jwk' header must not contain a private key.");
    }
    let jwk: Jwk = serde_json::from_value(Value::Object(jwk.clone()))
        .map_err(|_| "The DPoP proof JWT 'jwk' header is not a valid public key.")?;
    let (_, claims) =
        verify_jwt(proof, &jwk, &[alg]).map_err(|_| "The DPoP proof JWT signature is invalid.")?;

    let jti = match claims.get("jti").and_then(Value::as_str) {
        Some(jti) if !jti.is_empty() => jti.to_owned(),
        _ => return Err("The DPoP proof JWT must contain a 'jti' claim."),
    };
    if claims.get("htm").and_then(Value::as_str) != Some(expected.method) {
        return Err("The DPoP proof JWT 'htm' claim does not match the request method.");
    }
    match claims.get("htu").and_then(Value::as_str) {
        Some(htu) if same_url(htu, expected.url) => {}
        _ => return Err("The DPoP proof JWT 'htu' claim does not match the request URL."),
    }
    let Some(iat) = claims.get("iat").and_then(Value::as_f64) else {
        return Err("The DPoP proof JWT must contain an 'iat' claim.");
    };
    let iat = iat.floor() as i64;
    let now = epoch_secs(expected.now);
    if iat > now {
        return Err("The DPoP proof JWT was issued in the future.");
    }
    if now - iat > MAX_AGE_SECS {
        return Err("The DPoP proof JWT was issued too long ago.");
    }
    if let Some(token) = expected.access_token
        && claims.get("ath").and_then(Value::as_str)
            != Some(sha256_b64url(token.as_bytes()).as_str())
    {
        return Err("The DPoP proof JWT 'ath' claim does not match the access token.");
    }
    let jkt = jwk
        .thumbprint()
        .map_err(|_| "The DPoP proof JWT 'jwk' header is not a valid public key.")?;
    if expected.jkt.is_some_and(|bound| bound != jkt) {
        return Err("The DPoP proof JWT key does not match the access token's key binding.");
    }
    let nonce = claims
        .get("nonce")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(Proof {
        jkt,
        jti,
        iat,
        nonce,
    })
}

/// `htu` against the expected URL: scheme and host compared without regard to case, the rest
/// exactly.
fn same_url(htu: &str, expected: &str) -> bool {
    let split = |u: &str| -> (String, String) {
        match u.find("://") {
            Some(i) => {
                let rest_start = u[i + 3..].find('/').map_or(u.len(), |j| i + 3 + j);
                (
                    u[..rest_start].to_ascii_lowercase(),
                    u[rest_start..].to_owned(),
                )
            }
            None => (String::new(), u.to_owned()),
        }
    };
    let (a_origin, a_path) = split(htu);
    let (b_origin, b_path) = split(expected);
    !a_origin.is_empty() && a_origin == b_origin && a_path == b_path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_compare_origin_without_case() {
        assert!(same_url("HTTP://Host:1/a/b", "http://host:1/a/b"));
        assert!(!same_url("http://host:1/a/B", "http://host:1/a/b"));
        assert!(!same_url("http://host:1/a/b?x=1", "http://host:1/a/b"));
        assert!(!same_url("/a/b", "/a/b"));
        assert!(!same_url("http://host:1/a/b/", "http://host:1/a/b"));
    }
}
