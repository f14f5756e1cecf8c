//! `Link` headers (RFC 8288), as Okta sends them for pagination:
//! `<https://x.okta.com/api/v1/…?after=CURSOR&limit=N>; rel="next"`.

use std::fmt;

use http::HeaderMap;

/// One link-value of a `Link` header.
///
/// `rels` holds the `rel` parameter's relation types, lowercased and split on whitespace
/// (`rel="next self"` gives `["next", "self"]`); only the first `rel` parameter counts, as RFC 8288
/// says. Every other parameter is in `params`, in header order, with its name lowercased
/// (parameter names are case-insensitive) and its value unquoted and unescaped; a parameter
/// without a value has an empty one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The target URI, exactly as it appeared between `<` and `>`.
    pub uri: String,
    /// The relation types (`next`, `self`, …), lowercased.
    pub rels: Vec<String>,
    /// The other parameters, in order.
    pub params: Vec<(String, String)>,
}

impl Link {
    /// A link to `uri` with the single relation type `rel`.
    pub fn new(uri: impl Into<String>, rel: impl Into<String>) -> Self {
        Self {
            uri: uri.into(),
            rels: vec![rel.into().to_ascii_lowercase()],
            params: Vec::new(),
        }
    }

    /// Whether the link has relation type `rel` (compared case-insensitively).
    pub fn has_rel(&self, rel: &str) -> bool {
        self.rels.iter().any(|r| r.eq_ignore_ascii_case(rel))
    }

    /// The value of the first parameter named `name` (case-insensitive), other than `rel`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for Link {
    /// `<uri>; rel="next"; k="v"`, every value quoted with `"` and `\` escaped; parses back
    /// to the same [`Link`] through [`parse_link`] (for a URI without `>`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.uri)?;
        if !self.rels.is_empty() {
            f.write_str("; rel=\"")?;
            for (i, rel) in self.rels.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                write_escaped(f, rel)?;
            }
            f.write_str("\"")?;
        }
        for (name, value) in &self.params {
            write!(f, "; {name}=\"")?;
            write_escaped(f, value)?;
            f.write_str("\"")?;
        }
        Ok(())
    }
}

/// Writes `s` as the inside of a quoted-string: `"` and `\` get a backslash.
fn write_escaped(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    let mut rest = s;
    while let Some(i) = rest.find(['"', '\\']) {
        f.write_str(&rest[..i])?;
        f.write_str("\\")?;
        f.write_str(&rest[i..=i])?;
        rest = &rest[i + 1..];
    }
    f.write_str(rest)
}

/// `links` as one `Link` header value, joined with `", "`.
pub fn format_links(links: &[Link]) -> String {
    let mut out = String::new();
    for (i, link) in links.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        fmt::Write::write_fmt(&mut out, format_args!("{link}")).expect("writing to a String");
    }
    out
}

/// A `Link` header that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed Link header{}: {message} at byte {position}", line_suffix(*.line))]
pub struct LinkParseError {
    message: String,
    position: usize,
    line: Option<usize>,
}

fn line_suffix(line: Option<usize>) -> String {
    line.map_or_else(String::new, |i| format!(" (line {})", i + 1))
}

impl LinkParseError {
    fn new(message: impl Into<String>, position: usize) -> Self {
        Self {
            message: message.into(),
            position,
            line: None,
        }
    }

    /// What is wrong, e.g. `unterminated quoted string`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The byte offset in the header value where the problem is.
    pub fn position(&self) -> usize {
        self.position
    }

    /// For [`parse_link_headers`]: the index (from 0) of the offending `Link` header line.
    pub fn line(&self) -> Option<usize> {
        self.line
    }
}

/// Parses one `Link` header value: comma-separated link-values.
///
/// Commas inside `<…>` and inside quoted strings do not split; quoted strings take backslash
/// escapes; token values (`rel=next`) need no quotes; whitespace around `;`, `,` and `=` is
/// ignored; empty elements (`a, , b`) and empty parameters (`<u>;;rel=next`) are skipped.
///
/// ```
/// use okta_idsrc_core::headers::parse_link;
///
/// let links = parse_link(r#"<https://x/p?after=a,b>; rel="next", <https://x/p>; rel=self"#).unwrap();
/// assert_eq!(links[0].uri, "https://x/p?after=a,b");
/// assert_eq!(links[0].rels, ["next"]);
/// assert_eq!(links[1].rels, ["self"]);
/// ```
pub fn parse_link(value: &str) -> Result<Vec<Link>, LinkParseError> {
    let mut p = Parser { s: value, pos: 0 };
    let mut links = Vec::new();
    loop {
        p.skip_ws();
        match p.peek() {
            None => return Ok(links),
            Some(b',') => p.pos += 1,
            Some(_) => {
                // `link_value` stops at the comma that ends the link, or at the end.
                links.push(p.link_value()?);
            }
        }
    }
}

