//! Loading a mapping file: TOML through serde, unknown keys refused, every problem named by
//! the mapping file's line.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::template::Template;
use crate::input::Attribute;

/// What becomes of a column the mapping does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Unmapped {
    /// The header is the attribute, as without a mapping.
    #[default]
    Keep,
    /// The column is left out.
    Ignore,
    /// The column is an error.
    Error,
}

/// Where an HR column's value goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// The user's external id.
    ExternalId,
    /// A profile attribute.
    Attribute(Attribute),
}

impl Target {
    /// The target a name in the mapping file (or a header kept as is) names.
    pub(crate) fn parse(name: &str) -> Result<Self, String> {
        if name == "externalId" {
            return Ok(Self::ExternalId);
        }
        Attribute::from_header(name)
            .map(Self::Attribute)
            .map_err(|m| m.replace("unknown column", "unknown attribute"))
    }
}

/// A column mapped to a target, at a line of the mapping file.
#[derive(Debug, Clone)]
pub(crate) struct ColumnMap {
    /// The HR column (or JSON key).
    pub column: String,
    /// Its Okta name, as written.
    pub name: String,
    /// Where it goes.
    pub target: Target,
    /// The mapping file's line.
    pub line: usize,
}

/// A derived attribute.
#[derive(Debug, Clone)]
pub(crate) struct Derived {
    /// Its Okta name, as written.
    pub name: String,
    /// Where it goes.
    pub target: Target,
    /// How it is computed.
    pub template: Template,
    /// The mapping file's line.
    pub line: usize,
}

/// A `[skip]` or `[deactivate]` rule: the rows whose `column` holds one of `values`
/// (trimmed, case aside).
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    /// The HR column.
    pub column: String,
    /// The values, lower-cased.
    pub values: Vec<String>,
    /// The mapping file's line.
    pub line: usize,
}

impl Rule {
    /// Whether `value` (a cell, `None` when empty) matches.
    pub(crate) fn matches(&self, value: Option<&str>) -> bool {
        let value = value.unwrap_or_default().trim().to_lowercase();
        self.values.contains(&value)
    }
}

/// The users part of a mapping.
#[derive(Debug, Clone, Default)]
pub(crate) struct Users {
    /// What becomes of other columns.
    pub unmapped: Unmapped,
    /// `[columns]`.
    pub columns: Vec<ColumnMap>,
    /// `[derived]`.
    pub derived: Vec<Derived>,
    /// `[skip]`.
    pub skip: Vec<Rule>,
    /// `[deactivate]`.
    pub deactivate: Vec<Rule>,
}

impl Users {
    /// Every column the mapping reads, with the line that reads it and what for.
    pub(crate) fn used(&self) -> Vec<(&str, usize, String)> {
        let mut used: Vec<(&str, usize, String)> = Vec::new();
        for c in &self.columns {
            used.push((&c.column, c.line, format!("maps it to {}", c.name)));
        }
        for d in &self.derived {
            for column in d.template.columns() {
                used.push((column, d.line, format!("reads it for {}", d.name)));
            }
        }
        for (rules, what) in [(&self.skip, "[skip]"), (&self.deactivate, "[deactivate]")] {
            for r in rules {
                used.push((&r.column, r.line, format!("tests it in {what}")));
            }
        }
        used
    }

    /// Whether the mapping names `column` anywhere (what [`used`](Self::used) lists, without
    /// building the list: it is asked for every key of every JSON Lines row).
    pub(crate) fn uses(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c.column == column)
            || self
                .derived
                .iter()
                .any(|d| d.template.columns().any(|c| c == column))
            || self
                .skip
                .iter()
                .chain(&self.deactivate)
                .any(|r| r.column == column)
    }

    /// Whether `[columns]` or `[derived]` gives `target`.
    pub(crate) fn gives(&self, target: &Target) -> bool {
        self.columns.iter().any(|c| c.target == *target)
            || self.derived.iter().any(|d| d.target == *target)
    }
}

/// A groups or memberships part: columns renamed to the names the file must have.
#[derive(Debug, Clone, Default)]
pub(crate) struct Renames {
    /// What becomes of other columns.
    pub unmapped: Unmapped,
    /// HR column → name, with its line.
    pub columns: Vec<(String, String, usize)>,
}

impl Renames {
    /// Whether it changes nothing.
    pub(crate) fn is_identity(&self) -> bool {
        self.columns.is_empty() && self.unmapped == Unmapped::Keep
    }

