//! [`CsvTable`]: a streaming CSV reader with a header row, shared by every CSV input.

use std::collections::VecDeque;
use std::io::Read;

use csv::{ByteRecord, ErrorKind, ReaderBuilder};

use super::{InputProblem, Located};

/// A reader that remembers where the newlines it passed on are, so that the line of a record
/// can be told from the byte offset the CSV parser reached — the csv crate's own line numbers
/// skip blank lines and miscount CRLF files.
pub(super) struct LineTracker<R> {
    inner: R,
    /// Bytes read so far.
    offset: u64,
    /// Offsets of the newlines read but not yet passed by the parser.
    pending: VecDeque<u64>,
    /// Newlines the parser has passed.
    passed: u64,
    /// The offset of the last newline passed.
    last_passed: Option<u64>,
}

impl<R> LineTracker<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            pending: VecDeque::new(),
            passed: 0,
            last_passed: None,
        }
    }

    /// The line (1-based) a record ends on, given the offset the parser stopped at after it.
    fn line_ending_at(&mut self, end: u64) -> u64 {
        while self.pending.front().is_some_and(|&at| at < end) {
            self.last_passed = self.pending.pop_front();
            self.passed += 1;
        }
        // A record ended by `\n` is on the line that newline closes; one ended by `\r` (of a
        // CRLF pair, the `\n` still ahead) or by the end of the file, on the next.
        if end > 0 && self.last_passed == Some(end - 1) {
            self.passed
        } else {
            self.passed + 1
        }
    }
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, _) in buf[..n].iter().enumerate().filter(|(_, b)| **b == b'\n') {
            self.pending.push_back(self.offset + i as u64);
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// A CSV file read record by record (`csv::ByteRecord`, no per-record allocation), with
/// its header checked: names present, valid UTF-8, none empty, none repeated.
pub(super) struct CsvTable<R> {
    reader: csv::Reader<LineTracker<R>>,
    headers: Vec<String>,
    record: ByteRecord,
    line: u64,
}

impl<R: Read> CsvTable<R> {
    /// Reads the header row of `reader`.
    pub(super) fn new(reader: R) -> Result<Self, InputProblem> {
        let mut reader = ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(LineTracker::new(reader));
        let raw = reader
            .byte_headers()
            .map_err(|e| csv_problem(&e, 1))?
            .clone();
        if raw.is_empty() || (raw.len() == 1 && raw[0].is_empty()) {
            return Err(InputProblem::at(1, "the header row is empty"));
        }
        let mut headers = Vec::with_capacity(raw.len());
        for (i, name) in raw.iter().enumerate() {
            let name = if i == 0 {
                name.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(name)
            } else {
                name
            };
            let name = std::str::from_utf8(name)
                .map_err(|e| {
                    InputProblem::in_column(
                        1,
                        (i + 1).to_string(),
                        format!("the header name is {}", not_utf8(&e)),
                    )
                })?
                .trim();
            if name.is_empty() {
                return Err(InputProblem::in_column(
                    1,
                    (i + 1).to_string(),
                    "the header name is empty",
                ));
            }
            if let Some(first) = headers.iter().position(|h: &String| h == name) {
                return Err(InputProblem::in_column(
                    1,
                    name,
                    format!(
                        "appears twice in the header (columns {} and {})",
                        first + 1,
                        i + 1
                    ),
                ));
            }
            headers.push(name.to_owned());
        }
        Ok(Self {
            reader,
            headers,
            record: ByteRecord::new(),
            line: 1,
        })
    }

    /// The header names, trimmed.
    pub(super) fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The index of the column named `name`, if any.
    pub(super) fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// An error naming the first column not among `known`, and the `columns` a `file` file
    /// has.
    pub(super) fn only_columns(
        &self,
        known: &[&str],
        file: &str,
        columns: &str,
    ) -> Result<(), InputProblem> {
        match self.headers.iter().find(|h| !known.contains(&h.as_str())) {
            Some(other) => Err(InputProblem::in_column(
                1,
                other,
                format!("unknown column; a {file} file has {columns}"),
            )),
            None => Ok(()),
        }
    }

    /// The index of the column named `name`, or an error naming what the header must hold.
    pub(super) fn require(&self, name: &str, expected: &str) -> Result<usize, InputProblem> {
        self.column(name).ok_or_else(|| {
            InputProblem::at(
                1,
                format!(
                    "the header has no {name} column; expected {expected} (found: {})",
                    self.headers.join(",")
                ),
            )
        })
    }

    /// Reads the next record; its line is returned and its fields read with
    /// [`field`](Self::field). `None` at the end of the file.
    pub(super) fn advance(&mut self) -> Option<Result<u64, InputProblem>> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                self.line = self.record_line();
                Some(Ok(self.line))
            }
            Err(e) => {
                let line = self.record_line();
                Some(Err(csv_problem(&e, line)))
            }
        }
    }

    /// The line the record just read starts on: the line it ends on, less the newlines
    /// inside its (quoted) fields.
    fn record_line(&mut self) -> u64 {
        let end = self.reader.position().byte();
        let last = self.reader.get_mut().line_ending_at(end);
        let inside = self
            .record
            .as_slice()
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        last.saturating_sub(inside).max(self.line + 1)
    }

    /// The text of column `index` of the current record, `None` when the cell is empty.
    pub(super) fn field(&self, index: usize) -> Result<Option<&str>, InputProblem> {
        let bytes = self.record.get(index).unwrap_or_default();
        if bytes.is_empty() {
            return Ok(None);
        }
        std::str::from_utf8(bytes).map(Some).map_err(|e| {
            InputProblem::in_column(
                self.line,
                &self.headers[index],
                format!("is {}", not_utf8(&e)),
            )
        })
    }
}

