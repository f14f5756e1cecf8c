//! Groups: CSV `externalId,displayName,description` or JSON Lines
//! `{"externalId":…,"profile":{"displayName":…,"description":…}}`.

use std::fs::File;
use std::io::Read;

use okta_idsrc_core::models::{
    BulkGroupUpsertRequestBodyProfilesInner, IdentitySourceGroupProfileForUpsert,
};

use crate::mapping::{Mapping, Renames};

use super::table::{Columns, CsvRows, CsvTable};
use super::{Entries, InputProblem, Section, SectionFile, jsonl};

/// The columns a groups CSV may have.
const COLUMNS: &str = "externalId,displayName[,description]";

/// A groups file.
pub(crate) type GroupsFile = SectionFile<Groups>;

/// Groups files: `[groups]` in a mapping.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Groups;

impl Section for Groups {
    const NAME: &'static str = "groups";
    const COLUMNS: &'static str = COLUMNS;
    type Row = BulkGroupUpsertRequestBodyProfilesInner;

    fn renames(mapping: &Mapping) -> &Renames {
        &mapping.groups
    }

    fn csv(
        reader: File,
        delimiter: u8,
        renames: Option<(&Renames, &str)>,
    ) -> Result<Entries<Self::Row>, InputProblem> {
        Ok(Box::new(CsvRows::<_, GroupColumns>::renamed(
            reader, delimiter, renames,
        )?))
    }

    fn json_lines(reader: File) -> Entries<Self::Row> {
        Box::new(jsonl::JsonLines::new(reader))
    }
}

/// The columns of a groups CSV.
struct GroupColumns {
    external_id: usize,
    display_name: usize,
    description: Option<usize>,
}

impl Columns for GroupColumns {
    type Row = BulkGroupUpsertRequestBodyProfilesInner;

    fn find<R: Read>(table: &CsvTable<R>) -> Result<Self, InputProblem> {
        table.only_columns(
            &["externalId", "displayName", "description"],
            "groups",
            COLUMNS,
        )?;
        Ok(Self {
            external_id: table.require("externalId", COLUMNS)?,
            display_name: table.require("displayName", COLUMNS)?,
            description: table.column("description"),
        })
    }

    fn read<R: Read>(&self, table: &CsvTable<R>) -> Result<Self::Row, InputProblem> {
        let mut profile = IdentitySourceGroupProfileForUpsert::new();
        if let Some(name) = table.field(self.display_name)? {
            profile = profile.display_name(name);
        }
        if let Some(i) = self.description
            && let Some(description) = table.field(i)?
        {
            profile = profile.description(description);
        }
        let external_id = table.field(self.external_id)?.unwrap_or_default();
        Ok(BulkGroupUpsertRequestBodyProfilesInner::with(
            external_id,
            profile,
        ))
    }
}

/// Streams groups from CSV.
#[cfg(test)]
type CsvGroups<R> = CsvRows<R, GroupColumns>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_groups() {
        let text = "externalId,displayName,description\ng1,Sales,\ng2,Engineering,Builds things\n";
        let groups: Vec<_> = CsvGroups::new(text.as_bytes())
            .expect("header")
            .map(|g| g.expect("row"))
            .collect();
        assert_eq!(groups[1].line, 3);
        assert_eq!(
            serde_json::to_string(&groups[0].value).expect("json"),
            r#"{"externalId":"g1","profile":{"displayName":"Sales"}}"#
        );
        let e = CsvGroups::new("externalId,name\n".as_bytes())
            .err()
            .expect("an error");
        assert_eq!(
            e.to_string(),
            "line 1, column name: unknown column; a groups file has externalId,displayName[,description]"
        );
    }
}
