//! End to end over HTTPS with strict tokens: every fetching credential signs in to the
//! emulator's Microsoft Entra ID (or its managed-identity endpoints), and its token reads a
//! secret back through azkv's `SecretClient`. Failures carry the AAD error and never a secret.

use std::path::Path;
use std::sync::Arc;

use azkv_emulator::{Emulator, EmulatorHandle};
use azkv_identity::{
    AuthenticationError, AuthenticationErrorKind, ClientAssertionCredential, ClientCertificateCredential,
    ClientCertificateCredentialOptions, ClientSecretCredential, CredentialOptions, DefaultAzureCredential,
    DefaultAzureCredentialOptions, DeviceCodeCredential, DeviceCodeCredentialOptions, DeviceCodePrompt,
    EnvironmentCredential, ManagedIdentityCredential, ManagedIdentityCredentialOptions, MapEnv,
    WorkloadIdentityCredential, WorkloadIdentityCredentialOptions, vars,
};
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::transport::{TransportOptions, default_transport};
use azkv_pipeline::{HttpClient, TokenCredential, TokenRequestOptions};
use azkv_secrets::SecretClient;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::common::{SCOPE, TempDir};

pub(crate) const SECRET_APP: &str = "secret-app";
pub(crate) const CLIENT_SECRET: &str = "canary-client-secret";
pub(crate) const CERT_APP: &str = "cert-app";
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
/// The SHA-256 thumbprint of `tests/data/cert.pem`.
const THUMBPRINT: &str = "6vheGTkXVTwTJdniu8i-6d7eSCIFuXtBSvcNIuyxkxo";

/// An emulator in strict mode with a secret app and a certificate app, and a transport that
/// trusts its CA and resolves the vault's name to it.
pub(crate) struct Entra {
    pub(crate) emulator: Arc<EmulatorHandle>,
    pub(crate) transport: Arc<dyn HttpClient>,
}

impl Entra {
    pub(crate) async fn start() -> Self {
        let emulator = Emulator::builder()
            .app_secret(SECRET_APP, CLIENT_SECRET)
            .app_certificate(CERT_APP, include_str!("../data/cert.pem"))
            .start()
            .await
            .unwrap();
        let options = TransportOptions::default()
            .without_proxy()
            .with_root_certificate_pem(emulator.ca_pem().unwrap().as_bytes().to_vec())
            .with_resolve("entra.vault.azure.net", emulator.addr());
        let transport = default_transport(&options).unwrap();
        Self { emulator: Arc::new(emulator), transport }
    }

    pub(crate) fn tenant(&self) -> &str {
        self.emulator.tenant_id()
    }

    /// Options pointing at the emulator's authority through the trusting transport.
    pub(crate) fn options(&self, env: MapEnv) -> CredentialOptions {
        CredentialOptions::default()
            .with_transport(self.transport.clone())
            .with_authority_host(self.emulator.authority_host())
            .with_env(Arc::new(env))
    }

    /// Writes a secret and reads it back with `credential`'s tokens.
    pub(crate) async fn round_trip(&self, credential: Arc<dyn TokenCredential>) {
        let client = SecretClient::builder(self.emulator.vault_url("entra"))
            .credential(credential)
            .transport(self.transport.clone())
            .build()
            .unwrap();
        client.set_secret("signed-in", "yes", None).await.unwrap();
        assert_eq!(client.get_secret("signed-in").await.unwrap().value(), "yes");
    }
}

