//! The bulk importer: streams of user upserts and deactivations, group upserts and deletes,
//! and membership upserts and deletes, driven through Okta's import sessions end to end.
//!
//! An [`Importer`] run:
//! 1. **validates** every entity first, streaming each [`InputSource`] once: core's rules
//!    (lengths, required fields, 4-byte characters…), an entity too big for a load,
//!    duplicate external ids within a kind, and contradictions (one id both upserted and
//!    deactivated or deleted, unless
//!    [`allow_contradictions`](ImportOptions::allow_contradictions)). Problems name the
//!    source, line and field; the
//!    [`InvalidPolicy`] stops the run before anything is sent (the default) or skips them.
//! 2. **packs** the entities into bulk loads of at most 200 entities and 200 KB, in the
//!    order the kinds are applied ([`EntityKind::ALL`]: user upserts, group upserts,
//!    membership upserts, membership deletes, group deletes, user deactivations), streaming
//!    the sources again — memory stays flat whatever the input's size.
//! 3. **looks up references** ([`check_references`](ImportOptions::check_references)): the
//!    users and groups that memberships, deactivations and group deletes name but the input
//!    does not upsert, one `GET` per distinct id (bounded); those Okta does not know either
//!    become [`warnings`](ImportReport::warnings), since Okta skips such entities silently.
//! 4. **drives sessions**: opens one (waiting for a TRIGGERED session to finish, reporting —
//!    or with [`cancel_stale`](ImportOptions::cancel_stale) cancelling — a stale one, and
//!    waiting out Okta's cool-down between sessions), uploads up to
//!    [`max_loads_per_session`](ImportOptions::max_loads_per_session) loads to it,
//!    [`concurrency`](ImportOptions::concurrency) at a time (a kind starts once every load of
//!    the kinds before it is acknowledged), starts the import, polls until it ends, and
//!    rolls over to the next session until the input is exhausted.
//!
//! Faults are survived without losing anything: requests are retried (by the client's retry
//! layer, then by the importer); a load refused because the session's 50-load cap is reached
//! (Okta may count a load whose response was lost, and the one sent again) goes to the next
//! session; start-import is never blindly repeated; a session that ends in ERROR or EXPIRED
//! is reported with the loads and lines it held and its loads are uploaded again in a new
//! session ([`session_retries`](ImportOptions::session_retries) times).
//!
//! With a [`journal`](ImportOptions::journal), a run killed at any point and started again
//! with the same input and journal continues where it stopped and ends in the same state as
//! an uninterrupted run.
//!
//! ```no_run
//! use okta_idsrc_ops::Client;
//! use okta_idsrc_import::{Entity, EntityKind, ImportOptions, Importer, VecSource};
//! use okta_idsrc_core::models::*;
//!
//! # async fn run(client: Client) -> Result<(), Box<dyn std::error::Error>> {
//! let users = VecSource::new("users", EntityKind::UserUpsert, [Entity::UserUpsert(
//!     BulkUpsertRequestBodyProfilesInner::with(
//!         "EXT123",
//!         IdentitySourceUserProfileForUpsert::new()
//!             .user_name("isaac.brock@example.com")
//!             .email("isaac.brock@example.com"),
//!     ),
//! )]);
//! let options = ImportOptions::default()
//!     .with_journal("hr-sync.journal")
//!     .with_on_progress(|p| eprintln!("{} of {:?} loads", p.loads_acknowledged, p.loads_total));
//! let importer = Importer::new(client, "0oa1234567890abcdefg", options);
//! let report = importer.run(&[&users]).await?;
//! println!("{} loads in {} sessions", report.loads, report.sessions.len());
//! # Ok(())
//! # }
//! ```
//!
//! # The journal
//!
//! An append-only JSON Lines file:
//!
//! ```text
//! {"event":"start","input":"<fingerprint>","version":1}
//! {"event":"creating"}
//! {"event":"session","session":"aps…","firstLoad":0}
//! {"event":"load","session":"aps…","load":3}
//! {"event":"startImport","session":"aps…"}
//! {"event":"done","session":"aps…","status":"COMPLETED","applied":true,"lastLoad":44}
//! {"event":"resume","input":"<fingerprint>","loadsDone":45}
//! {"event":"finished","loads":130,"sessions":3}
//! ```
//!
//! - `input` is a fingerprint of the input (every source's name and kind, every record's
//!   line and serialized entity) and of the invalid-entity policy: a journal of another input
//!   is refused ([`ImportError::JournalMismatch`]).
//! - Loads are numbered from 0 in packing order, which is deterministic. A load counts as
//!   imported once a `load` record names it in a session whose `done` record says `applied`
//!   (COMPLETED; or CLOSED after Okta kept it CREATED because nothing changed).
//! - On a new run, sessions without a `done` record are read back: COMPLETED ones count,
//!   TRIGGERED ones are waited for, a CREATED or IN_PROGRESS one is continued (its
//!   acknowledged loads are not sent again), and the loads of ERROR, EXPIRED or CLOSED ones go
//!   to a new session. `creating` without a `session` after it means a kill while a session was
//!   being opened: the CREATED session found then is adopted rather than reported as stale.
//! - Each record is written with one `write` call, so it reaches the operating system before
//!   the importer goes on and survives the process being killed; it is `fsync`ed only with
//!   [`sync_journal`](ImportOptions::sync_journal). A last line cut short by a kill is ignored
//!   (and cut off); unknown events are ignored.
//!
//! # Memory
//!
//! The input is streamed twice and never held. What grows with it: one 8-byte hash per
//! valid entity, kept during validation to find duplicate external ids (8 MB for a million
//! users), and the journal's records of a resumed run. Besides that, a run holds one
//! session's loads (at most 50 × 200 KB) so that they can be sent again if the session
//! fails.

