//! `WWW-Authenticate` challenges (RFC 9110 §11.6.1), as Okta sends them on OAuth and DPoP
//! failures: `DPoP algs="ES256 RS256", error="invalid_dpop_proof", error_description="…"`.
//!
//! Okta's resource-side DPoP failures have an empty body: the reason is only in this header.

use std::fmt;

use http::HeaderMap;

use super::ErrorCode;

/// One challenge of a `WWW-Authenticate` header: a scheme and its parameters.
///
/// Parameter names are lowercased (they are case-insensitive); values are unquoted and
/// unescaped. `error`, `error_description`, `algs`, `realm`, `scope` and `resource` have
/// accessors; every parameter is in [`params`](Self::params), in header order.
///
/// ```
/// use okta_idsrc_core::oauth::{AuthChallenge, ErrorCode};
///
/// let value = r#"DPoP algs="RS256 ES256", realm="http://acme.okta.com", error="invalid_dpop_proof", error_description="The DPoP proof JWT has already been used.""#;
/// let challenges = AuthChallenge::parse(value).unwrap();
/// let dpop = &challenges[0];
/// assert!(dpop.is_dpop());
/// assert_eq!(dpop.error(), Some(ErrorCode::InvalidDpopProof));
/// assert_eq!(dpop.algs(), ["RS256", "ES256"]);
/// assert_eq!(dpop.error_description(), Some("The DPoP proof JWT has already been used."));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthChallenge {
    /// The auth scheme as sent (`DPoP`, `Bearer`…); compare it case-insensitively.
    pub scheme: String,
    /// A `token68` credential instead of parameters (rare in challenges).
    pub token68: Option<String>,
    /// The parameters, in header order, names lowercased.
    pub params: Vec<(String, String)>,
}

/// A `WWW-Authenticate` value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed WWW-Authenticate header: {message} at byte {position}")]
pub struct ChallengeParseError {
    message: &'static str,
    position: usize,
}

impl AuthChallenge {
    /// Parses one `WWW-Authenticate` value: comma-separated challenges, each a scheme
    /// followed by a `token68` or by comma-separated `name=value` parameters (values are
    /// tokens or quoted strings).
    pub fn parse(value: &str) -> Result<Vec<Self>, ChallengeParseError> {
        Parser {
            s: value.as_bytes(),
            pos: 0,
        }
        .challenges()
    }

    /// Every challenge of every `WWW-Authenticate` line of `headers`; lines that do not
    /// parse are skipped.
    pub fn from_headers(headers: &HeaderMap) -> Vec<Self> {
        headers
            .get_all(http::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| Self::parse(v).ok())
            .flatten()
            .collect()
    }

    /// The challenge of `headers` that carries an `error`, preferring scheme `scheme`
    /// (`DPoP` or `Bearer`); `None` when no challenge names an error.
    pub fn failure_in(headers: &HeaderMap, scheme: &str) -> Option<Self> {
        let mut with_error: Vec<Self> = Self::from_headers(headers)
            .into_iter()
            .filter(|c| c.param("error").is_some())
            .collect();
        let preferred = with_error
            .iter()
            .position(|c| c.scheme.eq_ignore_ascii_case(scheme))
            .unwrap_or(0);
        (!with_error.is_empty()).then(|| with_error.swap_remove(preferred))
    }

    /// The value of parameter `name` (case-insensitive), the first when repeated.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the scheme is `DPoP`.
    pub fn is_dpop(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("DPoP")
    }

    /// The `error` parameter, typed.
    pub fn error(&self) -> Option<ErrorCode> {
        self.param("error").map(ErrorCode::parse)
    }

    /// The `error_description` parameter.
    pub fn error_description(&self) -> Option<&str> {
        self.param("error_description")
    }

    /// The algorithms the server accepts for DPoP proofs (`algs`, space-separated).
    pub fn algs(&self) -> Vec<&str> {
        self.param("algs")
            .map(|a| a.split_ascii_whitespace().collect())
            .unwrap_or_default()
    }

