//! ClientCertificateCredential: the RS256 client assertion, checked with ring.

use azkv_identity::{ClientCertificateCredential, ClientCertificateCredentialOptions, MapEnv};
use azkv_pipeline::TokenCredential;
use azkv_pipeline::TokenRequestOptions;
use azkv_pipeline::test_util::ManualTime;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use wiremock::MockServer;

use crate::common::{SCOPE, TENANT, aad_token, field, form, mount_token_endpoint, options};

const PEM: &str = include_str!("../data/cert_and_key.pem");
/// The test key's public half, written by `openssl rsa -RSAPublicKey_out -outform DER`.
const PUBLIC_KEY: &[u8] = include_bytes!("../data/public_rsa.der");
/// `openssl x509 -outform DER | openssl dgst -sha256 -binary | base64url`.
const THUMBPRINT: &str = "6vheGTkXVTwTJdniu8i-6d7eSCIFuXtBSvcNIuyxkxo";

async fn assertion_for(send_chain: Option<bool>, env: MapEnv) -> (String, MockServer, ManualTime) {
    let server = MockServer::start().await;
    mount_token_endpoint(&server, aad_token("cert-token", 3600)).await;
    let clock = ManualTime::default();
    let mut opts = ClientCertificateCredentialOptions::default().with_credential(options(&server, env, &clock));
    if let Some(send) = send_chain {
        opts = opts.with_send_certificate_chain(send);
    }
    let credential = ClientCertificateCredential::new(TENANT, "app-id", PEM, Some(opts)).unwrap();
    let token = credential.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap();
    assert_eq!(token.token.expose(), "cert-token");
    let form = form(&server, 0).await;
    assert_eq!(field(&form, "grant_type"), Some("client_credentials"));
    assert_eq!(field(&form, "client_id"), Some("app-id"));
    assert_eq!(field(&form, "scope"), Some(SCOPE));
    assert_eq!(field(&form, "client_assertion_type"), Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
    assert_eq!(field(&form, "client_secret"), None);
    (field(&form, "client_assertion").unwrap().to_owned(), server, clock)
}

fn decode(part: &str) -> serde_json::Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[tokio::test]
async fn assertion_is_an_rs256_jwt_signed_by_the_certificate_key() {
    let (assertion, server, clock) = assertion_for(None, MapEnv::default()).await;
    let parts: Vec<&str> = assertion.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header = decode(parts[0]);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["x5t#S256"], THUMBPRINT);
    assert!(header.get("x5c").is_none(), "{header}");

    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let key = ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, PUBLIC_KEY);
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature).expect("signature verifies");
    let mut tampered = format!("{}.{}", parts[0], parts[1]).into_bytes();
    tampered[5] ^= 1;
    assert!(key.verify(&tampered, &signature).is_err());

    let claims = decode(parts[1]);
    assert_eq!(claims["aud"], format!("{}/{TENANT}/oauth2/v2.0/token", server.uri()));
    assert_eq!(claims["iss"], "app-id");
    assert_eq!(claims["sub"], "app-id");
    assert!(uuid::Uuid::parse_str(claims["jti"].as_str().unwrap()).is_ok());
    let now = time::OffsetDateTime::from(clock.components().time_source.now()).unix_timestamp();
    assert_eq!(claims["nbf"], now);
    assert_eq!(claims["iat"], now);
    assert_eq!(claims["exp"], now + 600);
}

#[tokio::test]
async fn x5c_carries_the_chain_when_asked_by_option_or_environment() {
    let expected: Vec<String> =
        CertificateDer::pem_slice_iter(PEM.as_bytes()).map(|c| STANDARD.encode(c.unwrap().as_ref())).collect();
    let (assertion, ..) = assertion_for(Some(true), MapEnv::default()).await;
    let header = decode(assertion.split('.').next().unwrap());
    assert_eq!(header["x5c"], serde_json::json!(expected));

    let env = MapEnv::new([("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN", "true")]);
    let (assertion, ..) = assertion_for(None, env.clone()).await;
    assert_eq!(decode(assertion.split('.').next().unwrap())["x5c"], serde_json::json!(expected));

    let (assertion, ..) = assertion_for(Some(false), env).await;
    assert!(decode(assertion.split('.').next().unwrap()).get("x5c").is_none());
}
