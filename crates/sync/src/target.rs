//! [`Target`]: the (org URL, identity source) a state, a plan or a run belongs to.

use std::fmt;

use okta_idsrc_core::OrgUrl;

/// An org and one of its identity sources. Everything in a state file is keyed by one, and
/// a run never mixes two.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    org_url: String,
    identity_source: String,
}

impl Target {
    /// The target of identity source `identity_source` (`0oa…`) in the org at `org_url` (as
    /// the client normalizes it: scheme and host lowercased, no trailing slash).
    pub fn new(org_url: &str, identity_source: &str) -> Result<Self, String> {
        let org = OrgUrl::parse(org_url).map_err(|e| e.reason)?;
        let source = identity_source.trim();
        if source.is_empty() {
            return Err("the identity source id is empty".to_owned());
        }
        Ok(Self::new_unchecked(
            org.as_str().to_owned(),
            source.to_owned(),
        ))
    }

    pub(crate) fn new_unchecked(org_url: String, identity_source: String) -> Self {
        Self {
            org_url,
            identity_source,
        }
    }

    /// The org URL.
    pub fn org_url(&self) -> &str {
        &self.org_url
    }

    /// The identity source id.
    pub fn identity_source(&self) -> &str {
        &self.identity_source
    }
}

impl fmt::Display for Target {
    /// `0oa… at https://acme.okta.com`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.identity_source, self.org_url)
    }
}
