//! `Debug` stand-ins for secret material, used by the generated `Debug` impls.

use std::fmt;

/// Prints `<redacted>` in place of a secret value.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Prints `<N bytes>` in place of a blob.
pub(crate) struct ByteLen(pub(crate) usize);

impl fmt::Debug for ByteLen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.0)
    }
}
