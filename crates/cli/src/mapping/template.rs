//! [`Template`]: the `{Column Name | lower}` templates of a mapping file's `[derived]`
//! table, parsed by hand.
//!
//! A template is literal text with placeholders. `{Name}` is the value of the column (or
//! JSON key) `Name`, trimmed of the spaces around the name; `{Name | lower | trim}` passes
//! it through filters, left to right: `lower`, `upper`, `trim`. `{{` and `}}` write a
//! literal brace. A name may hold any character but `{`, `}` and `|`.

use std::fmt;

/// What a placeholder's value goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Filter {
    /// Lower case (Unicode).
    Lower,
    /// Upper case (Unicode).
    Upper,
    /// Leading and trailing white space removed.
    Trim,
}

impl Filter {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "lower" => Some(Self::Lower),
            "upper" => Some(Self::Upper),
            "trim" => Some(Self::Trim),
            _ => None,
        }
    }

    fn apply(self, value: String) -> String {
        match self {
            Self::Lower => value.to_lowercase(),
            Self::Upper => value.to_uppercase(),
            Self::Trim => value.trim().to_owned(),
        }
    }
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Text written as is.
    Literal(String),
    /// A column's value through filters.
    Field { name: String, filters: Vec<Filter> },
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

/// Why a template does not parse: the message and the byte offset in the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TemplateError {
    /// Where in the template (a byte offset).
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.offset + 1)
    }
}

impl Template {
    /// Parses `text`.
    pub(crate) fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|(_, c)| *c) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().map(|(_, c)| *c) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => {
                    return Err(TemplateError {
                        offset: at,
                        message: "a `}` that closes no `{`; write a literal brace as `}}`"
                            .to_owned(),
                    });
                }
                '{' => {
                    let mut inner = String::new();
                    let mut closed = false;
                    for (i, c) in chars.by_ref() {
                        match c {
                            '}' => {
                                closed = true;
                                break;
                            }
                            '{' => {
                                return Err(TemplateError {
                                    offset: i,
                                    message: "a `{` inside a placeholder".to_owned(),
                                });
                            }
                            c => inner.push(c),
                        }
                    }
                    if !closed {
                        return Err(TemplateError {
                            offset: at,
                            message: "a `{` that is never closed; write a literal brace as `{{`"
                                .to_owned(),
                        });
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(placeholder(&inner, at)?);
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Self { parts })
    }

    /// The columns it reads, in order (a column read twice is named twice).
    pub(crate) fn columns(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Field { name, .. } => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// The text for a row whose column values `value` gives (`None`: empty); `None` when
    /// the template reads columns and every one of them is empty, or the text is empty.
    pub(crate) fn render<'v, E>(
        &self,
        mut value: impl FnMut(&str) -> Result<Option<&'v str>, E>,
    ) -> Result<Option<String>, E> {
        let mut out = String::new();
        let mut fields = 0;
        let mut empty = 0;
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Field { name, filters } => {
                    fields += 1;
                    let mut text = match value(name)? {
                        Some(v) => v.to_owned(),
                        None => {
                            empty += 1;
                            continue;
                        }
                    };
                    for f in filters {
                        text = f.apply(text);
                    }
                    out.push_str(&text);
                }
            }
        }
        Ok((!out.is_empty() && (fields == 0 || empty < fields)).then_some(out))
    }
}

/// The placeholder `{inner}` that opens at byte `at`.
fn placeholder(inner: &str, at: usize) -> Result<Part, TemplateError> {
    let mut pieces = inner.split('|');
    let name = pieces.next().unwrap_or_default().trim();
    if name.is_empty() {
        return Err(TemplateError {
            offset: at,
            message: "a placeholder names no column: write `{Column Name}`".to_owned(),
        });
    }
    let mut filters = Vec::new();
    for piece in pieces {
        let piece = piece.trim();
        filters.push(Filter::parse(piece).ok_or_else(|| TemplateError {
            offset: at,
            message: format!("unknown filter {piece:?}; the filters are lower, upper and trim"),
        })?);
    }
    Ok(Part::Field {
        name: name.to_owned(),
        filters,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    fn render(template: &str, row: &[(&str, &str)]) -> Option<String> {
        let row: HashMap<&str, &str> = row.iter().copied().collect();
        Template::parse(template)
            .expect("parses")
            .render::<()>(|name| Ok(row.get(name).copied().filter(|v| !v.is_empty())))
            .expect("renders")
    }

    #[test]
    fn placeholders_filters_and_braces() {
        let row = [
            ("Work Email", " Ann.Lee@Example.COM "),
            ("First", "Ann"),
            ("Last", "Lee"),
        ];
        assert_eq!(
            render("{Work Email | trim | lower}", &row).as_deref(),
            Some("ann.lee@example.com")
        );
        assert_eq!(
            render("{ First } {Last|upper}", &row).as_deref(),
            Some("Ann LEE")
        );
        assert_eq!(render("{{{First}}}", &row).as_deref(), Some("{Ann}"));
        assert_eq!(render("Employee", &row).as_deref(), Some("Employee"));
        assert_eq!(render("{First} {Missing}", &row).as_deref(), Some("Ann "));
        assert_eq!(
            render("{Missing}-{Other}", &row),
            None,
            "every column empty"
        );
        assert_eq!(render("", &row), None);
    }

    #[test]
    fn parse_errors_say_where() {
        let err = |t: &str| Template::parse(t).unwrap_err().to_string();
        assert_eq!(
            err("a {b"),
            "a `{` that is never closed; write a literal brace as `{{` (at character 3)"
        );
        assert!(err("a } b").starts_with("a `}` that closes no `{`"));
        assert!(err("{ | lower}").starts_with("a placeholder names no column"));
        assert_eq!(
            err("{x | title}"),
            "unknown filter \"title\"; the filters are lower, upper and trim (at character 1)"
        );
        assert!(err("{a{b}}").starts_with("a `{` inside a placeholder"));
    }

    proptest! {
        /// Any text parses or fails with an offset inside it; never a panic.
        #[test]
        fn any_text_parses_or_fails_cleanly(text in "\\PC*") {
            match Template::parse(&text) {
                Ok(t) => {
                    let _ = t.render::<()>(|_| Ok(Some("v")));
                    let _ = t.render::<()>(|_| Ok(None));
                }
                Err(e) => prop_assert!(e.offset < text.len().max(1)),
            }
        }

        /// Any column name (without braces or bars) is read back; any value renders as
        /// itself, and through the filters as the standard library has it.
        #[test]
        fn any_column_and_any_value(name in "[^{}|]*[^{}|\\s][^{}|]*", value in "\\PC+") {
            let t = Template::parse(&format!("{{{name}}}")).expect("parses");
            prop_assert_eq!(t.columns().collect::<Vec<_>>(), vec![name.trim()]);
            let got = t.render::<()>(|n| Ok((n == name.trim()).then_some(value.as_str())));
            prop_assert_eq!(got, Ok(Some(value.clone())));
            let t = Template::parse(&format!("<{{ {name} | upper | trim }}>")).expect("parses");
            let got = t.render::<()>(|_| Ok(Some(value.as_str()))).expect("renders");
            prop_assert_eq!(got, Some(format!("<{}>", value.to_uppercase().trim())));
        }
    }
}
