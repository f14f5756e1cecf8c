//! Memberships: CSV `groupExternalId,memberExternalId` or JSON Lines
//! `{"groupExternalId":…,"memberExternalId":…}` (or `"memberExternalIds":[…]`).

use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;

use serde::Deserialize;

use crate::mapping::{Mapping, Renames};

use super::table::{Columns, CsvRows, CsvTable};
use super::{Entries, InputProblem, Located, Section, SectionFile, jsonl};

/// The columns of a memberships CSV.
const COLUMNS: &str = "groupExternalId,memberExternalId";

/// One user in one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Membership {
    /// The group's external id.
    pub group_external_id: String,
    /// The member's (user's) external id.
    pub member_external_id: String,
}

/// A memberships file.
pub(crate) type MembershipsFile = SectionFile<Memberships>;

/// Memberships files: `[memberships]` in a mapping.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Memberships;

impl Section for Memberships {
    const NAME: &'static str = "memberships";
    const COLUMNS: &'static str = COLUMNS;
    type Row = Membership;

    fn renames(mapping: &Mapping) -> &Renames {
        &mapping.memberships
    }

    fn csv(
        reader: File,
        delimiter: u8,
        renames: Option<(&Renames, &str)>,
    ) -> Result<Entries<Self::Row>, InputProblem> {
        Ok(Box::new(CsvRows::<_, MembershipColumns>::renamed(
            reader, delimiter, renames,
        )?))
    }

    /// One member at a time, from either form of a line.
    fn json_lines(reader: File) -> Entries<Membership> {
        Box::new(JsonMemberships {
            lines: jsonl::JsonLines::new(reader),
            pending: VecDeque::new(),
        })
    }
}

/// The columns of a memberships CSV.
struct MembershipColumns {
    group: usize,
    member: usize,
}

impl Columns for MembershipColumns {
    type Row = Membership;

    fn find<R: Read>(table: &CsvTable<R>) -> Result<Self, InputProblem> {
        table.only_columns(
            &["groupExternalId", "memberExternalId"],
            "memberships",
            COLUMNS,
        )?;
        Ok(Self {
            group: table.require("groupExternalId", COLUMNS)?,
            member: table.require("memberExternalId", COLUMNS)?,
        })
    }

    fn read<R: Read>(&self, table: &CsvTable<R>) -> Result<Self::Row, InputProblem> {
        Ok(Membership {
            group_external_id: table.field(self.group)?.unwrap_or_default().to_owned(),
            member_external_id: table.field(self.member)?.unwrap_or_default().to_owned(),
        })
    }
}

/// Streams memberships from CSV.
#[cfg(test)]
type CsvMemberships<R> = CsvRows<R, MembershipColumns>;

/// One line of a memberships JSON Lines file.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MembershipLine {
    group_external_id: String,
    #[serde(default)]
    member_external_id: Option<String>,
    #[serde(default)]
    member_external_ids: Vec<String>,
}

/// Streams memberships from JSON Lines, a line with several members giving several.
struct JsonMemberships<R> {
    lines: jsonl::JsonLines<R, MembershipLine>,
    pending: VecDeque<Located<Membership>>,
}

impl<R: Read> Iterator for JsonMemberships<R> {
    type Item = Result<Located<Membership>, InputProblem>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(m) = self.pending.pop_front() {
                return Some(Ok(m));
            }
            let Located { line, value } = match self.lines.next()? {
                Ok(located) => located,
                Err(e) => return Some(Err(e)),
            };
            let members = value
                .member_external_id
                .into_iter()
                .chain(value.member_external_ids);
            self.pending.extend(members.map(|member| Located {
                line,
                value: Membership {
                    group_external_id: value.group_external_id.clone(),
                    member_external_id: member,
                },
            }));
            if self.pending.is_empty() {
                return Some(Err(InputProblem::at(
                    line,
                    "names no member (memberExternalId or memberExternalIds)",
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_jsonl() {
        let csv: Vec<_> =
            CsvMemberships::new("groupExternalId,memberExternalId\ng1,u1\ng1,u2\n".as_bytes())
                .expect("header")
                .map(|m| m.expect("row"))
                .collect();
        assert_eq!(csv.len(), 2);
        assert_eq!(csv[1].line, 3);
        assert_eq!(csv[1].value.member_external_id, "u2");

        let text = "{\"groupExternalId\":\"g1\",\"memberExternalIds\":[\"u1\",\"u2\"]}\n{\"groupExternalId\":\"g2\",\"memberExternalId\":\"u3\"}\n{\"groupExternalId\":\"g3\"}\n";
        let json: Vec<_> = JsonMemberships {
            lines: jsonl::JsonLines::new(text.as_bytes()),
            pending: VecDeque::new(),
        }
        .collect();
        assert_eq!(json.len(), 4);
        let lines: Vec<_> = json[..3]
            .iter()
            .map(|m| m.as_ref().expect("ok").line)
            .collect();
        assert_eq!(lines, [1, 1, 2]);
        assert_eq!(json[3].as_ref().unwrap_err().line, Some(3));
    }
}
