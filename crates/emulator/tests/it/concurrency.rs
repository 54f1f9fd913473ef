//! 64 concurrent writers: no lost and no duplicated versions.

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
