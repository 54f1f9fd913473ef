//! Paging across three pages, page iteration, continuation tokens, nextLink safety.

use azkv_secrets::{Error, ListOptions};
use futures::{StreamExt, TryStreamExt};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{secret_names, setup};

fn item(server: &MockServer, name: &str) -> serde_json::Value {
    serde_json::json!({"id": format!("{}/secrets/{name}", server.uri()), "attributes": {"enabled": true}})
}

async fn mount_three_pages(server: &MockServer) {
    let link = |token: &str| format!("{}/secrets?api-version=7.0&$skiptoken={token}&maxresults=2", server.uri());
    Mock::given(method("GET"))
        .and(path("/secrets"))
        .and(query_param("maxresults", "2"))
        .and(query_param("$skiptoken", "p2"))
        .and(query_param("api-version", "2025-07-01"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "value": [item(server, "c"), item(server, "d")], "nextLink": link("p3")})))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/secrets"))
        .and(query_param("$skiptoken", "p3"))
        .and(query_param("api-version", "2025-07-01"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"value": [item(server, "e")], "nextLink": null})),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/secrets"))
        .and(query_param("maxresults", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "value": [item(server, "a"), item(server, "b")], "nextLink": link("p2")})))
        .with_priority(10)
        .mount(server)
        .await;
}

#[tokio::test]
async fn items_stream_across_three_pages_with_the_clients_api_version() {
    let (server, client, _, _) = setup().await;
    mount_three_pages(&server).await;
    let names = secret_names(&client, ListOptions::default().with_max_page_size(2)).await;
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
}

#[tokio::test]
async fn pages_carry_continuation_tokens_that_resume() {
    let (server, client, _, _) = setup().await;
    mount_three_pages(&server).await;
    let mut pages =
        Box::pin(client.list_properties_of_secrets(Some(ListOptions::default().with_max_page_size(2))).into_pages());
    let first = pages.next().await.unwrap().unwrap();
    assert_eq!(first.items.len(), 2);
    let token = first.continuation_token.expect("a first page has a token");
    drop(pages);
    let rest = secret_names(&client, ListOptions::default().with_continuation_token(token)).await;
    assert_eq!(rest, ["c", "d", "e"]);
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused() {
    let (server, client, _, _) = setup().await;
    Mock::given(path("/deletedsecrets"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "value": [], "nextLink": "https://evil.example.com/deletedsecrets?$skiptoken=x"})))
        .mount(&server)
        .await;
    let results: Vec<_> = client.list_deleted_secrets(None).collect().await;
    assert_eq!(results.len(), 1);
    let err = results.into_iter().next().unwrap().unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)) && err.to_string().contains("evil.example.com"), "{err:?}");
}

#[tokio::test]
async fn versions_and_page_size_bounds() {
    let (server, client, _, _) = setup().await;
    Mock::given(path("/secrets/a/versions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"value": [
            {"id": format!("{}/secrets/a/0123456789abcdef0123456789abcdef", server.uri())}]})))
        .expect(1)
        .mount(&server)
        .await;
    let versions: Vec<_> = client.list_properties_of_secret_versions("a", None).try_collect().await.unwrap();
    assert_eq!(versions[0].version.as_deref(), Some("0123456789abcdef0123456789abcdef"));
    let err = client
        .list_properties_of_secrets(Some(ListOptions::default().with_max_page_size(26)))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
}
