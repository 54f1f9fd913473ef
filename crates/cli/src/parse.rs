//! Checks of the text arguments: dates, tags, counts, vault names. Each error names its argument.

use std::collections::HashMap;

use azkv_models::validation;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{CliError, Result};

/// An RFC 3339 date-time (`2030-01-31T12:00:00Z`, `2030-01-31T12:00:00+02:00`) or a date
/// (`2030-01-31`, midnight UTC), for the argument `arg`.
pub(crate) fn date(arg: &str, text: &str) -> Result<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(text, &format) {
        Ok(d) => Ok(d.midnight().assume_utc()),
        Err(_) => Err(CliError::arg(
            arg,
            format!("`{text}` is not an RFC 3339 date-time or a date: write 2030-01-31T00:00:00Z or 2030-01-31"),
        )),
    }
}

/// `KEY[=VALUE]` words into tags, checked against the service's limits; `""` words are skipped, so
/// `--tags ""` gives no tags (clearing them on `set-attributes`).
pub(crate) fn tags(arg: &str, words: &[String]) -> Result<HashMap<String, String>> {
    let mut tags = HashMap::new();
    for word in words.iter().filter(|w| !w.is_empty()) {
        let (key, value) = word.split_once('=').unwrap_or((word, ""));
        if key.is_empty() {
            return Err(CliError::arg(arg, format!("`{word}` has no key: write KEY=VALUE")));
        }
        if tags.insert(key.to_owned(), value.to_owned()).is_some() {
            return Err(CliError::arg(arg, format!("the key `{key}` is given twice")));
        }
    }
    validation::validate_tags(&tags).map_err(|e| CliError::arg(arg, e.to_string()))?;
    Ok(tags)
}

/// A positive count (`--maxresults`).
pub(crate) fn count(arg: &str, text: &str) -> Result<usize> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(CliError::arg(arg, format!("`{text}` is not a positive whole number"))),
    }
}

/// A secret name, checked as the service does.
pub(crate) fn secret_name(arg: &str, name: &str) -> Result<()> {
    validation::validate_secret_name(name).map_err(|e| CliError::arg(arg, e.to_string()))
}

/// A secret version: letters, digits and dashes.
pub(crate) fn secret_version(arg: &str, version: &str) -> Result<()> {
    validation::validate_secret_version(version).map_err(|e| CliError::arg(arg, e.to_string()))
}

/// A vault name as Azure takes it: 3 to 24 letters, digits and dashes, starting with a letter,
/// ending with a letter or digit, no two dashes in a row.
pub(crate) fn vault_name(arg: &str, name: &str) -> Result<()> {
    let b = name.as_bytes();
    let ok = (3..=24).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && !name.contains("--");
    if ok {
        Ok(())
    } else {
        Err(CliError::arg(
            arg,
            format!(
                "`{name}` is not a vault name: 3 to 24 letters, digits and dashes, starting with a letter \
                 (for a URL use --vault-url)"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc3339_or_plain_days() {
        assert_eq!(date("--expires", "2030-01-31T12:00:00Z").unwrap().unix_timestamp(), 1_896_091_200);
        assert_eq!(date("--expires", "2030-01-31T14:00:00+02:00").unwrap().unix_timestamp(), 1_896_091_200);
        assert_eq!(date("--expires", "2030-01-31").unwrap().unix_timestamp(), 1_896_048_000);
        for bad in ["tomorrow", "2030-13-01", "2030-01-31T25:00:00Z", "", "1896091200"] {
            let e = date("--expires", bad).unwrap_err().to_string();
            assert!(e.starts_with("--expires: `"), "{e}");
        }
    }

    #[test]
    fn tags_are_key_value_words() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let t = tags("--tags", &words(&["env=prod", "team=a=b", "flag"])).unwrap();
        assert_eq!(t["env"], "prod");
        assert_eq!(t["team"], "a=b");
        assert_eq!(t["flag"], "");
        assert!(tags("--tags", &words(&[""])).unwrap().is_empty());
        assert!(tags("--tags", &[]).unwrap().is_empty());
        let e = tags("--tags", &words(&["=v"])).unwrap_err().to_string();
        assert_eq!(e, "--tags: `=v` has no key: write KEY=VALUE");
        assert!(tags("--tags", &words(&["a=1", "a=2"])).unwrap_err().to_string().contains("twice"));
        let many: Vec<String> = (0..16).map(|i| format!("k{i}=v")).collect();
        assert!(tags("--tags", &many).unwrap_err().to_string().starts_with("--tags: "));
        let long = vec![format!("k={}", "v".repeat(513))];
        assert!(tags("--tags", &long).is_err());
    }

    #[test]
    fn counts_and_names() {
        assert_eq!(count("--maxresults", "5").unwrap(), 5);
        for bad in ["0", "-1", "x", ""] {
            assert!(count("--maxresults", bad).is_err(), "{bad}");
        }
        assert!(secret_name("--name", "db-password").is_ok());
        let e = secret_name("--name", "bad_name").unwrap_err().to_string();
        assert!(e.starts_with("--name: invalid secret name `bad_name`"), "{e}");
        assert!(secret_version("--version", "abc123").is_ok());
        assert!(secret_version("--version", "a/b").is_err());
        for good in ["myvault", "my-vault-01", "abc"] {
            assert!(vault_name("--vault-name", good).is_ok(), "{good}");
        }
        for bad in ["ab", "1vault", "vault-", "my--vault", "my_vault", "a".repeat(25).as_str(), "https://x"] {
            assert!(vault_name("--vault-name", bad).is_err(), "{bad}");
        }
    }
}
