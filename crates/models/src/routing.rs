//! Routes from the operation table: filling a path template, and finding the operation behind a
//! method and a path. The client uses the first, the emulator the second, so routes are defined once.

use crate::Error;
use crate::generated::operations::{Method, OPERATIONS, Operation};

impl Operation {
    /// Fills the path template with `params` (`(name, value)` pairs), percent-encoding each value:
    /// every byte but `A-Z a-z 0-9 - . _ ~` becomes `%XX`. An empty `secret-version` gives the
    /// latest-version path `/secrets/{name}/`.
    ///
    /// ```
    /// use azkv_models::operations::GET_SECRET;
    ///
    /// let path = GET_SECRET.fill_path(&[("secret-name", "db-password"), ("secret-version", "")])?;
    /// assert_eq!(path, "/secrets/db-password/");
    /// # Ok::<(), azkv_models::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::MissingPathParam`] when the template has a parameter `params` lacks,
    /// [`Error::UnknownPathParam`] when `params` has one the template lacks.
    pub fn fill_path(&self, params: &[(&str, &str)]) -> Result<String, Error> {
        if let Some((name, _)) = params.iter().find(|(name, _)| !self.path_params.contains(name)) {
            return Err(Error::UnknownPathParam { operation: self.id.as_str(), name: (*name).to_owned() });
        }
        let mut path = String::with_capacity(self.path.len() + 32);
        // Literal text is copied as it is; each `{param}` is replaced by its encoded value.
        let mut rest = self.path;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
            path.push_str(&rest[..open]);
            let param = &rest[open + 1..close];
            let (_, value) = params
                .iter()
                .find(|(name, _)| *name == param)
                .ok_or_else(|| Error::MissingPathParam { operation: self.id.as_str(), name: param.to_owned() })?;
            percent_encode(value, &mut path);
            rest = rest.get(close + 1..).unwrap_or_default();
        }
        path.push_str(rest);
        Ok(path)
    }

    /// Whether the template's last segment is a parameter that may be empty: an optional trailing
    /// version (`/secrets/{secret-name}/{secret-version}`), never the only parameter.
    fn has_optional_tail(&self) -> bool {
        self.path_params.len() > 1 && self.path.ends_with('}')
    }
}

/// An operation found by [`match_route`], with its path parameters (percent-decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// The operation.
    pub operation: &'static Operation,
    /// `(name, value)` for each path parameter, in template order.
    pub params: Vec<(&'static str, String)>,
}

impl RouteMatch {
    /// The value of a path parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(param, _)| *param == name).map(|(_, value)| value.as_str())
    }
}

/// Finds the operation for `method` and `path` (a query string, if any, is ignored).
///
/// - Literal segments win over parameters: `GET /secrets/x/versions` lists versions, it is not
///   Get Secret of version `versions`; `POST /secrets/restore` is Restore Secret.
/// - An optional trailing version may be empty or absent: `GET /secrets/x/` and `GET /secrets/x`
///   are Get Secret with `secret-version` = `""`, the latest version.
/// - Otherwise one trailing `/` is ignored. Parameters are never empty, and must decode as UTF-8.
///
/// ```
/// use azkv_models::{Method, match_route, operations};
///
/// let found = match_route(Method::Get, "/secrets/db-password/versions?maxresults=5").unwrap();
/// assert_eq!(found.operation, &operations::GET_SECRET_VERSIONS);
/// assert_eq!(found.param("secret-name"), Some("db-password"));
/// ```
pub fn match_route(method: Method, path: &str) -> Option<RouteMatch> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let rest = path.strip_prefix('/')?;
    let segments: Vec<&str> = rest.split('/').collect();
    best_match(method, &segments, false).or_else(|| best_match(method, &segments, true)).or_else(|| {
        match segments.split_last() {
            Some((&"", init)) if !init.is_empty() => best_match(method, init, false),
            _ => None,
        }
    })
}

/// The best-scoring operation; `missing_tail` matches templates one segment longer than the path.
fn best_match(method: Method, segments: &[&str], missing_tail: bool) -> Option<RouteMatch> {
    let mut best: Option<(Vec<bool>, RouteMatch)> = None;
    for operation in OPERATIONS.iter().filter(|op| op.method == method) {
        let Some((score, params)) = try_match(operation, segments, missing_tail) else { continue };
        if best.as_ref().is_none_or(|(best_score, _)| score > *best_score) {
            best = Some((score, RouteMatch { operation, params }));
        }
    }
    best.map(|(_, found)| found)
}

/// Path parameters: `(name, decoded value)`.
type Params = Vec<(&'static str, String)>;

/// Matches one template; the score marks, segment by segment, where a literal matched.
fn try_match(operation: &'static Operation, segments: &[&str], missing_tail: bool) -> Option<(Vec<bool>, Params)> {
    let template: Vec<&'static str> = operation.path.split('/').skip(1).collect();
    let optional_tail = operation.has_optional_tail();
    if missing_tail {
        if !optional_tail || segments.len() + 1 != template.len() {
            return None;
        }
    } else if segments.len() != template.len() {
        return None;
    }
    let mut score = Vec::with_capacity(template.len());
    let mut params = Vec::with_capacity(operation.path_params.len());
    for (i, part) in template.iter().enumerate() {
        let segment = segments.get(i).copied().unwrap_or_default();
        match part.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                let last = i + 1 == template.len();
                if segment.is_empty() && !(last && optional_tail) {
                    return None;
                }
                params.push((name, percent_decode(segment)?));
                score.push(false);
            }
            None if *part == segment => score.push(true),
            None => return None,
        }
    }
    Some((score, params))
}

fn percent_encode(value: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // A run of unreserved bytes (a valid name is one run) is copied whole. They are ASCII,
        // so both ends of the run are character boundaries.
        let run_end = bytes[i..].iter().position(|&b| !unreserved(b)).map_or(bytes.len(), |p| i + p);
        out.push_str(&value[i..run_end]);
        i = run_end;
        while let Some(&b) = bytes.get(i).filter(|&&b| !unreserved(b)) {
            out.extend(['%', char::from(HEX[usize::from(b >> 4)]), char::from(HEX[usize::from(b & 15)])]);
            i += 1;
        }
    }
}

fn percent_decode(segment: &str) -> Option<String> {
    if !segment.contains('%') {
        return Some(segment.to_owned());
    }
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3).filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_round_trip() {
        let mut out = String::new();
        percent_encode("a b/ü%~", &mut out);
        assert_eq!(out, "a%20b%2F%C3%BC%25~");
        assert_eq!(percent_decode(&out).unwrap(), "a b/ü%~");
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%+4"), None);
        assert_eq!(percent_decode("%FF"), None);
    }

    /// The run-copying encoder agrees with the byte-at-a-time definition.
    #[test]
    fn percent_encode_agrees_with_the_definition() {
        let reference = |value: &str| -> String {
            value
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect()
        };
        let pieces = ["", "a", "Z9", "-._~", " ", "/", "%", "ü", "日本", "😀", "a/b", "\u{7f}", "\u{0}"];
        for x in pieces {
            for y in pieces {
                for z in pieces {
                    let input = format!("{x}{y}{z}");
                    let mut out = String::new();
                    percent_encode(&input, &mut out);
                    assert_eq!(out, reference(&input), "{input:?}");
                }
            }
        }
    }
}
