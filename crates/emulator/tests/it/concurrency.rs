//! 64 concurrent writers, and 64 clients running mixed operations: no 5xx, no lost and no
//! duplicated versions, read-your-writes.

use crate::common::start;
use std::collections::HashSet;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_writers_lose_nothing() {
    let kv = Arc::new(start().await);
    const WRITERS: usize = 64;
    const EACH: usize = 4;
    let tasks: Vec<_> = (0..WRITERS)
        .map(|w| {
            let kv = kv.clone();
            tokio::spawn(async move {
                let mut versions = Vec::new();
                for i in 0..EACH {
                    versions.push(kv.set("hot", &format!("{w}-{i}")).await);
                    kv.set(&format!("own-{w}"), "x").await;
                }
                versions
            })
        })
        .collect();
    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    let unique: HashSet<_> = acked.iter().cloned().collect();
    assert_eq!(unique.len(), WRITERS * EACH, "every version id is distinct");

    let mut listed = Vec::new();
    let mut r = kv.get("/secrets/hot/versions").await;
    loop {
        listed.extend(
            r.body["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().rsplit('/').next().unwrap().to_owned()),
        );
        let Some(next) = r.body["nextLink"].as_str().map(str::to_owned) else { break };
        r = kv.send_url(reqwest::Method::GET, &next, None).await;
    }
    assert_eq!(listed.len(), WRITERS * EACH, "no version lost or listed twice");
    assert_eq!(listed.iter().cloned().collect::<HashSet<_>>(), unique);
    let mut names = 0;
    let mut r = kv.get("/secrets").await;
    loop {
        names += r.body["value"].as_array().unwrap().len();
        let Some(next) = r.body["nextLink"].as_str().map(str::to_owned) else { break };
        r = kv.send_url(reqwest::Method::GET, &next, None).await;
    }
    assert_eq!(names, WRITERS + 1);
}

/// Every page of a list, following `nextLink`; asserts no 5xx on the way.
async fn list_all(kv: &crate::common::Kv, path: &str) -> Vec<serde_json::Value> {
    let mut items = Vec::new();
    let mut r = kv.get(path).await;
    loop {
        assert!(r.status.is_success(), "{path}: {} {:?}", r.status, r.body);
        items.extend(r.body["value"].as_array().unwrap().iter().cloned());
        let Some(next) = r.body["nextLink"].as_str().map(str::to_owned) else { break };
        r = kv.send_url(reqwest::Method::GET, &next, None).await;
    }
    items
}

fn version_of(id: &serde_json::Value) -> String {
    id.as_str().unwrap().rsplit('/').next().unwrap().to_owned()
}

/// 64 clients, each running a fixed script of mixed operations (set, get, get version, list,
/// update, delete, recover, backup) against its own secret and one shared secret: no 5xx, no
/// lost or duplicated version, and every client reads its own writes at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_clients_mixed_operations() {
    use reqwest::Method;
    use serde_json::json;
    let kv = Arc::new(start().await);
    const CLIENTS: usize = 64;
    const ROUNDS: usize = 3;
    let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (kv, requests) = (kv.clone(), requests.clone());
            tokio::spawn(async move {
                let own = format!("own-{c}");
                let mut own_versions = Vec::new();
                let mut hot_versions = Vec::new();
                let mut count = 0;
                for round in 0..ROUNDS {
                    let value = format!("{c}-{round}");
                    // set + read-your-writes on the latest and on the exact version
                    let version = kv.set(&own, &value).await;
                    own_versions.push(version.clone());
                    let r = kv.get(&format!("/secrets/{own}")).await;
                    assert_eq!((r.status.as_u16(), r.body["value"].as_str()), (200, Some(value.as_str())));
                    assert_eq!(version_of(&r.body["id"]), version, "the latest is my last write");
                    let hot = kv.set("hot", &value).await;
                    let r = kv.get(&format!("/secrets/hot/{hot}")).await;
                    assert_eq!(r.body["value"].as_str(), Some(value.as_str()), "my version of hot holds my value");
                    hot_versions.push(hot);
                    // update, then read the change back
                    let tag = format!("r{round}");
                    let r = kv.patch(&format!("/secrets/{own}/"), json!({ "tags": { "round": tag } })).await;
                    assert_eq!(r.status, 200, "{:?}", r.body);
                    let r = kv.get(&format!("/secrets/{own}")).await;
                    assert_eq!(r.body["tags"]["round"].as_str(), Some(tag.as_str()));
                    // my versions, exactly
                    let listed: Vec<String> = list_all(&kv, &format!("/secrets/{own}/versions?maxresults=2"))
                        .await
                        .iter()
                        .map(|i| version_of(&i["id"]))
                        .collect();
                    let mut expected = own_versions.clone();
                    let mut got = listed.clone();
                    expected.sort();
                    got.sort();
                    assert_eq!(got, expected, "client {c} round {round}");
                    // a page of everything, a backup
                    let r = kv.get("/secrets?maxresults=5").await;
                    assert_eq!(r.status, 200);
                    let r = kv.post(&format!("/secrets/{own}/backup"), None).await;
                    assert_eq!(r.status, 200);
                    count += 9;
                    // delete, not readable, recover, readable again with the same latest version
                    if round % 2 == 1 {
                        assert_eq!(kv.delete(&format!("/secrets/{own}")).await.status, 200);
                        assert_eq!(kv.get(&format!("/secrets/{own}")).await.status, 404);
                        assert_eq!(kv.get(&format!("/deletedsecrets/{own}")).await.status, 200);
                        let r = kv.call(Method::POST, &format!("/deletedsecrets/{own}/recover"), None).await;
                        assert_eq!(r.status, 200, "{:?}", r.body);
                        let r = kv.get(&format!("/secrets/{own}")).await;
                        assert_eq!((r.status.as_u16(), version_of(&r.body["id"])), (200, version.clone()));
                        count += 5;
                    }
                }
                requests.fetch_add(count, std::sync::atomic::Ordering::Relaxed);
                (own, own_versions, hot_versions)
            })
        })
        .collect();
    let mut hot_acked = Vec::new();
    let mut owners = Vec::new();
    for t in tasks {
        let (own, versions, hot) = t.await.unwrap();
        hot_acked.extend(hot);
        owners.push((own, versions));
    }
    let unique: HashSet<_> = hot_acked.iter().cloned().collect();
    assert_eq!(unique.len(), CLIENTS * ROUNDS, "every acknowledged version id is distinct");
    let listed: Vec<String> =
        list_all(&kv, "/secrets/hot/versions").await.iter().map(|i| version_of(&i["id"])).collect();
    assert_eq!(listed.len(), CLIENTS * ROUNDS, "each version listed exactly once");
    assert_eq!(listed.into_iter().collect::<HashSet<_>>(), unique);
    for (own, versions) in owners {
        let listed: HashSet<String> =
            list_all(&kv, &format!("/secrets/{own}/versions")).await.iter().map(|i| version_of(&i["id"])).collect();
        assert_eq!(listed, versions.into_iter().collect::<HashSet<_>>(), "{own}");
    }
    assert_eq!(list_all(&kv, "/secrets").await.len(), CLIENTS + 1);
    eprintln!("mixed load: {} operations from {CLIENTS} clients", requests.load(std::sync::atomic::Ordering::Relaxed));
}
