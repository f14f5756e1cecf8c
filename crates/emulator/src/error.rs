//! Okta's error responses: `{errorCode, errorSummary, errorLink, errorId, errorCauses}`.

use std::fmt::Display;

use http::StatusCode;
use okta_idsrc_core::json::WriteJson;
use okta_idsrc_core::validate::Violation;

/// An error response before its `errorId` is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub summary: String,
    pub causes: Vec<String>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, summary: impl Into<String>) -> Self {
        Self {
            status,
            code,
            summary: summary.into(),
            causes: Vec::new(),
        }
    }

    /// 400 E0000001 `Api validation failed: {field}` with the given causes.
    pub(crate) fn validation(field: impl Display, causes: Vec<String>) -> Self {
        Self {
            causes,
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "E0000001",
                format!("Api validation failed: {field}"),
            )
        }
    }

    /// 400 E0000001 naming the first violation's field, one cause per violation
    /// (`profiles[3].profile.email: is 101 characters; at most 100 allowed`).
    pub(crate) fn violations(violations: &[Violation]) -> Self {
        let field = violations.first().map_or("body", |v| v.field.as_str());
        Self::validation(field, violations.iter().map(ToString::to_string).collect())
    }

    /// 400 E0000001 naming `externalId`: a `kind` (`user`, `group`) with that id exists.
    pub(crate) fn already_exists(kind: &str, external_id: &str) -> Self {
        Self::validation(
            "externalId",
            vec![format!(
                "externalId: a {kind} with external id {external_id} already exists"
            )],
        )
    }

    /// 400 E0000003 `The request body was not well-formed.`
    pub(crate) fn malformed() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "E0000003",
            "The request body was not well-formed.",
        )
    }

    /// 404 E0000007 `Not found: Resource not found: {id} ({kind})`.
    pub(crate) fn not_found(id: impl Display, kind: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "E0000007",
            format!("Not found: Resource not found: {id} ({kind})"),
        )
    }

    /// 405 E0000022.
    pub(crate) fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "E0000022",
            "The endpoint does not support the provided HTTP method",
        )
    }

    /// 401 E0000011 `Invalid token provided`.
    pub(crate) fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "E0000011",
            "Invalid token provided",
        )
    }

    /// 403 E0000006 `You do not have permission to perform the requested action` (an access
    /// token without the operation's scope).
    pub(crate) fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "E0000006",
            "You do not have permission to perform the requested action",
        )
    }

    /// 429 E0000047.
    pub(crate) fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
        )
    }

    /// 500 E0000009.
    pub(crate) fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "E0000009",
            "Internal Server Error",
        )
    }

    /// The JSON body, fields in Okta's order.
    pub(crate) fn body(&self, error_id: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            128 + self.summary.len() + self.causes.iter().map(|c| c.len() + 20).sum::<usize>(),
        );
        out.extend_from_slice(b"{\"errorCode\":");
        WriteJson::write_json(self.code, &mut out);
        out.extend_from_slice(b",\"errorSummary\":");
        WriteJson::write_json(&self.summary, &mut out);
        out.extend_from_slice(b",\"errorLink\":");
        WriteJson::write_json(self.code, &mut out);
        out.extend_from_slice(b",\"errorId\":");
        WriteJson::write_json(error_id, &mut out);
        out.extend_from_slice(b",\"errorCauses\":[");
        for (i, cause) in self.causes.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"errorSummary\":");
            WriteJson::write_json(cause, &mut out);
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_okta_shaped() {
        let e = ApiError::validation("importSessionId", vec!["x \"y\"".into()]);
        let body: serde_json::Value = serde_json::from_slice(&e.body("oaeX")).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "errorCode": "E0000001",
                "errorSummary": "Api validation failed: importSessionId",
                "errorLink": "E0000001",
                "errorId": "oaeX",
                "errorCauses": [{"errorSummary": "x \"y\""}],
            })
        );
    }
}
