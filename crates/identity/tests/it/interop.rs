//! Microsoft's `azure_identity` against the emulator's Microsoft Entra ID (feature `azure-interop`):
//! its credentials sign in there and their tokens read a secret through azkv's `SecretClient`
//! (`AzureCoreToAzkv`); azkv's credentials drive `azure_core` clients (`AzkvToAzureCore`). Every
//! `azure_core` request goes through [`AzkvTransport`], which trusts the emulator's CA and refuses
//! any origin but the emulator's, so nothing can reach `login.microsoftonline.com`.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use azkv_identity::{AzkvToAzureCore, AzureCoreToAzkv, ClientSecretCredential, MapEnv};
use azkv_pipeline::{HttpClient, TokenCredential as _, TokenRequestOptions};
use azkv_secrets::SecretClient;
use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential as AzTokenCredential};
use azure_core::error::ErrorKind;
use azure_core::http::headers::Headers;
use azure_core::http::{AsyncRawResponse, Body, ClientMethodOptions, ClientOptions, Request, RetryOptions, Transport};

use azure_security_keyvault_secrets::SecretClientOptions;

use crate::common::SCOPE;
use crate::entra::{CERT_APP, CLIENT_SECRET, Entra, SECRET_APP, signed_assertion};

/// `azure_core`'s transport seam over azkv's: the emulator's CA trusted, its vault names resolved
/// to it, and every origin but `allowed` refused before anything is sent.
#[derive(Debug)]
pub(crate) struct AzkvTransport {
    inner: Arc<dyn HttpClient>,
    allowed: Vec<String>,
    seen: Mutex<Vec<String>>,
}

impl AzkvTransport {
    pub(crate) fn new(inner: Arc<dyn HttpClient>, allowed: &[String]) -> Arc<Self> {
        let allowed = allowed.iter().map(|u| origin(&u.parse().unwrap())).collect();
        Arc::new(Self { inner, allowed, seen: Mutex::new(Vec::new()) })
    }

    /// The origin and path of every request, refused ones included.
    pub(crate) fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    /// `azure_core` client options sending through this transport, without retries (which would
    /// wait on the wall clock).
    pub(crate) fn client_options(self: &Arc<Self>) -> ClientOptions {
        ClientOptions {
            transport: Some(Transport::new(self.clone())),
            retry: RetryOptions::none(),
            ..Default::default()
        }
    }
}

fn origin(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

#[async_trait]
impl azure_core::http::HttpClient for AzkvTransport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let url = request.url();
        self.seen.lock().unwrap().push(format!("{}{}", origin(url), url.path()));
        if !self.allowed.contains(&origin(url)) {
            return Err(azure_core::Error::with_message(
                ErrorKind::Other,
                format!("refused: {} is not the emulator", origin(url)),
            ));
        }
        let method = azkv_pipeline::Method::from_bytes(request.method().as_str().as_bytes()).unwrap();
        let mut ours = azkv_pipeline::Request::new(method, url.clone());
        for (name, value) in request.headers().iter() {
            ours.headers.append(name.as_str(), value.as_str());
        }
        ours.body = match request.body() {
            Body::Bytes(bytes) => bytes.clone(),
            Body::SeekableStream(_) => return Err(azure_core::Error::with_message(ErrorKind::Io, "streamed body")),
        };
        let response = self.inner.execute(&ours).await.map_err(|e| azure_core::Error::new(ErrorKind::Io, e))?;
        let mut headers = Headers::new();
        for (name, value) in response.headers.iter() {
            headers.insert(name.to_owned(), value.to_owned());
        }
        Ok(AsyncRawResponse::from_bytes(response.status.as_u16().into(), headers, response.body))
    }
}

/// Client options for an `azure_identity` credential: the emulator as its authority (a custom
/// cloud) and [`AzkvTransport`], which lets only the emulator's origin through.
fn identity_options(entra: &Entra) -> (ClientOptions, Arc<AzkvTransport>) {
    let transport = AzkvTransport::new(entra.transport.clone(), &[entra.emulator.authority_host()]);
    let mut cloud = CustomConfiguration::default();
    cloud.authority_host = entra.emulator.authority_host();
    let mut options = transport.client_options();
    options.cloud = Some(Arc::new(CloudConfiguration::Custom(cloud)));
    (options, transport)
}

/// Asserts that `transport` carried token requests, each to the emulator's token endpoint.
fn only_token_requests(entra: &Entra, transport: &AzkvTransport) {
    let endpoint =
        format!("{}/{}/oauth2/v2.0/token", entra.emulator.authority_host().trim_end_matches('/'), entra.tenant());
    let seen = transport.seen();
    assert!(!seen.is_empty(), "no request went through the transport");
    assert!(seen.iter().all(|s| *s == endpoint), "{seen:?}");
}

