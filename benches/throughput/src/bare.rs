//! The ceiling: a bare hyper 1 server on tokio-rustls, with the same kind of certificate as the
//! emulator (a per-run rcgen CA and a leaf for `*.vault.azure.net`, ring, ALPN h2 and
//! http/1.1), answering every request with one fixed `SecretBundle` after reading its body.
//! No routing, no token check, no store; a request without an `Authorization` header gets Key
//! Vault's `401` challenge, so that the SDKs learn the vault's scope once (as against a real
//! vault) and then send tokens, rather than sending every request without one.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

fn tls() -> Result<(String, Arc<rustls::ServerConfig>), String> {
    let e = |e: rcgen::Error| e.to_string();
    let ca_key = KeyPair::generate().map_err(e)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca_params.distinguished_name.push(DnType::CommonName, "bare ceiling CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_cert = ca_params.self_signed(&ca_key).map_err(e)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().map_err(e)?;
    let mut leaf_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "*.vault.azure.net".to_owned()])
            .map_err(e)?;
    leaf_params.distinguished_name.push(DnType::CommonName, "bare ceiling");
    leaf_params.use_authority_key_identifier_extension = true;
    leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf_params.signed_by(&leaf_key, &issuer).map_err(e)?;
    let chain = vec![CertificateDer::from(leaf_cert.der().to_vec()), CertificateDer::from(ca_cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((ca_cert.pem(), Arc::new(config)))
}

/// Key Vault's challenge, as the emulator sends it.
const CHALLENGE: &str = r#"Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net""#;
const UNAUTHORIZED: &[u8] =
    br#"{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}}"#;

/// Serves until stdin closes.
pub(crate) async fn serve() -> Result<(), String> {
    let (ca_pem, config) = tls()?;
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let ca_path = std::env::temp_dir().join(format!("throughput-bare-{}-ca.pem", addr.port()));
    std::fs::write(&ca_path, ca_pem).map_err(|e| format!("writing {}: {e}", ca_path.display()))?;
    let bundle = Bytes::from(
        serde_json::json!({
            "value": crate::driver::VALUE,
            "id": format!("https://benchvault.vault.azure.net/secrets/{}/4387e9f3d6e14c459867679a90fd0f79", crate::driver::GET_NAME),
            "attributes": {"enabled": true, "created": 1_700_000_000, "updated": 1_700_000_000, "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90}
        })
        .to_string(),
    );
    println!("{}", serde_json::json!({"ready": true, "url": format!("https://{addr}"), "ca_path": ca_path}));
    // Exit when the parent closes our stdin (or dies).
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    let acceptor = TlsAcceptor::from(config);
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let _ = stream.set_nodelay(true);
        let (acceptor, builder, bundle) = (acceptor.clone(), builder.clone(), bundle.clone());
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(stream).await else { return };
            let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let bundle = bundle.clone();
                async move {
                    let authorized = req.headers().contains_key(hyper::header::AUTHORIZATION);
                    let _ = req.into_body().collect().await;
                    let response = if authorized {
                        hyper::Response::builder()
                            .header("content-type", "application/json; charset=utf-8")
                            .body(Full::new(bundle))
                    } else {
                        hyper::Response::builder()
                            .status(401)
                            .header("www-authenticate", CHALLENGE)
                            .header("content-type", "application/json; charset=utf-8")
                            .body(Full::new(Bytes::from_static(UNAUTHORIZED)))
                    }
                    .expect("a valid response");
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = builder.serve_connection(TokioIo::new(tls), service).await;
        });
    }
}