    /// What the column `header` is called: `Some(name)`, `None` when ignored, or an error.
    pub(crate) fn name_of(&self, header: &str, mapping: &str) -> Result<Option<String>, String> {
        if let Some((_, name, _)) = self.columns.iter().find(|(c, _, _)| c == header) {
            return Ok(Some(name.clone()));
        }
        match self.unmapped {
            Unmapped::Keep => Ok(Some(header.to_owned())),
            Unmapped::Ignore => Ok(None),
            Unmapped::Error => Err(format!(
                "is not named in the mapping {mapping} (unmapped = \"error\"); map it, or set unmapped = \"ignore\""
            )),
        }
    }
}

/// A loaded mapping file.
#[derive(Debug, Clone)]
pub(crate) struct Mapping {
    /// The file, as given.
    pub name: String,
    /// The users part.
    pub users: Users,
    /// `[groups]`.
    pub groups: Renames,
    /// `[memberships]`.
    pub memberships: Renames,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    unmapped: Option<Unmapped>,
    #[serde(default)]
    columns: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    derived: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    skip: BTreeMap<Spanned<String>, Spanned<Vec<String>>>,
    #[serde(default)]
    deactivate: BTreeMap<Spanned<String>, Spanned<Vec<String>>>,
    groups: Option<RawSection>,
    memberships: Option<RawSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    unmapped: Option<Unmapped>,
    #[serde(default)]
    columns: BTreeMap<Spanned<String>, Spanned<String>>,
}

/// The 1-based line of byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

