//! External ids of users to deactivate: one a line (plain text), a CSV with an `externalId`
//! column, or JSON Lines `{"externalId":…}`.

use std::io::Read;
use std::path::PathBuf;

use okta_idsrc_core::models::IdentitySourceUserProfileForDelete;

use super::lines::{Input, Line, MAX_RECORD_BYTES, too_long};
use super::table::{Columns, CsvRows, CsvTable};
use super::{Entries, Format, InputProblem, Located, jsonl, open_nonempty};

/// How an ids file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// One external id a line; blank lines and a first line `externalId` are skipped.
    Plain,
    /// CSV or JSON Lines.
    Structured(Format),
}

/// A file of user external ids to deactivate.
#[derive(Debug, Clone)]
pub(crate) struct IdsFile {
    path: PathBuf,
    layout: Layout,
    /// The CSV field delimiter.
    delimiter: u8,
}

impl IdsFile {
    /// An ids file at `path`: CSV for `.csv`, JSON Lines for `.jsonl`/`.ndjson`, else one id
    /// a line.
    pub(crate) fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let layout = Format::from_path(&path).map_or(Layout::Plain, Layout::Structured);
        let tsv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
        Self {
            path,
            layout,
            delimiter: if tsv { b'\t' } else { b',' },
        }
    }

    /// The same file, with the delimiter of `options` if it gives one.
    #[must_use]
    pub(crate) fn with_options(mut self, options: &crate::mapping::InputOptions) -> Self {
        if let Some(d) = options.delimiter {
            self.delimiter = d;
        }
        self
    }

    /// Opens the file (again) and streams its ids.
    pub(crate) fn open(&self) -> Result<Entries<IdentitySourceUserProfileForDelete>, InputProblem> {
        let reader = open_nonempty(&self.path, "is empty; expected one user external id a line")?;
        Ok(match self.layout {
            Layout::Plain => Box::new(PlainIds::new(reader)),
            Layout::Structured(Format::Csv) => {
                Box::new(CsvIds::with_delimiter(reader, self.delimiter)?)
            }
            Layout::Structured(Format::JsonLines) => Box::new(jsonl::JsonLines::new(reader)),
        })
    }
}

/// One id a line.
struct PlainIds<R> {
    input: Input<R>,
    line: u64,
    done: bool,
}

impl<R: Read> PlainIds<R> {
    fn new(reader: R) -> Self {
        Self {
            input: Input::new(reader),
            line: 0,
            done: false,
        }
    }
}

impl<R: Read> Iterator for PlainIds<R> {
    type Item = Result<Located<IdentitySourceUserProfileForDelete>, InputProblem>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let bytes = match self.input.next_line(MAX_RECORD_BYTES) {
                Ok(Some(Line::Whole(bytes))) => bytes,
                Ok(Some(Line::TooLong)) => {
                    self.line += 1;
                    return Some(Err(InputProblem::at(self.line, too_long("the line"))));
                }
                Ok(None) => return None,
                Err(e) => {
                    self.done = true;
                    return Some(Err(InputProblem::file(format!("cannot read it: {e}"))));
                }
            };
            self.line += 1;
            let bytes = bytes.trim_ascii();
            let bytes = if self.line == 1 {
                bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
            } else {
                bytes
            };
            if bytes.is_empty() || (self.line == 1 && bytes == b"externalId") {
                continue;
            }
            let line = self.line;
            return Some(match std::str::from_utf8(bytes) {
                Ok(id) => Ok(Located {
                    line,
                    value: IdentitySourceUserProfileForDelete::with(id),
                }),
                Err(e) => Err(InputProblem::at(
                    line,
                    format!(
                        "is not valid UTF-8 (byte {} of the line); save the file as UTF-8",
                        e.valid_up_to() + 1
                    ),
                )),
            });
        }
        None
    }
}

/// The column of an ids CSV: `externalId` (other columns are ignored).
struct IdColumn {
    external_id: usize,
}

impl Columns for IdColumn {
    type Row = IdentitySourceUserProfileForDelete;

    fn find<R: Read>(table: &CsvTable<R>) -> Result<Self, InputProblem> {
        Ok(Self {
            external_id: table.require("externalId", "an externalId column")?,
        })
    }

    fn read<R: Read>(&self, table: &CsvTable<R>) -> Result<Self::Row, InputProblem> {
        let id = table.field(self.external_id)?.unwrap_or_default();
        Ok(IdentitySourceUserProfileForDelete::with(id))
    }
}

/// A CSV with an `externalId` column.
type CsvIds<R> = CsvRows<R, IdColumn>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ids() {
        let text = "externalId\r\nu1\n\n  u2  \n";
        let ids: Vec<_> = PlainIds::new(text.as_bytes())
            .map(|r| r.expect("ok"))
            .map(|l| (l.line, l.value.external_id.expect("id")))
            .collect();
        assert_eq!(ids, [(2, "u1".to_owned()), (4, "u2".to_owned())]);
    }

    #[test]
    fn csv_ids() {
        let ids: Vec<_> = CsvIds::new("name,externalId\nAnn,u1\n".as_bytes())
            .expect("header")
            .map(|r| r.expect("ok").value.external_id.expect("id"))
            .collect();
        assert_eq!(ids, ["u1"]);
    }

    #[test]
    fn plain_ids_over_the_cap() {
        let text = format!("u1\n{}\nu3\n", "x".repeat(MAX_RECORD_BYTES + 1));
        let ids: Vec<_> = PlainIds::new(text.as_bytes())
            .map(|r| r.map(|l| l.line).map_err(|e| e.line))
            .collect();
        assert_eq!(ids, [Ok(1), Err(Some(2)), Ok(3)]);
    }
}
