//! Base64url bytes: written without padding (as Key Vault does), read with or without it.
//!
//! The module also serves as a serde `with` module for `Vec<u8>` fields (and [`option`] for
//! `Option<Vec<u8>>` ones).

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use serde::{Deserialize, Deserializer, Serializer};

/// Decodes with or without `=` padding.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_encode_padding(false).with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Encodes bytes as base64url without padding.
pub fn encode(bytes: &[u8]) -> String {
    general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url text, padded or not.
///
/// # Errors
///
/// [`crate::Error::InvalidBase64Url`] when `text` is not base64url.
pub fn decode(text: &str) -> Result<Vec<u8>, crate::Error> {
    LENIENT.decode(text).map_err(|err| crate::Error::InvalidBase64Url { reason: err.to_string() })
}

/// Serde: serializes bytes as unpadded base64url text.
///
/// # Errors
///
/// Whatever the serializer returns.
pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&encode(bytes))
}

/// Serde: deserializes base64url text, padded or not, into bytes.
///
/// # Errors
///
/// When the input is not a string or not base64url.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
    decode(&text).map_err(serde::de::Error::custom)
}

/// Serde `with` module for `Option<Vec<u8>>`: absent or `null` is `None`.
pub mod option {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes `Some` bytes as unpadded base64url text, `None` as `null`.
    ///
    /// # Errors
    ///
    /// Whatever the serializer returns.
    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, serializer: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => super::serialize(bytes, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Deserializes optional base64url text, padded or not.
    ///
    /// # Errors
    ///
    /// When the input is neither `null` nor base64url text.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<std::borrow::Cow<'de, str>>::deserialize(deserializer)? {
            Some(text) => super::decode(&text).map(Some).map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_unpadded_and_decodes_both() {
        assert_eq!(encode(b"ab"), "YWI");
        assert_eq!(decode("YWI").unwrap(), b"ab");
        assert_eq!(decode("YWI=").unwrap(), b"ab");
        assert_eq!(decode("-_8").unwrap(), [0xfb, 0xff]);
        assert!(decode("a+b/").is_err());
        assert!(decode("Y").is_err());
    }
}
