//! [`CsvTable`]: the one CSV reader under every CSV input (RFC 4180, parsed by `csv-core`):
//! a header row, then records, each at the line it starts on, read in bounded memory.
//!
//! **The quote rule.** A quoted field may hold line breaks, as RFC 4180 allows. A quote
//! still open at the end of the file is always an error. A quote open at a line break is an
//! error as well when the next line, read on its own, is a whole record: exactly as many
//! fields as the header has (at least two), every quote in it well placed. That line is
//! almost always a record a missing closing quote would swallow, together with every record
//! after it. Both errors name the line and column where the quote opened; reading goes on
//! with the next line (or stops at the end of the file), so the records after it are still
//! read and checked, and none is lost.
//!
//! **Caps.** A record's field contents are held up to [`MAX_RECORD_BYTES`], the size of a
//! whole bulk load; a longer record is an error on its line and the rest of it is skipped as
//! it streams past, so no input, whatever its size or content, makes the reader hold more.
//!
//! One file over 500 lines: the quote rule, the record cap and line counting are one state
//! machine over `csv-core`'s output; its tests live in `table/tests.rs`.

use std::io::Read;

use csv_core::ReadRecordResult;

use super::lines::{Input, MAX_RECORD_BYTES, too_long};
use super::{InputProblem, Located};

/// The room for field contents a record starts with; it doubles up to [`MAX_RECORD_BYTES`].
const FIRST_ROOM: usize = 4096;

/// The `csv-core` parser and the current record: its field contents, end to end, and where
/// each field ends.
struct Parser {
    core: csv_core::Reader,
    fields: Vec<u8>,
    ends: Vec<usize>,
    /// Whether `ends` grows (the header, whose width is not known yet) or stays one longer
    /// than the header (a record, whose extra fields are only counted).
    grow_ends: bool,
    /// Bytes of `fields` holding the record.
    stored: usize,
    /// Fields of the record ended so far.
    count: usize,
    /// Bytes of the record past [`MAX_RECORD_BYTES`], skipped.
    skipped: usize,
    /// Where the parser writes what is skipped: contents past the cap, ends past the
    /// header's width.
    spare_out: Box<[u8]>,
    spare_ends: [usize; 16],
}

impl Parser {
    fn new(delimiter: u8) -> Self {
        Self {
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            fields: vec![0; FIRST_ROOM],
            ends: vec![0; 16],
            grow_ends: true,
            stored: 0,
            count: 0,
            skipped: 0,
            spare_out: vec![0; 8192].into_boxed_slice(),
            spare_ends: [0; 16],
        }
    }

    /// Starts a record.
    fn start(&mut self) {
        self.stored = 0;
        self.count = 0;
        self.skipped = 0;
    }

    /// Parses `input` (bytes of one line at most), until the record ends or the input is
    /// used up: the result and the bytes consumed.
    fn feed(&mut self, input: &[u8]) -> (ReadRecordResult, usize) {
        let mut consumed = 0;
        loop {
            let over = self.stored == self.fields.len() && self.fields.len() >= MAX_RECORD_BYTES;
            let out = if over {
                &mut self.spare_out[..]
            } else {
                &mut self.fields[self.stored..]
            };
            let ends = match self.ends.get_mut(self.count..) {
                Some(ends) if !ends.is_empty() => ends,
                _ => &mut self.spare_ends[..],
            };
            let (result, nin, nout, nend) = self.core.read_record(&input[consumed..], out, ends);
            consumed += nin;
            if over {
                self.skipped += nout;
            } else {
                self.stored += nout;
            }
            self.count += nend;
            match result {
                ReadRecordResult::OutputFull if !over => {
                    let room = (self.fields.len() * 2).min(MAX_RECORD_BYTES);
                    self.fields.resize(room, 0);
                }
                ReadRecordResult::OutputEndsFull
                    if self.grow_ends && self.count == self.ends.len() =>
                {
                    let room = self.ends.len() * 2;
                    self.ends.resize(room.min(MAX_RECORD_BYTES + 2), 0);
                }
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {}
                done => return (done, consumed),
            }
        }
    }

    /// Field `index` of the record (empty when it has no such field).
    fn field(&self, index: usize) -> &[u8] {
        if index >= self.count.min(self.ends.len()) {
            return &[];
        }
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        self.fields.get(start..self.ends[index]).unwrap_or_default()
    }
}

