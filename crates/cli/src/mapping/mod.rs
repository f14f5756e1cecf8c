//! Mapping files (`--map mapping.toml`): HR columns to Okta attributes, derived attributes,
//! and the rules that skip rows or make them deactivations.

pub(crate) mod template;
