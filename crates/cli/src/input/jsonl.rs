//! JSON Lines: one JSON object a line, blank lines skipped, a line of at most
//! [`MAX_RECORD_BYTES`].

use std::io::Read;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use super::lines::{Input, Line, MAX_RECORD_BYTES, too_long};
use super::{InputProblem, Located};

/// Streams the objects of a JSON Lines file as `T`s.
pub(super) struct JsonLines<R, T> {
    input: Input<R>,
    line: u64,
    done: bool,
    entity: PhantomData<fn() -> T>,
}

impl<R: Read, T: DeserializeOwned> JsonLines<R, T> {
    /// Reads `reader` line by line.
    pub(super) fn new(reader: R) -> Self {
        Self {
            input: Input::new(reader),
            line: 0,
            done: false,
            entity: PhantomData,
        }
    }
}

/// Parses one line of JSON Lines (`line` for messages).
pub(super) fn parse_line<T: DeserializeOwned>(bytes: &[u8], line: u64) -> Result<T, InputProblem> {
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(InputProblem::at(
            line,
            format!(
                "is not valid UTF-8 (byte {} of the line); save the file as UTF-8",
                e.valid_up_to() + 1
            ),
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        let message = match text.rfind(" at line ") {
            Some(at) => &text[..at],
            None => &text,
        };
        let message = message.replace(
            "a JSON object (BulkUpsertRequestBodyProfilesInner)",
            "a JSON object",
        );
        InputProblem::at(
            line,
            format!("invalid JSON at character {}: {message}", e.column()),
        )
    })
}

impl<R: Read, T: DeserializeOwned> Iterator for JsonLines<R, T> {
    type Item = Result<Located<T>, InputProblem>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            match self.input.next_line(MAX_RECORD_BYTES) {
                Ok(None) => self.done = true,
                Ok(Some(Line::TooLong)) => {
                    self.line += 1;
                    return Some(Err(InputProblem::at(self.line, too_long("the line"))));
                }
                Ok(Some(Line::Whole(text))) => {
                    self.line += 1;
                    let text = text.trim_ascii();
                    if text.is_empty() {
                        continue;
                    }
                    let line = self.line;
                    return Some(parse_line(text, line).map(|value| Located { line, value }));
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(InputProblem::file(format!("cannot read it: {e}"))));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use okta_idsrc_core::models::BulkUpsertRequestBodyProfilesInner;

    use super::*;

    type Users<'a> = JsonLines<&'a [u8], BulkUpsertRequestBodyProfilesInner>;

    #[test]
    fn users_with_lines_and_blank_lines() {
        let text = "{\"externalId\":\"u1\",\"profile\":{\"email\":\"ann@example.com\",\"department\":\"Sales\"}}\r\n\
                    \n   \n\
                    {\"externalId\":\"u2\",\"profile\":{\"firstName\":null}}";
        let users: Vec<_> = Users::new(text.as_bytes())
            .map(|r| r.expect("parses"))
            .collect();
        assert_eq!(users.iter().map(|u| u.line).collect::<Vec<_>>(), [1, 4]);
        let p = users[0].value.profile.as_ref().expect("profile");
        assert_eq!(p.get_custom_attribute("department"), Some("Sales"));
        assert!(
            users[1]
                .value
                .profile
                .as_ref()
                .expect("profile")
                .first_name
                .is_null()
        );
    }

    #[test]
    fn errors_name_line_and_character() {
        let text = "{\"externalId\":\"u1\"}\n{\"externalId\":\"u2\",\"profile\":{\"email\":5}}\n{\"externalId\":\n";
        let results: Vec<_> = Users::new(text.as_bytes()).collect();
        assert!(results[0].is_ok());
        let e = results[1].as_ref().unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.starts_with("invalid JSON at character"), "{e}");
        assert!(e.message.contains("expected a string"), "{e}");
        let e = results[2].as_ref().unwrap_err();
        assert_eq!(e.line, Some(3));
        let bad = Users::new(&b"{\"externalId\":\"\xC3\x28\"}\n"[..])
            .next()
            .expect("one")
            .unwrap_err();
        assert_eq!(
            bad.to_string(),
            "line 1: is not valid UTF-8 (byte 16 of the line); save the file as UTF-8"
        );
        let e = Users::new(&b"[1,2]\n"[..])
            .next()
            .expect("one")
            .unwrap_err();
        assert!(e.message.contains("expected a JSON object"), "{e}");
    }

    #[test]
    fn a_line_over_the_cap_is_refused_and_skipped() {
        let long = format!(
            "{{\"externalId\":\"u1\",\"profile\":{{\"note\":\"{}\"}}}}",
            "x".repeat(MAX_RECORD_BYTES)
        );
        let text = format!("{long}\n{{\"externalId\":\"u2\"}}\n{long}");
        let results: Vec<_> = Users::new(text.as_bytes()).collect();
        assert_eq!(results.len(), 3);
        assert_eq!(
            results[0].as_ref().unwrap_err().to_string(),
            "line 1: the line holds more than 200000 bytes; no bulk load can carry it (a load is at most 200000 bytes)"
        );
        assert_eq!(results[1].as_ref().expect("u2").line, 2);
        assert_eq!(results[2].as_ref().unwrap_err().line, Some(3));
    }
}
