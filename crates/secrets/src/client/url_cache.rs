//! The last request URL each thread built, reused when the next request names the same vault,
//! operation, path parameters and query: a program reading the same secret again and again
//! builds its URL once per thread instead of once per call.
//!
//! The key is every input of the URL (the vault URL with its `api-version`, the operation, each
//! parameter's name and value, each query pair), each part length-prefixed, so two different
//! requests can never share a key. Only names, versions and query values are kept, never a
//! secret's value, and only the last URL: one small allocation per thread.

use std::cell::RefCell;

use azkv_pipeline::Url;

use crate::Result;

#[derive(Default)]
struct Last {
    /// The key of `url`.
    key: Vec<u8>,
    /// A buffer for the next request's key, kept to avoid allocating it each time.
    scratch: Vec<u8>,
    url: Option<Url>,
}

thread_local! {
    static LAST: RefCell<Last> = RefCell::default();
}

/// The URL that `build` makes for these inputs: a copy of this thread's last one when it was
/// built from the same inputs, else `build()`'s (remembered when it succeeds).
pub(super) fn url(
    base: &Url,
    operation: &str,
    params: &[(&str, &str)],
    query: &[(&str, &str)],
    build: impl FnOnce() -> Result<Url>,
) -> Result<Url> {
    // `Some` once this call's key is in `scratch`: `Some(Some(url))` for a hit.
    let looked = LAST.try_with(|last| {
        let Ok(mut last) = last.try_borrow_mut() else { return None };
        let last = &mut *last;
        let key = &mut last.scratch;
        key.clear();
        for part in [base.as_str(), operation].into_iter().chain(params.iter().chain(query).flat_map(|(k, v)| [*k, *v]))
        {
            key.extend_from_slice(&(part.len() as u64).to_le_bytes());
            key.extend_from_slice(part.as_bytes());
        }
        Some(if *key == last.key { last.url.clone() } else { None })
    });
    let keyed = match looked {
        Ok(Some(Some(url))) => return Ok(url),
        Ok(Some(None)) => true,
        _ => false,
    };
    let url = build()?;
    // Only a key computed by this call is remembered, never an older one left in `scratch`.
    if keyed {
        let _ = LAST.try_with(|last| {
            if let Ok(mut last) = last.try_borrow_mut() {
                let last = &mut *last;
                std::mem::swap(&mut last.key, &mut last.scratch);
                last.url = Some(url.clone());
            }
        });
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(path: &str) -> impl FnOnce() -> Result<Url> + '_ {
        move || Ok(Url::parse(&format!("https://v.vault.azure.net{path}?api-version=1")).unwrap())
    }

    #[test]
    fn the_same_inputs_reuse_the_url_and_any_difference_builds_a_new_one() {
        let base = Url::parse("https://v.vault.azure.net/?api-version=1").unwrap();
        let other = Url::parse("https://w.vault.azure.net/?api-version=1").unwrap();
        let get = |name| [("secret-name", name), ("secret-version", "")];
        let first = url(&base, "GetSecret", &get("a"), &[], built("/secrets/a/")).unwrap();
        let again = url(&base, "GetSecret", &get("a"), &[], || panic!("the same inputs must not build again")).unwrap();
        assert_eq!(first, again);
        // Each input is part of the key.
        for (base, op, name, query) in [
            (&other, "GetSecret", "a", &[][..]),
            (&base, "DeleteSecret", "a", &[]),
            (&base, "GetSecret", "b", &[]),
            (&base, "GetSecret", "a", &[("outContentType", "application/x-pem-file")]),
        ] {
            let mut called = false;
            url(base, op, &get(name), query, || {
                called = true;
                built("/x")()
            })
            .unwrap();
            assert!(called, "{op} {name} {query:?} on {base} must be built");
        }
        // Length prefixes: moving a character from one part to the next is a different key.
        url(&base, "GetSecret", &[("ab", "c")], &[], built("/1")).unwrap();
        let mut called = false;
        url(&base, "GetSecret", &[("a", "bc")], &[], || {
            called = true;
            built("/2")()
        })
        .unwrap();
        assert!(called, "(ab, c) and (a, bc) are different requests");
    }

    #[test]
    fn a_failed_build_is_not_remembered() {
        let base = Url::parse("https://v.vault.azure.net/?api-version=1").unwrap();
        let failed =
            url(&base, "GetSecret", &[("secret-name", "f")], &[], || Err(crate::Error::InvalidArgument("no".into())));
        assert!(failed.is_err());
        let mut called = false;
        url(&base, "GetSecret", &[("secret-name", "f")], &[], || {
            called = true;
            built("/secrets/f")()
        })
        .unwrap();
        assert!(called);
    }
}