    /// The `realm` parameter.
    pub fn realm(&self) -> Option<&str> {
        self.param("realm")
    }

    /// The `scope` parameter (the scopes the resource needs).
    pub fn scope(&self) -> Option<&str> {
        self.param("scope")
    }

    /// The `resource` parameter (Okta: the path that was refused).
    pub fn resource(&self) -> Option<&str> {
        self.param("resource")
    }
}

impl fmt::Display for AuthChallenge {
    /// The scheme, the error and its description (the other parameters are left out).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        if let Some(error) = self.param("error") {
            write!(f, " {error}")?;
        }
        if let Some(description) = self.error_description() {
            write!(f, ": {description}")?;
        }
        Ok(())
    }
}

/// `tchar` of RFC 9110.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The characters of a `token68` besides alphanumerics (`=` only as trailing padding).
fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: &'static str) -> ChallengeParseError {
        ChallengeParseError {
            message,
            position: self.pos,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Skips whitespace and commas (empty list elements); whether any comma was seen.
    fn skip_separators(&mut self) -> bool {
        let mut comma = false;
        loop {
            self.skip_ws();
            if self.peek() == Some(b',') {
                comma = true;
                self.pos += 1;
            } else {
                return comma;
            }
        }
    }

    fn token(&mut self) -> Option<String> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        (self.pos > start).then(|| String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
    }

    fn quoted(&mut self) -> Result<String, ChallengeParseError> {
        // At the opening quote.
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated quoted string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let Some(c) = self.peek() else {
                        return Err(self.error("unterminated quoted string"));
                    };
                    out.push(c);
                    self.pos += 1;
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// Whether the input at the current position is `token BWS "="` but not a `token68`
    /// ending in `=` padding: the start of an auth-param.
    fn at_param(&self) -> bool {
        let mut i = self.pos;
        while self.s.get(i).copied().is_some_and(is_tchar) {
            i += 1;
        }
        if i == self.pos {
            return false;
        }
        while matches!(self.s.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        if self.s.get(i) != Some(&b'=') {
            return false;
        }
        // `token68` padding: `abc==` or `abc=` followed by a comma, whitespace or the end
        // and no value. A parameter's value follows its `=`.
        let mut j = i + 1;
        while self.s.get(j) == Some(&b'=') {
            j += 1;
        }
        if j > i + 1 {
            return false;
        }
        while matches!(self.s.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        !matches!(self.s.get(j), None | Some(b','))
    }

    fn challenges(&mut self) -> Result<Vec<AuthChallenge>, ChallengeParseError> {
        let mut out = Vec::new();
        self.skip_separators();
        while self.peek().is_some() {
            let scheme = self
                .token()
                .ok_or_else(|| self.error("expected an auth scheme"))?;
            let mut challenge = AuthChallenge {
                scheme,
                token68: None,
                params: Vec::new(),
            };
            let before = self.pos;
            self.skip_ws();
            let spaced = self.pos > before;
            if spaced && !self.at_param() && self.peek().is_some_and(is_token68_char) {
                let start = self.pos;
                while self.peek().is_some_and(is_token68_char) {
                    self.pos += 1;
                }
                while self.peek() == Some(b'=') {
                    self.pos += 1;
                }
                challenge.token68 =
                    Some(String::from_utf8_lossy(&self.s[start..self.pos]).into_owned());
                self.skip_ws();
                if !matches!(self.peek(), None | Some(b',')) {
                    return Err(self.error("unexpected text after a token68"));
                }
            } else {
                // Parameters, until one that is not `name=value` (the next scheme).
                loop {
                    if !self.at_param() {
                        break;
                    }
                    let name = self
                        .token()
                        .ok_or_else(|| self.error("expected a parameter name"))?
                        .to_ascii_lowercase();
                    self.skip_ws();
                    self.pos += 1; // '='
                    self.skip_ws();
                    let value = match self.peek() {
                        Some(b'"') => self.quoted()?,
                        _ => self
                            .token()
                            .ok_or_else(|| self.error("expected a parameter value"))?,
                    };
                    challenge.params.push((name, value));
                    self.skip_ws();
                    match self.peek() {
                        None => break,
                        Some(b',') => {
                            self.skip_separators();
                        }
                        Some(_) => return Err(self.error("expected a comma")),
                    }
                }
            }
            out.push(challenge);
            self.skip_separators();
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &str) -> Vec<AuthChallenge> {
        AuthChallenge::parse(v).unwrap_or_else(|e| panic!("{v}: {e}"))
    }

    #[test]
    fn okta_dpop_failure() {
        let v = r#"DPoP algs="RS256 RS384 RS512 ES256 ES384 ES512", authorization_uri="http://acme.okta.com/oauth2/v1/authorize", realm="http://acme.okta.com", scope="okta.identitySources.manage", error="invalid_dpop_proof", error_description="The DPoP proof JWT has already been used.", resource="/api/v1/identity-sources/0oa1/sessions""#;
        let c = parse(v);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "DPoP");
        assert_eq!(c[0].algs().len(), 6);
        assert_eq!(c[0].error(), Some(ErrorCode::InvalidDpopProof));
        assert_eq!(
            c[0].resource(),
            Some("/api/v1/identity-sources/0oa1/sessions")
        );
        assert_eq!(c[0].realm(), Some("http://acme.okta.com"));
        assert_eq!(
            c[0].param("AUTHORIZATION_URI"),
            Some("http://acme.okta.com/oauth2/v1/authorize")
        );
    }

    #[test]
    fn several_challenges_tokens_and_escapes() {
        let c = parse(
            r#"Bearer realm="a, b", error=invalid_token, DPoP algs="ES256", error="use_dpop_nonce", error_description="say \"hi\"", Basic"#,
        );
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].scheme, "Bearer");
        assert_eq!(c[0].realm(), Some("a, b"));
        assert_eq!(c[0].error(), Some(ErrorCode::InvalidToken));
        assert!(c[1].is_dpop());
        assert_eq!(c[1].error(), Some(ErrorCode::UseDpopNonce));
        assert_eq!(c[1].error_description(), Some(r#"say "hi""#));
        assert_eq!(c[2].scheme, "Basic");
        assert!(c[2].params.is_empty());
    }

    #[test]
    fn token68_and_spacing() {
        let c = parse("Negotiate abc+/9==, Bearer error = \"x\" ,, realm=r");
        assert_eq!(c[0].token68.as_deref(), Some("abc+/9=="));
        assert_eq!(c[1].param("error"), Some("x"));
        assert_eq!(c[1].realm(), Some("r"));
        let c = parse("Basic realm=\"x\"");
        assert_eq!(c[0].realm(), Some("x"));
        assert!(parse("").is_empty());
        assert!(parse(" , ").is_empty());
    }

    #[test]
    fn malformed() {
        assert!(AuthChallenge::parse(r#"DPoP error="unterminated"#).is_err());
        assert!(AuthChallenge::parse(r#"DPoP error="a" junk"#).is_err());
        assert!(AuthChallenge::parse("=x").is_err());
    }

    #[test]
    fn failure_prefers_the_scheme() {
        let mut h = HeaderMap::new();
        h.append(
            http::header::WWW_AUTHENTICATE,
            r#"Bearer error="invalid_token""#.parse().unwrap(),
        );
        h.append(
            http::header::WWW_AUTHENTICATE,
            r#"DPoP error="invalid_dpop_proof""#.parse().unwrap(),
        );
        let c = AuthChallenge::failure_in(&h, "dpop").expect("challenge");
        assert_eq!(c.error(), Some(ErrorCode::InvalidDpopProof));
        let c = AuthChallenge::failure_in(&h, "Bearer").expect("challenge");
        assert_eq!(c.error(), Some(ErrorCode::InvalidToken));
        assert!(AuthChallenge::failure_in(&HeaderMap::new(), "DPoP").is_none());
        assert_eq!(
            c.to_string(),
            "Bearer invalid_token",
            "display names scheme and error"
        );
    }
}
