//! The engine of validation: JSON paths rendered only for a violation, the sink violations go
//! to, and the checks of strings, lists and unknown fields against a [`Chars`] limit.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::Violation;
use crate::limits::Chars;
use crate::models::Nullable;

/// A JSON path from the body's root, kept on the stack and rendered only for a violation.
#[derive(Clone, Copy)]
pub(super) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub(super) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    pub(super) fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }

    fn render(&self, out: &mut String) {
        match self {
            Path::Root => {}
            Path::Key(parent, key) => {
                parent.render(out);
                if !matches!(parent, Path::Root) {
                    out.push('.');
                }
                out.push_str(key);
            }
            Path::Index(parent, i) => {
                parent.render(out);
                // Writing to a String cannot fail.
                let _ = write!(out, "[{i}]");
            }
        }
    }
}

/// Where violations go, with the index of the entity being checked.
pub(super) struct Sink<'v> {
    pub(super) out: &'v mut Vec<Violation>,
    pub(super) index: Option<usize>,
}

impl Sink<'_> {
    pub(super) fn push(&mut self, path: &Path<'_>, message: String) {
        let mut field = String::new();
        path.render(&mut field);
        self.out.push(Violation {
            field,
            index: self.index,
            message,
        });
    }

    pub(super) fn required(&mut self, path: &Path<'_>) {
        self.push(path, "is required".to_owned());
    }
}

/// Runs `check` from the root with no entity index.
pub(super) fn collect(check: impl FnOnce(&mut Sink<'_>, &Path<'_>)) -> Vec<Violation> {
    let mut out = Vec::new();
    check(
        &mut Sink {
            out: &mut out,
            index: None,
        },
        &Path::Root,
    );
    out
}

/// The character count of a string and its first 4-byte character, if any (1-based position).
pub(super) struct Scan {
    pub(super) chars: usize,
    pub(super) four_byte: Option<(usize, char)>,
}

pub(super) fn scan(s: &str) -> Scan {
    if s.is_ascii() {
        return Scan {
            chars: s.len(),
            four_byte: None,
        };
    }
    // Characters are the bytes that are not UTF-8 continuation bytes.
    let chars = s.as_bytes().iter().filter(|&&b| (b as i8) >= -0x40).count();
    Scan {
        chars,
        four_byte: first_four_byte(s),
    }
}

/// The first 4-byte character of `s` and its 1-based position. A branch-free pass over the
/// bytes (a 4-byte character starts with a byte ≥ 0xF0) rules most strings out.
pub(super) fn first_four_byte(s: &str) -> Option<(usize, char)> {
    if s.is_ascii() || !s.as_bytes().iter().fold(false, |acc, &b| acc | (b >= 0xF0)) {
        return None;
    }
    s.chars()
        .enumerate()
        .find(|(_, c)| c.len_utf8() == 4)
        .map(|(i, c)| (i + 1, c))
}

pub(super) fn four_byte_message(at: usize, c: char) -> String {
    format!(
        "contains a 4-byte UTF-8 character at character {at} (U+{:04X}); Okta accepts at most 3 bytes a character",
        u32::from(c)
    )
}

fn plural(n: usize, (one, many): (&str, &str)) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The message of `n` units (`unit`: singular and plural) when at least `min` are required:
/// `is empty; at least 1 character required`, `has 2 entries; at least 5 required`.
fn too_few(verb: &str, n: usize, min: usize, unit: (&str, &str)) -> String {
    if n == 0 {
        format!("is empty; at least {} required", plural(min, unit))
    } else {
        format!("{verb} {}; at least {min} required", plural(n, unit))
    }
}

/// A string's length (in characters) within `min..=max`, and no 4-byte character.
pub(super) fn check_str(sink: &mut Sink<'_>, path: &Path<'_>, s: &str, Chars { min, max }: Chars) {
    let Scan { chars, four_byte } = scan(s);
    if chars > max {
        sink.push(
            path,
            format!("is {chars} characters; at most {max} allowed"),
        );
    } else if chars < min {
        sink.push(path, too_few("is", chars, min, ("character", "characters")));
    }
    if let Some((at, c)) = four_byte {
        sink.push(path, four_byte_message(at, c));
    }
}

/// An optional string field; `required` makes absence a violation.
pub(super) fn check_opt_str(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    value: Option<&str>,
    limits: Chars,
    required: bool,
) {
    match value {
        Some(s) => check_str(sink, path, s, limits),
        None if required => sink.required(path),
        None => {}
    }
}

/// A nullable string field (`null` allowed).
pub(super) fn check_nullable_str(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    value: &Nullable<String>,
    limits: Chars,
) {
    if let Nullable::Value(s) = value {
        check_str(sink, path, s, limits);
    }
}

