//! Access tokens on `/api/v1`: `Authorization: DPoP <token>` with a proof per request, or
//! `Bearer <token>` for tokens not bound to a key; scopes per operation. Failures are
//! challenges in Okta's `WWW-Authenticate` style (DPoP failures: 400 with an empty body).

use http::{HeaderMap, Method, StatusCode};
use percent_encoding::percent_decode_str;

use super::dpop::{self, Expected};
use super::settings::{SCOPE_MANAGE, SCOPE_READ};
use super::{OAuth, store::IssuedToken};
use crate::auth::{AuthRequest, Authenticate, Challenge, Denial, authorization};
use crate::error::ApiError;

/// The algorithms Okta advertises in its DPoP challenges.
const ALGS: &str = "RS256 RS384 RS512 ES256 ES384 ES512";

/// The `DPoP` request header.
pub(crate) const DPOP: &str = "dpop";

impl Authenticate for OAuth {
    fn authenticate(&self, req: &AuthRequest<'_>) -> Result<(), Denial> {
        let Some((scheme, token)) = authorization(req.headers) else {
            return Err(Denial::Unknown);
        };
        let dpop_scheme = if scheme.eq_ignore_ascii_case("DPoP") {
            true
        } else if scheme.eq_ignore_ascii_case("Bearer") {
            false
        } else {
            return Err(Denial::Unknown);
        };
        let Some(issued) = self.token(token) else {
            return Err(Denial::Unknown);
        };
        let write = !matches!(*req.method, Method::GET | Method::HEAD);
        let challenger = Challenger {
            dpop: dpop_scheme || issued.jkt.is_some(),
            origin: req.origin,
            scope: if write { SCOPE_MANAGE } else { SCOPE_READ },
            resource: req.path,
        };
        if self.now() >= issued.expires_at {
            return Err(challenger.invalid_token("The access token has expired."));
        }
        match (dpop_scheme, &issued.jkt) {
            (false, Some(_)) => {
                return Err(challenger.deny(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The DPoP-bound access token must be sent with the DPoP authorization scheme.",
                ));
            }
            (true, None) => {
                return Err(challenger.invalid_token(
                    "The access token is not DPoP-bound; send it with the Bearer scheme.",
                ));
            }
            (true, Some(jkt)) => self.check_proof(req, token, jkt, &challenger)?,
            (false, None) => {}
        }
        if has_scope(&issued, write) {
            Ok(())
        } else {
            Err(challenger.insufficient_scope())
        }
    }
}

impl OAuth {
    /// The request's DPoP proof for `token`, bound to `jkt`.
    fn check_proof(
        &self,
        req: &AuthRequest<'_>,
        token: &str,
        jkt: &str,
        challenger: &Challenger<'_>,
    ) -> Result<(), Denial> {
        let invalid = |description: &str| {
            challenger.deny(StatusCode::BAD_REQUEST, "invalid_dpop_proof", description)
        };
        let proof = single_proof(req.headers).map_err(invalid)?;
        let url = format!(
            "{}{}",
            req.origin,
            percent_decode_str(req.path).decode_utf8_lossy()
        );
        let expected = Expected {
            method: req.method.as_str(),
            url: &url,
            access_token: Some(token),
            jkt: Some(jkt),
            now: self.now(),
        };
        let proof = dpop::verify(proof, &expected).map_err(invalid)?;
        if !self.consume_proof_jti(&proof.jti, proof.iat) {
            return Err(invalid("The DPoP proof JWT has already been used."));
        }
        if self.settings.resource_nonce_mode
            && let Err(nonce) = self.resource_nonce_ok(proof.nonce.as_deref())
        {
            let mut denial = challenger.challenge(
                StatusCode::UNAUTHORIZED,
                "use_dpop_nonce",
                "Resource server requires nonce in DPoP proof.",
                None,
            );
            denial.dpop_nonce = Some(nonce);
            return Err(Denial::Challenge(Box::new(denial)));
        }
        Ok(())
    }
}

/// The one `DPoP` header's value; the error is an `invalid_dpop_proof` description.
pub(crate) fn single_proof(headers: &HeaderMap) -> Result<&str, &'static str> {
    let mut values = headers.get_all(DPOP).iter();
    match (values.next(), values.next()) {
        (None, _) => Err("The DPoP proof JWT header is missing."),
        (Some(_), Some(_)) => Err("Only one DPoP proof JWT header is allowed."),
        (Some(value), None) => value
            .to_str()
            .map(str::trim)
            .map_err(|_| "The DPoP proof JWT is malformed."),
    }
}

/// Reads need `okta.identitySources.read` or `.manage`; writes need `.manage`.
fn has_scope(issued: &IssuedToken, write: bool) -> bool {
    issued
        .scopes
        .iter()
        .any(|s| s == SCOPE_MANAGE || (!write && s == SCOPE_READ))
}

/// Builds the challenges of one request.
struct Challenger<'a> {
    /// `DPoP` style (the scheme used, or a DPoP-bound token) rather than `Bearer`.
    dpop: bool,
    origin: &'a str,
    scope: &'a str,
    resource: &'a str,
}

impl Challenger<'_> {
    fn challenge(
        &self,
        status: StatusCode,
        error: &str,
        description: &str,
        body: Option<ApiError>,
    ) -> Challenge {
        let mut header = String::with_capacity(256);
        if self.dpop {
            header.push_str("DPoP algs=\"");
            header.push_str(ALGS);
            header.push_str("\", ");
        } else {
            header.push_str("Bearer ");
        }
        let origin = self.origin;
        let params = [
            ("authorization_uri", format!("{origin}/oauth2/v1/authorize")),
            ("realm", origin.to_owned()),
            ("scope", self.scope.to_owned()),
            ("error", error.to_owned()),
            ("error_description", description.to_owned()),
            ("resource", self.resource.to_owned()),
        ];
        for (i, (name, value)) in params.iter().enumerate() {
            if i > 0 {
                header.push_str(", ");
            }
            header.push_str(name);
            header.push_str("=\"");
            header.push_str(&value.replace('\\', "\\\\").replace('"', "\\\""));
            header.push('"');
        }
        Challenge {
            status,
            www_authenticate: header,
            dpop_nonce: None,
            error: body,
        }
    }

    /// A challenge with an empty body.
    fn deny(&self, status: StatusCode, error: &str, description: &str) -> Denial {
        Denial::Challenge(Box::new(self.challenge(status, error, description, None)))
    }

    /// 401 `invalid_token`, with the E0000011 body.
    fn invalid_token(&self, description: &str) -> Denial {
        Denial::Challenge(Box::new(self.challenge(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            description,
            Some(ApiError::unauthorized()),
        )))
    }

    /// 403 `insufficient_scope`, with the E0000006 body.
    fn insufficient_scope(&self) -> Denial {
        Denial::Challenge(Box::new(self.challenge(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "The access token provided does not contain the required scopes.",
            Some(ApiError::forbidden()),
        )))
    }
}
