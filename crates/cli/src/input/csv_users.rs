//! Users from CSV: a header row naming `externalId` and profile attributes, one user a row.

use std::io::Read;

use okta_idsrc_core::models::{
    BulkUpsertRequestBodyProfilesInner, IdentitySourceUserProfileForUpsert,
};

use super::InputProblem;
use super::table::{Columns, CsvRows, CsvTable};

/// The column holding the external id.
pub(super) const EXTERNAL_ID: &str = "externalId";

/// A profile attribute a CSV column maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Attribute {
    /// `email`.
    Email,
    /// `firstName`.
    FirstName,
    /// `lastName`.
    LastName,
    /// `userName`.
    UserName,
    /// `secondEmail`.
    SecondEmail,
    /// `mobilePhone`.
    MobilePhone,
    /// `homeAddress`.
    HomeAddress,
    /// A custom attribute of the identity source's schema.
    Custom(String),
}

/// The standard attributes by their Okta names.
const STANDARD: [(&str, Attribute); 7] = [
    ("email", Attribute::Email),
    ("firstName", Attribute::FirstName),
    ("lastName", Attribute::LastName),
    ("userName", Attribute::UserName),
    ("secondEmail", Attribute::SecondEmail),
    ("mobilePhone", Attribute::MobilePhone),
    ("homeAddress", Attribute::HomeAddress),
];

impl Attribute {
    /// The attribute a header name maps to, or why it cannot be one.
    pub(crate) fn from_header(name: &str) -> Result<Self, String> {
        if let Some((_, attr)) = STANDARD.iter().find(|(n, _)| *n == name) {
            return Ok(attr.clone());
        }
        let known = STANDARD.iter().map(|(n, _)| *n).chain([EXTERNAL_ID]);
        if let Some(exact) = known.clone().find(|n| n.eq_ignore_ascii_case(name)) {
            return Err(format!(
                "unknown column; did you mean {exact}? (names are case-sensitive)"
            ));
        }
        let squashed: String = name
            .chars()
            .filter(|c| *c != '_' && *c != '-' && *c != ' ')
            .collect();
        if let Some(exact) = known.clone().find(|n| n.eq_ignore_ascii_case(&squashed)) {
            return Err(format!("unknown column; did you mean {exact}?"));
        }
        let mut chars = name.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(
                "is not a valid attribute name (ASCII letters, digits and _, starting with a letter)".to_owned()
            );
        }
        Ok(Self::Custom(name.to_owned()))
    }

    /// Sets this attribute of `profile` to `value`.
    pub(crate) fn set(&self, profile: &mut IdentitySourceUserProfileForUpsert, value: &str) {
        let value = value.to_owned();
        match self {
            Self::Email => profile.email = Some(value),
            Self::FirstName => profile.first_name = value.into(),
            Self::LastName => profile.last_name = value.into(),
            Self::UserName => profile.user_name = Some(value),
            Self::SecondEmail => profile.second_email = value.into(),
            Self::MobilePhone => profile.mobile_phone = value.into(),
            Self::HomeAddress => profile.home_address = value.into(),
            Self::Custom(name) => {
                profile
                    .additional_properties
                    .insert(name.clone(), serde_json::Value::String(value));
            }
        }
    }
}

/// What each column of a users CSV holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UserColumns {
    /// The index of the `externalId` column.
    pub external_id: usize,
    /// The other columns and their attributes, in file order.
    pub attributes: Vec<(usize, Attribute)>,
}

impl UserColumns {
    /// Maps header names (already checked for empty and repeated names) to attributes.
    pub(super) fn from_headers(headers: &[String]) -> Result<Self, InputProblem> {
        let external_id = headers.iter().position(|h| h == EXTERNAL_ID);
        let mut attributes = Vec::with_capacity(headers.len());
        for (i, name) in headers.iter().enumerate() {
            if Some(i) == external_id {
                continue;
            }
            let attr =
                Attribute::from_header(name).map_err(|m| InputProblem::in_column(1, name, m))?;
            attributes.push((i, attr));
        }
        let external_id = external_id.ok_or_else(|| {
            InputProblem::at(
                1,
                format!(
                    "the header has no externalId column; expected externalId and profile attributes \
                     such as email,firstName,lastName (found: {})",
                    headers.join(",")
                ),
            )
        })?;
        Ok(Self {
            external_id,
            attributes,
        })
    }
}

