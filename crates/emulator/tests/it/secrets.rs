//! Set, get, update, versions, disabled secrets, ids from the Host.

use crate::common::{T0, start};
use serde_json::json;

#[tokio::test]
async fn set_then_get_latest_and_by_version() {
    let kv = start().await;
    let r =
        kv.put("/secrets/db-pass", json!({ "value": "one", "contentType": "text/plain", "tags": { "a": "b" } })).await;
    assert_eq!(r.status, 200);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let v1 = id.rsplit('/').next().unwrap().to_owned();
    assert_eq!(v1.len(), 32);
    assert!(v1.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{v1}");
    assert_eq!(id, format!("{}/secrets/db-pass/{v1}", kv.emu.url()));
    assert_eq!(r.body["value"], "one");
    assert_eq!(r.body["contentType"], "text/plain");
    assert_eq!(r.body["tags"]["a"], "b");
    let a = &r.body["attributes"];
    assert_eq!((a["enabled"].clone(), a["created"].clone(), a["updated"].clone()), (json!(true), json!(T0), json!(T0)));
    assert_eq!(a["recoverableDays"], 90);
    assert_eq!(a["recoveryLevel"], "Recoverable+Purgeable");

    let v2 = kv.set("db-pass", "two").await;
    assert_ne!(v1, v2);
    for path in ["/secrets/db-pass", "/secrets/db-pass/", "/secrets/DB-PASS"] {
        let r = kv.get(path).await;
        assert_eq!((r.status.as_u16(), r.body["value"].as_str()), (200, Some("two")), "{path}");
    }
    let r = kv.get(&format!("/secrets/db-pass/{v1}")).await;
    assert_eq!(r.body["value"], "one");
    let r = kv.get(&format!("/secrets/db-pass/{}", v1.to_uppercase())).await;
    assert_eq!(r.body["value"], "one", "versions are case-insensitive");
    let r = kv.get("/secrets/db-pass/0123456789abcdef0123456789abcdef").await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "SecretNotFound"));
    let r = kv.get("/secrets/missing").await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "SecretNotFound"));
}

#[tokio::test]
async fn name_keeps_first_spelling() {
    let kv = start().await;
    kv.set("MyName", "a").await;
    let r = kv.put("/secrets/myname", json!({ "value": "b" })).await;
    assert!(r.body["id"].as_str().unwrap().contains("/secrets/MyName/"));
}

