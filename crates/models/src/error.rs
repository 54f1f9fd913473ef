//! The crate's error type.

/// What can go wrong in this crate: parsing identifiers, validating input, filling path templates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not a URL at all.
    #[error("invalid secret identifier `{input}`: not a URL ({reason})")]
    InvalidUrl {
        /// The text given.
        input: String,
        /// Why the URL parser refused it.
        reason: String,
    },
    /// The URL's scheme is neither `https` nor `http`.
    #[error("invalid secret identifier `{input}`: scheme `{scheme}` is not https or http")]
    UnsupportedScheme {
        /// The text given.
        input: String,
        /// The scheme found.
        scheme: String,
    },
    /// The URL has a part a secret identifier never has: user info, a query or a fragment.
    #[error("invalid secret identifier `{input}`: unexpected {part}")]
    UnexpectedUrlPart {
        /// The text given.
        input: String,
        /// Which part: `user info`, `query` or `fragment`.
        part: &'static str,
    },
    /// The path is not `/secrets/{name}[/{version}]` or `/deletedsecrets/{name}`.
    #[error(
        "invalid secret identifier `{input}`: path must be /secrets/{{name}}[/{{version}}] or /deletedsecrets/{{name}}"
    )]
    UnexpectedPath {
        /// The text given.
        input: String,
    },
    /// A secret name breaks the naming rule.
    #[error("invalid secret name `{name}`: use 1 to 127 characters among 0-9, a-z, A-Z and -")]
    InvalidName {
        /// The name given.
        name: String,
    },
    /// A secret version holds characters other than letters, digits and dashes.
    #[error("invalid secret version `{version}`: use characters among 0-9, a-z, A-Z and -")]
    InvalidVersion {
        /// The version given.
        version: String,
    },
    /// A secret value is larger than the service accepts.
    #[error("secret value is {size} bytes, more than the limit of {max} bytes")]
    ValueTooLarge {
        /// Size of the value in bytes (UTF-8).
        size: usize,
        /// The limit.
        max: usize,
    },
    /// More tags than the service accepts.
    #[error("{count} tags, more than the limit of {max}")]
    TooManyTags {
        /// Number of tags given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A tag name is empty or too long.
    #[error("tag name `{name}` has {len} characters; it needs 1 to {max}")]
    InvalidTagName {
        /// The tag name.
        name: String,
        /// Its length in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A tag value is too long.
    #[error("value of tag `{name}` has {len} characters, more than the limit of {max}")]
    TagValueTooLong {
        /// The tag name.
        name: String,
        /// The value's length in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A content type is too long.
    #[error("content type has {len} characters, more than the limit of {max}")]
    ContentTypeTooLong {
        /// Its length in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A path template needs a parameter that was not given.
    #[error("operation {operation}: no value for path parameter `{name}`")]
    MissingPathParam {
        /// The operation id.
        operation: &'static str,
        /// The parameter's name.
        name: String,
    },
    /// A value was given for a parameter the path template does not have.
    #[error("operation {operation}: the path has no parameter `{name}`")]
    UnknownPathParam {
        /// The operation id.
        operation: &'static str,
        /// The parameter's name.
        name: String,
    },
    /// Text that should be base64url is not.
    #[error("invalid base64url: {reason}")]
    InvalidBase64Url {
        /// What the decoder reported.
        reason: String,
    },
}