/// What a CSV input finds in its header, and makes of each row.
pub(super) trait Columns: Sized {
    /// What a row holds.
    type Row;

    /// The columns, from the header of `table`.
    fn find<R: Read>(table: &CsvTable<R>) -> Result<Self, InputProblem>;

    /// The current row of `table`.
    fn read<R: Read>(&self, table: &CsvTable<R>) -> Result<Self::Row, InputProblem>;
}

/// Streams the rows of a CSV input as its [`Columns`] `C` read them, each at its line.
pub(super) struct CsvRows<R, C> {
    table: CsvTable<R>,
    columns: C,
}

impl<R: Read, C: Columns> CsvRows<R, C> {
    /// Reads the header of `reader` and finds the columns in it.
    pub(super) fn new(reader: R) -> Result<Self, InputProblem> {
        let table = CsvTable::new(reader)?;
        let columns = C::find(&table)?;
        Ok(Self { table, columns })
    }
}

impl<R: Read, C: Columns> Iterator for CsvRows<R, C> {
    type Item = Result<Located<C::Row>, InputProblem>;

    fn next(&mut self) -> Option<Self::Item> {
        let line = match self.table.advance()? {
            Ok(line) => line,
            Err(e) => return Some(Err(e)),
        };
        Some(
            self.columns
                .read(&self.table)
                .map(|value| Located { line, value }),
        )
    }
}

/// "not valid UTF-8 (byte N of the value)".
fn not_utf8(e: &std::str::Utf8Error) -> String {
    format!(
        "not valid UTF-8 (byte {} of the value); save the file as UTF-8",
        e.valid_up_to() + 1
    )
}

/// A CSV parse error as a problem on `line`.
fn csv_problem(e: &csv::Error, line: u64) -> InputProblem {
    match e.kind() {
        ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => InputProblem::at(
            line,
            format!("has {len} fields; the header has {expected_len}"),
        ),
        ErrorKind::Io(io) => InputProblem::file(format!("cannot read it: {io}")),
        _ => InputProblem::at(line, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_problems() {
        let err = |text: &str| {
            CsvTable::new(text.as_bytes())
                .err()
                .expect("an error")
                .to_string()
        };
        assert_eq!(err("a,,b\n"), "line 1, column 2: the header name is empty");
        assert_eq!(
            err("a,b,a\n"),
            "line 1, column a: appears twice in the header (columns 1 and 3)"
        );
        let bad = CsvTable::new(&b"a,\xFFb\n"[..]).err().expect("an error");
        assert_eq!(bad.column.as_deref(), Some("2"));
        assert!(bad.message.contains("not valid UTF-8"), "{bad}");
    }

    #[test]
    fn records_and_lines() {
        let mut t = CsvTable::new(&b"\xEF\xBB\xBFid,name\n1,\"multi\nline\"\n\n2,x\n3\n"[..])
            .expect("header");
        assert_eq!(t.headers(), ["id", "name"]);
        assert_eq!(t.advance().unwrap().unwrap(), 2);
        assert_eq!(t.field(1).unwrap(), Some("multi\nline"));
        assert_eq!(t.advance().unwrap().unwrap(), 5);
        assert_eq!(t.field(0).unwrap(), Some("2"));
        let e = t.advance().unwrap().unwrap_err();
        assert_eq!(e.to_string(), "line 6: has 1 fields; the header has 2");
    }

    #[test]
    fn lines_with_crlf_blank_lines_and_no_final_newline() {
        let lines = |text: &str| {
            let mut t = CsvTable::new(text.as_bytes()).expect("header");
            let mut out = Vec::new();
            while let Some(r) = t.advance() {
                out.push(r.map_err(|e| e.to_string()));
            }
            out
        };
        assert_eq!(lines("h\r\n1\r\n\r\n2\r\n"), [Ok(2), Ok(4)]);
        assert_eq!(lines("h\n1\n\n\n2"), [Ok(2), Ok(5)]);
        assert_eq!(lines("\nh\n1\n"), [Ok(3)]);
        assert_eq!(lines("h\r\n\"a\r\nb\"\r\n\r\n3\r\n"), [Ok(2), Ok(5)]);
        assert_eq!(
            lines("h,i\n1,2\n\n3\n"),
            [
                Ok(2),
                Err("line 4: has 1 fields; the header has 2".to_owned())
            ]
        );
    }
}