#[tokio::test]
async fn update_changes_metadata_and_keeps_the_value() {
    let kv = start().await;
    let v = kv.set("s", "keep-me").await;
    kv.advance(100).await;
    let r = kv
        .patch(
            &format!("/secrets/s/{v}"),
            json!({ "contentType": "ct", "tags": { "k": "v" }, "attributes": { "exp": T0 + 5000, "nbf": T0 - 5 } }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.body.get("value").is_none(), "update returns no value");
    assert_eq!(r.body["contentType"], "ct");
    assert_eq!(r.body["attributes"]["exp"], T0 + 5000);
    assert_eq!(r.body["attributes"]["created"], T0);
    assert_eq!(r.body["attributes"]["updated"], T0 + 100);
    let r = kv.get("/secrets/s").await;
    assert_eq!((r.body["value"].as_str(), r.body["tags"]["k"].as_str()), (Some("keep-me"), Some("v")));
    // Latest version through an empty version segment.
    let r = kv.patch("/secrets/s/", json!({ "tags": { "x": "y" } })).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["tags"], json!({ "x": "y" }));
    assert_eq!(r.body["contentType"], "ct", "fields left out keep their values");
    let r = kv.patch("/secrets/nope/", json!({})).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn disabled_secret_value_is_forbidden_but_listed() {
    let kv = start().await;
    let r = kv.put("/secrets/off", json!({ "value": "x", "attributes": { "enabled": false } })).await;
    assert_eq!(r.body["attributes"]["enabled"], false);
    let r = kv.get("/secrets/off").await;
    assert_eq!((r.status.as_u16(), r.code(), r.inner()), (403, "Forbidden", "SecretDisabled"));
    let r = kv.get("/secrets").await;
    assert_eq!(r.body["value"][0]["attributes"]["enabled"], false);
    kv.patch("/secrets/off/", json!({ "attributes": { "enabled": true } })).await;
    assert_eq!(kv.get("/secrets/off").await.body["value"], "x");
}

#[tokio::test]
async fn nbf_and_exp_are_informational() {
    let kv = start().await;
    let r = kv.put("/secrets/t", json!({ "value": "x", "attributes": { "nbf": T0 + 1000, "exp": T0 - 1 } })).await;
    assert_eq!(r.status, 200);
    let r = kv.get("/secrets/t").await;
    assert_eq!((r.status.as_u16(), r.body["attributes"]["nbf"].as_i64()), (200, Some(T0 + 1000)));
}

#[tokio::test]
async fn versions_are_listed_oldest_first_with_versioned_ids() {
    let kv = start().await;
    let v: Vec<String> = [kv.set("multi", "1").await, kv.set("multi", "2").await, kv.set("multi", "3").await].into();
    let r = kv.get("/secrets/multi/versions").await;
    let ids: Vec<&str> = r.body["value"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    let want: Vec<String> = v.iter().map(|v| format!("{}/secrets/multi/{v}", kv.emu.url())).collect();
    assert_eq!(ids, want);
    assert!(r.body["value"][0].get("value").is_none());
    let r = kv.get("/secrets/none/versions").await;
    assert_eq!((r.status.as_u16(), r.body["value"].as_array().map(Vec::len)), (200, Some(0)));
}

#[tokio::test]
async fn list_items_have_unversioned_ids_and_no_values() {
    let kv = start().await;
    kv.set("b", "1").await;
    kv.set("a", "1").await;
    let r = kv.get("/secrets").await;
    let items = r.body["value"].as_array().unwrap();
    assert_eq!(items[0]["id"], format!("{}/secrets/a", kv.emu.url()));
    assert_eq!(items[1]["id"], format!("{}/secrets/b", kv.emu.url()));
    assert!(items.iter().all(|i| i.get("value").is_none()));
    assert!(r.body.get("nextLink").is_none_or(|l| l.is_null()));
}

#[tokio::test]
async fn ids_follow_the_host_and_vaults_are_separate() {
    let kv = crate::common::start_with(crate::common::builder().extra_host("other.localhost")).await;
    let port = kv.emu.addr().port();
    let http = crate::common::client_for(&kv.emu, |b| {
        b.resolve("myvault.vault.azure.net", kv.emu.addr()).resolve("other.localhost", kv.emu.addr())
    });
    let token = kv.emu.issue_token();
    let put = |host: &str, value: &str| {
        http.put(format!("https://{host}:{port}/secrets/shared?api-version=7.5"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(json!({ "value": value }).to_string())
            .send()
    };
    let r = crate::common::to_resp(put("myvault.vault.azure.net", "in-myvault").await.unwrap()).await;
    assert!(
        r.body["id"].as_str().unwrap().starts_with(&format!("https://myvault.vault.azure.net:{port}/secrets/shared/"))
    );
    let r = crate::common::to_resp(put("other.localhost", "in-other").await.unwrap()).await;
    assert!(r.body["id"].as_str().unwrap().starts_with(&format!("https://other.localhost:{port}/secrets/shared/")));
    assert_eq!(kv.get("/secrets/shared").await.status, 404, "the default vault is separate");
    let r = http
        .get(format!("https://myvault.vault.azure.net:{port}/secrets/shared?api-version=7.5"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(crate::common::to_resp(r).await.body["value"], "in-myvault");
    assert_eq!(kv.emu.vault_url("myvault"), format!("https://myvault.vault.azure.net:{port}"));
}
