//! End to end against the embedded emulator: HTTPS with a per-run CA, strict tokens from its
//! managed-identity endpoint, `https://{name}.vault.azure.net` resolved to it, and challenge
//! resource verification on. Every operation, as a user would call it.

use std::sync::Arc;

use azkv_emulator::{Emulator, EmulatorHandle};
use azkv_identity::{CredentialOptions, ManagedIdentityCredential, ManagedIdentityCredentialOptions, MapEnv};
use azkv_pipeline::transport::{TransportOptions, default_transport};
use azkv_secrets::{Error, ListOptions, SecretClient, SetSecretOptions, UpdateSecretProperties};
use futures::TryStreamExt;

/// A managed identity pointed at the emulator's token endpoint as App Service would set it up,
/// sending through `transport`.
fn app_service_identity(
    emulator: &EmulatorHandle,
    transport: Arc<dyn azkv_pipeline::HttpClient>,
) -> ManagedIdentityCredential {
    let env = MapEnv::new([
        (azkv_identity::vars::IDENTITY_ENDPOINT, emulator.token_endpoint()),
        (azkv_identity::vars::IDENTITY_HEADER, emulator.identity_header().to_owned()),
    ]);
    ManagedIdentityCredential::new(Some(
        ManagedIdentityCredentialOptions::default()
            .with_credential(CredentialOptions::default().with_transport(transport).with_env(Arc::new(env))),
    ))
    .unwrap()
}

async fn emulated(vault: &str) -> (SecretClient, EmulatorHandle) {
    let emulator = Emulator::builder().start().await.unwrap();
    let transport_options = TransportOptions::default()
        .without_proxy()
        .with_root_certificate_pem(emulator.ca_pem().unwrap().as_bytes().to_vec())
        .with_resolve(format!("{vault}.vault.azure.net"), emulator.addr());
    let transport = default_transport(&transport_options).unwrap();
    let credential = app_service_identity(&emulator, transport.clone());
    let client = SecretClient::builder(emulator.vault_url(vault))
        .credential(Arc::new(credential))
        .transport(transport)
        .build()
        .unwrap();
    (client, emulator)
}

#[tokio::test]
async fn every_operation_against_the_emulator() {
    let (client, emulator) = emulated("e2e").await;
    assert!(client.vault_url().starts_with("https://e2e.vault.azure.net:"));

    // set, get, versions
    let first = client
        .set_secret(
            "db-password",
            "v1",
            Some(SetSecretOptions::default().with_content_type("text/plain").with_tag("env", "test")),
        )
        .await
        .unwrap();
    let second = client.set_secret("db-password", "v2", None).await.unwrap();
    assert_ne!(first.properties.version, second.properties.version);
    assert_eq!(first.properties.content_type.as_deref(), Some("text/plain"));
    assert_eq!(first.properties.tags.get("env").map(String::as_str), Some("test"));
    assert_eq!(client.get_secret("db-password").await.unwrap().value(), "v2");
    let v1 = first.properties.version.clone().unwrap();
    assert_eq!(client.get_secret_version("db-password", Some(&v1), None).await.unwrap().value(), "v1");
    let versions: Vec<_> = client.list_properties_of_secret_versions("db-password", None).try_collect().await.unwrap();
    assert_eq!(versions.len(), 2);

    // update keeps the value; a disabled version cannot be read
    let props = client
        .update_secret_properties("db-password", Some(&v1), UpdateSecretProperties::default().with_enabled(false))
        .await
        .unwrap();
    assert_eq!(props.enabled, Some(false));
    let err = client.get_secret_version("db-password", Some(&v1), None).await.unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)) && err.inner_code() == Some("SecretDisabled"), "{err:?}");

    // paging over several pages
    for i in 0..5 {
        client.set_secret(&format!("page-{i}"), "x", None).await.unwrap();
    }
    let names = crate::support::secret_names(&client, ListOptions::default().with_max_page_size(2)).await;
    assert_eq!(names.len(), 6, "{names:?}");

    // backup, delete, conflict on set, recover, delete again, purge, restore
    let backup = client.backup_secret("db-password").await.unwrap();
    let deleted = client.begin_delete_secret("db-password").await.unwrap().await.unwrap();
    assert!(deleted.recovery_id.is_some());
    assert!(matches!(client.get_secret("db-password").await.unwrap_err(), Error::NotFound(_)));
    let conflict = client.set_secret("db-password", "v3", None).await.unwrap_err();
    assert_eq!(conflict.inner_code(), Some("ObjectIsDeletedButRecoverable"), "{conflict:?}");
    let listed: Vec<_> = client.list_deleted_secrets(None).try_collect().await.unwrap();
    assert!(listed.iter().any(|d| d.name() == "db-password"));
    assert_eq!(client.get_deleted_secret("db-password").await.unwrap().name(), "db-password");
    client.begin_recover_deleted_secret("db-password").await.unwrap().await.unwrap();
    assert_eq!(client.get_secret("db-password").await.unwrap().value(), "v2");
    client.begin_delete_secret("db-password").await.unwrap().await.unwrap();
    client.purge_deleted_secret("db-password").await.unwrap();
    let restored = client.restore_secret_backup(&backup).await.unwrap();
    assert_eq!(restored.name, "db-password");
    assert_eq!(client.get_secret("db-password").await.unwrap().value(), "v2");
    assert!(matches!(client.restore_secret_backup(&backup).await.unwrap_err(), Error::Conflict(_)));

    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_client_against_the_emulator() {
    let (client, emulator) = emulated("blocking").await;
    // The emulator runs on this test's runtime; the blocking client runs on its own thread.
    let blocking = tokio::task::spawn_blocking(move || {
        let client = azkv_secrets::blocking::SecretClient::from_async(client).unwrap();
        client.set_secret("b", "value", None).unwrap();
        let value = client.get_secret("b").unwrap().value().to_owned();
        client.begin_delete_secret("b").unwrap().wait().unwrap();
        value
    })
    .await
    .unwrap();
    assert_eq!(blocking, "value");
    emulator.shutdown().await;
}

