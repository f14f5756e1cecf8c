//! The documented limits of the Identity Sources API (`docs/okta-behavior.md#limits`),
//! declared here once: validation checks them, the bulk-load writer packs to them, the
//! emulator enforces them, and the models' docs point here.

/// A length limit in characters (not bytes): `min..=max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Chars {
    /// The fewest characters allowed (0: the empty string is allowed).
    pub min: usize,
    /// The most characters allowed.
    pub max: usize,
}

impl Chars {
    const fn new(min: usize, max: usize) -> Self {
        Self { min, max }
    }
}

/// Entities (users, groups or memberships) in one bulk load.
pub const MAX_ENTITIES_PER_LOAD: usize = 200;
/// Serialized size of one bulk load body, in bytes (200 KB, counted as 200,000 bytes).
pub const MAX_LOAD_BYTES: usize = 200_000;
/// Bulk loads accepted in one session.
pub const MAX_LOADS_PER_SESSION: usize = 50;
/// Page size limit of the group-membership listing.
pub const MAX_MEMBERSHIP_PAGE_LIMIT: u32 = 1000;
/// Idle time after which a CREATED or IN_PROGRESS session expires, in seconds.
pub const SESSION_IDLE_EXPIRY_SECS: u64 = 24 * 60 * 60;
/// Time after a session was triggered during which Okta refuses a new session of the same
/// identity source (the five-minute rule), in seconds.
pub const SESSION_COOLDOWN_SECS: u64 = 5 * 60;

/// A user's `externalId` in requests: 1–512 characters (responses say at most 255).
pub const USER_EXTERNAL_ID: Chars = Chars::new(1, 512);
/// A group's `externalId`, and a member's in membership requests: 1–255 characters.
pub const GROUP_EXTERNAL_ID: Chars = Chars::new(1, 255);
/// A user's `email` and `secondEmail`: 5–100 characters.
pub const EMAIL: Chars = Chars::new(5, 100);
/// A user's `firstName` and `lastName`: 1–50 characters (or `null`).
pub const NAME: Chars = Chars::new(1, 50);
/// A user's `userName`: at most 100 characters.
pub const USER_NAME: Chars = Chars::new(0, 100);
/// A user's `mobilePhone`: at most 100 characters (or `null`).
pub const MOBILE_PHONE: Chars = Chars::new(0, 100);
/// A user's `homeAddress`: at most 4096 characters (or `null`).
pub const HOME_ADDRESS: Chars = Chars::new(0, 4096);
/// A group's `displayName`: 1–255 characters.
pub const DISPLAY_NAME: Chars = Chars::new(1, 255);
/// A group's `description`: at most 1024 characters (or `null`).
pub const DESCRIPTION: Chars = Chars::new(0, 1024);
