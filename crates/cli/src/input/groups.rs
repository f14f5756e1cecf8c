//! Groups: CSV `externalId,displayName,description` or JSON Lines
//! `{"externalId":…,"profile":{"displayName":…,"description":…}}`.

use std::io::Read;
use std::path::PathBuf;

use okta_idsrc_core::models::{
    BulkGroupUpsertRequestBodyProfilesInner, IdentitySourceGroupProfileForUpsert,
};

use super::table::CsvTable;
use super::{Entries, Format, InputProblem, Located, is_empty_file, jsonl, open_file};

/// The columns a groups CSV may have.
const COLUMNS: &str = "externalId,displayName[,description]";

/// A groups file.
#[derive(Debug, Clone)]
pub(crate) struct GroupsFile {
    path: PathBuf,
    format: Format,
}

impl GroupsFile {
    /// A groups file at `path`, its format from its extension.
    pub(crate) fn new(path: impl Into<PathBuf>) -> Result<Self, InputProblem> {
        let path = path.into();
        let format = Format::from_path(&path)?;
        Ok(Self { path, format })
    }

    /// Opens the file (again) and streams its groups.
    pub(crate) fn open(
        &self,
    ) -> Result<Entries<BulkGroupUpsertRequestBodyProfilesInner>, InputProblem> {
        if is_empty_file(&self.path)? {
            return Err(InputProblem::file(format!(
                "is empty; expected a header row {COLUMNS}"
            )));
        }
        let reader = open_file(&self.path)?;
        Ok(match self.format {
            Format::Csv => Box::new(CsvGroups::new(reader)?),
            Format::JsonLines => Box::new(jsonl::JsonLines::new(reader)),
        })
    }
}

/// Streams groups from CSV.
struct CsvGroups<R> {
    table: CsvTable<R>,
    external_id: usize,
    display_name: usize,
    description: Option<usize>,
}

impl<R: Read> CsvGroups<R> {
    fn new(reader: R) -> Result<Self, InputProblem> {
        let table = CsvTable::new(reader)?;
        if let Some(other) = table
            .headers()
            .iter()
            .find(|h| !["externalId", "displayName", "description"].contains(&h.as_str()))
        {
            return Err(InputProblem::in_column(
                1,
                other,
                format!("unknown column; a groups file has {COLUMNS}"),
            ));
        }
        Ok(Self {
            external_id: table.require("externalId", COLUMNS)?,
            display_name: table.require("displayName", COLUMNS)?,
            description: table.column("description"),
            table,
        })
    }

    fn group(&self) -> Result<BulkGroupUpsertRequestBodyProfilesInner, InputProblem> {
        let mut profile = IdentitySourceGroupProfileForUpsert::new();
        if let Some(name) = self.table.field(self.display_name)? {
            profile = profile.display_name(name);
        }
        if let Some(i) = self.description {
            if let Some(description) = self.table.field(i)? {
                profile = profile.description(description);
            }
        }
        let external_id = self.table.field(self.external_id)?.unwrap_or_default();
        Ok(BulkGroupUpsertRequestBodyProfilesInner::with(
            external_id,
            profile,
        ))
    }
}

impl<R: Read> Iterator for CsvGroups<R> {
    type Item = Result<Located<BulkGroupUpsertRequestBodyProfilesInner>, InputProblem>;

    fn next(&mut self) -> Option<Self::Item> {
        let line = match self.table.advance()? {
            Ok(line) => line,
            Err(e) => return Some(Err(e)),
        };
        Some(self.group().map(|value| Located { line, value }))
    }
}

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