/// How reading a record ended.
enum Outcome {
    /// A record, its fields in the parser.
    Record,
    /// A record that cannot be read (the reader goes on with the next one).
    Problem(InputProblem),
    /// The end of the file.
    End,
}

/// A CSV file read record by record, with its header checked: names present, valid UTF-8,
/// none empty, none repeated.
pub(super) struct CsvTable<R> {
    input: Input<R>,
    parser: Parser,
    headers: Vec<String>,
    /// What each column is read as: its header, or what a mapping renames it to (`None`:
    /// ignored).
    names: Vec<Option<String>>,
    /// The line the current record starts on.
    line: u64,
    /// Line breaks read so far.
    newlines: u64,
    /// Whether the end of the file (or a read error) was reached.
    done: bool,
    /// The field delimiter.
    delimiter: u8,
    /// A header of one field holding this other likely delimiter: errors about the
    /// header suggest `--delimiter`.
    hint: Option<&'static str>,
}

impl<R: Read> CsvTable<R> {
    /// Reads the header row of `reader`, its fields separated by commas.
    #[cfg(test)]
    pub(super) fn new(reader: R) -> Result<Self, InputProblem> {
        Self::with_delimiter(reader, b',')
    }

    /// Reads the header row of `reader`, its fields separated by `delimiter`.
    pub(super) fn with_delimiter(reader: R, delimiter: u8) -> Result<Self, InputProblem> {
        let mut table = Self {
            delimiter,
            hint: None,
            input: Input::new(reader),
            parser: Parser::new(delimiter),
            headers: Vec::new(),
            names: Vec::new(),
            line: 1,
            newlines: 0,
            done: false,
        };
        match table.read_record(None) {
            Outcome::Record => {}
            Outcome::Problem(p) => return Err(p),
            Outcome::End => return Err(InputProblem::at(1, "the header row is empty")),
        }
        let raw = &table.parser;
        if raw.count > raw.ends.len() {
            return Err(InputProblem::at(
                table.line,
                format!("the header row has more than {} columns", raw.ends.len()),
            ));
        }
        if raw.count == 1 && raw.field(0).is_empty() {
            return Err(InputProblem::at(table.line, "the header row is empty"));
        }
        let mut headers = Vec::with_capacity(raw.count);
        for i in 0..raw.count {
            let name = raw.field(i);
            let name = if i == 0 {
                name.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(name)
            } else {
                name
            };
            let name = std::str::from_utf8(name)
                .map_err(|e| {
                    InputProblem::in_column(
                        table.line,
                        (i + 1).to_string(),
                        format!("the header name is {}", not_utf8(&e)),
                    )
                })?
                .trim();
            if name.is_empty() {
                return Err(InputProblem::in_column(
                    table.line,
                    (i + 1).to_string(),
                    "the header name is empty",
                ));
            }
            if let Some(first) = headers.iter().position(|h: &String| h == name) {
                return Err(InputProblem::in_column(
                    table.line,
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
        table.parser.ends = vec![0; headers.len() + 1];
        table.parser.grow_ends = false;
        if let [only] = headers.as_slice() {
            table.hint = [(';', "';'"), ('\t', "tab"), (',', "','")]
                .into_iter()
                .find(|(c, _)| only.contains(*c) && *c as u32 != u32::from(delimiter))
                .map(|(_, name)| name);
        }
        table.names = headers.iter().cloned().map(Some).collect();
        table.headers = headers;
        Ok(table)
    }

    /// Reads the next record into the parser. `expected`: the header's width, once known.
    fn read_record(&mut self, expected: Option<usize>) -> Outcome {
        self.parser.start();
        // The line the record starts on, and the line its current field starts on.
        let mut start = None;
        let mut field_line = 0;
        // Whether the last byte read was a line break (or none was read).
        let mut after_newline = true;
        while !self.done {
            let chunk = match self.input.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) => {
                    self.done = true;
                    return Outcome::Problem(InputProblem::file(format!("cannot read it: {e}")));
                }
            };
            if chunk.is_empty() {
                return self.at_end(start, field_line, after_newline, expected);
            }
            // One line at a time, so that a line break the record does not end at is seen.
            let chunk = &chunk[..memchr::memchr(b'\n', chunk).map_or(chunk.len(), |i| i + 1)];
            let line = self.newlines + 1;
            let fields_before = self.parser.count;
            let (result, nin) = self.parser.feed(chunk);
            let read = &chunk[..nin];
            if start.is_none() && read.iter().any(|b| !matches!(b, b'\r' | b'\n')) {
                start = Some(line);
                field_line = line;
            }
            if self.parser.count > fields_before {
                field_line = line;
            }
            let newline = read.last() == Some(&b'\n');
            after_newline = newline || (after_newline && read.is_empty());
            self.input.consume(nin);
            self.newlines += u64::from(newline);
            if expected.is_none() && self.parser.skipped > 0 {
                // A header that long is refused at once, without reading the rest of it.
                self.done = true;
                return Outcome::Problem(InputProblem::at(line, too_long("the header row")));
            }
            match (result, start) {
                (ReadRecordResult::Record, _) => {
                    return self.finish(start.unwrap_or(line), expected);
                }
                // A line break inside a quoted field (any other one ends the record).
                (ReadRecordResult::InputEmpty, Some(start)) if newline => {
                    if let Some(problem) = self.swallows_next_line(start, field_line, expected) {
                        return Outcome::Problem(problem);
                    }
                }
                _ => {}
            }
        }
        Outcome::End
    }

    /// At a line break inside a quoted field: an unclosed quote when the next line reads as
    /// a whole record of `expected` fields. The quote is then closed where the line broke,
    /// so that the next line is read as the record it is.
    fn swallows_next_line(
        &mut self,
        start: u64,
        field_line: u64,
        expected: Option<usize>,
    ) -> Option<InputProblem> {
        let width = expected.filter(|n| *n >= 2)?;
        let next = match self.input.peek_line(MAX_RECORD_BYTES) {
            Ok(next) => next?,
            Err(e) => {
                self.done = true;
                return Some(InputProblem::file(format!("cannot read it: {e}")));
            }
        };
        if strict_width(next, self.delimiter) != Some(width) {
            return None;
        }
        let problem = self.unclosed(
            start,
            field_line,
            &format!(
                "is not closed before line {}, which reads as a whole record",
                self.newlines + 1
            ),
        );
        self.parser.feed(b"\"\n");
        Some(problem)
    }

    /// The end of the file, in a record that starts on `start` if any.
    fn at_end(
        &mut self,
        start: Option<u64>,
        field_line: u64,
        after_newline: bool,
        expected: Option<usize>,
    ) -> Outcome {
        self.done = true;
        let Some(start) = start else {
            return Outcome::End;
        };
        // A last line with no line break: end it, to tell a whole record from an open quote.
        if !after_newline && self.parser.feed(b"\n").0 == ReadRecordResult::Record {
            return self.finish(start, expected);
        }
        Outcome::Problem(self.unclosed(start, field_line, "is still open at the end of the file"))
    }

    /// A record read: a problem if it is too long or (given the header's width `expected`)
    /// has the wrong number of fields.
    fn finish(&mut self, start: u64, expected: Option<usize>) -> Outcome {
        self.line = start;
        if self.parser.skipped > 0 {
            return Outcome::Problem(InputProblem::at(start, too_long("the record")));
        }
        match expected {
            Some(width) if self.parser.count != width => Outcome::Problem(InputProblem::at(
                start,
                format!("has {} fields; the header has {width}", self.parser.count),
            )),
            _ => Outcome::Record,
        }
    }

    /// The problem of a quote opened on `field_line`, in the record that starts on `start`,
    /// that `what` (is never closed…).
    fn unclosed(&self, start: u64, field_line: u64, what: &str) -> InputProblem {
        let index = self.parser.count;
        let column = self
            .headers
            .get(index)
            .cloned()
            .unwrap_or_else(|| (index + 1).to_string());
        let record = if start == field_line {
            String::new()
        } else {
            format!(" (in the record that starts on line {start})")
        };
        InputProblem::in_column(
            field_line,
            column,
            format!(
                "the quote that opens this field{record} {what}; close the quote, and write a quote inside a quoted field as \"\""
            ),
        )
    }

    /// `problem` (one about the header), with a hint when the header reads as one field
    /// holding another delimiter.
    pub(super) fn hinted(&self, mut problem: InputProblem) -> InputProblem {
        if let Some(name) = self.hint {
            problem.message.push_str(&format!(
                "; the header is one field holding {name}s: give --delimiter {} if the file is separated by them",
                if name == "tab" { "tab" } else { name }
            ));
        }
        problem
    }

    /// The header names, trimmed.
    pub(super) fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Renames the columns as the mapping `mapping`'s `renames` say: an error for a column
    /// it names that the header lacks, or for a column it does not name when it says so.
    pub(super) fn rename(
        &mut self,
        renames: &crate::mapping::Renames,
        mapping: &str,
    ) -> Result<(), InputProblem> {
        for (column, _, line) in &renames.columns {
            if !self.headers.contains(column) {
                return Err(InputProblem::at(
                    1,
                    format!(
                        "the header has no column {column:?}, which the mapping {mapping} line {line} maps (found: {})",
                        self.headers.join(",")
                    ),
                ));
            }
        }
        for (i, h) in self.headers.iter().enumerate() {
            self.names[i] = renames
                .name_of(h, mapping)
                .map_err(|m| InputProblem::in_column(1, h, m))?;
        }
        Ok(())
    }

    /// The index of the column named `name`, if any.
    pub(super) fn column(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|h| h.as_deref() == Some(name))
    }

    /// An error naming the first column not among `known`, and the `columns` a `file` file
    /// has.
    pub(super) fn only_columns(
        &self,
        known: &[&str],
        file: &str,
        columns: &str,
    ) -> Result<(), InputProblem> {
        let unknown = self
            .names
            .iter()
            .zip(&self.headers)
            .find(|(n, _)| n.as_deref().is_some_and(|n| !known.contains(&n)));
        match unknown {
            Some((_, other)) => Err(InputProblem::in_column(
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
        match self.read_record(Some(self.headers.len())) {
            Outcome::Record => Some(Ok(self.line)),
            Outcome::Problem(p) => Some(Err(p)),
            Outcome::End => None,
        }
    }

    /// The text of column `index` of the current record, `None` when the cell is empty.
    pub(super) fn field(&self, index: usize) -> Result<Option<&str>, InputProblem> {
        let bytes = self.parser.field(index);
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

/// The number of fields of `line` (one line, its `\n` removed) read strictly as a record
/// of its own: `None` unless every quote in it opens a field, closes it (right before a
/// comma or the end of the line), or is doubled inside it.
fn strict_width(line: &[u8], delimiter: u8) -> Option<usize> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut fields = 1;
    let mut rest = line;
    loop {
        let end = if let Some(quoted) = rest.strip_prefix(b"\"") {
            let mut i = 0;
            loop {
                match quoted.get(i) {
                    None => return None,
                    Some(b'"') if quoted.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => break,
                    Some(_) => i += 1,
                }
            }
            rest = &quoted[i + 1..];
            0
        } else {
            let end = memchr::memchr(delimiter, rest).unwrap_or(rest.len());
            if rest[..end].contains(&b'"') {
                return None;
            }
            end
        };
        match rest.get(end) {
            None => return Some(fields),
            Some(d) if *d == delimiter => {
                fields += 1;
                rest = &rest[end + 1..];
            }
            Some(_) => return None,
        }
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

impl<R: Read, C> CsvRows<R, C> {
    /// Streams the rows of `table` as `columns` reads them.
    pub(super) fn from_parts(table: CsvTable<R>, columns: C) -> Self {
        Self { table, columns }
    }
}

impl<R: Read, C: Columns> CsvRows<R, C> {
    /// Reads the header of `reader` and finds the columns in it.
    #[cfg(test)]
    pub(super) fn new(reader: R) -> Result<Self, InputProblem> {
        Self::with_delimiter(reader, b',')
    }

    /// Reads the header of `reader`, fields separated by `delimiter`, and finds the columns.
    pub(super) fn with_delimiter(reader: R, delimiter: u8) -> Result<Self, InputProblem> {
        Self::renamed(reader, delimiter, None)
    }

    /// [`with_delimiter`](Self::with_delimiter), the header's columns renamed first as
    /// `renames` says: a mapping section and the mapping file's name.
    pub(super) fn renamed(
        reader: R,
        delimiter: u8,
        renames: Option<(&crate::mapping::Renames, &str)>,
    ) -> Result<Self, InputProblem> {
        let mut table = CsvTable::with_delimiter(reader, delimiter)?;
        if let Some((renames, mapping)) = renames {
            table.rename(renames, mapping)?;
        }
        let columns = C::find(&table).map_err(|p| table.hinted(p))?;
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

#[cfg(test)]
mod tests;
