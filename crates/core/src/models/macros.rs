//! The macros that generate the models' types and their serde and [`WriteJson`] code.
//!
//! [`WriteJson`]: crate::json::WriteJson

/// Defines a JSON object model: the struct, with every field optional (`Option` or
/// [`Nullable`](crate::models::Nullable)) and `additional_properties` for unknown fields; a
/// builder-style setter per field; `Serialize`, `Deserialize` (no `#[serde(flatten)]`, which
/// would buffer every field) and `WriteJson`.
macro_rules! model {
    (
        $(#[$smeta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $kind:ident < $inner:ty > = $json:literal
            ),* $(,)?
        }
    ) => {
        $(#[$smeta])*
        #[derive(Debug, Clone, Default, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            $(
                $(#[$fmeta])*
                pub $field: $kind<$inner>,
            )*
            /// Fields this version of the crate does not know, kept so that they survive a
            /// deserialize → serialize round trip.
            pub additional_properties: ::serde_json::Map<String, ::serde_json::Value>,
        }

        impl $name {
            /// An empty value: every field absent.
            pub fn new() -> Self {
                Self::default()
            }

            $(
                #[doc = concat!("Sets `", $json, "`.")]
                #[must_use]
                pub fn $field(mut self, value: impl Into<$inner>) -> Self {
                    self.$field = <$kind<$inner>>::from(value.into());
                    self
                }
            )*

            /// Sets a field this crate has no name for (kept in `additional_properties`).
            #[must_use]
            pub fn additional_property(
                mut self,
                key: impl Into<String>,
                value: impl Into<::serde_json::Value>,
            ) -> Self {
                self.additional_properties.insert(key.into(), value.into());
                self
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap as _;
                use $crate::models::nullable::FieldPresence as _;
                let mut map = serializer.serialize_map(None)?;
                $(
                    if !self.$field.is_absent_field() {
                        map.serialize_entry($json, &self.$field)?;
                    }
                )*
                for (k, v) in &self.additional_properties {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ModelVisitor;
                impl<'de> ::serde::de::Visitor<'de> for ModelVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a JSON object (", stringify!($name), ")"))
                    }
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                        let mut value = $name::default();
                        while let Some(key) = map.next_key::<$crate::models::key::Key<'de>>()? {
                            match key.as_str() {
                                $(
                                    $json => value.$field = map.next_value()?,
                                )*
                                _ => {
                                    let v = map.next_value::<::serde_json::Value>()?;
                                    value.additional_properties.insert(key.into_owned(), v);
                                }
                            }
                        }
                        Ok(value)
                    }
                }
                deserializer.deserialize_map(ModelVisitor)
            }
        }

        impl $crate::json::WriteJson for $name {
            fn write_json(&self, out: &mut Vec<u8>) {
                use $crate::models::nullable::FieldPresence as _;
                out.push(b'{');
                #[allow(unused_mut)]
                let mut first = true;
                $(
                    if !self.$field.is_absent_field() {
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        out.extend_from_slice(concat!("\"", $json, "\":").as_bytes());
                        $crate::json::WriteJson::write_json(&self.$field, out);
                    }
                )*
                $crate::json::write_map_entries(out, &self.additional_properties, first);
                out.push(b'}');
            }

            fn size_hint(&self) -> usize {
                use $crate::models::nullable::FieldPresence as _;
                let mut n = 2 + $crate::json::map_entries_hint(&self.additional_properties);
                $(
                    if !self.$field.is_absent_field() {
                        n += $json.len() + 4 + $crate::json::WriteJson::size_hint(&self.$field);
                    }
                )*
                n
            }
        }
    };
}

/// Defines an open string enum: known values as variants, anything else kept verbatim in
/// `Unknown` and written back unchanged.
macro_rules! open_enum {
    (
        $(#[$emeta:meta])*
        pub enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $json:literal
            ),* $(,)?
        }
    ) => {
        $(#[$emeta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(
                $(#[$vmeta])*
                $variant,
            )*
            /// A value this version of the crate does not know, kept verbatim (made only by
            /// parsing one).
            Unknown($crate::models::UnknownValue),
        }

        impl $name {
            /// Every value this crate knows, in the spec's order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $json,)*
                    Self::Unknown(s) => s.as_str(),
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($json => Self::$variant,)*
                    other => Self::Unknown($crate::models::UnknownValue(other.to_owned())),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $($json => Self::$variant,)*
                    _ => Self::Unknown($crate::models::UnknownValue(s)),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let key = $crate::models::key::Key::deserialize(deserializer)?;
                Ok(match key.as_str() {
                    $($json => Self::$variant,)*
                    _ => Self::Unknown($crate::models::UnknownValue(key.into_owned())),
                })
            }
        }

        impl $crate::json::WriteJson for $name {
            fn write_json(&self, out: &mut Vec<u8>) {
                $crate::json::write_str(out, self.as_str());
            }
            fn size_hint(&self) -> usize {
                self.as_str().len() + 2
            }
        }
    };
}
