//! The operation table: path filling and route matching.

use azkv_models::operations::*;
use azkv_models::{Error, Method, match_route};

fn sample_params(op: &Operation, name: &str) -> Vec<(&'static str, String)> {
    op.path_params
        .iter()
        .map(|param| (*param, if *param == "secret-name" { name.to_owned() } else { "0123abcd".to_owned() }))
        .collect()
}

#[test]
fn the_table_is_complete_and_consistent() {
    assert_eq!(OPERATIONS.len(), 12);
    let mut ids: Vec<&str> = OPERATIONS.iter().map(|op| op.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 12, "ids are unique");
    for op in OPERATIONS {
        assert!(op.path.starts_with('/'), "{}", op.id);
        let in_template: Vec<&str> =
            op.path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
        assert_eq!(in_template, op.path_params, "{}", op.id);
        assert_eq!(op.id.operation(), op);
        assert_eq!(OperationId::parse(op.id.as_str()), Some(op.id));
        assert!(matches!(op.success_status, 200 | 204), "{}", op.id);
        let max = op.query_params.iter().find(|q| q.name == "maxresults").and_then(|q| q.max);
        assert!(max.is_none() || max == Some(i64::from(MAX_PAGE_SIZE)), "{}", op.id);
    }
    assert_eq!(API_VERSION, "2025-07-01");
    assert_eq!(AUTH_SCOPE, "https://vault.azure.net/.default");
    assert_eq!(PURGE_DELETED_SECRET.success_status, 204);
    assert_eq!(OperationId::ALL.len(), OPERATIONS.len());
    assert!(KNOWN_API_VERSIONS.contains(&API_VERSION));
    assert_eq!(SET_SECRET.request_body, Some("SecretSetParameters"));
    assert_eq!(GET_SECRET_VERSIONS.path, "/secrets/{secret-name}/versions");
    assert_eq!(Method::parse("patch"), Some(Method::Patch));
    assert_eq!(Method::parse("HEAD"), None);
    assert_eq!(Method::Delete.to_string(), "DELETE");
}

#[test]
fn every_operation_matches_its_own_filled_path() {
    for name in ["mysecret", "My-Secret-9", "a"] {
        for op in OPERATIONS {
            let params = sample_params(op, name);
            let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let path = op.fill_path(&borrowed).unwrap();
            let found = match_route(op.method, &path).unwrap_or_else(|| panic!("{} {path}", op.id));
            assert_eq!(found.operation, op, "{path}");
            assert_eq!(found.params, params, "{path}");
            // A query string does not matter.
            let found = match_route(op.method, &format!("{path}?api-version=2025-07-01&maxresults=3")).unwrap();
            assert_eq!(found.operation, op, "{path}");
        }
    }
}

#[test]
fn fill_path_encodes_and_checks_parameters() {
    assert_eq!(
        GET_SECRET.fill_path(&[("secret-name", "a b/c"), ("secret-version", "ü")]).unwrap(),
        "/secrets/a%20b%2Fc/%C3%BC"
    );
    assert_eq!(GET_SECRET.fill_path(&[("secret-name", "x"), ("secret-version", "")]).unwrap(), "/secrets/x/");
    assert_eq!(GET_SECRETS.fill_path(&[]).unwrap(), "/secrets");
    assert_eq!(RESTORE_SECRET.fill_path(&[]).unwrap(), "/secrets/restore");
    assert_eq!(RECOVER_DELETED_SECRET.fill_path(&[("secret-name", "x")]).unwrap(), "/deletedsecrets/x/recover");
    assert!(matches!(
        GET_SECRET.fill_path(&[("secret-name", "x")]),
        Err(Error::MissingPathParam { operation: "GetSecret", name }) if name == "secret-version"
    ));
    assert!(matches!(
        GET_SECRETS.fill_path(&[("secret-name", "x")]),
        Err(Error::UnknownPathParam { operation: "GetSecrets", .. })
    ));
    // Encoded values come back decoded.
    let found = match_route(Method::Get, "/secrets/a%20b%2Fc/%C3%BC").unwrap();
    assert_eq!(found.param("secret-name"), Some("a b/c"));
    assert_eq!(found.param("secret-version"), Some("ü"));
}

/// (method, path, operation id or None, params)
type RouteCase = (Method, &'static str, Option<&'static str>, &'static [(&'static str, &'static str)]);

#[test]
fn matching_table() {
    use Method::*;
    let cases: &[RouteCase] = &[
        (Get, "/secrets", Some("GetSecrets"), &[]),
        (Get, "/secrets/", Some("GetSecrets"), &[]),
        (Get, "/secrets/n/versions", Some("GetSecretVersions"), &[("secret-name", "n")]),
        (Get, "/secrets/versions/versions", Some("GetSecretVersions"), &[("secret-name", "versions")]),
        (Get, "/secrets/n/v1", Some("GetSecret"), &[("secret-name", "n"), ("secret-version", "v1")]),
        (Get, "/secrets/n/", Some("GetSecret"), &[("secret-name", "n"), ("secret-version", "")]),
        (Get, "/secrets/n", Some("GetSecret"), &[("secret-name", "n"), ("secret-version", "")]),
        (Get, "/secrets/n/v1/", Some("GetSecret"), &[("secret-name", "n"), ("secret-version", "v1")]),
        (Patch, "/secrets/n/v1", Some("UpdateSecret"), &[("secret-name", "n"), ("secret-version", "v1")]),
        (Put, "/secrets/n", Some("SetSecret"), &[("secret-name", "n")]),
        (Put, "/secrets/n/", Some("SetSecret"), &[("secret-name", "n")]),
        (Delete, "/secrets/n", Some("DeleteSecret"), &[("secret-name", "n")]),
        (Post, "/secrets/restore", Some("RestoreSecret"), &[]),
        (Post, "/secrets/restore/backup", Some("BackupSecret"), &[("secret-name", "restore")]),
        (Post, "/secrets/n/backup", Some("BackupSecret"), &[("secret-name", "n")]),
        (Get, "/deletedsecrets", Some("GetDeletedSecrets"), &[]),
        (Get, "/deletedsecrets/n", Some("GetDeletedSecret"), &[("secret-name", "n")]),
        (Delete, "/deletedsecrets/n", Some("PurgeDeletedSecret"), &[("secret-name", "n")]),
        (Post, "/deletedsecrets/n/recover", Some("RecoverDeletedSecret"), &[("secret-name", "n")]),
        // No match.
        (Get, "/", None, &[]),
        (Get, "", None, &[]),
        (Get, "secrets", None, &[]),
        (Delete, "/deletedsecrets", None, &[]),
        (Delete, "/deletedsecrets/", None, &[]),
        (Get, "/secrets//v1", None, &[]),
        (Get, "/secrets//", None, &[]),
        (Put, "/secrets", None, &[]),
        (Put, "/secrets/n/v1", None, &[]),
        (Delete, "/secrets/n/v1", None, &[]),
        (Post, "/secrets/n", None, &[]),
        (Get, "/secrets/n/v1/extra", None, &[]),
        (Get, "/keys/n", None, &[]),
        (Get, "/secrets/%zz/v1", None, &[]),
        (Get, "/SECRETS/n/v1", None, &[]),
    ];
    for (method, path, want, params) in cases {
        let found = match_route(*method, path);
        assert_eq!(found.as_ref().map(|f| f.operation.id.as_str()), *want, "{method} {path}");
        if let Some(found) = found {
            let got: Vec<(&str, &str)> = found.params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            assert_eq!(got, *params, "{method} {path}");
        }
    }
}
