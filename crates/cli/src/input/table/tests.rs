//! Tests of `table`.

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
    let mut t =
        CsvTable::new(&b"\xEF\xBB\xBFid,name\n1,\"multi\nline\"\n\n2,x\n3\n"[..]).expect("header");
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

/// Every record of `text`: its line and first field, or the problem.
fn read_all(text: &[u8]) -> Vec<Result<(u64, String), String>> {
    let mut t = CsvTable::new(text).expect("header");
    let mut out = Vec::new();
    while let Some(r) = t.advance() {
        out.push(
            r.map(|line| (line, t.field(0).unwrap().unwrap_or_default().to_owned()))
                .map_err(|e| e.to_string()),
        );
    }
    out
}

#[test]
fn an_unclosed_quote_is_an_error_where_it_opened_and_the_next_record_is_read() {
    let text = b"externalId,userName,email,title\n\
                 e1,a@x.com,a@x.com,\"unclosed\n\
                 e2,b@x.com,b@x.com,x\n";
    assert_eq!(
        read_all(text),
        [
            Err(
                "line 2, column title: the quote that opens this field is not closed before \
                 line 3, which reads as a whole record; close the quote, and write a quote \
                 inside a quoted field as \"\""
                    .to_owned()
            ),
            Ok((3, "e2".to_owned())),
        ]
    );
    // The record the quote would swallow may hold well-placed quotes of its own.
    let text = b"a,b,c\n1,\"x\n2,\"y \"\"z\"\"\",3\n4,5,6\n";
    let records = read_all(text);
    assert!(
        records[0]
            .as_ref()
            .unwrap_err()
            .starts_with("line 2, column b:")
    );
    assert_eq!(
        records[1..],
        [Ok((3, "2".to_owned())), Ok((4, "4".to_owned()))]
    );
}

#[test]
fn a_quote_still_open_at_the_end_of_the_file_is_an_error() {
    for end in ["", "\n", "\r\n", "\nmore\n\n"] {
        let text = format!("a,b\n1,2\n3,\"open{end}");
        let records = read_all(text.as_bytes());
        assert_eq!(records.len(), 2, "{end:?}: {records:?}");
        assert_eq!(records[0], Ok((2, "1".to_owned())));
        assert_eq!(
            records[1],
            Err(
                "line 3, column b: the quote that opens this field is still open at the end \
                 of the file; close the quote, and write a quote inside a quoted field as \"\""
                    .to_owned()
            ),
            "{end:?}"
        );
    }
    // The quote opened on a later line than the record's first: that line is named.
    let records = read_all(b"a,b,c\n1,\"x\ny\",\"open\nstill\n");
    assert_eq!(
        records[0].as_ref().unwrap_err(),
        "line 3, column c: the quote that opens this field (in the record that starts on \
         line 2) is still open at the end of the file; close the quote, and write a quote \
         inside a quoted field as \"\""
    );
}

#[test]
fn quoted_line_breaks_are_kept() {
    // Continuation lines that do not read as whole records: too few fields, or a quote
    // that closes the field mid-line.
    let text = b"id,street,city\n\
                 1,\"123 Main St\nApt 4\nBack door, left\",Springfield\n\
                 2,\"x\ny,z\",w\n\
                 3,\"one\ntwo,three,four\",\"x\"\n";
    let mut t = CsvTable::new(&text[..]).expect("header");
    assert_eq!(t.advance().unwrap().unwrap(), 2);
    assert_eq!(
        t.field(1).unwrap(),
        Some("123 Main St\nApt 4\nBack door, left")
    );
    assert_eq!(t.advance().unwrap().unwrap(), 5);
    assert_eq!(t.field(1).unwrap(), Some("x\ny,z"));
    assert_eq!(t.advance().unwrap().unwrap(), 7);
    assert_eq!(t.field(1).unwrap(), Some("one\ntwo,three,four"));
    assert!(t.advance().is_none());
    // In a file of one column every line reads as a record: only the end of the file
    // tells an open quote.
    assert_eq!(
        read_all(b"externalId\n\"a\nb\"\nc\n"),
        [Ok((2, "a\nb".to_owned())), Ok((4, "c".to_owned()))]
    );
}

