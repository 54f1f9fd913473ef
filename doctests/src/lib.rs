//! The Rust snippets of the README and the guides, compiled and run as doc tests
//! (`cargo test -p doctests --doc`). Nothing else lives here.

/// The README's snippets.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The snippets of `docs/testing.md`.
#[doc = include_str!("../../docs/testing.md")]
#[cfg(doctest)]
pub struct TestingGuideDoctests;

/// The snippets of `docs/cache.md`.
#[doc = include_str!("../../docs/cache.md")]
#[cfg(doctest)]
pub struct CacheGuideDoctests;