/// Parses every `Link` header line of `headers`, in order, into one list.
///
/// A value that is not UTF-8 is an error, like a malformed one.
pub fn parse_link_headers(headers: &HeaderMap) -> Result<Vec<Link>, LinkParseError> {
    let mut links = Vec::new();
    for (line, value) in headers.get_all(http::header::LINK).iter().enumerate() {
        let text = std::str::from_utf8(value.as_bytes()).map_err(|e| LinkParseError {
            message: "value is not valid UTF-8".to_owned(),
            position: e.valid_up_to(),
            line: Some(line),
        })?;
        let parsed = parse_link(text).map_err(|e| LinkParseError {
            line: Some(line),
            ..e
        })?;
        links.extend(parsed);
    }
    Ok(links)
}

/// The URI of the first link whose relation types include `next`, across every `Link` header
/// line; `None` on the last page.
pub fn next_link(headers: &HeaderMap) -> Result<Option<String>, LinkParseError> {
    Ok(parse_link_headers(headers)?
        .into_iter()
        .find(|l| l.has_rel("next"))
        .map(|l| l.uri))
}

/// `tchar` of RFC 9110: the characters of a token.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn bytes(&self) -> &[u8] {
        self.s.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// The character at the current position, for messages (`pos` is always a char boundary).
    fn current_char(&self) -> char {
        self.s[self.pos..].chars().next().unwrap_or('\u{FFFD}')
    }

    fn unexpected(&self, what: &str) -> LinkParseError {
        LinkParseError::new(
            format!("expected {what}, found {:?}", self.current_char()),
            self.pos,
        )
    }

    /// One link-value; leaves `pos` at the comma that ends it, or at the end.
    fn link_value(&mut self) -> Result<Link, LinkParseError> {
        if self.peek() != Some(b'<') {
            return Err(self.unexpected("'<' to start a link"));
        }
        let open = self.pos;
        let Some(len) = self.s[open + 1..].find('>') else {
            return Err(LinkParseError::new(
                "unterminated '<': no closing '>'",
                open,
            ));
        };
        let uri = self.s[open + 1..open + 1 + len].to_owned();
        self.pos = open + 1 + len + 1;

        let mut link = Link {
            uri,
            rels: Vec::new(),
            params: Vec::new(),
        };
        let mut seen_rel = false;
        loop {
            self.skip_ws();
            match self.peek() {
                None | Some(b',') => return Ok(link),
                Some(b';') => self.pos += 1,
                Some(_) => return Err(self.unexpected("';' or ',' after a link")),
            }
            self.skip_ws();
            if matches!(self.peek(), None | Some(b',' | b';')) {
                continue; // an empty parameter: `<u>;` or `;;`
            }
            let (name, value) = self.param()?;
            if name == "rel" {
                if !seen_rel {
                    seen_rel = true;
                    link.rels = value
                        .split_ascii_whitespace()
                        .map(str::to_ascii_lowercase)
                        .collect();
                }
            } else {
                link.params.push((name, value));
            }
        }
    }

    /// `name [= value]`, starting at the name.
    fn param(&mut self) -> Result<(String, String), LinkParseError> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.unexpected("a parameter name"));
        }
        let name = self.s[start..self.pos].to_ascii_lowercase();
        self.skip_ws();
        if self.peek() != Some(b'=') {
            return Ok((name, String::new()));
        }
        self.pos += 1;
        self.skip_ws();
        let value = if self.peek() == Some(b'"') {
            self.quoted_string()?
        } else {
            let start = self.pos;
            while self
                .peek()
                .is_some_and(|b| !matches!(b, b',' | b';' | b'"' | b' ' | b'\t'))
            {
                self.pos += 1;
            }
            self.s[start..self.pos].to_owned()
        };
        Ok((name, value))
    }

    /// A quoted-string starting at its opening `"`; returns the unescaped content.
    fn quoted_string(&mut self) -> Result<String, LinkParseError> {
        let open = self.pos;
        let mut out = String::new();
        let mut chars = self.s[open + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos = open + 1 + i + 1;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, escaped)) => out.push(escaped),
                    None => break,
                },
                c => out.push(c),
            }
        }
        Err(LinkParseError::new("unterminated quoted string", open))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_reports_byte_offset() {
        let err = parse_link(r#"<a>; rel="next"x"#).unwrap_err();
        assert_eq!(err.position(), 15);
        assert!(err.to_string().contains("at byte 15"), "{err}");
    }

    #[test]
    fn later_rel_params_are_ignored() {
        let links = parse_link("<a>; rel=next; rel=prev").unwrap();
        assert_eq!(links[0].rels, ["next"]);
        assert!(links[0].params.is_empty());
    }

    #[test]
    fn escaped_display() {
        let link = Link {
            uri: "u".into(),
            rels: vec!["next".into()],
            params: vec![("title".into(), r#"a "b" \c"#.into())],
        };
        assert_eq!(link.to_string(), r#"<u>; rel="next"; title="a \"b\" \\c""#);
    }
}
