//! Secret identifiers: good and bad inputs.

use azkv_models::{Error, IdentifierKind, SecretIdentifier};

/// (input, vault_url, name, version, kind, display)
type GoodCase = (&'static str, &'static str, &'static str, Option<&'static str>, IdentifierKind, &'static str);

#[test]
fn good_identifiers() {
    let v = "4387e9f3d6e14c459867679a90fd0f79";
    let cases: &[GoodCase] = &[
        (
            "https://myvault.vault.azure.net/secrets/mysecret/4387e9f3d6e14c459867679a90fd0f79",
            "https://myvault.vault.azure.net",
            "mysecret",
            Some(v),
            IdentifierKind::Secret,
            "https://myvault.vault.azure.net/secrets/mysecret/4387e9f3d6e14c459867679a90fd0f79",
        ),
        (
            "https://myvault.vault.azure.net/secrets/mysecret",
            "https://myvault.vault.azure.net",
            "mysecret",
            None,
            IdentifierKind::Secret,
            "https://myvault.vault.azure.net/secrets/mysecret",
        ),
        (
            "https://myvault.vault.azure.net/secrets/mysecret/",
            "https://myvault.vault.azure.net",
            "mysecret",
            None,
            IdentifierKind::Secret,
            "https://myvault.vault.azure.net/secrets/mysecret",
        ),
        (
            "https://myvault.vault.azure.net:443/secrets/My-Secret-1/4387e9f3d6e14c459867679a90fd0f79",
            "https://myvault.vault.azure.net:443",
            "My-Secret-1",
            Some(v),
            IdentifierKind::Secret,
            "https://myvault.vault.azure.net:443/secrets/My-Secret-1/4387e9f3d6e14c459867679a90fd0f79",
        ),
        (
            "https://localhost:8443/secrets/a",
            "https://localhost:8443",
            "a",
            None,
            IdentifierKind::Secret,
            "https://localhost:8443/secrets/a",
        ),
        (
            "http://127.0.0.1:8080/deletedsecrets/gone",
            "http://127.0.0.1:8080",
            "gone",
            None,
            IdentifierKind::DeletedSecret,
            "http://127.0.0.1:8080/deletedsecrets/gone",
        ),
        (
            "https://[::1]:8443/secrets/a/1",
            "https://[::1]:8443",
            "a",
            Some("1"),
            IdentifierKind::Secret,
            "https://[::1]:8443/secrets/a/1",
        ),
        (
            "HTTPS://MyVault.Vault.Azure.Net/deletedsecrets/GetDeletedSecretTest/",
            "https://myvault.vault.azure.net",
            "GetDeletedSecretTest",
            None,
            IdentifierKind::DeletedSecret,
            "https://myvault.vault.azure.net/deletedsecrets/GetDeletedSecretTest",
        ),
    ];
    for (input, vault_url, name, version, kind, display) in cases {
        let id: SecretIdentifier = input.parse().unwrap_or_else(|err| panic!("{input}: {err}"));
        assert_eq!(id.vault_url(), *vault_url, "{input}");
        assert_eq!(id.name(), *name, "{input}");
        assert_eq!(id.version(), *version, "{input}");
        assert_eq!(id.kind(), *kind, "{input}");
        assert_eq!(id.is_deleted(), *kind == IdentifierKind::DeletedSecret, "{input}");
        assert_eq!(id.to_string(), *display, "{input}");
        assert_eq!(SecretIdentifier::parse(&id.to_string()).unwrap(), id, "{input}: display parses back");
    }
    let long = format!("https://v.example/secrets/{}", "a".repeat(127));
    assert_eq!(SecretIdentifier::parse(&long).unwrap().name().len(), 127);
}

#[test]
fn bad_identifiers() {
    #[derive(Debug)]
    enum Want {
        Url,
        Scheme,
        Part(&'static str),
        Path,
        Name,
        Version,
    }
    let long = format!("https://v.example/secrets/{}", "a".repeat(128));
    let cases: Vec<(&str, Want)> = vec![
        ("", Want::Url),
        ("not a url", Want::Url),
        ("/secrets/a", Want::Url),
        ("https://", Want::Url),
        ("ftp://v.example/secrets/a", Want::Scheme),
        ("file:///secrets/a", Want::Scheme),
        ("https://user:pw@v.example/secrets/a", Want::Part("user info")),
        ("https://v.example/secrets/a?api-version=2025-07-01", Want::Part("query")),
        ("https://v.example/secrets/a#x", Want::Part("fragment")),
        ("https://v.example", Want::Path),
        ("https://v.example/", Want::Path),
        ("https://v.example/secrets", Want::Path),
        ("https://v.example/secrets/", Want::Path),
        ("https://v.example/keys/a", Want::Path),
        ("https://v.example/Secrets/a", Want::Path),
        ("https://v.example/secrets/a/1/extra", Want::Path),
        ("https://v.example/deletedsecrets/a/1", Want::Path),
        ("https://v.example/deletedsecrets", Want::Path),
        ("https://v.example/prefix/secrets/a", Want::Path),
        ("https://v.example/secrets//1", Want::Name),
        ("https://v.example/secrets/my_secret", Want::Name),
        ("https://v.example/secrets/my%20secret", Want::Name),
        ("https://v.example/secrets/caf%C3%A9", Want::Name),
        (long.as_str(), Want::Name),
        ("https://v.example/secrets/a//", Want::Version),
        ("https://v.example/secrets/a/v.1", Want::Version),
        ("https://v.example/secrets/a/%41", Want::Version),
    ];
    for (input, want) in cases {
        let err = SecretIdentifier::parse(input).expect_err(input);
        let ok = match (&want, &err) {
            (Want::Url, Error::InvalidUrl { .. })
            | (Want::Scheme, Error::UnsupportedScheme { .. })
            | (Want::Path, Error::UnexpectedPath { .. })
            | (Want::Name, Error::InvalidName { .. })
            | (Want::Version, Error::InvalidVersion { .. }) => true,
            (Want::Part(want), Error::UnexpectedUrlPart { part, .. }) => want == part,
            _ => false,
        };
        assert!(ok, "{input}: wanted {want:?}, got {err:?}");
        assert!(!err.to_string().is_empty());
    }
}