#[test]
fn strict_widths() {
    for (line, width) in [
        (&b""[..], Some(1)),
        (b"a,b,c", Some(3)),
        (b"a,b,c\r", Some(3)),
        (b"\"a,b\",\"c\"\"d\",", Some(3)),
        (b"\"\",\"\"", Some(2)),
        (b"Apt 4\",x,y", None),
        (b"\"a\"b,c", None),
        (b"\",x,y", None),
        (b"a,\"b", None),
    ] {
        assert_eq!(
            strict_width(line, b','),
            width,
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn a_record_over_the_cap_is_refused_and_skipped() {
    let at_cap = "x".repeat(MAX_RECORD_BYTES);
    let over = "y".repeat(MAX_RECORD_BYTES * 3);
    let quoted = format!("\"{}\n{}\"", "z".repeat(MAX_RECORD_BYTES), "z".repeat(10));
    let text = format!("a\n{at_cap}\n{over}\nok\n{quoted}\nlast");
    let mut t = CsvTable::new(text.as_bytes()).expect("header");
    assert_eq!(t.advance().unwrap().unwrap(), 2);
    assert_eq!(t.field(0).unwrap().map(str::len), Some(MAX_RECORD_BYTES));
    let too_long =
        "holds more than 200000 bytes; no bulk load can carry it (a load is at most 200000 bytes)";
    assert_eq!(
        t.advance().unwrap().unwrap_err().to_string(),
        format!("line 3: the record {too_long}")
    );
    assert_eq!(t.advance().unwrap().unwrap(), 4);
    assert_eq!(
        t.advance().unwrap().unwrap_err().to_string(),
        format!("line 5: the record {too_long}")
    );
    assert_eq!(t.advance().unwrap().unwrap(), 7);
    assert_eq!(t.field(0).unwrap(), Some("last"));
    assert!(t.advance().is_none());
    assert!(t.parser.fields.len() <= MAX_RECORD_BYTES);
}

/// A reader of `n` NUL bytes that counts what was read.
struct Zeros {
    left: u64,
    read: std::rc::Rc<std::cell::Cell<u64>>,
}

impl Read for Zeros {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        buf[..n].fill(0);
        self.left -= n as u64;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

#[test]
fn a_header_over_the_cap_is_refused_without_reading_on() {
    let read = std::rc::Rc::default();
    let zeros = Zeros {
        left: 2 << 30,
        read: std::rc::Rc::clone(&read),
    };
    let e = CsvTable::new(zeros).err().expect("an error");
    assert_eq!(
        e.to_string(),
        "line 1: the header row holds more than 200000 bytes; no bulk load can carry it (a load is at most 200000 bytes)"
    );
    assert!(read.get() < 1 << 20, "read {} bytes", read.get());
    let wide = format!("{}\n", ",".repeat(MAX_RECORD_BYTES * 2));
    let e = CsvTable::new(wide.as_bytes()).err().expect("an error");
    assert_eq!(
        e.to_string(),
        "line 1: the header row has more than 200002 columns"
    );
}

#[test]
fn extra_fields_are_counted_not_kept() {
    let wide = format!("1,{}\n", ",".repeat(100_000));
    assert_eq!(
        read_all(format!("a,b\n{wide}2,3\n").as_bytes()),
        [
            Err("line 2: has 100002 fields; the header has 2".to_owned()),
            Ok((3, "2".to_owned()))
        ]
    );
}

/// Differential check against the csv crate on generated input: the same records, the
/// same fields, the same width errors — up to the first quote the rule reports (where
/// the csv crate would swallow the rest).
#[test]
fn reads_what_the_csv_crate_reads() {
    let alphabet: &[&[u8]] = &[
        b"a",
        b"bc",
        b",",
        b",",
        b"\"",
        b"\"\"",
        b"\n",
        b"\r\n",
        b" ",
        "é".as_bytes(),
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let (mut compared, mut widths, mut quotes) = (0, 0, 0);
    for _ in 0..3000 {
        let mut text = b"h1,h2,h3\n".to_vec();
        for _ in 0..next(40) {
            text.extend_from_slice(alphabet[next(alphabet.len())]);
        }
        let mut theirs = csv::ReaderBuilder::new().from_reader(&text[..]);
        let mut ours = CsvTable::new(&text[..]).expect("header");
        let mut record = csv::ByteRecord::new();
        loop {
            let mine = ours.advance();
            if let Some(Err(e)) = &mine
                && e.message.contains("the quote that opens this field")
            {
                quotes += 1;
                break;
            }
            let other = theirs.read_byte_record(&mut record);
            match (mine, other) {
                (None, Ok(false)) => break,
                (Some(Ok(_)), Ok(true)) => {
                    let fields: Vec<&[u8]> = (0..3).map(|i| ours.parser.field(i)).collect();
                    let expected: Vec<&[u8]> = record.iter().collect();
                    assert_eq!(fields, expected, "{:?}", String::from_utf8_lossy(&text));
                    compared += 1;
                }
                (Some(Err(e)), Err(_)) => {
                    assert!(e.message.contains("fields; the header has 3"), "{e}");
                    widths += 1;
                }
                (mine, other) => panic!(
                    "{:?}: ours {mine:?}, the csv crate's {other:?}",
                    String::from_utf8_lossy(&text)
                ),
            }
        }
    }
    assert!(
        compared > 300 && widths > 300 && quotes > 300,
        "{compared} {widths} {quotes}"
    );
}