/// A client assertion for `client_id`, signed RS256 with `tests/data/key.pem`, for `audience`.
pub(crate) fn signed_assertion(client_id: &str, audience: &str) -> String {
    use rustls_pki_types::PrivateKeyDer;
    use rustls_pki_types::pem::PemObject;
    let PrivateKeyDer::Pkcs8(key) = PrivateKeyDer::from_pem_slice(include_bytes!("../data/key.pem")).unwrap() else {
        panic!("the test key is PKCS#8")
    };
    let key = ring::signature::RsaKeyPair::from_pkcs8(key.secret_pkcs8_der()).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t#S256": THUMBPRINT});
    let claims = serde_json::json!({"aud": audience, "iss": client_id, "sub": client_id,
        "jti": uuid::Uuid::new_v4().to_string(), "nbf": now - 10, "exp": now + 600});
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let mut signature = vec![0; key.public().modulus_len()];
    let rng = ring::rand::SystemRandom::new();
    key.sign(&ring::signature::RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut signature).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn token_endpoint(entra: &Entra) -> String {
    format!("{}/{}/oauth2/v2.0/token", entra.emulator.authority_host().trim_end_matches('/'), entra.tenant())
}

/// The AAD error of `e`, checking that nothing secret is in its text.
fn aad_error(e: &azkv_pipeline::Error) -> &AuthenticationError {
    let text = format!("{e} {e:?}");
    assert!(!text.contains("canary"), "leaked: {text}");
    AuthenticationError::of(e).unwrap_or_else(|| panic!("no AAD error in {e}"))
}

#[tokio::test]
async fn client_secret_signs_in_and_its_failures_are_typed() {
    let entra = Entra::start().await;
    let tenant = entra.tenant().to_owned();
    let good = ClientSecretCredential::new(&tenant, SECRET_APP, CLIENT_SECRET, Some(entra.options(MapEnv::default())));
    entra.round_trip(Arc::new(good.unwrap())).await;

    let wrong =
        ClientSecretCredential::new(&tenant, SECRET_APP, "canary-wrong", Some(entra.options(MapEnv::default())));
    let e = wrong.unwrap().get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
    let aad = aad_error(&e);
    assert_eq!(aad.kind(), AuthenticationErrorKind::InvalidClient, "{e}");
    assert!(aad.aadsts().is_some(), "{e}");

    let unknown = ClientSecretCredential::new(&tenant, "nobody", CLIENT_SECRET, Some(entra.options(MapEnv::default())));
    let e = unknown.unwrap().get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
    assert!(aad_error(&e).aadsts().is_some(), "{e}");

    let other_tenant =
        ClientSecretCredential::new("other-tenant", SECRET_APP, CLIENT_SECRET, Some(entra.options(MapEnv::default())));
    let e = other_tenant.unwrap().get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
    assert!(aad_error(&e).aadsts().is_some(), "{e}");
}

#[tokio::test]
async fn client_certificate_pem_signs_in() {
    let entra = Entra::start().await;
    let options = ClientCertificateCredentialOptions::default()
        .with_credential(entra.options(MapEnv::default()))
        .with_send_certificate_chain(true);
    let pem = Path::new(DATA).join("cert_and_key.pem");
    let c = ClientCertificateCredential::from_pem_file(entra.tenant(), CERT_APP, pem, Some(options)).unwrap();
    entra.round_trip(Arc::new(c)).await;

    // A certificate the app did not register is refused.
    let options = ClientCertificateCredentialOptions::default().with_credential(entra.options(MapEnv::default()));
    let c = ClientCertificateCredential::new(
        entra.tenant(),
        SECRET_APP,
        include_str!("../data/cert_and_key.pem"),
        Some(options),
    );
    let e = c.unwrap().get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
    assert!(aad_error(&e).aadsts().is_some(), "{e}");
}

#[cfg(feature = "pkcs12")]
#[tokio::test]
async fn client_certificate_pkcs12_with_and_without_password_signs_in() {
    let entra = Entra::start().await;
    for (file, password) in [("cert_password.pfx", Some("canary-pfx-password")), ("cert_no_password.pfx", None)] {
        let options = ClientCertificateCredentialOptions::default().with_credential(entra.options(MapEnv::default()));
        let path = Path::new(DATA).join(file);
        let c = ClientCertificateCredential::from_file(entra.tenant(), CERT_APP, path, password, Some(options));
        entra.round_trip(Arc::new(c.unwrap())).await;
    }
    // Through the environment, with its password.
    let env = MapEnv::new([
        (vars::AZURE_TENANT_ID, entra.tenant().to_owned()),
        (vars::AZURE_CLIENT_ID, CERT_APP.to_owned()),
        (vars::AZURE_CLIENT_CERTIFICATE_PATH, format!("{DATA}/cert_password.pfx")),
        (vars::AZURE_CLIENT_CERTIFICATE_PASSWORD, "canary-pfx-password".to_owned()),
        (vars::AZURE_CLIENT_SEND_CERTIFICATE_CHAIN, "true".to_owned()),
    ]);
    let c = EnvironmentCredential::new(Some(entra.options(env))).unwrap();
    entra.round_trip(Arc::new(c)).await;
}

#[tokio::test]
async fn client_assertion_and_workload_identity_sign_in() {
    let entra = Entra::start().await;
    let audience = token_endpoint(&entra);
    let callback_audience = audience.clone();
    let c = ClientAssertionCredential::from_fn(
        entra.tenant(),
        CERT_APP,
        move || {
            let assertion = signed_assertion(CERT_APP, &callback_audience);
            async move { Ok(assertion) }
        },
        Some(entra.options(MapEnv::default())),
    )
    .unwrap();
    entra.round_trip(Arc::new(c)).await;

    // A federated token file becomes the client assertion.
    let dir = TempDir::new();
    let file = dir.write("token", &signed_assertion(CERT_APP, &audience));
    let options = WorkloadIdentityCredentialOptions::default()
        .with_credential(entra.options(MapEnv::default()))
        .with_tenant_id(entra.tenant())
        .with_client_id(CERT_APP)
        .with_token_file_path(file);
    entra.round_trip(Arc::new(WorkloadIdentityCredential::new(Some(options)).unwrap())).await;

    // An assertion for another client is refused, typed.
    let bad = signed_assertion("someone-else", &audience);
    let c = ClientAssertionCredential::from_fn(
        entra.tenant(),
        CERT_APP,
        move || {
            let bad = bad.clone();
            async move { Ok(bad) }
        },
        Some(entra.options(MapEnv::default())),
    )
    .unwrap();
    let e = c.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
    assert!(aad_error(&e).aadsts().is_some(), "{e}");
}

#[tokio::test]
async fn environment_client_secret_signs_in() {
    let entra = Entra::start().await;
    let env = MapEnv::new([
        (vars::AZURE_TENANT_ID, entra.tenant()),
        (vars::AZURE_CLIENT_ID, SECRET_APP),
        (vars::AZURE_CLIENT_SECRET, CLIENT_SECRET),
    ]);
    entra.round_trip(Arc::new(EnvironmentCredential::new(Some(entra.options(env))).unwrap())).await;
}

#[tokio::test]
async fn device_code_is_approved_through_the_emulator_and_cached() {
    let entra = Entra::start().await;
    let emulator = entra.emulator.clone();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let prompt = DeviceCodePrompt::new_async(move |info| {
        let (emulator, record) = (emulator.clone(), record.clone());
        async move {
            assert_eq!(emulator.pending_device_codes(), std::slice::from_ref(&info.user_code));
            emulator.approve_device_code(&info.user_code).unwrap();
            record.lock().unwrap().push(info);
        }
    });
    let clock = ManualTime::new(std::time::SystemTime::now());
    let options = DeviceCodeCredentialOptions::default()
        .with_credential(entra.options(MapEnv::default()).with_time(clock.components()))
        .with_tenant_id(entra.tenant())
        .with_prompt(prompt);
    let credential = Arc::new(DeviceCodeCredential::new(Some(options)).unwrap());
    entra.round_trip(credential.clone()).await;
    credential.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "one prompt for every call");
    assert!(seen[0].message.contains(&seen[0].user_code), "{}", seen[0].message);
}

