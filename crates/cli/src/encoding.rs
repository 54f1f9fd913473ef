//! `--encoding`: how a file's bytes become a secret's value (`set --file`) and back (`download`).
//!
//! As in the Azure CLI, `base64` and `hex` store binary files as text; `set` records the encoding in
//! the secret's `file-encoding` tag, which `download` reads when `--encoding` is not given.

use base64::Engine as _;

use crate::error::{CliError, Result};

/// The tag `set --file` records the encoding in.
pub(crate) const TAG: &str = "file-encoding";

/// A file encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// The bytes are the value: they must be UTF-8.
    Utf8,
    /// The bytes are the value: they must be ASCII.
    Ascii,
    /// The value is the bytes in standard base64.
    Base64,
    /// The value is the bytes in lowercase hexadecimal.
    Hex,
}

impl Encoding {
    /// Parses `utf-8` (or `utf8`), `ascii`, `base64` or `hex`, for the argument `arg`.
    pub(crate) fn parse(arg: &str, text: &str) -> Result<Self> {
        match text.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Ok(Self::Utf8),
            "ascii" => Ok(Self::Ascii),
            "base64" => Ok(Self::Base64),
            "hex" => Ok(Self::Hex),
            _ => Err(CliError::arg(arg, format!("`{text}` is not an encoding: use utf-8, ascii, base64 or hex"))),
        }
    }

    /// The name, as the `file-encoding` tag holds it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "utf-8",
            Self::Ascii => "ascii",
            Self::Base64 => "base64",
            Self::Hex => "hex",
        }
    }

    /// File bytes to a value; `arg` names the input in errors (never its content).
    pub(crate) fn encode(self, arg: &str, bytes: Vec<u8>) -> Result<String> {
        match self {
            Self::Utf8 => String::from_utf8(bytes).map_err(|e| {
                CliError::arg(
                    arg,
                    format!(
                        "not UTF-8 (byte {} is invalid): use --encoding base64 or hex for a binary file",
                        e.utf8_error().valid_up_to()
                    ),
                )
            }),
            Self::Ascii => match bytes.iter().position(|b| !b.is_ascii()) {
                Some(at) => Err(CliError::arg(arg, format!("not ASCII (byte {at} is not): use --encoding utf-8"))),
                None => Ok(String::from_utf8(bytes).unwrap_or_default()),
            },
            Self::Base64 => Ok(base64::engine::general_purpose::STANDARD.encode(bytes)),
            Self::Hex => {
                const DIGITS: &[u8; 16] = b"0123456789abcdef";
                let mut out = String::with_capacity(bytes.len() * 2);
                for b in bytes {
                    out.push(DIGITS[usize::from(b >> 4)].into());
                    out.push(DIGITS[usize::from(b & 15)].into());
                }
                Ok(out)
            }
        }
    }

    /// A value back to file bytes; `what` names the secret in errors (never its value).
    pub(crate) fn decode(self, what: &str, value: &str) -> Result<Vec<u8>> {
        let bad =
            |why: String| CliError::arg("--encoding", format!("the value of {what} is not {}: {why}", self.name()));
        match self {
            Self::Utf8 => Ok(value.as_bytes().to_vec()),
            Self::Ascii => match value.bytes().position(|b| !b.is_ascii()) {
                Some(at) => Err(bad(format!("byte {at} is not ASCII"))),
                None => Ok(value.as_bytes().to_vec()),
            },
            Self::Base64 => {
                base64::engine::general_purpose::STANDARD.decode(value.trim()).map_err(|e| bad(e.to_string()))
            }
            Self::Hex => {
                let digits = value.trim().as_bytes();
                if !digits.len().is_multiple_of(2) {
                    return Err(bad("an odd number of digits".into()));
                }
                let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
                digits
                    .chunks(2)
                    .enumerate()
                    .map(|(i, pair)| match (nibble(pair[0]), nibble(pair[1])) {
                        (Some(hi), Some(lo)) => Ok(hi << 4 | lo),
                        _ => Err(bad(format!("character {} is not a hex digit", i * 2))),
                    })
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_round_trips() {
        let bytes = vec![0u8, 1, 0x7f, 0x80, 0xff, b'a'];
        for e in [Encoding::Base64, Encoding::Hex] {
            let value = e.encode("--file", bytes.clone()).unwrap();
            assert_eq!(e.decode("`s`", &value).unwrap(), bytes, "{e:?}");
            assert_eq!(Encoding::parse("--encoding", e.name()).unwrap(), e);
        }
        assert_eq!(Encoding::Hex.encode("--file", vec![0xab, 0x01]).unwrap(), "ab01");
        assert_eq!(Encoding::Base64.encode("--file", b"hi".to_vec()).unwrap(), "aGk=");
        assert_eq!(Encoding::Utf8.encode("--file", "é".as_bytes().to_vec()).unwrap(), "é");
        assert_eq!(Encoding::Ascii.decode("`s`", "abc").unwrap(), b"abc");
        assert_eq!(Encoding::parse("--encoding", "UTF8").unwrap(), Encoding::Utf8);
    }

    #[test]
    fn undecodable_input_names_the_argument_and_not_the_content() {
        let e = Encoding::Utf8.encode("--file a.bin", vec![b'o', b'k', 0xff, 0xfe]).unwrap_err().to_string();
        assert_eq!(e, "--file a.bin: not UTF-8 (byte 2 is invalid): use --encoding base64 or hex for a binary file");
        assert!(Encoding::Ascii.encode("--file a", "é".as_bytes().to_vec()).is_err());
        let e = Encoding::Base64.decode("`s`", "not base64!").unwrap_err().to_string();
        assert!(e.starts_with("--encoding: the value of `s` is not base64"), "{e}");
        assert!(!e.contains("not base64!"), "{e}");
        assert!(Encoding::Hex.decode("`s`", "abc").is_err());
        assert!(Encoding::Hex.decode("`s`", "zz").is_err());
        assert!(Encoding::Ascii.decode("`s`", "é").is_err());
        let e = Encoding::parse("--encoding", "utf-16").unwrap_err().to_string();
        assert_eq!(e, "--encoding: `utf-16` is not an encoding: use utf-8, ascii, base64 or hex");
    }
}
