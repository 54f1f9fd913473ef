//! `secret set`, `show`, `list`, `list-versions`, `set-attributes` and `download`, end to end.

use crate::support::{Fixture, fails, ok};

#[test]
fn set_then_show_gives_the_azure_cli_shape() {
    let f = Fixture::start("set-show");
    let set = f.json(&[
        "secret",
        "set",
        "--name",
        "db-password",
        "--value",
        "hunter2",
        "--content-type",
        "text/plain",
        "--tags",
        "env=test",
        "team=core",
        "--expires",
        "2030-01-31T00:00:00Z",
        "--not-before",
        "2020-01-01",
    ]);
    assert_eq!(set["name"], "db-password");
    assert_eq!(set["value"], "hunter2");
    assert_eq!(set["contentType"], "text/plain");
    assert_eq!(set["tags"], serde_json::json!({"env": "test", "team": "core"}));
    assert_eq!(set["attributes"]["enabled"], true);
    assert_eq!(set["attributes"]["expires"], "2030-01-31T00:00:00+00:00");
    assert_eq!(set["attributes"]["notBefore"], "2020-01-01T00:00:00+00:00");
    assert!(set["attributes"]["created"].is_string() && set["attributes"]["updated"].is_string());
    assert!(set["attributes"]["recoveryLevel"].is_string());
    let id = set["id"].as_str().unwrap();
    assert!(id.starts_with(&format!("{}/secrets/db-password/", f.emulator.url())), "{id}");

    let shown = f.json(&["secret", "show", "--name", "db-password"]);
    assert_eq!(shown, set);
    let by_id = f.json(&["secret", "show", "--id", id]);
    assert_eq!(by_id["value"], "hunter2");
}

#[test]
fn versions_are_shown_and_listed() {
    let f = Fixture::start("versions");
    let first = f.set("api-key", "one");
    let second = f.set("api-key", "two");
    let v1 = first["id"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    assert_eq!(f.json(&["secret", "show", "-n", "api-key"])["value"], "two");
    assert_eq!(f.json(&["secret", "show", "-n", "api-key", "--version", &v1])["value"], "one");
    let versions = f.json(&["secret", "list-versions", "--name", "api-key"]);
    let mut ids: Vec<&str> = versions.as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap()).collect();
    ids.sort();
    let mut expected = [first["id"].as_str().unwrap(), second["id"].as_str().unwrap()];
    expected.sort();
    assert_eq!(ids, expected);
    assert!(versions[0].get("value").is_none(), "listings carry no value");
    let one = f.json(&["secret", "list-versions", "--name", "api-key", "--maxresults", "1"]);
    assert_eq!(one.as_array().unwrap().len(), 1);
}

#[test]
fn list_gives_properties_without_values_over_several_pages() {
    let f = Fixture::start("list");
    for i in 0..30 {
        f.set(&format!("s{i:02}"), &format!("value-{i}"));
    }
    let out = f.run(&["secret", "list"]);
    let stdout = ok(&out);
    assert!(!stdout.contains("value-"), "no values in a listing");
    let list: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let mut names: Vec<&str> = list.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names.len(), 30, "every page is read (the service pages by 25)");
    assert_eq!(names[0], "s00");
    let keys: Vec<&String> = list[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["attributes", "contentType", "id", "managed", "name", "tags"]);
    let limited = f.json(&["secret", "list", "--maxresults", "3"]);
    assert_eq!(limited.as_array().unwrap().len(), 3);
}

