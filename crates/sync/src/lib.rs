//! The recurring sync of an HR source into an Okta identity source: the nightly job Okta's
//! Anything-as-a-Source gives no help with (no scheduling, no deletion safeguards, no way to
//! list what was pushed).
//!
//! Each run reads a full snapshot of the HR source, compares it with what the state says Okta
//! last completed, and sends only the difference:
//!
//! 1. [`StateStore`]: a SQLite file (WAL, every change in a transaction) holding, per (org,
//!    identity source), each user's and group's last completed profile and hash, the
//!    memberships, the changes pending, the run history and the importer's journal.
//! 2. [`plan()`]: the [`Plan`] — upserts for new and changed entities, deactivations and
//!    deletions for those gone from the snapshot, membership set differences — a typed value,
//!    and a JSON file for review (`sync plan --out`).
//! 3. [`Thresholds`]: a plan that deactivates, deletes or removes more than allowed is held;
//!    an empty snapshot against a non-empty state is always held.
//! 4. [`apply()`]: the plan through the importer (sessions filled to Okta's 50 loads, its
//!    journal in the state file); each applied session is committed to the state, the rest
//!    stays pending and goes out again next run. A killed run is finished by the next.
//!
//! ```no_run
//! use std::sync::{Arc, Mutex};
//! use okta_idsrc_import::{InputSource, VecSource};
//! use okta_idsrc_sync::{ApplyOptions, PlanOptions, Snapshot, StateStore, Target, apply, plan};
//! # async fn run(client: okta_idsrc_ops::Client, users: VecSource) -> Result<(), Box<dyn std::error::Error>> {
//! let target = Target::new("https://acme.okta.com", "0oa1234567890abcdefg")?;
//! let mut store = StateStore::open("hr-sync.db")?;
//! let id = store.target(&target)?;
//! let users: [&dyn InputSource; 1] = [&users];
//! let snapshot = Snapshot::users(&users);
//! let plan = Arc::new(plan(&store, id, &target, snapshot, &PlanOptions::default())?);
//! println!("{plan}");
//! let store = Arc::new(Mutex::new(store));
//! let report = apply(&store, id, &plan, client, &ApplyOptions::default()).await?;
//! println!("run {} applied {:?}", report.run, report.applied);
//! # Ok(())
//! # }
//! ```

mod apply;
mod error;
mod lock;
mod plan;
mod profile;
mod safeguards;
mod store;
mod target;

pub use apply::{ApplyOptions, ApplyReport, apply};
pub use error::SyncError;
pub use lock::StateLock;
pub use plan::{
    Applied, ChangeKind, GroupUpsert, Held, Leaver, Membership, PLAN_VERSION, PendingKey, Plan,
    PlanOptions, Planned, PlannedModel, Reason, Snapshot, SnapshotCounts, UserUpsert, plan,
};
pub use profile::{AttributeChange, Canonical, ProfileHash};
pub use safeguards::{Limit, Thresholds};
pub use store::{
    Entities, RunOutcome, RunRecord, StateCounts, StateJournal, StateStore, TargetId, Unfinished,
};
pub use target::Target;
