//! Users read through a mapping file: each row becomes an upsert, a deactivation or a
//! skipped row ([`Mapped`]), from CSV (columns found in the header, or an error before
//! anything is read) or JSON Lines (flat objects, keys for columns).

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::Arc;

use okta_idsrc_core::models::{
    BulkUpsertRequestBodyProfilesInner, IdentitySourceUserProfileForUpsert,
};
use serde_json::Value;

use super::jsonl::JsonLines;
use super::table::{Columns, CsvTable};
use super::{InputProblem, Located};
use crate::mapping::{Mapping, Target, Unmapped};

/// What a row becomes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Mapped {
    /// A user to create or update.
    Upsert(BulkUpsertRequestBodyProfilesInner),
    /// A user to deactivate (`because`: the rule, `Worker Status = Terminated`).
    Deactivate {
        /// The external id.
        external_id: String,
        /// The rule that matched.
        because: String,
    },
    /// A row left out.
    Skip {
        /// The external id.
        external_id: String,
        /// The rule that matched.
        because: String,
    },
}

/// A row's cells by column name.
trait Cells {
    /// The cell of `column`, `None` when empty (or absent).
    fn cell(&self, column: &str) -> Result<Option<&str>, InputProblem>;
}

/// Maps one row: the external id, the rules, then the attributes (and `kept`, the columns
/// kept under their own names).
fn map_row(
    mapping: &Mapping,
    cells: &impl Cells,
    kept: &[(&Target, Option<&str>)],
) -> Result<Mapped, InputProblem> {
    let users = &mapping.users;
    let mut external_id = None;
    let mut profile = IdentitySourceUserProfileForUpsert::new();
    let mut set = |target: &Target, value: &str| match target {
        Target::ExternalId => external_id = Some(value.to_owned()),
        Target::Attribute(a) => a.set(&mut profile, value),
    };
    // The external id first: the rules need it.
    let id_of = || -> Result<String, InputProblem> {
        for c in &users.columns {
            if c.target == Target::ExternalId {
                return Ok(cells.cell(&c.column)?.unwrap_or_default().to_owned());
            }
        }
        for d in &users.derived {
            if d.target == Target::ExternalId {
                return Ok(d.template.render(|c| cells.cell(c))?.unwrap_or_default());
            }
        }
        let kept_id = kept.iter().find(|(t, _)| **t == Target::ExternalId);
        Ok(kept_id.and_then(|(_, v)| *v).unwrap_or_default().to_owned())
    };
    for (rules, skip) in [(&users.skip, true), (&users.deactivate, false)] {
        for rule in rules {
            let value = cells.cell(&rule.column)?;
            if rule.matches(value) {
                let because = format!("{} = {}", rule.column, value.unwrap_or_default().trim());
                let external_id = id_of()?;
                return Ok(if skip {
                    Mapped::Skip {
                        external_id,
                        because,
                    }
                } else {
                    Mapped::Deactivate {
                        external_id,
                        because,
                    }
                });
            }
        }
    }
    for c in &users.columns {
        if let Some(v) = cells.cell(&c.column)? {
            set(&c.target, v);
        }
    }
    for d in &users.derived {
        if let Some(v) = d.template.render(|c| cells.cell(c))? {
            set(&d.target, &v);
        }
    }
    for (target, value) in kept {
        if let Some(v) = *value {
            set(target, v);
        }
    }
    Ok(Mapped::Upsert(BulkUpsertRequestBodyProfilesInner::with(
        external_id.unwrap_or_default(),
        profile,
    )))
}

/// The columns of a users CSV read through a mapping.
pub(super) struct MappedColumns {
    mapping: Arc<Mapping>,
    index: HashMap<String, usize>,
    /// Columns kept under their own names (`unmapped = "keep"`).
    kept: Vec<(usize, Target)>,
}

impl MappedColumns {
    /// Finds the mapping's columns in the header of `table`.
    pub(super) fn find<R: Read>(
        table: &CsvTable<R>,
        mapping: Arc<Mapping>,
    ) -> Result<Self, InputProblem> {
        let headers = table.headers();
        let index: HashMap<String, usize> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        let users = &mapping.users;
        for (column, line, what) in users.used() {
            if !index.contains_key(column) {
                return Err(InputProblem::at(
                    1,
                    format!(
                        "the header has no column {column:?}, which the mapping {} line {line} {what} (found: {})",
                        mapping.name,
                        headers.join(",")
                    ),
                ));
            }
        }
        let mut kept = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            if let Some(target) = unmapped_column(&mapping, 1, h)? {
                kept.push((i, target));
            }
        }
        if !mapping.users.gives(&Target::ExternalId)
            && !kept.iter().any(|(_, t)| *t == Target::ExternalId)
        {
            return Err(InputProblem::at(
                1,
                format!(
                    "nothing gives externalId: the mapping {} maps no column to it and the header has no externalId column",
                    mapping.name
                ),
            ));
        }
        Ok(Self {
            mapping,
            index,
            kept,
        })
    }
}

