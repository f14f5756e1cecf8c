//! [`Planned`]: a user or group as a plan sends it, held as its compact JSON.
//!
//! A first plan holds every user of the snapshot. As a model (a struct of strings and a map
//! of custom attributes) a user costs about 1.5 KB of heap; as the JSON the bulk load sends,
//! about a quarter of that. The plan decodes an entity when it uploads or commits it.

use std::fmt;
use std::marker::PhantomData;

use okta_idsrc_core::models::{
    BulkGroupUpsertRequestBodyProfilesInner, BulkUpsertRequestBodyProfilesInner,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// A model a plan can hold as [`Planned`]: it has an external id.
pub trait PlannedModel: Serialize + DeserializeOwned {
    /// The external id (empty when absent).
    fn external_id(&self) -> &str;
}

impl PlannedModel for BulkUpsertRequestBodyProfilesInner {
    fn external_id(&self) -> &str {
        self.external_id.as_deref().unwrap_or_default()
    }
}

impl PlannedModel for BulkGroupUpsertRequestBodyProfilesInner {
    fn external_id(&self) -> &str {
        self.external_id.as_deref().unwrap_or_default()
    }
}

/// A `T` as a plan holds it: its external id and its JSON. In a plan file it is the model's
/// JSON object, written as held.
pub struct Planned<T> {
    external_id: Box<str>,
    json: Box<RawValue>,
    model: PhantomData<fn() -> T>,
}

impl<T: PlannedModel> Planned<T> {
    /// `model`, encoded.
    pub fn new(model: &T) -> Self {
        Self {
            external_id: model.external_id().into(),
            json: serde_json::value::to_raw_value(model).expect("a model serializes"),
            model: PhantomData,
        }
    }

    /// The external id.
    pub fn external_id(&self) -> &str {
        &self.external_id
    }

    /// The model, decoded.
    pub fn get(&self) -> T {
        serde_json::from_str(self.json.get())
            .expect("a planned entity decodes: it was encoded here")
    }

    /// The model's JSON, as the bulk load sends it.
    pub fn json(&self) -> &str {
        self.json.get()
    }
}

impl<T> Clone for Planned<T> {
    fn clone(&self) -> Self {
        Self {
            external_id: self.external_id.clone(),
            json: self.json.clone(),
            model: PhantomData,
        }
    }
}

impl<T> PartialEq for Planned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.json.get() == other.json.get()
    }
}

impl<T> fmt::Debug for Planned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.json.get())
    }
}

impl<T: PlannedModel> Serialize for Planned<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(serializer)
    }
}

impl<'de, T: PlannedModel> Deserialize<'de> for Planned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(|model| Self::new(&model))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_idsrc_core::models::IdentitySourceUserProfileForUpsert;

    #[test]
    fn a_planned_user_is_its_model_and_serializes_as_it() {
        let profile = IdentitySourceUserProfileForUpsert::new()
            .email("ana@example.com")
            .user_name("ana@example.com")
            .custom_attribute("title", "Engineer");
        let user = BulkUpsertRequestBodyProfilesInner::with("emp-1", profile);
        let planned = Planned::new(&user);
        assert_eq!(planned.external_id(), "emp-1");
        assert_eq!(planned.get(), user);
        assert_eq!(
            serde_json::to_value(&planned).unwrap(),
            serde_json::to_value(&user).unwrap(),
            "a plan file holds the model's JSON"
        );
        let back: Planned<BulkUpsertRequestBodyProfilesInner> =
            serde_json::from_str(&serde_json::to_string(&planned).unwrap()).unwrap();
        assert_eq!(back, planned);
    }
}
