//! maxresults, absolute nextLinks with $skiptoken, stability under concurrent writes.

use crate::common::{Kv, start};
use reqwest::Method;
use std::collections::HashSet;

async fn walk(kv: &Kv, first: &str, mut between: impl FnMut(usize) -> Option<String>) -> Vec<String> {
    let mut ids = Vec::new();
    let mut r = kv.get(first).await;
    let mut page = 0;
    loop {
        assert_eq!(r.status, 200, "{:?}", r.body);
        ids.extend(r.body["value"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        let Some(next) = r.body["nextLink"].as_str().map(str::to_owned) else { break };
        assert!(next.starts_with(kv.emu.url()), "absolute: {next}");
        assert!(next.contains("$skiptoken="), "{next}");
        assert!(next.contains("api-version=2025-07-01"), "{next}");
        page += 1;
        if let Some(name) = between(page) {
            kv.set(&name, "x").await;
        }
        r = kv.send_url(Method::GET, &next, None).await;
    }
    ids
}

#[tokio::test]
async fn maxresults_bounds() {
    let kv = start().await;
    for bad in ["0", "26", "abc", "-3"] {
        let r = kv.get(&format!("/secrets?maxresults={bad}")).await;
        assert_eq!((r.status.as_u16(), r.code()), (400, "BadParameter"), "{bad}");
        assert_eq!(kv.get(&format!("/deletedsecrets?maxresults={bad}")).await.status, 400);
        assert_eq!(kv.get(&format!("/secrets/x/versions?maxresults={bad}")).await.status, 400);
    }
    assert_eq!(kv.get("/secrets?maxresults=25").await.status, 200);
}

#[tokio::test]
async fn pages_cover_everything_once_and_default_to_25() {
    let kv = start().await;
    for i in 0..30 {
        kv.set(&format!("s{i:02}"), "x").await;
    }
    let r = kv.get("/secrets").await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 25);
    assert!(r.body["nextLink"].is_string());
    let ids = walk(&kv, "/secrets?maxresults=7", |_| None).await;
    assert_eq!(ids.len(), 30);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 30);
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
}

#[tokio::test]
async fn paging_is_stable_under_concurrent_writes() {
    let kv = start().await;
    for i in 0..10 {
        kv.set(&format!("m{i}"), "x").await;
    }
    // Between pages, add names before and after the cursor: no repeats, and nothing listed twice.
    let ids = walk(&kv, "/secrets?maxresults=3", |page| {
        Some(if page % 2 == 0 { format!("a{page}") } else { format!("z{page}") })
    })
    .await;
    let set: HashSet<_> = ids.iter().collect();
    assert_eq!(set.len(), ids.len(), "no duplicates: {ids:?}");
    for i in 0..10 {
        assert!(ids.iter().any(|id| id.ends_with(&format!("/m{i}"))), "m{i} missing");
    }
    // New versions during a versions listing appear at the end.
    for _ in 0..5 {
        kv.set("ver", "x").await;
    }
    let ids = walk(&kv, "/secrets/ver/versions?maxresults=2", |page| (page == 1).then(|| "ver".to_owned())).await;
    assert_eq!(ids.len(), 6);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 6);
}

#[tokio::test]
async fn deleted_list_pages() {
    let kv = start().await;
    for i in 0..5 {
        kv.set(&format!("d{i}"), "x").await;
        kv.delete(&format!("/secrets/d{i}")).await;
    }
    let ids = walk(&kv, "/deletedsecrets?maxresults=2", |_| None).await;
    assert_eq!(ids.len(), 5);
    let bad = kv.get("/secrets?$skiptoken=***").await;
    assert_eq!(bad.status, 400);
}
