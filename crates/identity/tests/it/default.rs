//! DefaultAzureCredential: source selection through AZURE_TOKEN_CREDENTIALS and options.

use std::sync::Arc;

use azkv_identity::{CredentialOptions, DefaultAzureCredential, DefaultAzureCredentialOptions, MapEnv};
use azkv_pipeline::test_util::ManualTime;
use azkv_pipeline::{Error, TokenCredential, TokenRequestOptions};
use wiremock::MockServer;

use crate::common::{SCOPE, TENANT, TempDir, aad_token, mount_token_endpoint, options, transport};

fn with_env(pairs: &[(&str, &str)]) -> DefaultAzureCredentialOptions {
    DefaultAzureCredentialOptions::default()
        .with_credential(CredentialOptions::default().with_env(Arc::new(MapEnv::new(pairs.iter().copied()))))
}

fn names(options: DefaultAzureCredentialOptions) -> Vec<String> {
    DefaultAzureCredential::new(Some(options)).unwrap().source_names().into_iter().map(str::to_owned).collect()
}

#[test]
fn default_order() {
    assert_eq!(
        names(with_env(&[])),
        [
            "EnvironmentCredential",
            "WorkloadIdentityCredential",
            "ManagedIdentityCredential",
            "AzureCliCredential",
            "AzureDeveloperCliCredential"
        ]
    );
}

#[test]
fn azure_token_credentials_selects() {
    assert_eq!(
        names(with_env(&[("AZURE_TOKEN_CREDENTIALS", "dev")])),
        ["AzureCliCredential", "AzureDeveloperCliCredential"]
    );
    assert_eq!(
        names(with_env(&[("AZURE_TOKEN_CREDENTIALS", "PROD")])),
        ["EnvironmentCredential", "WorkloadIdentityCredential", "ManagedIdentityCredential"]
    );
    for one in [
        "EnvironmentCredential",
        "WorkloadIdentityCredential",
        "ManagedIdentityCredential",
        "AzureCliCredential",
        "AzureDeveloperCliCredential",
    ] {
        assert_eq!(names(with_env(&[("AZURE_TOKEN_CREDENTIALS", one)])), [one]);
    }
    assert_eq!(names(with_env(&[("AZURE_TOKEN_CREDENTIALS", " azureclicredential ")])), ["AzureCliCredential"]);
}

#[test]
fn unknown_azure_token_credentials_is_a_clear_error() {
    let e = DefaultAzureCredential::new(Some(with_env(&[("AZURE_TOKEN_CREDENTIALS", "staging")]))).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
    assert_eq!(
        e.to_string(),
        "invalid argument: AZURE_TOKEN_CREDENTIALS is \"staging\"; expected \"dev\", \"prod\" or one of \
         EnvironmentCredential, WorkloadIdentityCredential, ManagedIdentityCredential, AzureCliCredential, \
         AzureDeveloperCliCredential"
    );
}

#[test]
fn exclusions() {
    let mut o = with_env(&[]);
    o.exclude_environment_credential = true;
    o.exclude_managed_identity_credential = true;
    o.exclude_azure_developer_cli_credential = true;
    assert_eq!(names(o), ["WorkloadIdentityCredential", "AzureCliCredential"]);
    let mut o = with_env(&[("AZURE_TOKEN_CREDENTIALS", "dev")]);
    o.exclude_azure_cli_credential = true;
    o.exclude_azure_developer_cli_credential = true;
    let e = DefaultAzureCredential::new(Some(o)).unwrap_err();
    assert!(e.to_string().contains("every credential is excluded"), "{e}");
}

#[tokio::test]
async fn nothing_set_up_lists_every_source() {
    let dir = TempDir::new();
    let mut o = with_env(&[]);
    o.credential.transport = Some(transport());
    o.managed_identity.imds_endpoint = Some("http://127.0.0.1:1/metadata/identity/oauth2/token".into());
    o.azure_cli.program = Some(dir.path().join("az"));
    o.azure_developer_cli.program = Some(dir.path().join("azd"));
    let credential = DefaultAzureCredential::new(Some(o)).unwrap();
    let e = credential.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap_err();
    assert!(e.is_credential_unavailable());
    let text = e.to_string();
    for name in [
        "EnvironmentCredential",
        "WorkloadIdentityCredential",
        "ManagedIdentityCredential",
        "AzureCliCredential",
        "AzureDeveloperCliCredential",
    ] {
        assert!(text.contains(&format!("\n- {name}")), "{name} missing from: {text}");
    }
    assert!(text.contains("IMDS cannot be reached"), "{text}");
    assert!(text.contains("AZURE_TENANT_ID"), "{text}");
}

#[tokio::test]
async fn environment_credential_wins_when_configured() {
    let server = MockServer::start().await;
    mount_token_endpoint(&server, aad_token("env-token", 3600)).await;
    let clock = ManualTime::default();
    let env = MapEnv::new([("AZURE_TENANT_ID", TENANT), ("AZURE_CLIENT_ID", "app"), ("AZURE_CLIENT_SECRET", "s")]);
    let o = DefaultAzureCredentialOptions::default().with_credential(options(&server, env, &clock));
    let credential = DefaultAzureCredential::new(Some(o)).unwrap();
    let token = credential.get_token(&[SCOPE], &TokenRequestOptions::default()).await.unwrap();
    assert_eq!(token.token.expose(), "env-token");
    assert_eq!(credential.selected(), Some("EnvironmentCredential"));
}