fn managed(entra: &Entra, env: MapEnv, inject_transport: bool) -> ManagedIdentityCredential {
    let credential = if inject_transport {
        CredentialOptions::default().with_transport(entra.transport.clone()).with_env(Arc::new(env))
    } else {
        CredentialOptions::default().with_env(Arc::new(env))
    };
    ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions::default().with_credential(credential)))
        .unwrap()
}

#[tokio::test]
async fn managed_identity_from_every_emulated_source() {
    let entra = Entra::start().await;
    let header = entra.emulator.identity_header().to_owned();
    let app_service = MapEnv::new([
        (vars::IDENTITY_ENDPOINT, entra.emulator.token_endpoint()),
        (vars::IDENTITY_HEADER, header.clone()),
    ]);
    let azure_ml =
        MapEnv::new([(vars::MSI_ENDPOINT, entra.emulator.azure_ml_endpoint()), (vars::MSI_SECRET, header.clone())]);
    for (env, name) in [(app_service, "AppService"), (azure_ml, "AzureMl")] {
        let credential = managed(&entra, env, true);
        assert_eq!(credential.source_name(), name);
        entra.round_trip(Arc::new(credential)).await;
    }
    let imds = ManagedIdentityCredentialOptions::default()
        .with_credential(
            CredentialOptions::default().with_transport(entra.transport.clone()).with_env(Arc::new(MapEnv::default())),
        )
        .with_imds_endpoint(entra.emulator.imds_endpoint());
    entra.round_trip(Arc::new(ManagedIdentityCredential::new(Some(imds)).unwrap())).await;

    // Service Fabric: no transport injected, so only the pinned thumbprint makes the emulator's
    // certificate trusted.
    let thumbprint = entra.emulator.server_thumbprint().unwrap().to_owned();
    let service_fabric = |thumbprint: String| {
        MapEnv::new([
            (vars::IDENTITY_ENDPOINT, entra.emulator.service_fabric_endpoint()),
            (vars::IDENTITY_HEADER, header.clone()),
            (vars::IDENTITY_SERVER_THUMBPRINT, thumbprint),
        ])
    };
    let credential = managed(&entra, service_fabric(thumbprint), false);
    assert_eq!(credential.source_name(), "ServiceFabric");
    entra.round_trip(Arc::new(credential)).await;
    let pinned_elsewhere = managed(&entra, service_fabric("AB".repeat(20)), false);
    let e = pinned_elsewhere.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
    assert!(e.connection_kind().is_some(), "the wrong certificate is refused: {e}");
}

