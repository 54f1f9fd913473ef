//! Soft delete, recover, purge, purge protection, automatic purge, visibility delays.

use crate::common::{T0, builder, start, start_with};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn delete_get_deleted_recover() {
    let kv = start().await;
    let v = kv.set("gone", "secret-value").await;
    let r = kv.delete("/secrets/gone").await;
    assert_eq!(r.status, 200);
    let base = kv.emu.url();
    assert_eq!(r.body["recoveryId"], format!("{base}/deletedsecrets/gone"));
    assert_eq!(r.body["id"], format!("{base}/secrets/gone/{v}"));
    assert_eq!(r.body["deletedDate"], T0);
    assert_eq!(r.body["scheduledPurgeDate"], T0 + 90 * 86_400);
    assert_eq!(r.body["attributes"]["recoveryLevel"], "Recoverable+Purgeable");
    assert!(r.body.get("value").is_none());

    let r = kv.get("/secrets/gone").await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "SecretNotFound"));
    assert_eq!(kv.delete("/secrets/gone").await.status, 404);
    let r = kv.put("/secrets/gone", json!({ "value": "again" })).await;
    assert_eq!((r.status.as_u16(), r.code(), r.inner()), (409, "Conflict", "ObjectIsDeletedButRecoverable"));
    let r = kv.put("/secrets/GONE", json!({ "value": "again" })).await;
    assert_eq!(r.status, 409, "names are case-insensitive");

    let r = kv.get("/deletedsecrets/gone").await;
    assert_eq!(
        (r.status.as_u16(), r.body["recoveryId"].as_str()),
        (200, Some(format!("{base}/deletedsecrets/gone").as_str()))
    );
    let r = kv.get("/deletedsecrets").await;
    assert_eq!(r.body["value"][0]["id"], format!("{base}/secrets/gone"));
    assert_eq!(r.body["value"][0]["scheduledPurgeDate"], T0 + 90 * 86_400);
    assert!(kv.get("/secrets").await.body["value"].as_array().unwrap().is_empty());

    let r = kv.post("/deletedsecrets/gone/recover", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["id"], format!("{base}/secrets/gone/{v}"));
    assert_eq!(kv.get("/secrets/gone").await.body["value"], "secret-value");
    assert_eq!(kv.get("/deletedsecrets/gone").await.status, 404);
    assert_eq!(kv.post("/deletedsecrets/gone/recover", None).await.status, 404);
}

#[tokio::test]
async fn purge_removes_for_good() {
    let kv = start().await;
    kv.set("p", "x").await;
    assert_eq!(kv.delete("/deletedsecrets/p").await.status, 404, "only deleted secrets can be purged");
    kv.delete("/secrets/p").await;
    let r = kv.delete("/deletedsecrets/p").await;
    assert_eq!((r.status.as_u16(), r.body.is_null()), (204, true));
    assert_eq!(kv.get("/deletedsecrets/p").await.status, 404);
    assert_eq!(kv.put("/secrets/p", json!({ "value": "new" })).await.status, 200, "the name is free again");
    assert_eq!(kv.get("/secrets/p/versions").await.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn purge_protection_refuses_purges() {
    let kv = start_with(builder().purge_protection(true).retention_days(7)).await;
    kv.set("pp", "x").await;
    let r = kv.delete("/secrets/pp").await;
    assert_eq!(r.body["attributes"]["recoveryLevel"], "CustomizedRecoverable");
    assert_eq!(r.body["attributes"]["recoverableDays"], 7);
    assert_eq!(r.body["scheduledPurgeDate"], T0 + 7 * 86_400);
    let r = kv.delete("/deletedsecrets/pp").await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "Forbidden"));
    assert_eq!(kv.get("/deletedsecrets/pp").await.status, 200);
}

#[tokio::test]
async fn deleted_secrets_are_purged_when_the_clock_passes_the_date() {
    let kv = start_with(builder().retention_days(7)).await;
    kv.set("auto", "x").await;
    kv.delete("/secrets/auto").await;
    kv.advance(7 * 86_400 - 1).await;
    assert_eq!(kv.get("/deletedsecrets/auto").await.status, 200);
    kv.advance(1).await;
    assert_eq!(kv.get("/deletedsecrets/auto").await.status, 404);
    assert!(kv.get("/deletedsecrets").await.body["value"].as_array().unwrap().is_empty());
    assert_eq!(kv.put("/secrets/auto", json!({ "value": "y" })).await.status, 200);
}

#[tokio::test]
async fn deletion_delay_in_seconds_hides_then_shows() {
    let kv = start().await;
    kv.set("slow", "x").await;
    assert_eq!(kv.control(Method::POST, "delay", Some(json!({ "secs": 30 }))).await.status, 204);
    assert_eq!(kv.delete("/secrets/slow").await.status, 200);
    assert_eq!(kv.get("/secrets/slow").await.status, 404);
    assert_eq!(kv.get("/deletedsecrets/slow").await.status, 404, "deletion not visible yet");
    assert!(kv.get("/deletedsecrets").await.body["value"].as_array().unwrap().is_empty());
    let r = kv.post("/deletedsecrets/slow/recover", None).await;
    assert_eq!((r.status.as_u16(), r.inner()), (409, "ObjectIsBeingDeleted"));
    kv.advance(30).await;
    assert_eq!(kv.get("/deletedsecrets/slow").await.status, 200);
    // Recovery is delayed the same way.
    assert_eq!(kv.post("/deletedsecrets/slow/recover", None).await.status, 200);
    assert_eq!(kv.get("/secrets/slow").await.status, 404, "recovery not visible yet");
    kv.advance(30).await;
    assert_eq!(kv.get("/secrets/slow").await.status, 200);
}

#[tokio::test]
async fn deletion_delay_in_polls() {
    let kv = start().await;
    kv.set("polled", "x").await;
    kv.control(Method::POST, "delay", Some(json!({ "polls": 2 }))).await;
    kv.delete("/secrets/polled").await;
    let mut seen = [0u16; 4];
    for s in &mut seen {
        *s = kv.get("/deletedsecrets/polled").await.status.as_u16();
    }
    assert_eq!(seen, [404, 404, 200, 200]);
    kv.post("/deletedsecrets/polled/recover", None).await;
    let mut seen = [0u16; 3];
    for s in &mut seen {
        *s = kv.get("/secrets/polled").await.status.as_u16();
    }
    assert_eq!(seen, [404, 404, 200]);
    assert_eq!(kv.control(Method::DELETE, "delay", None).await.status, 204);
    kv.delete("/secrets/polled").await;
    assert_eq!(kv.get("/deletedsecrets/polled").await.status, 200, "no delay after clearing it");
}