mod error;
mod fingerprint;
mod input;
mod journal;
mod options;
mod pack;
mod progress;
mod references;
mod report;
mod run;
mod validate;

pub use error::ImportError;
pub use input::{Entity, EntityKind, InputError, InputSource, Record, Records, VecSource};
pub use journal::{FileJournal, JournalStore, SharedJournal};
pub use options::{
    AppliedCallback, DEFAULT_STALE_AFTER, ImportOptions, InvalidPolicy, ProgressCallback,
};
pub use progress::{PROGRESS_INTERVAL, Phase, Progress, Waiting, WaitingFor};
pub use report::{EntityCounts, ImportReport, LineRange, SessionReport, SessionState};
pub use validate::{check_record, repeated_id};

use okta_idsrc_ops::Client;
use okta_idsrc_ops::service::SendHttpService;

/// Imports entities into one identity source through a [`Client`]. See the
/// [module docs](self).
///
/// The client should carry the [retry](okta_idsrc_ops::retry) and
/// [rate-limit](okta_idsrc_ops::rate_limit) layers
/// ([`default_layers`](okta_idsrc_ops::ClientBuilder::default_layers)): the importer never
/// retries a request itself, takes the attempts of its own session-level steps from the
/// client's retry configuration, and reports the client's retries and 429s.
#[derive(Debug, Clone)]
pub struct Importer<S> {
    client: Client<S>,
    identity_source_id: String,
    options: ImportOptions,
}

impl<S> Importer<S> {
    /// An importer into identity source `identity_source_id` (`0oa…`).
    pub fn new(
        client: Client<S>,
        identity_source_id: impl Into<String>,
        options: ImportOptions,
    ) -> Self {
        Self {
            client,
            identity_source_id: identity_source_id.into(),
            options,
        }
    }

    /// The options.
    pub fn options(&self) -> &ImportOptions {
        &self.options
    }

    /// The identity source.
    pub fn identity_source_id(&self) -> &str {
        &self.identity_source_id
    }
}

impl<S> Importer<S>
where
    S: SendHttpService + Sync,
{
    /// Imports `sources` (any number, of any kinds; sources of one kind are read in the order
    /// given). Returns what was done, or why it stopped.
    ///
    /// Dropping the future stops the run between two requests; with a journal, running again
    /// continues from there.
    pub async fn run(&self, sources: &[&dyn InputSource]) -> Result<ImportReport, ImportError> {
        run::run(self, sources).await
    }
}
