//! Backup and restore: all versions, conflicts, tampered blobs.

use crate::common::start;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::json;

#[tokio::test]
async fn backup_then_restore_brings_every_version_back() {
    let kv = start().await;
    let v1 = kv.set("bk", "one").await;
    let v2 = kv.set("bk", "two").await;
    let r = kv.post("/secrets/bk/backup", None).await;
    assert_eq!(r.status, 200);
    let blob = r.body["value"].as_str().unwrap().to_owned();
    assert!(B64.decode(&blob).is_ok(), "base64url without padding");
    assert!(!blob.contains("one"), "opaque");

    let r = kv.post("/secrets/restore", Some(json!({ "value": blob }))).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "Conflict"), "the name exists");
    kv.delete("/secrets/bk").await;
    let r = kv.post("/secrets/restore", Some(json!({ "value": blob }))).await;
    assert_eq!((r.status.as_u16(), r.inner()), (409, "ObjectIsDeletedButRecoverable"));
    kv.delete("/deletedsecrets/bk").await;

    let r = kv.post("/secrets/restore", Some(json!({ "value": blob }))).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["id"], format!("{}/secrets/bk/{v2}", kv.emu.url()));
    assert!(r.body.get("value").is_none());
    assert_eq!(kv.get(&format!("/secrets/bk/{v1}")).await.body["value"], "one");
    assert_eq!(kv.get("/secrets/bk").await.body["value"], "two");
    let versions = kv.get("/secrets/bk/versions").await;
    assert_eq!(versions.body["value"].as_array().unwrap().len(), 2);
    // New versions after a restore still come last.
    let v3 = kv.set("bk", "three").await;
    let versions = kv.get("/secrets/bk/versions").await;
    assert!(versions.body["value"][2]["id"].as_str().unwrap().ends_with(&v3));
}

#[tokio::test]
async fn tampered_or_foreign_blobs_are_400_and_change_nothing() {
    let kv = start().await;
    kv.set("t", "x").await;
    let blob = kv.post("/secrets/t/backup", None).await.body["value"].as_str().unwrap().to_owned();
    kv.delete("/secrets/t").await;
    kv.delete("/deletedsecrets/t").await;
    let mut raw = B64.decode(&blob).unwrap();
    let mid = raw.len() / 2;
    raw[mid] ^= 0x01;
    for bad in [B64.encode(&raw), B64.encode(b"short"), String::new(), "not base64 !".to_owned()] {
        let r = kv.post("/secrets/restore", Some(json!({ "value": bad }))).await;
        assert_eq!((r.status.as_u16(), r.code()), (400, "BadParameter"));
        assert_eq!(
            r.body["error"]["message"], "Backup blob contains invalid or corrupt version.",
            "the service's text"
        );
    }
    assert!(kv.get("/secrets").await.body["value"].as_array().unwrap().is_empty());
    // A blob from another emulator does not verify here.
    let other = crate::common::start().await;
    other.set("t", "x").await;
    let foreign = other.post("/secrets/t/backup", None).await.body["value"].as_str().unwrap().to_owned();
    assert_eq!(kv.post("/secrets/restore", Some(json!({ "value": foreign }))).await.status, 400);
    // The genuine blob still restores.
    assert_eq!(kv.post("/secrets/restore", Some(json!({ "value": blob }))).await.status, 200);
    assert_eq!(kv.post("/secrets/missing/backup", None).await.status, 404);
}
