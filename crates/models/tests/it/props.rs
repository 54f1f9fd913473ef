//! Property tests on bad input: random bytes and structured mutations into the identifier
//! parser, the route matcher, the validators and the wire models' JSON. Nothing panics, every
//! refusal is a typed error, and what is accepted round-trips.

use azkv_models::*;
use proptest::prelude::*;
use serde_json::Value;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Random JSON values, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<u64>().prop_map(Value::from),
        ".{0,24}".prop_map(Value::String),
        // Strings that look like the fields' real contents.
        prop::sample::select(vec![
            "Recoverable+Purgeable",
            "application/x-pkcs12",
            "https://v.vault.azure.net/secrets/a/0123456789abcdef0123456789abcdef",
            "AAAA",
            "-_-_",
            "1700000000",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..8).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Field names the models know, and others.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "value",
            "id",
            "contentType",
            "tags",
            "attributes",
            "enabled",
            "nbf",
            "exp",
            "created",
            "updated",
            "recoverableDays",
            "recoveryLevel",
            "kid",
            "managed",
            "recoveryId",
            "scheduledPurgeDate",
            "deletedDate",
            "nextLink",
            "error",
            "code",
            "message",
            "innererror",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z]{1,8}",
    ]
}

/// Valid documents for the models, to mutate.
fn seeds() -> Vec<Value> {
    serde_json::from_str(
        r#"[
        {"value":"v","id":"https://v.vault.azure.net/secrets/a/0123456789abcdef0123456789abcdef","contentType":"text/plain","tags":{"a":"b"},
         "attributes":{"enabled":true,"nbf":1,"exp":2,"created":3,"updated":4,"recoverableDays":90,"recoveryLevel":"Recoverable+Purgeable"},"kid":"k","managed":false},
        {"recoveryId":"https://v.vault.azure.net/deletedsecrets/a","scheduledPurgeDate":1700000000,"deletedDate":1690000000,"id":"https://v.vault.azure.net/secrets/a/x","attributes":{"enabled":true}},
        {"value":[{"id":"https://v.vault.azure.net/secrets/a","attributes":{"enabled":true},"tags":{}}],"nextLink":"https://v.vault.azure.net/secrets?$skiptoken=x"},
        {"value":[{"recoveryId":"https://v.vault.azure.net/deletedsecrets/a","deletedDate":1,"id":"https://v.vault.azure.net/secrets/a"}],"nextLink":null},
        {"error":{"code":"Conflict","message":"m","innererror":{"code":"ObjectIsDeletedButRecoverable","innererror":{"code":"deeper"}}}},
        {"value":"AAECAwQFBgcICQ"}
    ]"#,
    )
    .unwrap()
}

/// Every model, from bytes: must return, never panic; `Ok` values serialize again.
fn decode_all(bytes: &[u8]) {
    fn one<T: serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug>(bytes: &[u8]) {
        if let Ok(model) = serde_json::from_slice::<T>(bytes) {
            let _ = format!("{model:?}");
            let again = serde_json::to_vec(&model).expect("a decoded model serializes");
            serde_json::from_slice::<T>(&again).expect("and decodes again");
        }
    }
    one::<SecretBundle>(bytes);
    one::<DeletedSecretBundle>(bytes);
    one::<SecretItem>(bytes);
    one::<DeletedSecretItem>(bytes);
    one::<SecretListResult>(bytes);
    one::<DeletedSecretListResult>(bytes);
    one::<SecretSetParameters>(bytes);
    one::<SecretUpdateParameters>(bytes);
    one::<SecretRestoreParameters>(bytes);
    one::<BackupSecretResult>(bytes);
    one::<KeyVaultError>(bytes);
    one::<ErrorDetail>(bytes);
    one::<SecretAttributes>(bytes);
    one::<DeletionRecoveryLevel>(bytes);
    one::<ContentType>(bytes);
}

