//! Identity source sessions.

open_enum! {
    /// The current status of an identity source session (`IdentitySourceSessionStatus`).
    pub enum IdentitySourceSessionStatus {
        /// Canceled; not available for further activity. Terminal.
        Closed = "CLOSED",
        /// The bulk data was processed and imported into Okta. Terminal.
        Completed = "COMPLETED",
        /// New, not processed; bulk data can be uploaded.
        Created = "CREATED",
        /// Processing failed; open a new session to upload the data again. Terminal.
        Error = "ERROR",
        /// Timed out after 24 hours without activity. Terminal.
        Expired = "EXPIRED",
        /// Bulk data is being uploaded; more can be uploaded.
        InProgress = "IN_PROGRESS",
        /// Okta is processing the import; no more bulk data can be uploaded.
        Triggered = "TRIGGERED",
    }
}

impl IdentitySourceSessionStatus {
    /// Whether the session can no longer change (CLOSED, COMPLETED, ERROR, EXPIRED).
    ///
    /// An unknown status is not considered terminal.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Closed | Self::Completed | Self::Error | Self::Expired
        )
    }

    /// Whether the session counts as the identity source's active session (CREATED,
    /// IN_PROGRESS or TRIGGERED).
    pub fn is_active(&self) -> bool {
        matches!(self, Self::Created | Self::InProgress | Self::Triggered)
    }

    /// Whether bulk loads are accepted in this status (CREATED or IN_PROGRESS).
    pub fn accepts_loads(&self) -> bool {
        matches!(self, Self::Created | Self::InProgress)
    }
}

model! {
    /// An identity source session (`IdentitySourceSession`).
    pub struct IdentitySourceSession {
        /// When the session was created (`2026-05-13T05:52:24.000Z`).
        created: Option<String> = "created",
        /// The session id (`aps…`).
        id: Option<String> = "id",
        /// The identity source the session belongs to (`0oa…`).
        identity_source_id: Option<String> = "identitySourceId",
        /// The import type; always `INCREMENTAL` today.
        import_type: Option<String> = "importType",
        /// When the session last changed.
        last_updated: Option<String> = "lastUpdated",
        /// The session's status.
        status: Option<IdentitySourceSessionStatus> = "status",
    }
}