#[tokio::test]
async fn the_default_chain_picks_each_source_in_turn() {
    let entra = Entra::start().await;
    let header = entra.emulator.identity_header().to_owned();
    let dir = TempDir::new();
    let file = dir.write("token", &signed_assertion(CERT_APP, &token_endpoint(&entra)));
    let tenant = entra.tenant().to_owned();
    let cases: [(Vec<(&str, String)>, &str); 3] = [
        (
            vec![
                (vars::AZURE_TENANT_ID, tenant.clone()),
                (vars::AZURE_CLIENT_ID, SECRET_APP.into()),
                (vars::AZURE_CLIENT_SECRET, CLIENT_SECRET.into()),
            ],
            "EnvironmentCredential",
        ),
        (
            vec![
                (vars::AZURE_TENANT_ID, tenant.clone()),
                (vars::AZURE_CLIENT_ID, CERT_APP.into()),
                (vars::AZURE_FEDERATED_TOKEN_FILE, file.display().to_string()),
            ],
            "WorkloadIdentityCredential",
        ),
        (
            vec![(vars::IDENTITY_ENDPOINT, entra.emulator.token_endpoint()), (vars::IDENTITY_HEADER, header)],
            "ManagedIdentityCredential",
        ),
    ];
    for (env, expected) in cases {
        let options = DefaultAzureCredentialOptions::default()
            .with_credential(entra.options(MapEnv::new(env)))
            .with_exclude_azure_cli_credential(true)
            .with_exclude_azure_developer_cli_credential(true);
        let credential = Arc::new(DefaultAzureCredential::new(Some(options)).unwrap());
        entra.round_trip(credential.clone()).await;
        assert_eq!(credential.selected(), Some(expected));
    }
}
