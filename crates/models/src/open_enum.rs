//! Decoding the open wire enums (`DeletionRecoveryLevel`, `ContentType`): a value the service
//! sends as a plain JSON string is matched in place, and only a value this version does not
//! know is copied (into the enum's `Other`).

use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::{Error, Visitor};

/// Decodes an open enum from a JSON string, borrowing it where the input allows.
pub(crate) fn deserialize<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> From<&'a str> + From<String>,
{
    deserializer.deserialize_str(OpenEnum(PhantomData))
}

struct OpenEnum<T>(PhantomData<T>);

impl<T> Visitor<'_> for OpenEnum<T>
where
    T: for<'a> From<&'a str> + From<String>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: Error>(self, value: &str) -> Result<T, E> {
        Ok(T::from(value))
    }

    fn visit_string<E: Error>(self, value: String) -> Result<T, E> {
        Ok(T::from(value))
    }
}

#[cfg(test)]
mod tests {
    use crate::DeletionRecoveryLevel;

    #[test]
    fn known_unknown_and_escaped_values() {
        let decode = |json: &str| serde_json::from_str::<DeletionRecoveryLevel>(json).unwrap();
        assert_eq!(decode(r#""Recoverable+Purgeable""#), DeletionRecoveryLevel::RecoverablePurgeable);
        assert_eq!(decode(r#""Recoverable\u002bPurgeable""#), DeletionRecoveryLevel::RecoverablePurgeable);
        assert_eq!(decode(r#""Brand+New""#), DeletionRecoveryLevel::Other("Brand+New".into()));
        let from_bytes: DeletionRecoveryLevel = serde_json::from_slice(br#""Purgeable""#).unwrap();
        assert_eq!(from_bytes, DeletionRecoveryLevel::Purgeable);
        let error = serde_json::from_str::<DeletionRecoveryLevel>("7").unwrap_err().to_string();
        assert!(error.contains("a string"), "{error}");
    }
}
