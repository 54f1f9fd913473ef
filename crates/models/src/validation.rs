//! The service's limits on secret names, values, tags and content types, checked before a request
//! leaves the client (and by the emulator, to answer as the service would).

use crate::Error;
use crate::models::SecretSetParameters;

/// Longest secret name, in characters.
pub const MAX_NAME_LEN: usize = 127;
/// Largest secret value, in bytes (UTF-8): 25 KiB.
pub const MAX_VALUE_BYTES: usize = 25 * 1024;
/// Most tags on one secret.
pub const MAX_TAGS: usize = 15;
/// Longest tag name, in characters.
pub const MAX_TAG_NAME_LEN: usize = 512;
/// Longest tag value, in characters.
pub const MAX_TAG_VALUE_LEN: usize = 512;
/// Longest content type, in characters.
pub const MAX_CONTENT_TYPE_LEN: usize = 255;

/// Whether `name` is a valid secret name: 1 to 127 characters among `0-9`, `a-z`, `A-Z` and `-`
/// (the pattern `^[0-9a-zA-Z-]{1,127}$`).
pub fn is_valid_secret_name(name: &str) -> bool {
    (1..=MAX_NAME_LEN).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Checks a secret name; see [`is_valid_secret_name`].
///
/// # Errors
///
/// [`Error::InvalidName`].
pub fn validate_secret_name(name: &str) -> Result<(), Error> {
    if is_valid_secret_name(name) { Ok(()) } else { Err(Error::InvalidName { name: name.to_owned() }) }
}

/// Checks a secret version: non-empty, letters, digits and dashes (the service's are 32 hex digits).
///
/// # Errors
///
/// [`Error::InvalidVersion`].
pub fn validate_secret_version(version: &str) -> Result<(), Error> {
    if !version.is_empty() && version.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Ok(())
    } else {
        Err(Error::InvalidVersion { version: version.to_owned() })
    }
}

/// Checks that a secret value is at most [`MAX_VALUE_BYTES`] bytes.
///
/// # Errors
///
/// [`Error::ValueTooLarge`].
pub fn validate_secret_value(value: &str) -> Result<(), Error> {
    if value.len() <= MAX_VALUE_BYTES {
        Ok(())
    } else {
        Err(Error::ValueTooLarge { size: value.len(), max: MAX_VALUE_BYTES })
    }
}

/// Checks tags: at most [`MAX_TAGS`] of them, names of 1 to [`MAX_TAG_NAME_LEN`] characters, values
/// of at most [`MAX_TAG_VALUE_LEN`] characters. Takes any map or list of pairs.
///
/// # Errors
///
/// [`Error::TooManyTags`], [`Error::InvalidTagName`] or [`Error::TagValueTooLong`].
pub fn validate_tags<K, V>(tags: impl IntoIterator<Item = (K, V)>) -> Result<(), Error>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut count = 0;
    for (name, value) in tags {
        let (name, value) = (name.as_ref(), value.as_ref());
        count += 1;
        let len = name.chars().count();
        if len == 0 || len > MAX_TAG_NAME_LEN {
            return Err(Error::InvalidTagName { name: name.to_owned(), len, max: MAX_TAG_NAME_LEN });
        }
        let len = value.chars().count();
        if len > MAX_TAG_VALUE_LEN {
            return Err(Error::TagValueTooLong { name: name.to_owned(), len, max: MAX_TAG_VALUE_LEN });
        }
    }
    if count > MAX_TAGS {
        return Err(Error::TooManyTags { count, max: MAX_TAGS });
    }
    Ok(())
}

/// Checks that a content type is at most [`MAX_CONTENT_TYPE_LEN`] characters.
///
/// # Errors
///
/// [`Error::ContentTypeTooLong`].
pub fn validate_content_type(content_type: &str) -> Result<(), Error> {
    let len = content_type.chars().count();
    if len <= MAX_CONTENT_TYPE_LEN { Ok(()) } else { Err(Error::ContentTypeTooLong { len, max: MAX_CONTENT_TYPE_LEN }) }
}

/// Checks everything about a Set Secret request: name, value, tags and content type.
///
/// # Errors
///
/// The first limit broken, as by the individual checks.
pub fn validate_set_secret(name: &str, parameters: &SecretSetParameters) -> Result<(), Error> {
    validate_secret_name(name)?;
    validate_secret_value(&parameters.value)?;
    if let Some(tags) = &parameters.tags {
        validate_tags(tags)?;
    }
    if let Some(content_type) = &parameters.content_type {
        validate_content_type(content_type)?;
    }
    Ok(())
}
