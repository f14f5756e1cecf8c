//! The API's models, named as Okta's OpenAPI spec names its schemas.
//!
//! Every model is forward compatible: unknown fields are kept in `additional_properties`
//! and unknown enum values in an `Unknown` variant, and both are written back unchanged.
//! Every field is optional, as in the spec; builder-style setters named after the fields
//! construct values from other crates:
//!
//! ```
//! use okta_idsrc_core::models::*;
//!
//! let body = BulkUpsertRequestBody::users(vec![BulkUpsertRequestBodyProfilesInner::with(
//!     "EXT123",
//!     IdentitySourceUserProfileForUpsert::new()
//!         .user_name("isaac.brock@example.com")
//!         .email("isaac.brock@example.com")
//!         .first_name("Isaac")
//!         .custom_attribute("department", "Engineering"),
//! )]);
//! let json = serde_json::to_string(&body).unwrap();
//! assert!(json.starts_with(r#"{"entityType":"USERS","profiles":[{"externalId":"EXT123""#));
//! ```

#[macro_use]
mod macros;
mod bulk;
mod error;
mod group;
pub(crate) mod key;
mod nullable;
mod session;
mod user;

pub use bulk::*;
pub use error::*;
pub use group::*;
pub use nullable::Nullable;
pub use session::*;
pub use user::*;

/// An enum value this version of the crate does not know, kept verbatim and written back as
/// it came. It is made only by parsing a value (deserializing, or `From<&str>` on the enum),
/// so no code can pass one off as a status of its own.
///
/// ```
/// use okta_idsrc_core::models::IdentitySourceSessionStatus as Status;
///
/// let status: Status = serde_json::from_str(r#""PAUSED""#).unwrap();
/// assert!(matches!(&status, Status::Unknown(v) if v.as_str() == "PAUSED"));
/// assert_eq!(serde_json::to_string(&status).unwrap(), r#""PAUSED""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnknownValue(pub(crate) String);

impl UnknownValue {
    /// The value as it came.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