impl Mapping {
    /// Reads the mapping file at `path`; else a one-line reason naming it (and its line).
    pub(crate) fn load(path: &Path) -> Result<Self, String> {
        let name = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("{name}: cannot read it: {e}"))?;
        Self::parse(&name, &text)
    }

    /// Parses `text`, the mapping file `name`.
    pub(crate) fn parse(name: &str, text: &str) -> Result<Self, String> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| format!(" line {}", line_of(text, s.start)))
                .unwrap_or_default();
            format!("{name}{at}: {}", e.message().trim_end())
        })?;
        let err = |span: std::ops::Range<usize>, m: String| {
            format!("{name} line {}: {m}", line_of(text, span.start))
        };
        let mut users = Users {
            unmapped: raw.unmapped.unwrap_or_default(),
            ..Users::default()
        };
        // Every target at most once: its name and line.
        let mut given: Vec<(Target, usize)> = Vec::new();
        let mut give = |target: &Target, line: usize, what: &str| match given
            .iter()
            .find(|(t, _)| t == target)
        {
            Some((_, first)) => Err(format!(
                "{name} line {line}: {what} is given twice (first on line {first})"
            )),
            None => {
                given.push((target.clone(), line));
                Ok(())
            }
        };
        for (column, attr) in raw.columns {
            let line = line_of(text, column.span().start);
            let target = Target::parse(attr.get_ref())
                .map_err(|m| err(attr.span(), format!("{:?}: {m}", attr.get_ref())))?;
            give(&target, line, attr.get_ref())?;
            users.columns.push(ColumnMap {
                column: column.into_inner(),
                name: attr.into_inner(),
                target,
                line,
            });
        }
        for (attr, template) in raw.derived {
            let line = line_of(text, attr.span().start);
            let target = Target::parse(attr.get_ref())
                .map_err(|m| err(attr.span(), format!("{:?}: {m}", attr.get_ref())))?;
            give(&target, line, attr.get_ref())?;
            let parsed = Template::parse(template.get_ref()).map_err(|e| {
                err(
                    template.span(),
                    format!("the template of {}: {e}", attr.get_ref()),
                )
            })?;
            users.derived.push(Derived {
                name: attr.into_inner(),
                target,
                template: parsed,
                line,
            });
        }
        for (raw_rules, rules, what) in [
            (raw.skip, &mut users.skip, "[skip]"),
            (raw.deactivate, &mut users.deactivate, "[deactivate]"),
        ] {
            for (column, values) in raw_rules {
                if values.get_ref().is_empty() {
                    return Err(err(
                        values.span(),
                        format!("{what} {:?} lists no value", column.get_ref()),
                    ));
                }
                rules.push(Rule {
                    line: line_of(text, column.span().start),
                    column: column.into_inner(),
                    values: values
                        .into_inner()
                        .iter()
                        .map(|v| v.trim().to_lowercase())
                        .collect(),
                });
            }
        }
        if users.unmapped != Unmapped::Keep && !given.iter().any(|(t, _)| *t == Target::ExternalId)
        {
            return Err(format!(
                "{name}: nothing gives externalId: map a column to \"externalId\" under [columns] (or derive it)"
            ));
        }
        let section = |raw: Option<RawSection>, allowed: &[&str]| -> Result<Renames, String> {
            let Some(raw) = raw else {
                return Ok(Renames::default());
            };
            let mut out = Renames {
                unmapped: raw.unmapped.unwrap_or_default(),
                columns: Vec::new(),
            };
            for (column, to) in raw.columns {
                if !allowed.contains(&to.get_ref().as_str()) {
                    return Err(err(
                        to.span(),
                        format!("{:?}: expected one of {}", to.get_ref(), allowed.join(", ")),
                    ));
                }
                let line = line_of(text, column.span().start);
                if let Some((_, _, first)) = out.columns.iter().find(|(_, t, _)| t == to.get_ref())
                {
                    return Err(format!(
                        "{name} line {line}: {} is given twice (first on line {first})",
                        to.get_ref()
                    ));
                }
                out.columns
                    .push((column.into_inner(), to.into_inner(), line));
            }
            Ok(out)
        };
        Ok(Self {
            name: name.to_owned(),
            users,
            groups: section(raw.groups, &["externalId", "displayName", "description"])?,
            memberships: section(raw.memberships, &["groupExternalId", "memberExternalId"])?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKDAY: &str = r#"unmapped = "ignore"

[columns]
"Employee ID" = "externalId"
"Work Email" = "email"
"Department Name" = "department"

[derived]
userName = "{Work Email | lower}"

[skip]
"Worker Type" = ["Contractor"]

[deactivate]
"Worker Status" = ["Terminated", "Retired"]

[groups.columns]
"Group ID" = "externalId"
"#;

    #[test]
    fn a_whole_file() {
        let m = Mapping::parse("m.toml", WORKDAY).expect("parses");
        assert_eq!(m.users.unmapped, Unmapped::Ignore);
        assert_eq!(m.users.columns.len(), 3);
        let id = m
            .users
            .columns
            .iter()
            .find(|c| c.column == "Employee ID")
            .expect("id");
        assert_eq!((id.target.clone(), id.line), (Target::ExternalId, 4));
        assert_eq!(m.users.derived[0].line, 9);
        assert!(m.users.deactivate[0].matches(Some(" terminated ")));
        assert!(!m.users.deactivate[0].matches(None));
        assert!(m.users.uses("Worker Type"));
        assert_eq!(
            m.groups.columns,
            [("Group ID".to_owned(), "externalId".to_owned(), 18)]
        );
    }

    #[test]
    fn errors_name_the_line() {
        let err = |t: &str| Mapping::parse("m.toml", t).unwrap_err();
        assert_eq!(
            err("[columns]\n\"A\" = \"email\"\n\"B\" = \"not valid\"\n"),
            "m.toml line 3: \"not valid\": is not a valid attribute name (ASCII letters, digits and _, starting with a letter)"
        );
        let e = err("unmapped = \"keep\"\n[colums]\nx = \"y\"\n");
        assert!(
            e.starts_with("m.toml line 2: unknown field `colums`"),
            "{e}"
        );
        let e = err("unmapped = \"drop\"\n");
        assert!(
            e.starts_with("m.toml line 1: unknown variant `drop`"),
            "{e}"
        );
        assert_eq!(
            err("[columns]\nA = \"email\"\nB = \"email\"\n"),
            "m.toml line 3: email is given twice (first on line 2)"
        );
        assert!(
            err("[derived]\nuserName = \"{A | title}\"\n")
                .starts_with("m.toml line 2: the template of userName: unknown filter")
        );
        assert_eq!(
            err("[skip]\nA = []\n"),
            "m.toml line 2: [skip] \"A\" lists no value"
        );
        assert!(
            err("unmapped = \"ignore\"\n[columns]\nA = \"email\"\n")
                .contains("nothing gives externalId")
        );
        assert!(
            err("[memberships.columns]\nG = \"group\"\n")
                .starts_with("m.toml line 2: \"group\": expected one of")
        );
    }
}
