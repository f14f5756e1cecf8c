//! [`ImportOptions`]: how an import runs.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use okta_idsrc_core::limits::{MAX_LOADS_PER_SESSION, SESSION_COOLDOWN_SECS};

use super::journal::{JournalStore, SharedJournal};
use super::progress::Progress;
use super::report::LineRange;
use okta_idsrc_core::transport::BoxError;

/// The default [`stale_after`](ImportOptions::stale_after): 30 minutes.
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(30 * 60);

/// What the importer does about invalid entities.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum InvalidPolicy {
    /// Report every problem and stop before anything is uploaded (the default).
    #[default]
    Stop,
    /// Import the valid entities and list the skipped ones in the report.
    Skip,
}

/// A progress callback: called from the importer's task, at most ten times a second (and
/// always on a phase change and at the end). Keep it quick.
pub type ProgressCallback = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Called with the input lines whose loads Okta applied: once per applied session, and once
/// per load a journal shows applied by an earlier run. An error stops the run
/// ([`ImportError::Recording`](super::ImportError::Recording)).
pub type AppliedCallback = Arc<dyn Fn(&[LineRange]) -> Result<(), BoxError> + Send + Sync>;

/// How an [`Importer`](super::Importer) runs. Start from [`Default`] and change what you need:
///
/// ```
/// use std::time::Duration;
/// use okta_idsrc_import::{ImportOptions, InvalidPolicy};
///
/// let options = ImportOptions::default()
///     .with_concurrency(8)
///     .with_invalid_policy(InvalidPolicy::Skip)
///     .with_journal("import.journal")
///     .with_poll_interval(Duration::from_millis(200), Duration::from_secs(10));
/// assert_eq!(options.max_loads_per_session, 50);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct ImportOptions {
    /// Loads in flight at once (default 4; at least 1).
    pub concurrency: usize,
    /// Loads planned per session (default and most: Okta's 50). A load Okta refuses because
    /// the session is at its cap (it counted a load whose answer was lost) goes to the next
    /// session.
    pub max_loads_per_session: usize,
    /// What to do about invalid entities (default [`InvalidPolicy::Stop`]).
    pub invalid_policy: InvalidPolicy,
    /// Cancel an active CREATED or IN_PROGRESS session that this run's journal does not know,
    /// when it is stale by evidence: Okta's `lastUpdated` for it is at least
    /// [`stale_after`](Self::stale_after) old (default false: stop with
    /// [`ImportError::StaleSession`](super::ImportError::StaleSession)). A session updated
    /// more recently is never cancelled: another run may be feeding it.
    pub cancel_stale: bool,
    /// Accept an input that both upserts and deletes one id (a user upserted and
    /// deactivated, a group upserted and deleted, a membership added and removed), applying
    /// the kinds in their order ([`EntityKind::ALL`](super::EntityKind::ALL): the delete
    /// wins). Default false: each such delete is an invalid entity naming both lines.
    pub allow_contradictions: bool,
    /// How long a session must have gone without a load (by its `lastUpdated`) to count as
    /// stale (default 30 minutes).
    pub stale_after: Duration,
    /// Look up, in Okta, the users and groups that memberships, deactivations and group
    /// deletes name but the input does not upsert (default true): each one Okta does not
    /// know either is a [warning](super::ImportReport::warnings) with its source and line.
    pub check_references: bool,
    /// The most distinct ids looked up by [`check_references`](Self::check_references)
    /// (default 1,000); the ids beyond are counted as
    /// [unchecked](super::ImportReport::references_unchecked).
    pub max_reference_checks: usize,
    /// The journal file that makes the run resumable (default none).
    pub journal: Option<PathBuf>,
    /// A journal kept elsewhere than in a file (wins over [`journal`](Self::journal)).
    pub journal_store: Option<SharedJournal>,
    /// Sessions an earlier run of the caller opened without a journal this run reads: when
    /// found active, a CREATED or IN_PROGRESS one is cancelled and a TRIGGERED one waited
    /// for, instead of being refused as another run's.
    pub adopted_sessions: Vec<String>,
    /// Called with what each applied session carried.
    pub on_applied: Option<AppliedCallback>,
    /// `fsync` the journal after each record (default false: records are flushed to the OS,
    /// which survives the process being killed but not the machine losing power).
    pub sync_journal: bool,
    /// Validate and pack, report the loads and sessions it would take, send nothing.
    pub dry_run: bool,
    /// The first wait between two polls of a session (default 100 ms); it doubles up to
    /// [`poll_interval_max`](Self::poll_interval_max).
    pub poll_interval_min: Duration,
    /// The longest wait between two polls of a session (default 5 s).
    pub poll_interval_max: Duration,
    /// How many times the loads of a session that ends in ERROR or EXPIRED (or is closed
    /// under the importer) are uploaded again in a new session (default 1).
    pub session_retries: u32,
    /// How long to keep trying to open a session while Okta refuses because one was opened
    /// recently (live Okta: 5 minutes after the last one; default 6 minutes).
    pub cooldown_max_wait: Duration,
    /// How long Okta refuses a new session after the last one was triggered (default 5
    /// minutes, Okta's rule), counted from the last trigger this run saw (or, for another
    /// run's session, its `lastUpdated`): only what progress says is left of a cool-down;
    /// the importer tries again whatever it says.
    pub session_cooldown: Duration,
    /// How many problems an [`InvalidInput`](super::ImportError::InvalidInput) error lists
    /// (default 100; the total is always counted).
    pub max_reported_problems: usize,
    /// How many skipped entities the report lists (default 10,000; the total is always
    /// counted).
    pub max_reported_skipped: usize,
    /// Called with the run's [`Progress`].
    pub on_progress: Option<ProgressCallback>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            max_loads_per_session: MAX_LOADS_PER_SESSION,
            invalid_policy: InvalidPolicy::Stop,
            cancel_stale: false,
            allow_contradictions: false,
            stale_after: DEFAULT_STALE_AFTER,
            check_references: true,
            max_reference_checks: 1000,
            journal: None,
            journal_store: None,
            adopted_sessions: Vec::new(),
            on_applied: None,
            sync_journal: false,
            dry_run: false,
            poll_interval_min: Duration::from_millis(100),
            poll_interval_max: Duration::from_secs(5),
            session_retries: 1,
            cooldown_max_wait: Duration::from_secs(6 * 60),
            session_cooldown: Duration::from_secs(SESSION_COOLDOWN_SECS),
            max_reported_problems: 100,
            max_reported_skipped: 10_000,
            on_progress: None,
        }
    }
}

