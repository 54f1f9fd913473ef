//! PKCS#12 (`.pfx`) certificates, with and without a password, through the credential and the
//! environment; EC keys refused saying why; wrong passwords named without echoing them.

use azkv_identity::{ClientCertificateCredential, ClientCertificateCredentialOptions, EnvironmentCredential, MapEnv};
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::{Error, TokenCredential, TokenRequestOptions};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use wiremock::MockServer;

use crate::common::{SCOPE, TENANT, aad_token, field, form, mount_token_endpoint, options};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
/// `openssl pkcs12 -export -in cert.pem -inkey key.pem -passout pass:canary-pfx-password`.
const WITH_PASSWORD: &[u8] = include_bytes!("../data/cert_password.pfx");
/// The same with `-passout pass:`.
const NO_PASSWORD: &[u8] = include_bytes!("../data/cert_no_password.pfx");
/// The same with `-legacy` (3DES and RC2, as older Windows and Key Vault exports).
const LEGACY: &[u8] = include_bytes!("../data/cert_legacy.pfx");
const PASSWORD: &str = "canary-pfx-password";
/// The SHA-256 thumbprint of `cert.pem`, as in `client_certificate.rs`.
const THUMBPRINT: &str = "6vheGTkXVTwTJdniu8i-6d7eSCIFuXtBSvcNIuyxkxo";

fn header_of(form: &[(String, String)]) -> serde_json::Value {
    let assertion = field(form, "client_assertion").unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(assertion.split('.').next().unwrap()).unwrap()).unwrap()
}

async fn sign_in(credential: &dyn TokenCredential, server: &MockServer) -> serde_json::Value {
    let token = credential.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap();
    assert_eq!(token.token.expose(), "pfx-token");
    header_of(&form(server, 0).await)
}

#[tokio::test]
async fn pfx_with_and_without_password_sign_like_the_pem() {
    for (pfx, password) in [(WITH_PASSWORD, Some(PASSWORD)), (NO_PASSWORD, None), (LEGACY, Some(PASSWORD))] {
        let server = MockServer::start().await;
        mount_token_endpoint(&server, aad_token("pfx-token", 3600)).await;
        let clock = ManualTime::default();
        let opts = ClientCertificateCredentialOptions::default()
            .with_credential(options(&server, MapEnv::default(), &clock))
            .with_send_certificate_chain(true);
        let c = ClientCertificateCredential::from_pkcs12(TENANT, "app", pfx, password, Some(opts)).unwrap();
        let header = sign_in(&c, &server).await;
        assert_eq!(header["x5t#S256"], THUMBPRINT);
        assert_eq!(header["x5c"].as_array().map(Vec::len), Some(1), "{header}");
        assert!(!format!("{c:?}").contains("canary"));
    }
}

#[tokio::test]
async fn the_environment_reads_a_pfx_with_its_password_and_sends_the_chain() {
    let server = MockServer::start().await;
    mount_token_endpoint(&server, aad_token("pfx-token", 3600)).await;
    let clock = ManualTime::default();
    let env = MapEnv::new([
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", "app"),
        ("AZURE_CLIENT_CERTIFICATE_PATH", &format!("{DATA}/cert_password.pfx")),
        ("AZURE_CLIENT_CERTIFICATE_PASSWORD", PASSWORD),
        ("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN", "true"),
    ]);
    let c = EnvironmentCredential::new(Some(options(&server, env, &clock))).unwrap();
    let header = sign_in(&c, &server).await;
    assert_eq!(header["x5t#S256"], THUMBPRINT);
    assert!(header.get("x5c").is_some(), "{header}");
    assert!(!format!("{c:?}").contains("canary"));
}

#[tokio::test]
async fn wrong_or_missing_passwords_are_named_never_echoed() {
    for password in [Some("canary-wrong"), None] {
        let e = ClientCertificateCredential::from_pkcs12(TENANT, "app", WITH_PASSWORD, password, None).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
        let text = e.to_string();
        assert!(text.contains("password is wrong") && !text.contains("canary"), "{text}");
    }
    let e = ClientCertificateCredential::from_pkcs12(TENANT, "app", b"not a pfx", None, None).unwrap_err();
    assert!(e.to_string().contains("PKCS#12"), "{e}");
    let env = MapEnv::new([
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", "app"),
        ("AZURE_CLIENT_CERTIFICATE_PATH", &format!("{DATA}/cert_password.pfx")),
        ("AZURE_CLIENT_CERTIFICATE_PASSWORD", "canary-wrong"),
    ]);
    let c = EnvironmentCredential::new(Some(
        azkv_identity::CredentialOptions::default().with_env(std::sync::Arc::new(env)),
    ))
    .unwrap();
    let e = c.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
    assert!(!e.is_credential_unavailable() && e.to_string().contains("password is wrong"), "{e}");
    assert!(!format!("{e:?}").contains("canary"), "{e:?}");
}

#[test]
fn ec_keys_are_refused_because_entra_does_not_accept_them() {
    let pem = std::fs::read(format!("{DATA}/ec_cert_and_key.pem")).unwrap();
    let e = ClientCertificateCredential::new(TENANT, "app", &pem, None).unwrap_err().to_string();
    assert!(e.contains("elliptic-curve") && e.contains("Microsoft Entra ID does not accept"), "{e}");
    let e = ClientCertificateCredential::from_file(TENANT, "app", format!("{DATA}/ec.pfx"), None, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("elliptic-curve") && e.contains("RSA"), "{e}");
    assert!(!e.contains("MII"), "{e}");
}

#[test]
fn from_file_tells_pem_from_pkcs12() {
    let pem = ClientCertificateCredential::from_file(TENANT, "app", format!("{DATA}/cert_and_key.pem"), None, None);
    assert!(pem.is_ok());
    let pfx = ClientCertificateCredential::from_file(
        TENANT,
        "app",
        format!("{DATA}/cert_password.pfx"),
        Some(PASSWORD),
        None,
    );
    assert!(pfx.is_ok());
    let e =
        ClientCertificateCredential::from_file(TENANT, "app", format!("{DATA}/missing.pfx"), None, None).unwrap_err();
    assert!(e.to_string().contains("missing.pfx"), "{e}");
}
