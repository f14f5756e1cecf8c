//! Typed lookups in a parsed `okta.yaml` whose errors name the file and key.

use super::*;

/// A parsed YAML file, for typed lookups that name the file and key in errors.
pub(super) struct YamlFile<'a> {
    pub(super) path: &'a Path,
    pub(super) root: &'a Value,
}

/// How a YAML scalar is read into text before parsing.
pub(super) struct Scalar;

impl Scalar {
    /// Strings only (numbers and booleans are refused: `"expected a string"`).
    pub(super) fn string(value: &Value) -> Result<String, String> {
        match value {
            Value::String(s) => Ok(s.clone()),
            other => Err(format!("expected a string, got {}", describe(other))),
        }
    }

    /// Strings only, without quoting the value in errors.
    pub(super) fn secret(value: &Value) -> Result<String, String> {
        match value {
            Value::String(s) => Ok(s.clone()),
            _ => Err("expected a string".to_owned()),
        }
    }

    /// Strings, numbers and booleans, as text.
    pub(super) fn any(value: &Value) -> Result<String, String> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(format!("expected a value, got {}", describe(other))),
        }
    }
}

impl YamlFile<'_> {
    pub(super) fn origin(&self, key: &[&str]) -> Origin {
        Origin::File {
            path: self.path.to_owned(),
            key: key.join("."),
        }
    }

    /// The value at `key`, `None` when absent or `null`; an error when a parent is not a
    /// mapping.
    pub(super) fn get(&self, key: &[&str]) -> Result<Option<&Value>, ConfigError> {
        let mut current = self.root;
        for (i, part) in key.iter().enumerate() {
            match current {
                Value::Null => return Ok(None),
                Value::Mapping(map) => match map.get(*part) {
                    Some(v) => current = v,
                    None => return Ok(None),
                },
                other => {
                    return Err(ConfigError::Invalid {
                        origin: self.origin(&key[..i]),
                        message: format!("expected a mapping, got {}", describe(other)),
                    });
                }
            }
        }
        Ok(match current {
            Value::Null => None,
            v => Some(v),
        })
    }

    /// The mapping at `key`, if any.
    pub(super) fn mapping(
        &self,
        key: &[&str],
    ) -> Result<Option<&serde_yaml_ng::Mapping>, ConfigError> {
        match self.get(key)? {
            None => Ok(None),
            Some(Value::Mapping(m)) => Ok(Some(m)),
            Some(other) => Err(ConfigError::Invalid {
                origin: self.origin(key),
                message: format!("expected a mapping, got {}", describe(other)),
            }),
        }
    }

    /// Scopes at `key`: a YAML list of strings, or one string of space- or comma-separated
    /// scopes.
    pub(super) fn scopes(&self, key: &[&str]) -> Result<Option<Vec<String>>, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            origin: self.origin(key),
            message,
        };
        match self.get(key)? {
            None => Ok(None),
            Some(Value::Sequence(items)) => {
                let mut scopes = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::String(s) => scopes.extend(split_scopes(s)),
                        other => {
                            return Err(invalid(format!(
                                "expected a list of scopes, got {} in it",
                                describe(other)
                            )));
                        }
                    }
                }
                Ok((!scopes.is_empty()).then_some(scopes))
            }
            Some(Value::String(s)) => Ok(parse_scopes(s).ok()),
            Some(other) => Err(invalid(format!(
                "expected a list of scopes or a string, got {}",
                describe(other)
            ))),
        }
    }

    /// The value at `key`, read by `scalar` and parsed by `parse`.
    pub(super) fn parse<T>(
        &self,
        key: &[&str],
        scalar: fn(&Value) -> Result<String, String>,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        let Some(value) = self.get(key)? else {
            return Ok(None);
        };
        let invalid = |message| ConfigError::Invalid {
            origin: self.origin(key),
            message,
        };
        let text = scalar(value).map_err(invalid)?;
        if text.trim().is_empty() {
            return Ok(None);
        }
        parse(&text).map(Some).map_err(invalid)
    }
}
