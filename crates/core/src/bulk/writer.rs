//! [`BulkLoadWriter`]: the framing of one kind of load, and the [`BulkLoadBody`] it closes.

use std::fmt;

use bytes::Bytes;

use super::{BulkLoadKind, ENTRY_END, ENTRY_GROUP, ENTRY_MEMBERS, EncodedEntity, SUFFIX};
use crate::limits::{MAX_ENTITIES_PER_LOAD, MAX_LOAD_BYTES};

/// Why [`BulkLoadWriter::push`] did not add an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushError {
    /// The load is full (200 entities, or 200 KB with the entity added): finish it, then push
    /// the entity into the next one.
    Full,
    /// The entity belongs in another kind of load (or nothing is encoded).
    WrongKind,
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full => "the load is full",
            Self::WrongKind => "the entity belongs in another kind of load",
        })
    }
}

impl std::error::Error for PushError {}

/// Builds the bodies of one kind of bulk load from encoded entities, one load at a time.
#[derive(Clone)]
pub struct BulkLoadWriter {
    kind: BulkLoadKind,
    buf: Vec<u8>,
    entities: u32,
    /// The group (as a JSON string) of the open membership entry.
    group: Vec<u8>,
    /// The size of the last load, to size the next buffer.
    last_len: usize,
}

/// The `Debug` of a load, open or closed: its kind, its entities and its size. The bytes hold
/// profiles: only their size is shown.
macro_rules! debug_load {
    ($($load:ident($bytes:ident)),*) => {$(
        impl fmt::Debug for $load {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($load))
                    .field("kind", &self.kind)
                    .field("entities", &self.entities)
                    .field("bytes", &self.$bytes.len())
                    .finish()
            }
        }
    )*};
}

debug_load!(BulkLoadWriter(buf), BulkLoadBody(bytes));

impl BulkLoadWriter {
    /// A writer of `kind` loads, with no load open.
    pub fn new(kind: BulkLoadKind) -> Self {
        Self {
            kind,
            buf: Vec::new(),
            entities: 0,
            group: Vec::new(),
            last_len: 4096,
        }
    }

    /// The kind of its loads.
    pub fn kind(&self) -> BulkLoadKind {
        self.kind
    }

    /// Entities in the open load.
    pub fn entities(&self) -> u32 {
        self.entities
    }

    /// Whether the open load holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entities == 0
    }

    /// The body's size with `entity` added and everything closed.
    fn len_with(&self, entity: &EncodedEntity) -> usize {
        let base = self.buf.len();
        if !self.kind.is_membership() {
            return base + usize::from(self.entities > 0) + entity.a.len() + SUFFIX.len();
        }
        let (group, member) = (&entity.a, &entity.b);
        let closing = ENTRY_END.len() + SUFFIX.len();
        if self.entities > 0 && self.group == *group {
            base + 1 + member.len() + closing
        } else {
            let close_open_entry = if self.entities > 0 {
                ENTRY_END.len() + 1
            } else {
                0
            };
            base + close_open_entry
                + ENTRY_GROUP.len()
                + group.len()
                + ENTRY_MEMBERS.len()
                + member.len()
                + closing
        }
    }

    /// Whether `entity` fits in the open load: a 201st entity does not, nor one that would
    /// take the body, framing included, over 200 KB. Every encoded entity fits in an empty
    /// load.
    pub fn fits(&self, entity: &EncodedEntity) -> bool {
        self.entities == 0
            || (usize::try_from(self.entities).unwrap_or(usize::MAX) < MAX_ENTITIES_PER_LOAD
                && self.len_with(entity) <= MAX_LOAD_BYTES)
    }

    /// Adds `entity` to the open load (opening one when none is), if it is of this writer's
    /// kind and [`fits`](Self::fits).
    pub fn push(&mut self, entity: &EncodedEntity) -> Result<(), PushError> {
        if entity.kind != Some(self.kind) {
            return Err(PushError::WrongKind);
        }
        if !self.fits(entity) {
            return Err(PushError::Full);
        }
        if self.entities == 0 {
            self.buf.reserve(self.last_len + self.last_len / 8);
            self.buf.extend_from_slice(self.kind.prefix());
        }
        if self.kind.is_membership() {
            let (group, member) = (&entity.a, &entity.b);
            if self.entities > 0 && self.group == *group {
                self.buf.push(b',');
            } else {
                if self.entities > 0 {
                    self.buf.extend_from_slice(ENTRY_END);
                    self.buf.push(b',');
                }
                self.buf.extend_from_slice(ENTRY_GROUP);
                self.buf.extend_from_slice(group);
                self.buf.extend_from_slice(ENTRY_MEMBERS);
                self.group.clear();
                self.group.extend_from_slice(group);
            }
            self.buf.extend_from_slice(member);
        } else {
            if self.entities > 0 {
                self.buf.push(b',');
            }
            self.buf.extend_from_slice(&entity.a);
        }
        self.entities += 1;
        Ok(())
    }

    /// Closes the open load's framing; returns its entity count (0: nothing was open).
    fn close(&mut self) -> u32 {
        if self.entities == 0 {
            return 0;
        }
        if self.kind.is_membership() {
            self.buf.extend_from_slice(ENTRY_END);
        }
        self.buf.extend_from_slice(SUFFIX);
        debug_assert!(self.buf.len() <= MAX_LOAD_BYTES);
        self.last_len = self.buf.len();
        self.group.clear();
        std::mem::take(&mut self.entities)
    }

    /// Closes the open load into its body; `None` when it holds nothing.
    pub fn finish(&mut self) -> Option<BulkLoadBody> {
        let entities = self.close();
        (entities > 0).then(|| BulkLoadBody {
            kind: self.kind,
            entities,
            bytes: Bytes::from(std::mem::take(&mut self.buf)),
        })
    }

    /// Closes the open load without keeping its body (to count loads); returns its entity
    /// count, 0 when nothing was open. The buffer is kept for the next load.
    pub fn discard(&mut self) -> u32 {
        let entities = self.close();
        self.buf.clear();
        entities
    }
}

/// The body of one bulk load, framed and within Okta's limits, made by a [`BulkLoadWriter`].
/// Cheap to clone (the bytes are shared).
#[derive(Clone, PartialEq, Eq)]
pub struct BulkLoadBody {
    kind: BulkLoadKind,
    entities: u32,
    bytes: Bytes,
}

impl BulkLoadBody {
    /// The kind of load.
    pub fn kind(&self) -> BulkLoadKind {
        self.kind
    }

    /// Entities in it (a membership load's members).
    pub fn entities(&self) -> u32 {
        self.entities
    }

    /// The serialized JSON body.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Its size in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether it has no byte (never, for a body a writer made).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}
