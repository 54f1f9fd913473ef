//! A tolerant parser for `WWW-Authenticate` challenges.

/// One challenge: a scheme and its auth-params, keys lower-cased, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme, as sent (compare case-insensitively).
    pub scheme: String,
    /// `key=value` parameters; quoted values unquoted and unescaped.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// The first value of `key` (case-insensitive).
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }
}

/// Parses a `WWW-Authenticate` value into its challenges.
///
/// Accepts several challenges in one value (`Bearer a="1", Basic realm="x"`), quoted values
/// holding commas and escaped quotes, bare token values, and stray whitespace or commas.
/// Never panics; input that makes no sense yields fewer (or no) challenges.
///
/// ```
/// use azkv_pipeline::www_authenticate::parse_challenges;
/// let c = parse_challenges(r#"Bearer authorization="https://login.microsoftonline.com/t1", resource="https://vault.azure.net""#);
/// assert_eq!(c[0].param("resource"), Some("https://vault.azure.net"));
/// ```
pub fn parse_challenges(header: &str) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = Vec::new();
    let mut p = Cursor { s: header.as_bytes(), i: 0 };
    loop {
        p.skip_separators();
        let Some(word) = p.token() else {
            if p.at_end() {
                break;
            }
            // A character no grammar rule accepts: skip it.
            p.i += 1;
            continue;
        };
        p.skip_ws();
        if p.peek() == Some(b'=') {
            // `word=value` is a parameter of the current challenge.
            p.i += 1;
            p.skip_ws();
            let value = if p.peek() == Some(b'"') { p.quoted() } else { p.token().unwrap_or_default() };
            if let Some(current) = out.last_mut() {
                current.params.push((word.to_ascii_lowercase(), value));
            }
        } else {
            out.push(Challenge { scheme: word, params: Vec::new() });
        }
    }
    out
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    fn skip_separators(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n' | b',')) {
            self.i += 1;
        }
    }

    /// A run of token characters (RFC 9110 tchar, plus `/` for token68 values).
    fn token(&mut self) -> Option<String> {
        let start = self.i;
        while let Some(c) = self.peek() {
            let tchar = c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~/:".contains(&c) || c >= 0x80;
            if !tchar {
                break;
            }
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    /// A quoted string starting at `"`; an unterminated one runs to the end.
    fn quoted(&mut self) -> String {
        self.i += 1;
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    if let Some(next) = self.peek() {
                        out.push(next);
                        self.i += 1;
                    }
                }
                _ => out.push(c),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(c: &Challenge) -> Vec<(&str, &str)> {
        c.params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    #[test]
    fn key_vault_challenge() {
        let c = parse_challenges(
            r#"Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net""#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "Bearer");
        assert_eq!(
            params(&c[0]),
            [
                ("authorization", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47"),
                ("resource", "https://vault.azure.net")
            ]
        );
    }

    #[test]
    fn several_challenges_quoted_commas_and_escapes() {
        let c = parse_challenges(
            r#"Basic realm="a, b", Bearer authorization_uri=https://login/t, scope="https://vault.azure.net/.default", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnt9fQ==", x="say \"hi\"""#,
        );
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].param("realm"), Some("a, b"));
        assert_eq!(c[1].param("authorization_uri"), Some("https://login/t"));
        assert_eq!(c[1].param("SCOPE"), Some("https://vault.azure.net/.default"));
        assert_eq!(c[1].param("claims"), Some("eyJhY2Nlc3NfdG9rZW4iOnt9fQ=="));
        assert_eq!(c[1].param("x"), Some(r#"say "hi""#));
    }

    #[test]
    fn junk_yields_no_panic() {
        for junk in ["", ",,,", "=", "\"", "Bearer =\"", "Bearer a=\"unterminated", "\u{1F600}=\u{0}", "a b c = = ,"] {
            let _ = parse_challenges(junk);
        }
        assert!(parse_challenges("").is_empty());
        assert_eq!(parse_challenges("Bearer a=\"unterminated")[0].param("a"), Some("unterminated"));
    }
}
