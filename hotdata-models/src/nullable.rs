//! A request field that can be left out, sent as `null`, or sent with a
//! value.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A field of a request body that is optional *and* nullable, where leaving
/// it out and sending `null` mean different things (typically "keep what is
/// there" versus "clear it").
///
/// The generated models use it for every such field of a request body; it
/// serialises as nothing when [`Unset`](Nullable::Unset) (the default), as
/// `null` for [`Null`](Nullable::Null), and as the value otherwise. A
/// builder setter takes a value, an `Option` (`None` leaves the field out)
/// or a `Nullable`; only `Nullable::Null` sends `null`.
///
/// ```
/// # use hotdata_models as hotdata;
/// use hotdata::Nullable;
/// use hotdata::types::UpdateDatasetRequest;
///
/// let keep = UpdateDatasetRequest::builder().label("sales".to_owned());
/// let unpin = UpdateDatasetRequest::builder().pinned_version(Nullable::Null);
/// let pin = UpdateDatasetRequest::builder().pinned_version(7);
/// let unset = UpdateDatasetRequest::builder().pinned_version(None::<i64>);
/// let json = |b| serde_json::to_string(&UpdateDatasetRequest::try_from(b).unwrap()).unwrap();
/// assert_eq!(json(keep), r#"{"label":"sales"}"#);
/// assert_eq!(json(unpin), r#"{"pinned_version":null}"#);
/// assert_eq!(json(pin), r#"{"pinned_version":7}"#);
/// assert_eq!(json(unset), "{}");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Nullable<T> {
    /// Left out of the request.
    #[default]
    Unset,
    /// Sent as `null`.
    Null,
    /// Sent with this value.
    Value(T),
}

impl<T> Nullable<T> {
    /// Whether the field is left out (what `skip_serializing_if` asks).
    pub fn is_unset(&self) -> bool {
        matches!(self, Nullable::Unset)
    }

    /// Whether the field is sent as `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Nullable::Null)
    }

    /// The value, when there is one.
    pub fn as_value(&self) -> Option<&T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value, when there is one; `Unset` and `Null` both give `None`.
    pub fn into_value(self) -> Option<T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Nullable<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Nullable::Unset => f.write_str("Unset"),
            Nullable::Null => f.write_str("Null"),
            Nullable::Value(v) => f.debug_tuple("Value").field(v).finish(),
        }
    }
}

impl<T> From<T> for Nullable<T> {
    fn from(value: T) -> Self {
        Nullable::Value(value)
    }
}

/// `Some(v)` sends `v`; `None` leaves the field out, as it did before these
/// fields were tri-state. Only [`Nullable::Null`] sends `null`.
impl<T> From<Option<T>> for Nullable<T> {
    fn from(value: Option<T>) -> Self {
        match value {
            Some(v) => Nullable::Value(v),
            None => Nullable::Unset,
        }
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Nullable::Value(v) => serializer.serialize_some(v),
            Nullable::Unset | Nullable::Null => serializer.serialize_none(),
        }
    }
}

/// A present field reads as `Null` or `Value` (`null` is `Null`, not `Unset`); an absent one is `Unset`
/// through the field's `#[serde(default)]`.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            Some(v) => Nullable::Value(v),
            None => Nullable::Null,
        })
    }
}

#[cfg(feature = "schemars")]
impl<T: schemars::JsonSchema> schemars::JsonSchema for Nullable<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        <Option<T> as schemars::JsonSchema>::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <Option<T> as schemars::JsonSchema>::json_schema(generator)
    }
}
