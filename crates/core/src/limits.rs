//! The documented limits of the Identity Sources API (`BEHAVIOR.md` §3).

/// Entities (users, groups or memberships) in one bulk load.
pub const MAX_ENTITIES_PER_LOAD: usize = 200;
/// Serialized size of one bulk load body, in bytes (200 KB).
pub const MAX_LOAD_BYTES: usize = 200_000;
/// Bulk loads accepted in one session.
pub const MAX_LOADS_PER_SESSION: usize = 50;
/// Characters of a user `externalId` in requests.
pub const MAX_USER_EXTERNAL_ID_CHARS: usize = 512;
/// Characters of a group or member `externalId`.
pub const MAX_GROUP_EXTERNAL_ID_CHARS: usize = 255;
/// Page size limit of the group-membership listing.
pub const MAX_MEMBERSHIP_PAGE_LIMIT: u32 = 1000;
/// Idle time after which a CREATED or IN_PROGRESS session expires, in seconds.
pub const SESSION_IDLE_EXPIRY_SECS: u64 = 24 * 60 * 60;