/// A mutation of a byte string: delete, insert, replace or duplicate a span.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Replace(usize, u8),
    Duplicate(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..8usize).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..6)).prop_map(|(a, b)| Mutation::Insert(a, b)),
        (any::<usize>(), prop::sample::select(b"{}[]\":,\\0123456789-+.eE tnfu\x00\xff".to_vec()))
            .prop_map(|(a, b)| Mutation::Replace(a, b)),
        (any::<usize>(), 1..40usize).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match m {
            Mutation::Delete(at, n) => {
                let at = at % len;
                let end = (at + n).min(bytes.len());
                if at < end {
                    bytes.drain(at..end);
                }
            }
            Mutation::Insert(at, ins) => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, ins.iter().copied());
            }
            Mutation::Replace(at, b) => {
                if !bytes.is_empty() {
                    let at = at % bytes.len();
                    bytes[at] = *b;
                }
            }
            Mutation::Duplicate(at, n) => {
                let at = at % len;
                let end = (at + n).min(bytes.len());
                if at < end {
                    let span = bytes[at..end].to_vec();
                    bytes.splice(at..at, span);
                }
            }
            Mutation::Truncate(at) => bytes.truncate(at % len),
        }
    }
    bytes
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn models_survive_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_all(&bytes);
    }

    #[test]
    fn models_survive_random_json(value in json_value()) {
        decode_all(&serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn models_survive_mutated_documents(
        seed in prop::sample::select(seeds()),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        decode_all(&apply(serde_json::to_vec(&seed).unwrap(), &mutations));
    }

    #[test]
    fn models_survive_field_swaps(seed in prop::sample::select(seeds()), key in field_name(), value in json_value()) {
        // Replace or add one field, at the top and one level down.
        let mut doc = seed.clone();
        if let Some(obj) = doc.as_object_mut() {
            obj.insert(key.clone(), value.clone());
            for nested in obj.values_mut() {
                if let Some(inner) = nested.as_object_mut() {
                    inner.insert(key.clone(), value.clone());
                }
            }
        }
        decode_all(&serde_json::to_vec(&doc).unwrap());
    }

    #[test]
    fn identifiers_from_random_text_parse_or_fail_typed(input in "\\PC{0,80}") {
        check_identifier(&input);
    }

    #[test]
    fn identifiers_from_structured_urls(
        scheme in prop::sample::select(vec!["https", "http", "ftp", "HTTPS", ""]),
        host in prop::sample::select(vec!["v.vault.azure.net", "127.0.0.1", "[::1]", "localhost", "", "a@b", "x:y"]),
        port in prop::option::of(prop_oneof![Just("443".to_owned()), Just("0".to_owned()), "[0-9]{1,6}", "[a-z:]{1,3}"]),
        kind in prop::sample::select(vec!["secrets", "deletedsecrets", "keys", "", "secrets/x"]),
        name in prop_oneof!["[0-9a-zA-Z-]{1,127}", "[0-9a-zA-Z-]{128,130}", "\\PC{0,10}", Just(String::new())],
        version in prop::option::of(prop_oneof!["[0-9a-f]{32}", "\\PC{0,6}"]),
        tail in prop::sample::select(vec!["", "/", "//", "?q=1", "#f", "/extra"]),
    ) {
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        let version = version.map(|v| format!("/{v}")).unwrap_or_default();
        check_identifier(&format!("{scheme}://{host}{port}/{kind}/{name}{version}{tail}"));
    }

    #[test]
    fn identifiers_survive_mutation(
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let base = b"https://myvault.vault.azure.net:8443/secrets/db-password/0123456789abcdef0123456789abcdef".to_vec();
        check_identifier(&String::from_utf8_lossy(&apply(base, &mutations)));
    }

    #[test]
    fn routes_never_panic(method in prop::sample::select(Method::ALL.to_vec()), path in "(/[a-z{}%?#-]{0,12}){0,6}/?") {
        if let Some(found) = match_route(method, &path) {
            prop_assert_eq!(found.operation.method, method);
            for (name, _) in &found.params {
                let placeholder = format!("{{{name}}}");
                prop_assert!(found.operation.path.contains(&placeholder), "{} has no {}", found.operation.path, placeholder);
            }
        }
    }

    #[test]
    fn validators_agree_with_the_documented_rules(name in "\\PC{0,130}", version in "\\PC{0,40}") {
        let rule = !name.is_empty() && name.len() <= 127 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        prop_assert_eq!(validation::validate_secret_name(&name).is_ok(), rule);
        prop_assert_eq!(validation::is_valid_secret_name(&name), rule);
        let _ = validation::validate_secret_version(&version);
        let _ = validation::validate_content_type(&version);
        let _ = base64url::decode(&version);
    }
}

/// Parses `input`: an error is typed and displays; a success round-trips through `Display`.
fn check_identifier(input: &str) {
    match SecretIdentifier::parse(input) {
        Ok(id) => {
            assert!(validation::is_valid_secret_name(id.name()), "{input:?} gave name {:?}", id.name());
            if let Some(v) = id.version() {
                assert!(validation::validate_secret_version(v).is_ok(), "{input:?}");
            }
            assert!(id.vault_url().starts_with("http"), "{input:?}");
            let again = SecretIdentifier::parse(&id.to_string())
                .unwrap_or_else(|e| panic!("{input:?} -> {id} does not parse again: {e}"));
            assert_eq!(again, id, "{input:?} round-trips");
        }
        Err(e) => {
            let _ = (e.to_string(), format!("{e:?}"));
        }
    }
}