/// What the column (or JSON key) `name`, at `line`, becomes when the mapping names it
/// nowhere, by its `unmapped`: nothing (`ignore`), an error (`error`), or the attribute of its
/// own name (`keep`), refused when `name` is no attribute's or the mapping gives it already.
fn unmapped_column(
    mapping: &Mapping,
    line: u64,
    name: &str,
) -> Result<Option<Target>, InputProblem> {
    let users = &mapping.users;
    if users.uses(name) {
        return Ok(None);
    }
    match users.unmapped {
        Unmapped::Ignore => Ok(None),
        Unmapped::Error => Err(InputProblem::in_column(
            line,
            name,
            format!(
                "is not named in the mapping {} (unmapped = \"error\"); map it under [columns], or set unmapped = \"ignore\"",
                mapping.name
            ),
        )),
        Unmapped::Keep => {
            let target = Target::parse(name).map_err(|m| {
                InputProblem::in_column(
                    line,
                    name,
                    format!("{m} (kept under its own name: the mapping {} has unmapped = \"keep\"; map it, or set unmapped = \"ignore\")", mapping.name),
                )
            })?;
            if users.gives(&target) {
                return Err(InputProblem::in_column(
                    line,
                    name,
                    format!(
                        "kept under its own name, would give {name}, which the mapping {} gives already; set unmapped = \"ignore\"",
                        mapping.name
                    ),
                ));
            }
            Ok(Some(target))
        }
    }
}

/// A CSV row's cells.
struct CsvCells<'a, R> {
    table: &'a CsvTable<R>,
    index: &'a HashMap<String, usize>,
}

impl<R: Read> Cells for CsvCells<'_, R> {
    fn cell(&self, column: &str) -> Result<Option<&str>, InputProblem> {
        match self.index.get(column) {
            Some(i) => self.table.field(*i),
            None => Ok(None),
        }
    }
}

impl Columns for MappedColumns {
    type Row = Mapped;

    fn find<R: Read>(_: &CsvTable<R>) -> Result<Self, InputProblem> {
        Err(InputProblem::file("a mapped CSV is read with its mapping"))
    }

    fn read<R: Read>(&self, table: &CsvTable<R>) -> Result<Mapped, InputProblem> {
        let cells = CsvCells {
            table,
            index: &self.index,
        };
        let mut kept = Vec::with_capacity(self.kept.len());
        for (i, t) in &self.kept {
            kept.push((t, table.field(*i)?));
        }
        map_row(&self.mapping, &cells, &kept)
    }
}

/// A JSON Lines row: its scalar values as text.
struct JsonCells {
    line: u64,
    values: BTreeMap<String, Result<String, &'static str>>,
}

impl Cells for JsonCells {
    fn cell(&self, column: &str) -> Result<Option<&str>, InputProblem> {
        match self.values.get(column) {
            None => Ok(None),
            Some(Ok(v)) if v.is_empty() => Ok(None),
            Some(Ok(v)) => Ok(Some(v)),
            Some(Err(kind)) => Err(InputProblem::in_column(
                self.line,
                column,
                format!("is {kind}; expected text, a number or true/false"),
            )),
        }
    }
}

/// Streams users from JSON Lines through a mapping: each line a flat object.
pub(super) struct MappedJson<R> {
    lines: JsonLines<R, serde_json::Map<String, Value>>,
    mapping: Arc<Mapping>,
    /// The columns the mapping reads, and whether a line had each.
    seen: Vec<(String, usize, String, bool)>,
    any: bool,
    done: bool,
}

impl<R: Read> MappedJson<R> {
    /// Reads `reader` through `mapping`.
    pub(super) fn new(reader: R, mapping: Arc<Mapping>) -> Self {
        let seen = mapping
            .users
            .used()
            .into_iter()
            .map(|(c, l, w)| (c.to_owned(), l, w, false))
            .collect();
        Self {
            lines: JsonLines::new(reader),
            mapping,
            seen,
            any: false,
            done: false,
        }
    }

    fn map(
        &mut self,
        line: u64,
        object: serde_json::Map<String, Value>,
    ) -> Result<Mapped, InputProblem> {
        self.any = true;
        let values: BTreeMap<String, Result<String, &'static str>> = object
            .into_iter()
            .filter_map(|(k, v)| {
                let text = match v {
                    Value::Null => return None,
                    Value::String(s) => Ok(s),
                    Value::Number(n) => Ok(n.to_string()),
                    Value::Bool(b) => Ok(b.to_string()),
                    Value::Array(_) => Err("a JSON array"),
                    Value::Object(_) => Err("a JSON object"),
                };
                Some((k, text))
            })
            .collect();
        for s in &mut self.seen {
            s.3 |= values.contains_key(&s.0);
        }
        let cells = JsonCells { line, values };
        let mut kept = Vec::new();
        for key in cells.values.keys() {
            if let Some(target) = unmapped_column(&self.mapping, line, key)? {
                kept.push((target, key.clone()));
            }
        }
        let mut values = Vec::with_capacity(kept.len());
        for (_, key) in &kept {
            values.push(cells.cell(key)?);
        }
        let kept: Vec<(&Target, Option<&str>)> = kept.iter().map(|(t, _)| t).zip(values).collect();
        map_row(&self.mapping, &cells, &kept)
    }
}

impl<R: Read> Iterator for MappedJson<R> {
    type Item = Result<Located<Mapped>, InputProblem>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.lines.next() {
            Some(Ok(Located { line, value })) => {
                Some(self.map(line, value).map(|value| Located { line, value }))
            }
            Some(Err(e)) => Some(Err(e)),
            None => {
                self.done = true;
                let missing = self.seen.iter().find(|s| !s.3).filter(|_| self.any)?;
                Some(Err(InputProblem::file(format!(
                    "no line has the key {:?}, which the mapping {} line {} {}",
                    missing.0, self.mapping.name, missing.1, missing.2
                ))))
            }
        }
    }
}
