//! `secret delete`, `show-deleted`, `list-deleted`, `recover`, `purge`, `backup` and `restore`.

use crate::support::{Fixture, fails, ok};

#[test]
fn delete_recover_and_purge() {
    let f = Fixture::start("lifecycle");
    f.set("old", "v");
    let deleted = f.json(&["secret", "delete", "--name", "old"]);
    assert_eq!(deleted["name"], "old");
    let recovery_id = deleted["recoveryId"].as_str().unwrap().to_owned();
    assert!(recovery_id.ends_with("/deletedsecrets/old"), "{recovery_id}");
    assert!(deleted["deletedDate"].is_string() && deleted["scheduledPurgeDate"].is_string());
    assert!(deleted.get("value").is_none());

    let e = fails(&f.run(&["secret", "show", "--name", "old"]));
    assert!(e.starts_with("azkv: show `old`: not found: "), "{e}");
    let shown = f.json(&["secret", "show-deleted", "--id", &recovery_id]);
    assert_eq!(shown["recoveryId"], recovery_id.as_str());
    let listed = f.json(&["secret", "list-deleted"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "old");

    let recovered = f.json(&["secret", "recover", "--name", "old"]);
    assert_eq!(recovered["name"], "old");
    assert_eq!(f.json(&["secret", "show", "--name", "old"])["value"], "v");

    f.json(&["secret", "delete", "--name", "old", "--no-wait"]);
    let out = f.run(&["secret", "purge", "--name", "old"]);
    assert_eq!(ok(&out), "", "purge prints nothing");
    let e = fails(&f.run(&["secret", "show-deleted", "--name", "old"]));
    assert!(e.starts_with("azkv: show-deleted `old`: not found: "), "{e}");
    assert_eq!(f.json(&["secret", "list-deleted"]), serde_json::json!([]));
}

#[test]
fn backup_then_restore() {
    let f = Fixture::start("backup");
    f.set("keep", "one");
    f.set("keep", "two");
    assert_eq!(ok(&f.run(&["secret", "backup", "--name", "keep", "--file", "keep.bak"])), "");
    let blob = std::fs::read(f.path("keep.bak")).unwrap();
    assert!(!blob.is_empty());
    let e = fails(&f.run(&["secret", "backup", "--name", "keep", "--file", "keep.bak"]));
    assert!(e.contains("the file exists"), "{e}");

    f.json(&["secret", "delete", "--name", "keep"]);
    ok(&f.run(&["secret", "purge", "--name", "keep"]));
    let restored = f.json(&["secret", "restore", "--file", "keep.bak"]);
    assert_eq!(restored["name"], "keep");
    assert_eq!(f.json(&["secret", "show", "--name", "keep"])["value"], "two");
    assert_eq!(f.json(&["secret", "list-versions", "--name", "keep"]).as_array().unwrap().len(), 2);

    let e = fails(&f.run(&["secret", "restore", "--file", "keep.bak"]));
    assert!(e.starts_with("azkv: restore keep.bak: conflict: "), "{e}");
    std::fs::write(f.path("bad.bak"), b"not a backup").unwrap();
    let e = fails(&f.run(&["secret", "restore", "--file", "bad.bak"]));
    assert!(e.starts_with("azkv: restore bad.bak: bad request: "), "{e}");
}
