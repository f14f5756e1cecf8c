//! Declaration macros shared by the crate's modules.

/// Builder-style setters that each replace one field: `$(#[doc])* name(field: Type);` writes
/// `#[must_use] pub fn name(mut self, field: Type) -> Self`.
macro_rules! setters {
    ($($(#[$meta:meta])* $name:ident($field:ident: $ty:ty);)*) => {
        $(
            $(#[$meta])*
            #[must_use]
            pub fn $name(mut self, $field: $ty) -> Self {
                self.$field = $field;
                self
            }
        )*
    };
}
pub(crate) use setters;