/// `with_…` setters of plain fields, each documented as setting its field.
macro_rules! setters {
    ($($name:ident($field:ident: $ty:ty);)*) => {
        $(
            #[doc = concat!("Sets [`", stringify!($field), "`](Self::", stringify!($field), ").")]
            #[must_use]
            pub fn $name(mut self, $field: $ty) -> Self {
                self.$field = $field;
                self
            }
        )*
    };
}

impl ImportOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        with_concurrency(concurrency: usize);
        with_max_loads_per_session(max_loads_per_session: usize);
        with_invalid_policy(invalid_policy: InvalidPolicy);
        with_cancel_stale(cancel_stale: bool);
        with_stale_after(stale_after: Duration);
        with_allow_contradictions(allow_contradictions: bool);
        with_check_references(check_references: bool);
        with_max_reference_checks(max_reference_checks: usize);
        with_sync_journal(sync_journal: bool);
        with_dry_run(dry_run: bool);
        with_session_retries(session_retries: u32);
        with_cooldown_max_wait(cooldown_max_wait: Duration);
        with_session_cooldown(session_cooldown: Duration);
        with_max_reported_problems(max_reported_problems: usize);
        with_max_reported_skipped(max_reported_skipped: usize);
        with_adopted_sessions(adopted_sessions: Vec<String>);
    }

    /// Sets the [`journal`](Self::journal) file.
    #[must_use]
    pub fn with_journal(mut self, path: impl Into<PathBuf>) -> Self {
        self.journal = Some(path.into());
        self
    }

    /// Keeps the journal in `store` instead of a file.
    #[must_use]
    pub fn with_journal_store(mut self, store: impl JournalStore + 'static) -> Self {
        self.journal_store = Some(Arc::new(std::sync::Mutex::new(store)));
        self
    }

    /// Sets the [`on_applied`](Self::on_applied) callback.
    #[must_use]
    pub fn with_on_applied(
        mut self,
        callback: impl Fn(&[LineRange]) -> Result<(), BoxError> + Send + Sync + 'static,
    ) -> Self {
        self.on_applied = Some(Arc::new(callback));
        self
    }

    /// Sets the bounds of the session polling interval.
    #[must_use]
    pub fn with_poll_interval(mut self, min: Duration, max: Duration) -> Self {
        self.poll_interval_min = min;
        self.poll_interval_max = max;
        self
    }

    /// Sets the progress callback.
    #[must_use]
    pub fn with_on_progress(
        mut self,
        callback: impl Fn(&Progress) + Send + Sync + 'static,
    ) -> Self {
        self.on_progress = Some(Arc::new(callback));
        self
    }

    /// The concurrency actually used (at least 1).
    pub(crate) fn effective_concurrency(&self) -> usize {
        self.concurrency.max(1)
    }

    /// The loads actually planned per session (1 to 50).
    pub(crate) fn effective_max_loads(&self) -> usize {
        self.max_loads_per_session.clamp(1, MAX_LOADS_PER_SESSION)
    }
}

impl fmt::Debug for ImportOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportOptions")
            .field("concurrency", &self.concurrency)
            .field("max_loads_per_session", &self.max_loads_per_session)
            .field("invalid_policy", &self.invalid_policy)
            .field("cancel_stale", &self.cancel_stale)
            .field("allow_contradictions", &self.allow_contradictions)
            .field("stale_after", &self.stale_after)
            .field("check_references", &self.check_references)
            .field("max_reference_checks", &self.max_reference_checks)
            .field("journal", &self.journal)
            .field("journal_store", &self.journal_store.is_some())
            .field("adopted_sessions", &self.adopted_sessions)
            .field("on_applied", &self.on_applied.is_some())
            .field("sync_journal", &self.sync_journal)
            .field("dry_run", &self.dry_run)
            .field("poll_interval_min", &self.poll_interval_min)
            .field("poll_interval_max", &self.poll_interval_max)
            .field("session_retries", &self.session_retries)
            .field("cooldown_max_wait", &self.cooldown_max_wait)
            .field("session_cooldown", &self.session_cooldown)
            .field("max_reported_problems", &self.max_reported_problems)
            .field("max_reported_skipped", &self.max_reported_skipped)
            .field(
                "on_progress",
                &self.on_progress.as_ref().map(|_| "Fn(&Progress)"),
            )
            .finish()
    }
}