/// Our own client against every auth mode: each operation works, the first write included
/// (in `none` mode the emulator answers the bodiless discovery request with the challenge).
#[tokio::test]
async fn every_operation_in_every_auth_mode() {
    use azkv_emulator::AuthMode;
    for mode in [AuthMode::None, AuthMode::Any, AuthMode::Strict] {
        let (client, emulator) =
            azkv_secrets::emulator::emulated_client_with(Emulator::builder().auth(mode), "modes").await.unwrap();
        let set = client.set_secret("a", "v1", None).await.unwrap_or_else(|e| panic!("{mode}: set: {e}"));
        assert_eq!(client.get_secret("a").await.unwrap().value(), "v1", "{mode}");
        let version = set.properties.version.clone().unwrap();
        assert_eq!(client.get_secret_version("a", Some(&version), None).await.unwrap().value(), "v1", "{mode}");
        let changes = UpdateSecretProperties::default().with_content_type("text/plain");
        client.update_secret_properties("a", None, changes).await.unwrap_or_else(|e| panic!("{mode}: update: {e}"));
        let listed: Vec<_> = client.list_properties_of_secrets(None).try_collect().await.unwrap();
        assert_eq!(listed.len(), 1, "{mode}");
        let backup = client.backup_secret("a").await.unwrap();
        client.begin_delete_secret("a").await.unwrap().await.unwrap();
        client.get_deleted_secret("a").await.unwrap();
        client.begin_recover_deleted_secret("a").await.unwrap().await.unwrap();
        client.begin_delete_secret("a").await.unwrap().await.unwrap();
        let deleted: Vec<_> = client.list_deleted_secrets(None).try_collect().await.unwrap();
        assert_eq!(deleted.len(), 1, "{mode}");
        client.purge_deleted_secret("a").await.unwrap_or_else(|e| panic!("{mode}: purge: {e}"));
        let restored = client.restore_secret_backup(&backup).await.unwrap_or_else(|e| panic!("{mode}: restore: {e}"));
        assert_eq!(restored.name, "a", "{mode}");
        emulator.shutdown().await;
    }
}

/// A strict emulator revokes the managed identity's still-valid token: the next call gets a new
/// token from the credential (past its own cache) and succeeds.
#[tokio::test]
async fn a_revoked_token_is_replaced_through_the_managed_identity() {
    let (client, emulator) = emulated("revoke").await;
    client.set_secret("a", "v", None).await.unwrap();
    emulator.revoke_tokens();
    assert_eq!(client.get_secret("a").await.unwrap().value(), "v", "a fresh token, after one 401");
    client.set_secret("a", "w", None).await.unwrap();
    emulator.shutdown().await;
}

