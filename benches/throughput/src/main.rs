//! `throughput`: the loopback throughput harness run by `cargo xtask bench`.
//!
//! - `throughput run [--clients azkv,raw,raw-minimal]`: measures `get_secret` and `set_secret` for each client
//!   against the target named by `BENCH_VAULT_URL`, `BENCH_ADDR`, `BENCH_CA`, `BENCH_TOKEN`,
//!   one JSON line per cell on stdout (see `driver.rs`).
//! - `throughput blocks CLIENT`: the same target and client, run in blocks told on stdin (the
//!   protocol of `driver::serve_blocks`), as `cargo xtask bench` does.
//! - `throughput token`: prints a token from the emulator's managed-identity endpoint
//!   (`BENCH_TOKEN_ENDPOINT`, `BENCH_IDENTITY_HEADER`, `BENCH_CA`).
//! - `throughput serve-bare`: a bare hyper + rustls server answering every request with one fixed
//!   `SecretBundle` (the ceiling); prints one JSON ready line, exits when stdin closes.

mod bare;
mod driver;

use std::sync::Arc;

use azkv_identity::StaticTokenCredential;
use azkv_pipeline::transport::{TransportOptions, new_reqwest_client};
use azkv_secrets::SecretClient;
use driver::{GET_NAME, Operation, SET_NAME, Settings, Target, VALUE};

