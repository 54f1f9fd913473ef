//! Property tests on the `WWW-Authenticate` parser and the challenge reader: random bytes,
//! random text and structured mutations of real challenges never panic, never produce more
//! than the input holds, and only yield typed (`Credential`) errors; quoted values round-trip.

use azkv_pipeline::www_authenticate::parse_challenges;
use azkv_secrets::challenge::{VaultChallenge, verify_resource};
use proptest::prelude::*;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Parses `header` both ways and checks the invariants that hold for any input.
fn check(header: &str) {
    let challenges = parse_challenges(header);
    let produced: usize = challenges
        .iter()
        .map(|c| c.scheme.len() + c.params.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>())
        .sum();
    // Invalid UTF-8 sequences come back as U+FFFD (3 bytes for at least 1), so allow 3x.
    assert!(produced <= header.len() * 3, "{header:?} produced {produced} bytes");
    assert!(challenges.len() <= header.len(), "{header:?}");
    for c in &challenges {
        assert!(!c.scheme.is_empty(), "{header:?}");
        assert!(c.params.iter().all(|(k, _)| !k.is_empty() && *k == k.to_ascii_lowercase()), "{header:?}");
    }
    match VaultChallenge::parse(header) {
        Ok(vc) => {
            assert!(!vc.scope.is_empty(), "{header:?}");
            let _ = vc.resource_host();
            for host in ["myvault.vault.azure.net", "evil.example", ""] {
                if let Err(e) = verify_resource(host, &vc) {
                    assert!(matches!(e, azkv_pipeline::Error::Credential { .. }), "{e:?}");
                }
            }
        }
        Err(e) => {
            assert!(matches!(e, azkv_pipeline::Error::Credential { unavailable: false, .. }), "{header:?}: {e:?}");
        }
    }
}

/// A parameter value, quoted (with `\` escapes) or as a bare token.
fn quote(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

const REAL: &[&str] = &[
    r#"Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net""#,
    r#"Bearer authorization_uri=https://login/t, scope="https://vault.azure.net/.default", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnt9fQ==""#,
    r#"Basic realm="a, b", Bearer authorization="https://login.microsoftonline.com/t", resource="https://vault.azure.net""#,
    r#"PoP nonce="x", Bearer scope="https://vault.azure.net/.default""#,
];

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_text_never_panics(text in "\\PC{0,200}") {
        check(&text);
    }

    #[test]
    fn challenge_like_text_never_panics(text in r#"[A-Za-z ,="\\/:.\-_]{0,200}"#) {
        check(&text);
    }

    #[test]
    fn mutated_real_challenges_never_panic(
        seed in prop::sample::select(REAL.to_vec()),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<char>()), 1..8),
    ) {
        let mut chars: Vec<char> = seed.chars().collect();
        for (at, op, c) in edits {
            if chars.is_empty() {
                chars.push(c);
                continue;
            }
            let i = at.index(chars.len());
            match op {
                0 => { chars.remove(i); }
                1 => chars.insert(i, c),
                2 => chars[i] = c,
                _ => chars.truncate(i),
            }
        }
        check(&chars.into_iter().collect::<String>());
    }

    #[test]
    fn quoted_values_round_trip(
        scheme in "[A-Za-z][A-Za-z0-9]{0,8}",
        params in prop::collection::vec(("[a-z_][a-z0-9_]{0,10}", "[^\\x00]{0,40}"), 1..6),
        separator in prop::sample::select(vec![", ", ",", " , ", ",\t"]),
    ) {
        let rendered: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", quote(v))).collect();
        let header = format!("{scheme} {}", rendered.join(separator));
        let parsed = parse_challenges(&header);
        prop_assert_eq!(parsed.len(), 1, "{}", header);
        prop_assert_eq!(&parsed[0].scheme, &scheme);
        let got: Vec<(String, String)> = parsed[0].params.clone();
        prop_assert_eq!(got, params.clone(), "{}", header);
        check(&header);
    }

    #[test]
    fn a_resource_yields_its_default_scope(
        resource in "https://[a-z]{1,10}(\\.[a-z]{1,10}){0,3}/?",
        tenant in "[a-z0-9-]{1,36}",
    ) {
        let header = format!(r#"Bearer authorization="https://login.microsoftonline.com/{tenant}", resource="{resource}""#);
        let vc = VaultChallenge::parse(&header).unwrap();
        prop_assert_eq!(vc.scope, format!("{}/.default", resource.trim_end_matches('/')));
        prop_assert_eq!(vc.tenant_id.as_deref(), Some(tenant.as_str()));
    }

    #[test]
    fn only_subdomains_of_the_resource_are_accepted(vault in "[a-zA-Z0-9.-]{0,40}") {
        let vc = VaultChallenge { scope: "https://vault.azure.net/.default".into(), tenant_id: None };
        let lower = vault.to_ascii_lowercase();
        let expected = lower.ends_with(".vault.azure.net");
        prop_assert_eq!(verify_resource(&vault, &vc).is_ok(), expected, "{}", vault);
    }
}
