//! [`Input`]: the one buffer under every input reader. It has a fixed size and never grows,
//! so no line or record, however long, is ever held whole: a line is read up to
//! [`MAX_RECORD_BYTES`] and the rest of a longer one is skipped as it streams past.

use std::io::{self, Read};

/// The most bytes one record (a CSV record's field contents, a JSON Lines line, a line of
/// ids) may hold: a bulk load carries at most this many bytes (`limits::MAX_LOAD_BYTES`),
/// so a longer record could never be sent and is refused as soon as it is read.
pub(super) const MAX_RECORD_BYTES: usize = okta_idsrc_core::limits::MAX_LOAD_BYTES;

/// The buffer's size: a whole record of [`MAX_RECORD_BYTES`] and its line break fit in it.
const BUFFER: usize = 256 * 1024;

/// The message of a record over [`MAX_RECORD_BYTES`].
pub(super) fn too_long(what: &str) -> String {
    format!(
        "{what} holds more than {MAX_RECORD_BYTES} bytes; no bulk load can carry it (a load is at most {MAX_RECORD_BYTES} bytes)"
    )
}

/// A reader with a fixed buffer, read line by line or a buffer at a time.
pub(super) struct Input<R> {
    reader: R,
    buf: Box<[u8]>,
    /// The unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    eof: bool,
}

/// A line read by [`Input::next_line`].
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Line<'a> {
    /// The line, without its `\n`.
    Whole(&'a [u8]),
    /// The line held more than the bytes asked for; it was skipped up to its `\n`.
    TooLong,
}

impl<R: Read> Input<R> {
    /// Reads `reader`.
    pub(super) fn new(reader: R) -> Self {
        Self {
            reader,
            buf: vec![0; BUFFER].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
        }
    }

    /// Reads more after the unread bytes (moved to the front first); `false` at the end of
    /// the input or when the buffer is full.
    fn read_more(&mut self) -> io::Result<bool> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        while !self.eof && self.end < self.buf.len() {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(false)
    }

    /// The unread bytes, reading more when there are none; empty at the end of the input.
    pub(super) fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.start == self.end {
            self.read_more()?;
        }
        Ok(&self.buf[self.start..self.end])
    }

    /// Marks `n` unread bytes read.
    pub(super) fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
    }

    /// Where the next `\n` is (from the first unread byte), reading until one is buffered,
    /// `max` bytes precede it, or the input ends.
    fn find_newline(&mut self, max: usize) -> io::Result<Option<usize>> {
        debug_assert!(max < BUFFER);
        let mut searched = 0;
        loop {
            let unread = &self.buf[self.start..self.end];
            if let Some(i) = memchr::memchr(b'\n', &unread[searched..]) {
                return Ok(Some(searched + i));
            }
            searched = unread.len();
            if searched > max || !self.read_more()? {
                return Ok(None);
            }
        }
    }

    /// The next line, without its `\n`, when it holds at most `max` bytes; `None` when it
    /// is longer or the input has ended. Nothing is consumed.
    pub(super) fn peek_line(&mut self, max: usize) -> io::Result<Option<&[u8]>> {
        let len = match self.find_newline(max)? {
            Some(i) => i,
            None if self.eof && self.end > self.start => self.end - self.start,
            None => return Ok(None),
        };
        Ok((len <= max).then(|| &self.buf[self.start..self.start + len]))
    }

    /// Reads the next line: `None` at the end of the input; [`Line::TooLong`] (the line
    /// skipped, as it streams past) when it holds more than `max` bytes before its `\n`.
    pub(super) fn next_line(&mut self, max: usize) -> io::Result<Option<Line<'_>>> {
        let newline = self.find_newline(max)?;
        // Reading may have moved the unread bytes to the front.
        let at = self.start;
        match newline {
            Some(i) if i <= max => {
                self.start += i + 1;
                Ok(Some(Line::Whole(&self.buf[at..at + i])))
            }
            None if self.eof => {
                if self.end == self.start {
                    return Ok(None);
                }
                let len = self.end - self.start;
                self.start = self.end;
                Ok(Some(if len <= max {
                    Line::Whole(&self.buf[at..at + len])
                } else {
                    Line::TooLong
                }))
            }
            _ => {
                self.skip_line()?;
                Ok(Some(Line::TooLong))
            }
        }
    }

    /// Skips the rest of the current line, through its `\n`.
    fn skip_line(&mut self) -> io::Result<()> {
        loop {
            let unread = &self.buf[self.start..self.end];
            if let Some(i) = memchr::memchr(b'\n', unread) {
                self.start += i + 1;
                return Ok(());
            }
            self.start = self.end;
            if !self.read_more()? {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `chunk` bytes a read.
    struct Trickle<'a> {
        data: &'a [u8],
        chunk: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.chunk.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn lines_up_to_a_cap_with_longer_ones_skipped() {
        let long = "x".repeat(BUFFER * 3);
        let text = format!("a\n\nbcd\n{long}\nefgh\n{long}");
        for chunk in [1, 7, 4096, usize::MAX] {
            let mut input = Input::new(Trickle {
                data: text.as_bytes(),
                chunk,
            });
            let mut lines = Vec::new();
            while let Some(line) = input.next_line(4).expect("read") {
                lines.push(match line {
                    Line::Whole(l) => Some(String::from_utf8(l.to_vec()).expect("utf-8")),
                    Line::TooLong => None,
                });
            }
            let expected = [Some("a"), Some(""), Some("bcd"), None, Some("efgh"), None];
            assert_eq!(
                lines,
                expected.map(|l| l.map(str::to_owned)),
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn peek_does_not_consume() {
        let mut input = Input::new(&b"abc\ndefgh"[..]);
        assert_eq!(input.peek_line(3).expect("read"), Some(&b"abc"[..]));
        assert_eq!(input.peek_line(2).expect("read"), None, "longer than 2");
        assert_eq!(input.next_line(3).expect("read"), Some(Line::Whole(b"abc")));
        assert_eq!(input.peek_line(5).expect("read"), Some(&b"defgh"[..]));
        assert_eq!(input.fill_buf().expect("read"), b"defgh");
        input.consume(5);
        assert_eq!(input.peek_line(5).expect("read"), None);
        assert_eq!(input.next_line(5).expect("read"), None);
    }
}