/// Proxy settings never take loopback traffic: with every request told to use a (counting)
/// proxy, a client and its App Service managed identity on a loopback emulator over plain http
/// set and get a secret, and the proxy sees no connection.
#[tokio::test]
async fn a_proxy_never_sees_loopback_traffic_or_the_identity_header() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    tokio::spawn(async move {
        while let Ok((_stream, _)) = proxy.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
        }
    });
    let emulator = Emulator::builder().tls(false).start().await.unwrap();
    let proxied = TransportOptions::default()
        .with_proxy(azkv_pipeline::transport::ExplicitProxy::new(&proxy_url).unwrap().with_basic_auth("u", "p"));
    let transport = default_transport(&proxied).unwrap();
    let credential = app_service_identity(&emulator, transport.clone());
    let client = SecretClient::builder(emulator.url())
        .credential(Arc::new(credential))
        .transport(transport)
        .verify_challenge_resource(false)
        .build()
        .unwrap();
    client.set_secret("a", "v", None).await.unwrap();
    assert_eq!(client.get_secret("a").await.unwrap().value(), "v");
    assert_eq!(connections.load(Ordering::SeqCst), 0, "the proxy saw loopback traffic");
    emulator.shutdown().await;
}

/// A stand-in `CONNECT` proxy on 127.0.0.1 that tunnels every connection to `to`: returns its
/// URL, the request heads it read, and every byte the client sent inside the tunnels.
async fn tunnelling_proxy(
    to: std::net::SocketAddr,
) -> (String, Arc<std::sync::Mutex<Vec<String>>>, Arc<std::sync::Mutex<Vec<u8>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let heads = Arc::new(std::sync::Mutex::new(Vec::new()));
    let inside = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (seen_heads, seen_inside) = (heads.clone(), inside.clone());
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let (heads, inside) = (seen_heads.clone(), seen_inside.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match client.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                heads.lock().unwrap().push(String::from_utf8_lossy(&head).into_owned());
                let server = tokio::net::TcpStream::connect(to).await.unwrap();
                client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await.unwrap();
                let (mut from_client, mut to_client) = client.into_split();
                let (mut from_server, mut to_server) = server.into_split();
                tokio::spawn(async move { tokio::io::copy(&mut from_server, &mut to_client).await });
                loop {
                    match from_client.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            inside.lock().unwrap().extend_from_slice(&buf[..n]);
                            if to_server.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
    (url, heads, inside)
}

/// A vault by its remote name behind an authenticating `CONNECT` proxy: every connection to it
/// is a tunnel asked for with the proxy's credentials, the token travels only inside TLS, and
/// the managed-identity endpoint on loopback is reached directly.
#[tokio::test]
async fn a_vault_behind_a_connect_proxy_is_reached_through_a_tunnel() {
    let emulator = Emulator::builder().start().await.unwrap();
    let (proxy_url, heads, inside) = tunnelling_proxy(emulator.addr()).await;
    let options = TransportOptions::default()
        .with_root_certificate_pem(emulator.ca_pem().unwrap().as_bytes().to_vec())
        .with_proxy(azkv_pipeline::transport::ExplicitProxy::new(&proxy_url).unwrap().with_basic_auth("u", "p"));
    let transport = default_transport(&options).unwrap();
    let credential = app_service_identity(&emulator, transport.clone());
    let client = SecretClient::builder(emulator.vault_url("behind"))
        .credential(Arc::new(credential))
        .transport(transport)
        .build()
        .unwrap();
    client.set_secret("a", "tunnelled-value", None).await.unwrap();
    assert_eq!(client.get_secret("a").await.unwrap().value(), "tunnelled-value");

    let port = emulator.addr().port();
    let heads = heads.lock().unwrap().clone();
    assert!(!heads.is_empty(), "the vault was reached through the proxy");
    for head in &heads {
        assert_eq!(
            head,
            &format!(
                "CONNECT behind.vault.azure.net:{port} HTTP/1.1\r\nHost: behind.vault.azure.net:{port}\r\n\
                 Proxy-Authorization: Basic dTpw\r\n\r\n"
            ),
            "only the vault is tunnelled, never the loopback token endpoint"
        );
    }
    // A copy: the proxy's tasks, on this thread, still lock it.
    let inside = inside.lock().unwrap().clone();
    assert!(inside.len() > 1000, "a TLS exchange went through the tunnel");
    for plain in [&b"Bearer"[..], b"tunnelled-value", b"authorization"] {
        assert!(!inside.windows(plain.len()).any(|w| w == plain), "{:?} crossed the proxy in clear", plain);
    }
    emulator.shutdown().await;
}
