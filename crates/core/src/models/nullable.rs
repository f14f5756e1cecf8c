//! [`Nullable`]: a field that can be absent, explicitly `null`, or hold a value.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::json::WriteJson;

/// A field that JSON can leave out, set to `null`, or set to a value.
///
/// Okta distinguishes the three for nullable profile attributes: leaving `firstName` out of a
/// PATCH keeps it, sending `"firstName": null` clears it. A round trip keeps the difference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum Nullable<T> {
    /// The field is not present.
    #[default]
    Absent,
    /// The field is present with the value `null`.
    Null,
    /// The field holds a value.
    Value(T),
}

impl<T> Nullable<T> {
    /// Whether the field is left out.
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }

    /// Whether the field is explicitly `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The value, if there is one.
    pub fn as_ref(&self) -> Option<&T> {
        match self {
            Self::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value, if there is one, by value.
    pub fn into_option(self) -> Option<T> {
        match self {
            Self::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl Nullable<String> {
    /// The string value, if there is one.
    pub fn as_deref(&self) -> Option<&str> {
        self.as_ref().map(String::as_str)
    }
}

impl<T> From<T> for Nullable<T> {
    fn from(value: T) -> Self {
        Self::Value(value)
    }
}

impl From<&str> for Nullable<String> {
    fn from(value: &str) -> Self {
        Self::Value(value.to_owned())
    }
}

impl<T> Nullable<T> {
    /// `Some(v)` becomes a value, `None` an explicit `null`.
    pub fn from_option(value: Option<T>) -> Self {
        value.map_or(Self::Null, Self::Value)
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Value(v) => serializer.serialize_some(v),
            _ => serializer.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::from_option(Option::<T>::deserialize(deserializer)?))
    }
}

impl<T: WriteJson> WriteJson for Nullable<T> {
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Self::Value(v) => v.write_json(out),
            _ => out.extend_from_slice(b"null"),
        }
    }
    fn size_hint(&self) -> usize {
        self.as_ref().map_or(4, WriteJson::size_hint)
    }
}

/// How a model field reports that it is left out of the JSON object.
pub(super) trait FieldPresence {
    /// True when the field is absent and must not be written.
    fn is_absent_field(&self) -> bool;
}

impl<T> FieldPresence for Option<T> {
    fn is_absent_field(&self) -> bool {
        self.is_none()
    }
}

impl<T> FieldPresence for Nullable<T> {
    fn is_absent_field(&self) -> bool {
        self.is_absent()
    }
}