#[test]
fn set_attributes_changes_metadata_only() {
    let f = Fixture::start("set-attributes");
    f.set("flag", "on");
    let changed = f.json(&[
        "secret",
        "set-attributes",
        "--name",
        "flag",
        "--enabled",
        "false",
        "--tags",
        "owner=me",
        "--content-type",
        "text/x-flag",
        "--expires",
        "2031-05-01T10:00:00+02:00",
    ]);
    assert_eq!(changed["attributes"]["enabled"], false);
    assert_eq!(changed["attributes"]["expires"], "2031-05-01T08:00:00+00:00");
    assert_eq!(changed["tags"], serde_json::json!({"owner": "me"}));
    assert_eq!(changed["contentType"], "text/x-flag");
    assert!(changed.get("value").is_none());
    // A disabled secret cannot be read: the service's answer, on one line.
    let e = fails(&f.run(&["secret", "show", "--name", "flag"]));
    assert!(e.starts_with("azkv: show `flag`: forbidden: "), "{e}");
    let cleared = f.json(&["secret", "set-attributes", "--name", "flag", "--enabled", "true", "--tags"]);
    assert_eq!(cleared["tags"], serde_json::json!({}));
    assert_eq!(f.json(&["secret", "show", "--name", "flag"])["value"], "on");
}

#[test]
fn values_come_from_files_and_stdin_with_encodings() {
    let f = Fixture::start("files");
    let binary: Vec<u8> = (0..=255u8).collect();
    std::fs::write(f.path("key.bin"), &binary).unwrap();
    let set = f.json(&["secret", "set", "-n", "bin", "--file", "key.bin", "--encoding", "base64"]);
    assert_eq!(set["tags"]["file-encoding"], "base64");
    ok(&f.run(&["secret", "download", "-n", "bin", "--file", "back.bin"]));
    assert_eq!(std::fs::read(f.path("back.bin")).unwrap(), binary, "the file-encoding tag decodes it");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(f.path("back.bin")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let e = fails(&f.run(&["secret", "download", "-n", "bin", "--file", "back.bin"]));
    assert!(e.contains("--file back.bin: the file exists"), "{e}");

    let hex = f.json(&["secret", "set", "-n", "hex", "--file", "key.bin", "--encoding", "hex"]);
    assert!(hex["value"].as_str().unwrap().starts_with("000102"));
    ok(&f.run(&["secret", "download", "-n", "hex", "--file", "hex.bin"]));
    assert_eq!(std::fs::read(f.path("hex.bin")).unwrap(), binary);
    let raw = f.run(&["secret", "download", "-n", "hex", "--file", "-", "--encoding", "utf-8"]);
    assert!(ok(&raw).starts_with("000102"));

    let piped = f.run_with_stdin(&["secret", "set", "-n", "piped", "--value", "-", "-o", "none"], b"from stdin\n");
    assert_eq!(ok(&piped), "");
    assert_eq!(f.json(&["secret", "show", "-n", "piped"])["value"], "from stdin", "one trailing newline dropped");
    let file_stdin = f.run_with_stdin(&["secret", "set", "-n", "pf", "--file", "-", "-o", "none"], b"line\n");
    ok(&file_stdin);
    assert_eq!(f.json(&["secret", "show", "-n", "pf"])["value"], "line\n", "a file is taken as it is");
}

#[test]
fn the_vault_and_ca_can_be_flags_instead_of_variables() {
    let f = Fixture::start("flags");
    let url = f.emulator.url().to_owned();
    let ca = f.ca.to_str().unwrap().to_owned();
    let mut cmd = f.azkv(&["secret", "set", "-n", "x", "--value", "y", "--vault-url", &url, "--ca-file", &ca]);
    cmd.env_remove("VAULT_URL").env_remove("SSL_CERT_FILE");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&ok(&cmd.output().unwrap())).unwrap()["value"], "y");
    // Without the CA the emulator's certificate is refused, with the transport's hint.
    let mut cmd = f.azkv(&["secret", "show", "-n", "x", "--vault-url", &url]);
    cmd.env_remove("SSL_CERT_FILE");
    let e = fails(&cmd.output().unwrap());
    assert!(e.starts_with("azkv: show `x`: "), "{e}");
    assert!(e.contains("SSL_CERT_FILE"), "{e}");
    // --auth managed-identity gets the same strict tokens.
    let out = f.json(&["secret", "show", "-n", "x", "--auth", "managed-identity"]);
    assert_eq!(out["value"], "y");
}
