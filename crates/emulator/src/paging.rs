//! Paging: `maxresults` (1 to [`azkv_models::MAX_PAGE_SIZE`], from the API description) and opaque `$skiptoken`s that name the last item returned.
//!
//! Lists are sorted by a stable key (secret name, or version creation order), and a page starts
//! strictly after the key in its token, so concurrent writes never repeat or reorder items.
//! Callers seek to that key (an ordered-map range, a binary search over versions) instead of scanning,
//! so the cost of a page does not grow with the size of the vault.

use crate::error::ApiError;
use crate::vault::Ctx;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

/// Default and largest page size, from the API description.
pub(crate) const MAX_RESULTS: usize = azkv_models::MAX_PAGE_SIZE as usize;

/// The page size a request asks for.
pub(crate) fn max_results(ctx: &Ctx) -> Result<usize, ApiError> {
    match ctx.query("maxresults") {
        None => Ok(MAX_RESULTS),
        Some(raw) => match raw.trim().parse::<i64>() {
            Ok(n) if (1..=MAX_RESULTS as i64).contains(&n) => Ok(n as usize),
            _ => Err(ApiError::bad_parameter(format!(
                "Invalid value for maxresults: {raw:?}. The value must be between 1 and {MAX_RESULTS}."
            ))),
        },
    }
}

/// The key after which the page starts, if the request carries a token.
pub(crate) fn skip_after(ctx: &Ctx) -> Result<Option<String>, ApiError> {
    let Some(token) = ctx.query("$skiptoken") else { return Ok(None) };
    B64.decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .map(Some)
        .ok_or_else(|| ApiError::bad_parameter("The $skiptoken is invalid."))
}

/// The absolute link to the page after `last_key`.
pub(crate) fn next_link(ctx: &Ctx, path: &str, last_key: &str) -> String {
    let enc = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    // The token is base64url, so it needs no escaping; `$skiptoken` is written as the service writes it.
    let mut link =
        format!("{}{path}?api-version={}&$skiptoken={}", ctx.base, enc(&ctx.api_version), B64.encode(last_key));
    if let Some(m) = ctx.query("maxresults") {
        link.push_str(&format!("&maxresults={}", enc(m)));
    }
    link
}

/// The `(Excluded(after), Unbounded)` range of an ordered map keyed by `String`, or all of it.
pub(crate) fn after_key(after: Option<&str>) -> (std::ops::Bound<&str>, std::ops::Bound<&str>) {
    use std::ops::Bound;
    (after.map_or(Bound::Unbounded, Bound::Excluded), Bound::Unbounded)
}

/// The sequence number in a versions token.
pub(crate) fn after_seq(after: Option<&str>) -> Result<Option<u64>, ApiError> {
    after.map(|a| a.parse::<u64>().map_err(|_| ApiError::bad_parameter("The $skiptoken is invalid."))).transpose()
}

/// One page of `items`, which already start after the token: at most `max`, and the next key if more remain.
pub(crate) fn page<T>(items: impl Iterator<Item = (String, T)>, max: usize) -> (Vec<T>, Option<String>) {
    let mut out = Vec::new();
    let mut last = None;
    let mut more = false;
    for (key, item) in items {
        if out.len() == max {
            more = true;
            break;
        }
        last = Some(key);
        out.push(item);
    }
    (out, if more { last } else { None })
}

/// A sequence number as a key that sorts like the number.
pub(crate) fn seq_key(seq: u64) -> String {
    format!("{seq:020}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(query: &[(&str, &str)]) -> Ctx {
        Ctx {
            base: "https://h".into(),
            vault: "v".into(),
            query: query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            api_version: "2025-07-01".into(),
            now: 0,
        }
    }

    #[test]
    fn max_results_bounds() {
        assert_eq!(max_results(&ctx(&[])).unwrap(), 25);
        assert_eq!(max_results(&ctx(&[("maxresults", "1")])).unwrap(), 1);
        for bad in ["0", "26", "-1", "x", ""] {
            assert!(max_results(&ctx(&[("maxresults", bad)])).is_err(), "{bad}");
        }
    }

    #[test]
    fn pages_follow_tokens() {
        let map: std::collections::BTreeMap<String, &str> =
            ["a", "b", "c"].into_iter().map(|k| (k.into(), k)).collect();
        let items = |after: Option<&str>| map.range::<str, _>(after_key(after)).map(|(k, v)| (k.clone(), *v));
        let (p1, next) = page(items(None), 2);
        assert_eq!((p1, next.as_deref()), (vec!["a", "b"], Some("b")));
        let (p2, next) = page(items(Some("b")), 2);
        assert_eq!((p2, next), (vec!["c"], None));
        let (p, next) = page(items(None), 3);
        assert_eq!((p.len(), next), (3, None));
        assert_eq!(after_seq(Some("00000000000000000007")).unwrap(), Some(7));
        assert!(after_seq(Some("x")).is_err());
    }

    #[test]
    fn link_round_trips() {
        let c = ctx(&[("maxresults", "2")]);
        let link = next_link(&c, "/secrets", "abc");
        let url = url::Url::parse(&link).unwrap();
        let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert!(link.starts_with("https://h/secrets?api-version=2025-07-01&$skiptoken="));
        assert!(link.ends_with("&maxresults=2"));
        assert_eq!(skip_after(&Ctx { query, ..c }).unwrap().as_deref(), Some("abc"));
        assert!(skip_after(&ctx(&[("$skiptoken", "!!")])).is_err());
    }
}
