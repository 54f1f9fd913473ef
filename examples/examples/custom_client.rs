//! For SDK authors: a tiny client for an Azure-style REST API, built from `azkv-pipeline` and
//! `azkv-identity` alone (no azkv-secrets). It gets retries, a client request id, the
//! User-Agent, redacted logging and bearer tokens from the `Pipeline`, and decodes JSON with
//! serde_json.
//!
//! The API it talks to is the emulator's vault routes (`PUT /secrets/{name}`,
//! `GET /secrets/{name}`, `GET /secrets` with `nextLink` paging), served over HTTPS with any
//! bearer token accepted (`AuthMode::Any`).
//!
//! ```sh
//! cargo run -p examples --example custom_client
//! ```

use std::sync::Arc;

use azkv_emulator::{AuthMode, Emulator};
use azkv_identity::StaticTokenCredential;
use azkv_pipeline::policies::BearerTokenPolicy;
use azkv_pipeline::transport::TransportOptions;
use azkv_pipeline::{ClientOptions, Context, Method, Pipeline, Request, Result, StatusCode, TokenCredential, Url};
use serde_json::{Value, json};

const API_VERSION: &str = "2025-07-01";

/// The client: an endpoint and a pipeline. Cheap to clone.
#[derive(Debug, Clone)]
struct NotesClient {
    endpoint: Url,
    pipeline: Pipeline,
}

impl NotesClient {
    fn new(endpoint: &str, credential: Arc<dyn TokenCredential>, options: ClientOptions) -> Result<Self> {
        let endpoint = Url::parse(endpoint).map_err(|e| azkv_pipeline::Error::invalid_argument(e.to_string()))?;
        // The client's own per-try policy: a bearer token for the service's scope.
        let auth = Arc::new(BearerTokenPolicy::new(credential, ["https://vault.azure.net/.default"]));
        let pipeline = Pipeline::new("notes-client", "0.1.0", options, vec![], vec![auth])?;
        Ok(Self { endpoint, pipeline })
    }

    fn request(&self, method: Method, path: &str) -> Request {
        let mut url = self.endpoint.clone();
        url.set_path(path);
        url.query_pairs_mut().append_pair("api-version", API_VERSION);
        let mut request = Request::new(method, url);
        request.headers.insert("accept", "application/json");
        request
    }

    async fn send(&self, operation: &'static str, mut request: Request) -> Result<Value> {
        let ctx = Context::new().with_operation(operation);
        // A non-2xx status comes back as a `Response`; turn it into `Error::Http`.
        self.pipeline.send(&ctx, &mut request).await?.error_for_status()?.json()
    }

    async fn put(&self, name: &str, text: &str) -> Result<()> {
        let mut request = self.request(Method::PUT, &format!("/secrets/{name}"));
        request.set_json(&json!({ "value": text, "contentType": "text/markdown" }))?;
        self.send("notes.put", request).await.map(drop)
    }

    async fn get(&self, name: &str) -> Result<String> {
        let body = self.send("notes.get", self.request(Method::GET, &format!("/secrets/{name}"))).await?;
        Ok(body["value"].as_str().unwrap_or_default().to_owned())
    }

    /// Every name, following `nextLink` from page to page.
    async fn names(&self, page_size: u32) -> Result<Vec<String>> {
        let mut request = self.request(Method::GET, "/secrets");
        request.url.query_pairs_mut().append_pair("maxresults", &page_size.to_string());
        let mut names = Vec::new();
        loop {
            let page = self.send("notes.list", request).await?;
            for item in page["value"].as_array().into_iter().flatten() {
                let id = item["id"].as_str().unwrap_or_default();
                names.extend(id.rsplit('/').next().map(str::to_owned));
            }
            let Some(next) = page["nextLink"].as_str().filter(|l| !l.is_empty()) else { return Ok(names) };
            let url = Url::parse(next).map_err(|e| azkv_pipeline::Error::decode("nextLink", e))?;
            ensure_same_origin(&self.endpoint, &url)?;
            request = Request::new(Method::GET, url);
            request.headers.insert("accept", "application/json");
        }
    }
}

/// Refuses a `nextLink` pointing elsewhere: the token must not follow it to another host.
fn ensure_same_origin(endpoint: &Url, next: &Url) -> Result<()> {
    if next.origin() == endpoint.origin() {
        Ok(())
    } else {
        Err(azkv_pipeline::Error::invalid_argument(format!(
            "nextLink leaves {}",
            endpoint.origin().ascii_serialization()
        )))
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::report(run().await)
}

async fn run() -> anyhow::Result<()> {
    let emulator = Emulator::builder().auth(AuthMode::Any).start().await?;
    println!("Service (the emulator, any token accepted) at {}.", emulator.url());

    // What the client's user passes: transport settings (here, trust the emulator's CA).
    let ca = emulator.ca_pem().expect("TLS is on").as_bytes().to_vec();
    let options =
        ClientOptions::default().with_transport_options(TransportOptions::default().with_root_certificate_pem(ca));
    let expires = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let credential = Arc::new(StaticTokenCredential::new("any-token-will-do", expires));
    let notes = NotesClient::new(emulator.url(), credential, options)?;

    for (name, text) in
        [("groceries", "- eggs"), ("todo", "- write docs"), ("ideas", "- a notes API"), ("books", "- Dune")]
    {
        notes.put(name, text).await?;
    }
    println!("Stored 4 notes; 'todo' reads {:?}.", notes.get("todo").await?);

    let names = notes.names(2).await?;
    println!("Listed 2 per page: {}", names.join(", "));
    anyhow::ensure!(names.len() == 4, "expected 4 notes");

    match notes.get("missing").await {
        Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => {
            println!("A missing note: {} ({})", e.status().unwrap_or_default(), e.error_code().unwrap_or("no code"));
        }
        other => anyhow::bail!("expected 404, got {other:?}"),
    }

    emulator.shutdown().await;
    Ok(())
}
