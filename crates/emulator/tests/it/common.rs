//! Helpers: start an emulator, a client that trusts its CA, JSON requests with a fresh strict-mode token.

use azkv_emulator::{Clock, Emulator, EmulatorBuilder, EmulatorHandle};
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::Value;

pub(crate) const API_VERSION: &str = "2025-07-01";
/// A fixed start time, so tests never depend on the wall clock.
pub(crate) const T0: i64 = 1_700_000_000;

pub(crate) fn install_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A builder with a frozen clock at [`T0`] (TLS and strict auth, the defaults).
pub(crate) fn builder() -> EmulatorBuilder {
    Emulator::builder().clock(Clock::fixed(T0))
}

/// A reqwest client trusting the emulator's CA (if any), with extra settings.
pub(crate) fn client_for(
    emu: &EmulatorHandle,
    extra: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
) -> reqwest::Client {
    install_provider();
    let mut b = reqwest::Client::builder().no_proxy();
    if let Some(pem) = emu.ca_pem() {
        b = b.tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()]);
    }
    extra(b).build().unwrap()
}

/// An emulator and a client for it.
pub(crate) struct Kv {
    pub(crate) emu: EmulatorHandle,
    pub(crate) http: reqwest::Client,
}

/// A response: status, headers and JSON body (`Null` when empty).
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Resp {
    pub(crate) fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    pub(crate) fn inner(&self) -> &str {
        self.body["error"]["innererror"]["code"].as_str().unwrap_or_default()
    }
}

pub(crate) async fn start() -> Kv {
    start_with(builder()).await
}

pub(crate) async fn start_with(b: EmulatorBuilder) -> Kv {
    let emu = b.start().await.unwrap();
    let http = client_for(&emu, |b| b);
    Kv { emu, http }
}

impl Kv {
    /// `url() + path`, with `api-version` appended.
    pub(crate) fn url(&self, path: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{}{path}{sep}api-version={API_VERSION}", self.emu.url())
    }

    /// Sends to an absolute URL with a fresh token.
    pub(crate) async fn send_url(&self, method: Method, url: &str, body: Option<Value>) -> Resp {
        let mut req = self.http.request(method, url).bearer_auth(self.emu.issue_token());
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(serde_json::to_vec(&b).unwrap());
        }
        to_resp(req.send().await.unwrap()).await
    }

    pub(crate) async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        self.send_url(method, &self.url(path), body).await
    }

    pub(crate) async fn get(&self, path: &str) -> Resp {
        self.call(Method::GET, path, None).await
    }

    pub(crate) async fn put(&self, path: &str, body: Value) -> Resp {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub(crate) async fn patch(&self, path: &str, body: Value) -> Resp {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub(crate) async fn post(&self, path: &str, body: Option<Value>) -> Resp {
        self.call(Method::POST, path, body).await
    }

    pub(crate) async fn delete(&self, path: &str) -> Resp {
        self.call(Method::DELETE, path, None).await
    }

    /// Sets `name` to `value` and returns the new version id.
    pub(crate) async fn set(&self, name: &str, value: &str) -> String {
        let r = self.put(&format!("/secrets/{name}"), serde_json::json!({ "value": value })).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body["id"].as_str().unwrap().rsplit('/').next().unwrap().to_owned()
    }

    /// A control request with the control credential (the identity header), no api-version.
    pub(crate) async fn control(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let (name, value) = self.emu.control_header();
        let mut req = self.http.request(method, format!("{}/_emulator/{path}", self.emu.url())).header(name, value);
        if let Some(b) = body {
            req = req.body(serde_json::to_vec(&b).unwrap());
        }
        to_resp(req.send().await.unwrap()).await
    }

    /// Moves the emulator clock through the control endpoint.
    pub(crate) async fn advance(&self, secs: i64) -> i64 {
        let r = self.control(Method::POST, "clock", Some(serde_json::json!({ "advance_secs": secs }))).await;
        assert_eq!(r.status, 200);
        r.body["now"].as_i64().unwrap()
    }
}

pub(crate) async fn to_resp(r: reqwest::Response) -> Resp {
    let status = r.status();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.unwrap();
    let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
    Resp { status, headers, body }
}