/// A list's length within `min..=max`; absence is a violation.
pub(super) fn check_list_len(
    sink: &mut Sink<'_>,
    path: &Path<'_>,
    len: Option<usize>,
    Chars { min, max }: Chars,
) {
    match len {
        None => sink.required(path),
        Some(n) if n > max => sink.push(path, format!("has {n} entries; at most {max} allowed")),
        Some(n) if n < min => sink.push(path, too_few("has", n, min, ("entry", "entries"))),
        Some(_) => {}
    }
}

/// An `email` or `secondEmail` value: its length within `limits` and no 4-byte character
/// ([`check_str`]), and the shape of an address ([`address_problem`]).
pub(super) fn check_email(sink: &mut Sink<'_>, path: &Path<'_>, s: &str, limits: Chars) {
    check_str(sink, path, s, limits);
    if let Some(why) = address_problem(s) {
        sink.push(path, format!("is not an email address: {why}"));
    }
}

/// Why `s` is not an email address, if it is not. An address is `local@domain` (split at
/// the last `@`): the local part a dot-atom of RFC 5322 (ASCII letters and digits,
/// ``!#$%&'*+-/=?^_`{|}~``, and any other non-ASCII character as RFC 6531 allows; dots only
/// between them) or a quoted string; the domain dot-separated labels of letters, digits and
/// hyphens (not at either end of a label; non-ASCII allowed), or an address literal in
/// brackets. A domain need not hold a dot. The message names the offending character at
/// most, never the value.
pub(super) fn address_problem(s: &str) -> Option<String> {
    let Some(at) = s.rfind('@') else {
        return Some("it has no @".to_owned());
    };
    let (local, domain) = (&s[..at], &s[at + 1..]);
    if local.is_empty() {
        return Some("nothing comes before the @".to_owned());
    }
    if domain.is_empty() {
        return Some("nothing comes after the @".to_owned());
    }
    local_part_problem(local).or_else(|| domain_problem(domain))
}

/// A character allowed anywhere in an unquoted local part or a domain label beyond ASCII
/// letters and digits: any non-ASCII character that is neither a control nor a space.
fn is_international(c: char) -> bool {
    !c.is_ascii() && !c.is_control() && !c.is_whitespace()
}

/// `c` as a message names it: quoted, or by its code point when it cannot be seen.
fn describe(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        c if c.is_control() || c.is_whitespace() => format!("U+{:04X}", u32::from(c)),
        c => format!("'{c}'"),
    }
}

fn local_part_problem(local: &str) -> Option<String> {
    if let Some(inner) = local
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.next().is_none() => {
                    return Some("its quoted part ends with a lone backslash".to_owned());
                }
                '"' => return Some("its quoted part holds a quote not escaped by \\".to_owned()),
                c if c.is_control() => {
                    return Some(format!("the part before the @ holds {}", describe(c)));
                }
                _ => {}
            }
        }
        return None;
    }
    let allowed = |c: char| {
        c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c) || is_international(c)
    };
    if let Some(c) = local.chars().find(|c| !allowed(*c)) {
        return Some(format!("the part before the @ holds {}", describe(c)));
    }
    (local.starts_with('.') || local.ends_with('.') || local.contains(".."))
        .then(|| "the part before the @ starts or ends with a dot, or has two in a row".to_owned())
}

fn domain_problem(domain: &str) -> Option<String> {
    if domain.starts_with('[') && domain.ends_with(']') {
        return domain[1..domain.len() - 1]
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '[' | ']' | '\\'))
            .map(|c| format!("the domain holds {}", describe(c)));
    }
    let allowed =
        |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.' || is_international(c);
    if let Some(c) = domain.chars().find(|c| !allowed(*c)) {
        return Some(format!("the domain holds {}", describe(c)));
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Some("the domain starts or ends with a dot, or has two in a row".to_owned());
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some("a part of the domain starts or ends with a hyphen".to_owned());
        }
    }
    None
}

/// Only the 4-byte rule, for strings with no length limit (a name, an unknown field).
pub(super) fn check_chars(sink: &mut Sink<'_>, path: &Path<'_>, s: &str, what: &str) {
    if let Some((at, c)) = first_four_byte(s) {
        sink.push(path, format!("{what}{}", four_byte_message(at, c)));
    }
}

/// Unknown fields of any model: every string in them (names too) free of 4-byte characters.
pub(super) fn check_extra(sink: &mut Sink<'_>, path: &Path<'_>, extra: &Map<String, Value>) {
    for (name, value) in extra {
        let path = path.key(name);
        check_chars(sink, &path, name, "name ");
        check_json_chars(sink, &path, value);
    }
}

fn check_json_chars(sink: &mut Sink<'_>, path: &Path<'_>, value: &Value) {
    match value {
        Value::String(s) => check_chars(sink, path, s, ""),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_json_chars(sink, &path.index(i), item);
            }
        }
        Value::Object(map) => check_extra(sink, path, map),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

pub(super) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