const API_VERSION: &str = "2025-07-01";

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let result = match args.first().map(String::as_str) {
        Some("run") => runtime.block_on(run(&args[1..])),
        Some("blocks") => blocks(&runtime, &args[1..]),
        Some("token") => runtime.block_on(token()),
        Some("serve-bare") => runtime.block_on(bare::serve()),
        _ => Err("usage: throughput run [--clients azkv,raw] | blocks CLIENT | token | serve-bare".into()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("throughput: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The transport settings every client here shares: the target's CA trusted, its vault host
/// resolved to its address.
fn transport_options(target: &Target) -> TransportOptions {
    TransportOptions::default()
        .with_root_certificate_pem(target.ca_pem.clone())
        .with_resolve(target.host.clone(), target.addr)
}

/// A reqwest client as azkv builds one (rustls with ring, HTTP/1.1 and HTTP/2) from those
/// settings.
fn reqwest_client(target: &Target) -> Result<reqwest::Client, String> {
    new_reqwest_client(&transport_options(target)).map_err(|e| e.to_string())
}

async fn token() -> Result<(), String> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let (endpoint, header, ca) = (var("BENCH_TOKEN_ENDPOINT")?, var("BENCH_IDENTITY_HEADER")?, var("BENCH_CA")?);
    let ca = std::fs::read(&ca).map_err(|e| format!("reading {ca}: {e}"))?;
    let client =
        new_reqwest_client(&TransportOptions::default().with_root_certificate_pem(ca)).map_err(|e| e.to_string())?;
    let response = client
        .get(format!("{endpoint}?resource=https://vault.azure.net&api-version=2019-08-01"))
        .header("X-IDENTITY-HEADER", header)
        .send()
        .await
        .map_err(|e| format!("token request: {e}"))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| format!("token response: {e}"))?;
    let body: serde_json::Value = serde_json::from_slice(&body).map_err(|e| format!("token response: {e}"))?;
    let token = body["access_token"].as_str().ok_or_else(|| format!("no access_token in the answer ({status})"))?;
    println!("{token}");
    Ok(())
}

async fn run(args: &[String]) -> Result<(), String> {
    let clients = match args {
        [] => vec!["azkv".to_owned(), "raw".to_owned()],
        [flag, list] if flag == "--clients" => list.split(',').map(str::to_owned).collect(),
        _ => return Err(format!("unexpected arguments {args:?}")),
    };
    let settings = Settings::from_env()?;
    let harness = Harness::new().await?;
    for op in settings.operations() {
        for client in &clients {
            driver::measure(client, &harness.target.label, op, &settings, harness.operation(client, op)?).await?;
        }
    }
    Ok(())
}

fn blocks(runtime: &tokio::runtime::Runtime, args: &[String]) -> Result<(), String> {
    let [client] = args else { return Err(format!("usage: throughput blocks CLIENT, not {args:?}")) };
    let harness = runtime.block_on(Harness::new())?;
    harness.operation(client, "get")?;
    driver::serve_blocks(runtime, client, &harness.target.label, &|op| harness.operation(client, op))
}

/// Every client's means of sending, against the target of the environment.
struct Harness {
    target: Target,
    azkv: SecretClient,
    raw: reqwest::Client,
    auth: String,
    get_url: String,
    set_url: String,
    set_body: bytes::Bytes,
    user_agent: String,
}

impl Harness {
    /// Builds the clients and writes the secret every `get` reads.
    async fn new() -> Result<Self, String> {
        let target = Target::from_env()?;
        let azkv = {
            let credential = StaticTokenCredential::new(
                target.token.clone(),
                time::OffsetDateTime::now_utc() + time::Duration::hours(1),
            );
            SecretClient::builder(&target.vault_url)
                .credential(Arc::new(credential))
                .transport_options(transport_options(&target))
                .build()
                .map_err(|e| e.to_string())?
        };
        let raw = reqwest_client(&target)?;
        let auth = format!("Bearer {}", target.token);
        let get_url = format!("{}/secrets/{GET_NAME}?api-version={API_VERSION}", target.vault_url);
        let set_url = format!("{}/secrets/{SET_NAME}?api-version={API_VERSION}", target.vault_url);
        let set_body = bytes::Bytes::from(serde_json::json!({ "value": VALUE }).to_string());
        let user_agent = azkv_pipeline::policies::UserAgentPolicy::new("azkv-secrets", azkv_secrets_version(), None)
            .value()
            .to_owned();
        let seed = raw
            .put(&get_url)
            .header("authorization", &auth)
            .header("content-type", "application/json")
            .body(set_body.clone())
            .send()
            .await
            .map_err(|e| format!("seeding {GET_NAME}: {e}"))?;
        if !seed.status().is_success() {
            return Err(format!("seeding {GET_NAME}: {}", seed.status()));
        }
        Ok(Self { target, azkv, raw, auth, get_url, set_url, set_body, user_agent })
    }

    /// `client`'s operation `op` (`get` or `set`).
    fn operation(&self, client: &str, op: &str) -> Result<Operation, String> {
        let is_get = op == "get";
        Ok(match client {
            "azkv" if is_get => {
                let c = self.azkv.clone();
                driver::operation(move |_| {
                    let c = c.clone();
                    async move { c.get_secret(GET_NAME).await.map(drop).map_err(|e| e.to_string()) }
                })
            }
            "azkv" => {
                let c = self.azkv.clone();
                driver::operation(move |_| {
                    let c = c.clone();
                    async move { c.set_secret(SET_NAME, VALUE, None).await.map(drop).map_err(|e| e.to_string()) }
                })
            }
            "azkv-transport" | "azkv-pipeline" => {
                // Layers of azkv alone, to split its cost: `azkv-transport` sends raw's exact
                // request through azkv's default transport (`HttpClient::execute`);
                // `azkv-pipeline` sends the client's request through its whole pipeline
                // (retry, bearer, logging) but decodes nothing.
                let transport = azkv_pipeline::transport::default_transport(&transport_options(&self.target))
                    .map_err(|e| e.to_string())?;
                let pipeline = self.azkv.pipeline().clone();
                let url: url::Url =
                    if is_get { self.get_url.parse() } else { self.set_url.parse() }.map_err(|e| format!("{e}"))?;
                let (auth, body, user_agent) = (self.auth.clone(), self.set_body.clone(), self.user_agent.clone());
                let whole = client == "azkv-pipeline";
                driver::operation(move |_| {
                    let method = if is_get { azkv_pipeline::Method::GET } else { azkv_pipeline::Method::PUT };
                    let mut request = azkv_pipeline::Request::new(method, url.clone());
                    request.headers.insert("accept", "application/json");
                    if !is_get {
                        request.headers.insert("content-type", "application/json");
                        request.body = body.clone();
                    }
                    if !whole {
                        request.headers.insert("authorization", auth.clone());
                        request.headers.insert("user-agent", user_agent.clone());
                        request.headers.insert("x-ms-client-request-id", request_id());
                    }
                    let (transport, pipeline) = (transport.clone(), pipeline.clone());
                    async move {
                        let response = if whole {
                            pipeline.send(&azkv_pipeline::Context::new(), &mut request).await
                        } else {
                            transport.execute(&request).await
                        }
                        .map_err(|e| e.to_string())?;
                        if !response.is_success() || response.body.is_empty() {
                            return Err(format!("status {}", response.status));
                        }
                        Ok(())
                    }
                })
            }
            "raw" | "raw-minimal" => {
                // `raw` sends exactly the requests azkv sends: the same headers (User-Agent,
                // Accept, a fresh x-ms-client-request-id per operation), token and body.
                // `raw-minimal` leaves out the SDK's headers, to show what they cost on the wire.
                let sdk_headers = client == "raw";
                let (c, auth, body, user_agent) =
                    (self.raw.clone(), self.auth.clone(), self.set_body.clone(), self.user_agent.clone());
                let url = if is_get { self.get_url.clone() } else { self.set_url.clone() };
                driver::operation(move |_| {
                    let mut request = if is_get {
                        c.get(&url).header("authorization", &auth)
                    } else {
                        c.put(&url)
                            .header("authorization", &auth)
                            .header("content-type", "application/json")
                            .body(body.clone())
                    };
                    if sdk_headers {
                        request = request
                            .header("user-agent", &user_agent)
                            .header("accept", "application/json")
                            .header("x-ms-client-request-id", request_id());
                    }
                    async move {
                        let response = request.send().await.map_err(|e| e.to_string())?;
                        let status = response.status();
                        let body = response.bytes().await.map_err(|e| e.to_string())?;
                        if !status.is_success() || body.is_empty() {
                            return Err(format!("status {status}"));
                        }
                        Ok(())
                    }
                })
            }
            other => {
                return Err(format!(
                    "unknown client `{other}` (azkv, raw, raw-minimal, azkv-transport, azkv-pipeline)"
                ));
            }
        })
    }
}

/// The azkv-secrets version azkv puts in its User-Agent (this package shares the workspace version).
fn azkv_secrets_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// A fresh random request id (UUID v4), as azkv sends one per operation. Like azkv, it takes its
/// bits from a per-thread generator rather than a system call per request.
fn request_id() -> String {
    use std::cell::Cell;
    thread_local!(static STATE: Cell<u64> = Cell::new(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1) | 1
    ));
    let next = || {
        STATE.with(|s| {
            let mut x = s.get();
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            s.set(x);
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        })
    };
    let bits = (u128::from(next()) << 64) | u128::from(next());
    uuid::Builder::from_random_bytes(bits.to_le_bytes()).into_uuid().to_string()
}