fn microsoft_client_secret(
    entra: &Entra,
    secret: &str,
) -> (Arc<azure_identity::ClientSecretCredential>, Arc<AzkvTransport>) {
    let (client_options, transport) = identity_options(entra);
    let options = azure_identity::ClientSecretCredentialOptions { client_options };
    let credential = azure_identity::ClientSecretCredential::new(
        entra.tenant(),
        SECRET_APP.to_owned(),
        Secret::new(secret.to_owned()),
        Some(options),
    )
    .unwrap();
    (credential, transport)
}

/// A client assertion signed with the certificate registered for [`CERT_APP`].
#[derive(Debug)]
struct SignedAssertion {
    audience: String,
}

#[async_trait]
impl azure_identity::ClientAssertion for SignedAssertion {
    async fn secret(&self, _options: Option<ClientMethodOptions<'_>>) -> azure_core::Result<String> {
        Ok(signed_assertion(CERT_APP, &self.audience))
    }
}

#[tokio::test]
async fn microsofts_client_secret_credential_signs_in_and_azkv_reads_with_its_token() {
    let entra = Entra::start().await;
    let (credential, transport) = microsoft_client_secret(&entra, CLIENT_SECRET);
    let token = AzTokenCredential::get_token(&*credential, &[SCOPE], None).await.unwrap();
    assert!(!token.token.secret().is_empty());
    assert!(token.expires_on > azure_core::time::OffsetDateTime::now_utc());
    assert!(!format!("{credential:?}").contains(CLIENT_SECRET));

    let ours = AzureCoreToAzkv::new(credential);
    let again = ours.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap();
    assert_eq!(again.token.expose(), token.token.secret(), "the adapter hands on the same token");
    entra.round_trip(Arc::new(ours)).await;
    only_token_requests(&entra, &transport);
}

#[tokio::test]
async fn microsofts_client_assertion_credential_signs_in_and_azkv_reads_with_its_token() {
    let entra = Entra::start().await;
    let (client_options, transport) = identity_options(&entra);
    let audience =
        format!("{}/{}/oauth2/v2.0/token", entra.emulator.authority_host().trim_end_matches('/'), entra.tenant());
    let credential = azure_identity::ClientAssertionCredential::new(
        entra.tenant().to_owned(),
        CERT_APP.to_owned(),
        SignedAssertion { audience },
        Some(azure_identity::ClientAssertionCredentialOptions { client_options }),
    )
    .unwrap();
    entra.round_trip(Arc::new(AzureCoreToAzkv::new(credential))).await;
    only_token_requests(&entra, &transport);
}

#[tokio::test]
async fn the_transport_refuses_every_origin_but_the_emulators() {
    let entra = Entra::start().await;
    let transport = AzkvTransport::new(entra.transport.clone(), &[entra.emulator.authority_host()]);
    let mut client_options = transport.client_options();
    // The public cloud's authority, which the transport must refuse.
    client_options.cloud = Some(Arc::new(CloudConfiguration::AzurePublic));
    let options = azure_identity::ClientSecretCredentialOptions { client_options };
    let credential = azure_identity::ClientSecretCredential::new(
        entra.tenant(),
        SECRET_APP.to_owned(),
        Secret::new(CLIENT_SECRET.to_owned()),
        Some(options),
    )
    .unwrap();
    let e = AzTokenCredential::get_token(&*credential, &[SCOPE], None).await.unwrap_err();
    assert!(e.to_string().contains("refused"), "{e}");
    assert_eq!(transport.seen(), [format!("https://login.microsoftonline.com/{}/oauth2/v2.0/token", entra.tenant())]);
}

/// azkv's `SecretClient` on `credential`, for the emulator's vault `entra`.
fn azkv_client(entra: &Entra, credential: Arc<dyn azkv_pipeline::TokenCredential>) -> SecretClient {
    SecretClient::builder(entra.emulator.vault_url("entra"))
        .credential(credential)
        .transport(entra.transport.clone())
        .build()
        .unwrap()
}

/// Microsoft's `SecretClient` on `credential`, for the emulator's vault `entra`, challenge resource
/// verification on, sending only to the vault's origin.
fn microsoft_client(
    entra: &Entra,
    credential: Arc<dyn AzTokenCredential>,
) -> (azure_security_keyvault_secrets::SecretClient, Arc<AzkvTransport>) {
    let url = entra.emulator.vault_url("entra");
    let transport = AzkvTransport::new(entra.transport.clone(), std::slice::from_ref(&url));
    let options = SecretClientOptions { client_options: transport.client_options(), ..Default::default() };
    (azure_security_keyvault_secrets::SecretClient::new(&url, credential, Some(options)).unwrap(), transport)
}

/// azkv's `ClientSecretCredential` signing in to the emulator with `secret`.
fn azkv_client_secret(entra: &Entra, secret: &str) -> Arc<ClientSecretCredential> {
    Arc::new(
        ClientSecretCredential::new(entra.tenant(), SECRET_APP, secret, Some(entra.options(MapEnv::default())))
            .unwrap(),
    )
}

