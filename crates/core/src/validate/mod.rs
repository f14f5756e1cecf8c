//! Validation of request bodies against the documented limits, before any byte is sent.
//!
//! Every violation names the field, as a JSON path from the body's root
//! (`profiles[3].profile.email`), and the index of the offending entity. Lengths count
//! characters, not bytes; character positions in messages count from 1.
//!
//! Implemented by every request body of the API through [`Validate`]; path parameters are
//! checked by [`check_id`] and the serialized size of a bulk load by [`check_body_size`].
//!
//! # Refused, or only warned about
//!
//! A bulk user upsert and the single-user bodies (create, replace, update) share the profile
//! schema, so they refuse the same things: a broken limit (length, a 4-byte character, a value
//! that is not a string) and an `email` or `secondEmail` that is not an email address (the
//! spec's `format: email`; the shape accepted is described in `docs/okta-behavior.md`). The
//! one difference is the spec's own: the single-user bodies require `email` and `userName`,
//! the bulk schema requires nothing, since an incremental import may update only some
//! attributes of a user Okta has. A bulk user without them is therefore valid, and
//! [`Validate::warnings`] says that Okta cannot create a user from it.
//!
//! ```
//! use okta_idsrc_core::models::*;
//! use okta_idsrc_core::validate::Validate;
//!
//! let titles_only = IdentitySourceUserProfileForUpsert::new().custom_attribute("title", "CTO");
//! let bulk = BulkUpsertRequestBodyProfilesInner::with("u1", titles_only.clone());
//! assert!(bulk.violations().is_empty());
//! assert_eq!(bulk.warnings().len(), 2, "no email, no userName");
//! let create = UserRequestSchema::new().external_id("u1").profile(titles_only);
//! assert_eq!(create.violations().len(), 2, "both required");
//!
//! let no_address = IdentitySourceUserProfileForUpsert::new().email("ann at example.com");
//! let bulk = BulkUpsertRequestBodyProfilesInner::with("u1", no_address);
//! assert_eq!(bulk.violations()[0].message, "is not an email address: it has no @");
//! ```

mod engine;
mod rules;

use std::fmt;

use crate::limits::MAX_LOAD_BYTES;
use engine::{four_byte_message, scan};

pub(crate) use rules::{
    group_external_id_violations, membership_violations, user_external_id_violations,
};

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Violation {
    /// JSON path of the offending field from the body's root, e.g. `profiles[3].profile.email`.
    pub field: String,
    /// Index of the offending entity in the load, when the rule concerns one entity.
    pub index: Option<usize>,
    /// What is wrong, e.g. `is 101 characters long; at most 100 allowed`.
    pub message: String,
}

impl Violation {
    /// A violation of `field` (entity `index`, if any).
    pub fn new(field: impl Into<String>, index: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            index,
            message: message.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A request body that broke one or more documented limits. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationError {
    /// The operation whose body failed validation (its operationId).
    pub operation: &'static str,
    /// Every violation found, in body order.
    pub violations: Vec<Violation>,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: invalid request body: ", self.operation)?;
        for (i, v) in self.violations.iter().take(5).enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        if self.violations.len() > 5 {
            write!(f, "; and {} more", self.violations.len() - 5)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationError {}

/// A request body checked against the documented limits (`docs/okta-behavior.md#limits`).
///
/// Violations of a single entity (a profile, a group) have paths relative to it and no index;
/// those of a bulk body are prefixed with the entity's place (`profiles[3].profile.email`) and
/// carry its index. A valid value gives an empty list, and costs no allocation.
///
/// ```
/// use okta_idsrc_core::models::*;
/// use okta_idsrc_core::validate::Validate;
///
/// let body = BulkUpsertRequestBody::users(vec![BulkUpsertRequestBodyProfilesInner::with(
///     "EXT1",
///     IdentitySourceUserProfileForUpsert::new().email("a@b").user_name("isaac"),
/// )]);
/// let v = body.violations();
/// assert_eq!(v.len(), 1);
/// assert_eq!(v[0].field, "profiles[0].profile.email");
/// assert_eq!(v[0].index, Some(0));
/// assert_eq!(v[0].message, "is 3 characters; at least 5 required");
/// ```
pub trait Validate {
    /// Every broken rule, in body order; empty when the value is valid.
    fn violations(&self) -> Vec<Violation>;

    /// What Okta accepts in the value but will likely not do what was meant (see the
    /// module's docs: a bulk upsert's user without `email` or `userName`); empty by
    /// default. A warning never stops a request.
    fn warnings(&self) -> Vec<Violation> {
        Vec::new()
    }

    /// `Ok` when valid, else a [`ValidationError`] of `operation` (an operationId) listing
    /// every violation.
    fn validate(&self, operation: &'static str) -> Result<(), ValidationError> {
        let violations = self.violations();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ValidationError {
                operation,
                violations,
            })
        }
    }
}

/// A violation when a serialized bulk load of `len` bytes is over the 200 KB limit
/// ([`MAX_LOAD_BYTES`]); field `body`.
pub fn check_body_size(len: usize) -> Option<Violation> {
    (len > MAX_LOAD_BYTES).then(|| {
        Violation::new(
            "body",
            None,
            format!("is {len} bytes; at most {MAX_LOAD_BYTES} allowed"),
        )
    })
}

/// A violation when path parameter `name` cannot be sent as one path segment: empty, `.` or
/// `..`, containing a control character (C0, DEL or C1), or a 4-byte UTF-8 character (which no
/// Okta id can contain).
pub fn check_id(name: &'static str, value: &str) -> Option<Violation> {
    let message = if value.is_empty() {
        "is empty".to_owned()
    } else if value == "." || value == ".." {
        format!("must not be {value:?}")
    } else if let Some((i, c)) = value.chars().enumerate().find(|(_, c)| c.is_control()) {
        format!(
            "contains a control character at character {} (U+{:04X})",
            i + 1,
            u32::from(c)
        )
    } else if let Some((at, c)) = scan(value).four_byte {
        four_byte_message(at, c)
    } else {
        return None;
    };
    Some(Violation::new(name, None, message))
}
