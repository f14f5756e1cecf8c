//! Groups: CSV `externalId,displayName,description` or JSON Lines
//! `{"externalId":…,"profile":{"displayName":…,"description":…}}`.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use okta_idsrc_core::models::{
    BulkGroupUpsertRequestBodyProfilesInner, IdentitySourceGroupProfileForUpsert,
};

use crate::mapping::{InputOptions, Mapping};

use super::table::{Columns, CsvRows, CsvTable};
use super::{Entries, Format, InputProblem, TableFile, jsonl};

/// The columns a groups CSV may have.
const COLUMNS: &str = "externalId,displayName[,description]";

/// A groups file.
#[derive(Debug, Clone)]
pub(crate) struct GroupsFile(TableFile, Option<Arc<Mapping>>);

impl GroupsFile {
    /// A groups file at `path`, its format from its extension.
    pub(crate) fn new(path: impl Into<PathBuf>) -> Result<Self, InputProblem> {
        TableFile::new(path, None).map(|f| Self(f, None))
    }

    /// The same file, its columns renamed by the mapping's `[groups]`, with the
    /// delimiter of `options`.
    #[must_use]
    pub(crate) fn with_options(mut self, options: &InputOptions) -> Self {
        self.1 = options.mapping.clone().filter(|m| !m.groups.is_identity());
        self.0 = self.0.with_options(options);
        self
    }

    /// Opens the file (again) and streams its groups.
    pub(crate) fn open(
        &self,
    ) -> Result<Entries<BulkGroupUpsertRequestBodyProfilesInner>, InputProblem> {
        let reader = self
            .0
            .open(&format!("is empty; expected a header row {COLUMNS}"))?;
        Ok(match self.0.format {
            Format::Csv => match &self.1 {
                None => Box::new(CsvGroups::with_delimiter(reader, self.0.delimiter)?),
                Some(m) => {
                    let mut table = CsvTable::with_delimiter(reader, self.0.delimiter)?;
                    table.rename(&m.groups, &m.name)?;
                    let columns = GroupColumns::find(&table).map_err(|p| table.hinted(p))?;
                    Box::new(CsvRows::from_parts(table, columns))
                }
            },
            Format::JsonLines if self.1.is_some() => {
                return Err(InputProblem::file(
                    "is JSON Lines, and the mapping's [groups] renames CSV columns only; give a CSV file, or remove [groups] from the mapping",
                ));
            }
            Format::JsonLines => Box::new(jsonl::JsonLines::new(reader)),
        })
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