async fn microsoft_get(
    client: &azure_security_keyvault_secrets::SecretClient,
    name: &str,
) -> azure_core::Result<Option<String>> {
    Ok(client.get_secret(name, None).await?.into_model()?.value)
}

#[tokio::test]
async fn an_azkv_credential_drives_microsofts_secret_client() {
    let entra = Entra::start().await;
    let credential = azkv_client_secret(&entra, CLIENT_SECRET);
    azkv_client(&entra, credential.clone()).set_secret("shared", "written-by-azkv", None).await.unwrap();

    let (client, transport) = microsoft_client(&entra, Arc::new(AzkvToAzureCore::new(credential)));
    assert_eq!(microsoft_get(&client, "shared").await.unwrap().as_deref(), Some("written-by-azkv"));
    // The challenge (sent without a token), then the authorized read; an empty version leaves a `/`.
    let vault = format!("{}/secrets/shared/", entra.emulator.vault_url("entra"));
    assert_eq!(transport.seen(), [vault.clone(), vault]);
}

#[tokio::test]
async fn a_wrong_secret_fails_in_microsofts_credential_with_its_aad_code_through_both_adapters() {
    let entra = Entra::start().await;
    let (credential, transport) = microsoft_client_secret(&entra, "canary-wrong");
    let e = AzTokenCredential::get_token(&*credential, &[SCOPE], None).await.unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(!text.contains("canary"), "leaked: {text}");
    assert_eq!(*e.kind(), ErrorKind::Credential, "{e}");
    assert!(e.to_string().contains("AADSTS7000215"), "{e}");
    // azure_identity 1.0.0 reads `error_description` as a borrowed `&str`, which cannot hold a JSON
    // escape; the service's (and the emulator's) description ends in `\r\nTrace ID: ...`, so the
    // error is a `DataConversion` quoting the description, not `HttpResponse { 401, "7000215" }`.
    // When an upgrade fixes that, this assertion fails: assert the status and code instead.
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<azure_core::Error>()).unwrap_or_else(|| panic!("{e:?}"));
    assert!(matches!(inner.kind(), ErrorKind::DataConversion), "{inner:?}");
    assert!(inner.to_string().contains("expected a borrowed string"), "{inner}");
    only_token_requests(&entra, &transport);

    // Through `AzureCoreToAzkv`, azkv's client fails with it before reaching the vault.
    let client = azkv_client(&entra, Arc::new(AzureCoreToAzkv::new(credential)));
    let e = client.get_secret("anything").await.unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(!text.contains("canary"), "leaked: {text}");
    let azkv_secrets::Error::Credential(ours) = &e else { panic!("a credential error, not the vault's: {e:?}") };
    assert!(!ours.is_credential_unavailable() && ours.to_string().contains("AADSTS7000215"), "{ours}");
}

#[tokio::test]
async fn a_wrong_secret_fails_in_azkvs_credential_with_its_aad_code_in_microsofts_client() {
    let entra = Entra::start().await;
    let credential = Arc::new(AzkvToAzureCore::new(azkv_client_secret(&entra, "canary-wrong")));
    let (client, _) = microsoft_client(&entra, credential);
    let e = microsoft_get(&client, "anything").await.unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(!text.contains("canary"), "leaked: {text}");
    assert_eq!(*e.kind(), ErrorKind::Credential, "{e}");
    let ours = e.get_ref().and_then(|i| i.downcast_ref::<azkv_pipeline::Error>()).unwrap_or_else(|| panic!("{e:?}"));
    let aad = azkv_identity::AuthenticationError::of(ours).unwrap_or_else(|| panic!("no AAD error in {ours}"));
    assert_eq!(aad.kind(), azkv_identity::AuthenticationErrorKind::InvalidClient, "{ours}");
    assert_eq!(aad.aadsts(), Some(7000215), "{ours}");
}

/// A revoked token is refused by the vault in both directions. Neither adapter can tell the other
/// side's cache to refresh, so the cached (revoked) token is sent again and the 401 comes back.
#[tokio::test]
async fn a_revoked_token_is_refused_in_both_directions() {
    let entra = Entra::start().await;
    let (theirs, _) = microsoft_client_secret(&entra, CLIENT_SECRET);
    let azkv = azkv_client(&entra, Arc::new(AzureCoreToAzkv::new(theirs)));
    azkv.set_secret("shared", "v", None).await.unwrap();
    let (microsoft, _) =
        microsoft_client(&entra, Arc::new(AzkvToAzureCore::new(azkv_client_secret(&entra, CLIENT_SECRET))));
    assert_eq!(microsoft_get(&microsoft, "shared").await.unwrap().as_deref(), Some("v"));

    entra.emulator.revoke_tokens();
    let e = azkv.get_secret("shared").await.unwrap_err();
    assert!(matches!(e, azkv_secrets::Error::Unauthorized(_)), "{e:?}");
    let e = microsoft_get(&microsoft, "shared").await.unwrap_err();
    assert_eq!(e.http_status().map(u16::from), Some(401), "{e}");
}
