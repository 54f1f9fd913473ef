//! Reading a response body whole, within a transport's body limit.

use bytes::{Bytes, BytesMut};
use url::Url;

use crate::{Error, Result};

/// A response body being read. A small body usually comes in one chunk: it is kept as it is,
/// and chunks are copied together only when a second one follows.
pub(crate) struct BodyReader<'a> {
    url: &'a Url,
    limit: usize,
    first: Option<Bytes>,
    rest: BytesMut,
    total: usize,
}

impl<'a> BodyReader<'a> {
    /// A reader for the body of the response from `url`; a body whose declared length is over
    /// `limit` is refused at once.
    pub(crate) fn new(url: &'a Url, limit: usize, declared: Option<u64>) -> Result<Self> {
        let reader = Self { url, limit, first: None, rest: BytesMut::new(), total: 0 };
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(reader.too_large());
        }
        Ok(reader)
    }

    /// Takes the next chunk; an error once the body is over the limit.
    pub(crate) fn push(&mut self, chunk: Bytes) -> Result<()> {
        self.total += chunk.len();
        if self.total > self.limit {
            return Err(self.too_large());
        }
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(chunk);
            return Ok(());
        }
        if let Some(first) = self.first.take() {
            self.rest.extend_from_slice(&first);
        }
        self.rest.extend_from_slice(&chunk);
        Ok(())
    }

    /// The whole body.
    pub(crate) fn finish(self) -> Bytes {
        self.first.unwrap_or_else(|| self.rest.freeze())
    }

    fn too_large(&self) -> Error {
        Error::Transport {
            message: format!("response body from {} exceeds {} bytes", super::host_port(self.url), self.limit),
            cause: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        "https://v.vault.azure.net/x?sig=canary".parse().unwrap()
    }

    #[test]
    fn chunks_are_joined_and_one_chunk_is_kept_as_it_came() {
        let url = url();
        let one = Bytes::from_static(b"whole");
        let mut reader = BodyReader::new(&url, 16, Some(5)).unwrap();
        reader.push(one.clone()).unwrap();
        let body = reader.finish();
        assert_eq!(body.as_ptr(), one.as_ptr(), "a single chunk is not copied");
        let mut reader = BodyReader::new(&url, 16, None).unwrap();
        for chunk in ["ab", "", "cd", "e"] {
            reader.push(Bytes::from(chunk)).unwrap();
        }
        assert_eq!(&reader.finish()[..], b"abcde");
        assert!(BodyReader::new(&url, 16, None).unwrap().finish().is_empty());
    }

    #[test]
    fn a_body_over_the_limit_is_refused_declared_or_not() {
        let url = url();
        let declared = BodyReader::new(&url, 4, Some(5)).err().unwrap();
        let mut reader = BodyReader::new(&url, 4, None).unwrap();
        reader.push(Bytes::from_static(b"abc")).unwrap();
        let streamed = reader.push(Bytes::from_static(b"de")).unwrap_err();
        for err in [declared, streamed] {
            let shown = err.to_string();
            assert!(matches!(err, Error::Transport { .. }), "{err:?}");
            assert!(shown.contains("v.vault.azure.net:443") && shown.contains("exceeds 4 bytes"), "{shown}");
            assert!(!shown.contains("canary"), "{shown}");
        }
    }
}
