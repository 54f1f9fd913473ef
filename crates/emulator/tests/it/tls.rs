//! A stable TLS identity: the CA in a data directory survives restarts (and new `--host` names),
//! the CA is downloadable without credentials, and an own certificate can be served.

use crate::common::{builder, install_provider, start_with};
use crate::files::fresh_dir;
use azkv_emulator::EmulatorHandle;
use serde_json::json;

/// A client that trusts only `ca_pem` and resolves `host` to the emulator.
fn client(ca_pem: &str, host: &str, emu: &EmulatorHandle) -> reqwest::Client {
    install_provider();
    reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
        .resolve(host, emu.addr())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_restart_on_the_same_data_directory_keeps_the_ca() {
    let dir = fresh_dir("tls");
    let first = builder().data_dir(&dir).start().await.unwrap();
    let ca = first.ca_pem().unwrap().to_owned();
    let http = client(&ca, "localhost", &first);
    let url = format!("https://localhost:{}/secrets/kept?api-version=2025-07-01", first.addr().port());
    let r = http
        .put(&url)
        .bearer_auth(first.issue_token())
        .body(json!({ "value": "v1" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    first.shutdown().await;

    // A new run, a new name: served from the same CA, which the client trusted once.
    let second = builder().data_dir(&dir).extra_host("newvault.localhost").start().await.unwrap();
    assert_eq!(second.ca_pem().unwrap(), ca);
    for host in ["localhost", "newvault.localhost"] {
        let http = client(&ca, host, &second);
        let url = format!("https://{host}:{}/secrets/kept?api-version=2025-07-01", second.addr().port());
        let r = http.get(&url).bearer_auth(second.issue_token()).send().await.unwrap();
        let expected = if host == "localhost" { 200 } else { 404 };
        assert_eq!(r.status(), expected, "{host}: the default vault holds the secret, newvault is empty");
    }
    // Another data directory has another CA, which this client does not trust.
    let other_dir = fresh_dir("tls-other");
    let other = builder().data_dir(&other_dir).start().await.unwrap();
    assert_ne!(other.ca_pem().unwrap(), ca);
    let r = client(&ca, "localhost", &other).get(format!("https://localhost:{}/", other.addr().port())).send().await;
    assert!(r.is_err(), "a CA from another directory is not trusted");
    second.shutdown().await;
    other.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other_dir);
}

#[tokio::test]
async fn the_ca_is_served_without_credentials() {
    let kv = start_with(builder()).await;
    let r = kv.http.get(format!("{}/_emulator/ca.pem", kv.emu.url())).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-pem-file");
    assert_eq!(r.text().await.unwrap(), kv.emu.ca_pem().unwrap());
    let plain = start_with(builder().tls(false)).await;
    let r = plain.http.get(format!("{}/_emulator/ca.pem", plain.emu.url())).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn an_own_certificate_is_served() {
    let dir = fresh_dir("own-cert");
    std::fs::create_dir_all(&dir).unwrap();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf =
        rcgen::CertificateParams::new(vec!["own.example".to_owned()]).unwrap().signed_by(&leaf_key, &issuer).unwrap();
    let (cert_path, key_path) = (dir.join("chain.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, format!("{}{}", leaf.pem(), ca_cert.pem())).unwrap();
    std::fs::write(&key_path, leaf_key.serialize_pem()).unwrap();

    let emu = builder().tls_files(&cert_path, &key_path).start().await.unwrap();
    assert_eq!(emu.ca_pem().unwrap().trim(), ca_cert.pem().trim());
    let http = client(&ca_cert.pem(), "own.example", &emu);
    let r = http.get(format!("https://own.example:{}/_emulator/health", emu.addr().port())).send().await.unwrap();
    assert_eq!(r.status(), 200);
    std::fs::write(&key_path, "not a key").unwrap();
    let e = builder().tls_files(&cert_path, &key_path).start().await.unwrap_err();
    assert!(matches!(e, azkv_emulator::Error::Tls(_)), "{e}");
    emu.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