impl Columns for UserColumns {
    type Row = BulkUpsertRequestBodyProfilesInner;

    fn find<R: Read>(table: &CsvTable<R>) -> Result<Self, InputProblem> {
        Self::from_headers(table.headers())
    }

    fn read<R: Read>(&self, table: &CsvTable<R>) -> Result<Self::Row, InputProblem> {
        let external_id = table
            .field(self.external_id)?
            .unwrap_or_default()
            .to_owned();
        let mut profile = IdentitySourceUserProfileForUpsert::new();
        for (i, attr) in &self.attributes {
            if let Some(value) = table.field(*i)? {
                attr.set(&mut profile, value);
            }
        }
        Ok(BulkUpsertRequestBodyProfilesInner::with(
            external_id,
            profile,
        ))
    }
}

/// Streams users from a CSV file.
pub(super) type CsvUsers<R> = CsvRows<R, UserColumns>;

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn header_mapping() {
        let c = UserColumns::from_headers(&headers(&[
            "email",
            "externalId",
            "firstName",
            "department",
            "cost_center2",
        ]))
        .expect("maps");
        assert_eq!(c.external_id, 1);
        assert_eq!(
            c.attributes,
            vec![
                (0, Attribute::Email),
                (2, Attribute::FirstName),
                (3, Attribute::Custom("department".into())),
                (4, Attribute::Custom("cost_center2".into())),
            ]
        );
        let err = |names: &[&str]| {
            UserColumns::from_headers(&headers(names))
                .unwrap_err()
                .to_string()
        };
        assert!(
            err(&["email", "firstName"]).starts_with("line 1: the header has no externalId column")
        );
        assert_eq!(
            err(&["externalId", "Email"]),
            "line 1, column Email: unknown column; did you mean email? (names are case-sensitive)"
        );
        assert_eq!(
            err(&["externalId", "first_name"]),
            "line 1, column first_name: unknown column; did you mean firstName?"
        );
        assert_eq!(
            err(&["externalid"]),
            "line 1, column externalid: unknown column; did you mean externalId? (names are case-sensitive)"
        );
        assert!(
            err(&["externalId", "cost center"])
                .contains("column cost center: is not a valid attribute name")
        );
        assert!(err(&["externalId", "9lives"]).contains("is not a valid attribute name"));
    }

    #[test]
    fn rows_to_users() {
        let text = "externalId,email,firstName,mobilePhone,department\n\
                    u1,ann@example.com,Ann,,Sales\n\
                    u2,bob@example.com,Bob,+1 555 0100,\n";
        let users: Vec<_> = CsvUsers::new(text.as_bytes())
            .expect("header")
            .map(|r| r.expect("row"))
            .collect();
        assert_eq!(users.len(), 2);
        assert_eq!(users[0].line, 2);
        let u1 = &users[0].value;
        assert_eq!(u1.external_id.as_deref(), Some("u1"));
        let p1 = u1.profile.as_ref().expect("profile");
        assert_eq!(p1.email.as_deref(), Some("ann@example.com"));
        assert!(
            p1.mobile_phone.is_absent(),
            "an empty cell omits the attribute"
        );
        assert_eq!(p1.get_custom_attribute("department"), Some("Sales"));
        let json = serde_json::to_string(&users[1].value).expect("json");
        assert_eq!(
            json,
            r#"{"externalId":"u2","profile":{"email":"bob@example.com","firstName":"Bob","mobilePhone":"+1 555 0100"}}"#
        );
    }

    #[test]
    fn bad_utf8_names_line_and_column() {
        let text = b"externalId,firstName\nu1,Ann\nu2,Bo\xFFb\n";
        let mut users = CsvUsers::new(&text[..]).expect("header");
        assert!(users.next().expect("row").is_ok());
        let e = users.next().expect("row").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert_eq!(e.column.as_deref(), Some("firstName"));
        assert!(e.message.starts_with("is not valid UTF-8 (byte 3"), "{e}");
    }
}
