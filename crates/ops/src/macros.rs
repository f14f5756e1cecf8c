//! Declaration macros shared by the crate's modules.

/// Builder-style setters that each replace one field: `$(#[doc])* name(field: Type);` writes
/// `#[must_use] pub fn name(mut self, field: Type) -> Self` setting the field to the
/// argument, and `name(field: Type) = value;` setting it to `value` (an expression of the
/// argument).
macro_rules! setters {
    (@value $field:ident) => {
        $field
    };
    (@value $field:ident, $value:expr) => {
        $value
    };
    ($($(#[$meta:meta])* $name:ident($field:ident: $ty:ty) $(= $value:expr)?;)*) => {
        $(
            $(#[$meta])*
            #[must_use]
            pub fn $name(mut self, $field: $ty) -> Self {
                self.$field = setters!(@value $field $(, $value)?);
                self
            }
        )*
    };
}
pub(crate) use setters;

/// A fieldless enum's `as_str` (one name a variant; `$(#[doc])*` documents it) and the
/// `Display` that writes that name.
macro_rules! names {
    ($(#[$meta:meta])* $enum:ident { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $enum {
            $(#[$meta])*
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }

        impl std::fmt::Display for $enum {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use names;
