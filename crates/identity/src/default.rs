//! The default chain: environment, workload identity, managed identity, Azure CLI, azd.

use std::sync::Arc;

use async_trait::async_trait;
use azkv_pipeline::{AccessToken, Error, Result, TokenCredential, TokenRequestOptions};

use crate::azd::{AzureDeveloperCliCredential, AzureDeveloperCliCredentialOptions};
use crate::chain::ChainedTokenCredential;
use crate::cli::{AzureCliCredential, AzureCliCredentialOptions};
use crate::environment::EnvironmentCredential;
use crate::managed::{ManagedIdentityCredential, ManagedIdentityCredentialOptions};
use crate::options::CredentialOptions;
use crate::variables::vars;
use crate::workload::{WorkloadIdentityCredential, WorkloadIdentityCredentialOptions};

/// Options for [`DefaultAzureCredential`].
///
/// `credential` (transport, authority, environment, clock) applies to every source and
/// replaces the `credential` and `time` fields of the per-source options below.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DefaultAzureCredentialOptions {
    /// Transport, authority, environment and clock for every source.
    pub credential: CredentialOptions,
    /// Leaves [`EnvironmentCredential`] out.
    pub exclude_environment_credential: bool,
    /// Leaves [`WorkloadIdentityCredential`] out.
    pub exclude_workload_identity_credential: bool,
    /// Leaves [`ManagedIdentityCredential`] out.
    pub exclude_managed_identity_credential: bool,
    /// Leaves [`AzureCliCredential`] out.
    pub exclude_azure_cli_credential: bool,
    /// Leaves [`AzureDeveloperCliCredential`] out.
    pub exclude_azure_developer_cli_credential: bool,
    /// Settings for workload identity (tenant, client id, token file).
    pub workload_identity: WorkloadIdentityCredentialOptions,
    /// Settings for managed identity (user-assigned id, endpoints). In a chain of several
    /// sources, IMDS is probed once with a short timeout.
    pub managed_identity: ManagedIdentityCredentialOptions,
    /// Settings for the Azure CLI (tenant, program, timeout).
    pub azure_cli: AzureCliCredentialOptions,
    /// Settings for the Azure Developer CLI (tenant, program, timeout).
    pub azure_developer_cli: AzureDeveloperCliCredentialOptions,
}

impl DefaultAzureCredentialOptions {
    /// These options with `credential` (transport, authority, environment, clock) for every source.
    pub fn with_credential(mut self, credential: CredentialOptions) -> Self {
        self.credential = credential;
        self
    }

    /// These options with `exclude_environment_credential`.
    pub fn with_exclude_environment_credential(mut self, exclude_environment_credential: bool) -> Self {
        self.exclude_environment_credential = exclude_environment_credential;
        self
    }

    /// These options with `exclude_workload_identity_credential`.
    pub fn with_exclude_workload_identity_credential(mut self, exclude_workload_identity_credential: bool) -> Self {
        self.exclude_workload_identity_credential = exclude_workload_identity_credential;
        self
    }

    /// These options with `exclude_managed_identity_credential`.
    pub fn with_exclude_managed_identity_credential(mut self, exclude_managed_identity_credential: bool) -> Self {
        self.exclude_managed_identity_credential = exclude_managed_identity_credential;
        self
    }

    /// These options with `exclude_azure_cli_credential`.
    pub fn with_exclude_azure_cli_credential(mut self, exclude_azure_cli_credential: bool) -> Self {
        self.exclude_azure_cli_credential = exclude_azure_cli_credential;
        self
    }

    /// These options with `exclude_azure_developer_cli_credential`.
    pub fn with_exclude_azure_developer_cli_credential(mut self, exclude_azure_developer_cli_credential: bool) -> Self {
        self.exclude_azure_developer_cli_credential = exclude_azure_developer_cli_credential;
        self
    }

    /// These options with `workload_identity`.
    pub fn with_workload_identity(mut self, workload_identity: WorkloadIdentityCredentialOptions) -> Self {
        self.workload_identity = workload_identity;
        self
    }

    /// These options with `managed_identity`.
    pub fn with_managed_identity(mut self, managed_identity: ManagedIdentityCredentialOptions) -> Self {
        self.managed_identity = managed_identity;
        self
    }

    /// These options with `azure_cli`.
    pub fn with_azure_cli(mut self, azure_cli: AzureCliCredentialOptions) -> Self {
        self.azure_cli = azure_cli;
        self
    }

    /// These options with `azure_developer_cli`.
    pub fn with_azure_developer_cli(mut self, azure_developer_cli: AzureDeveloperCliCredentialOptions) -> Self {
        self.azure_developer_cli = azure_developer_cli;
        self
    }
}

/// The sources, in order, with the names `AZURE_TOKEN_CREDENTIALS` accepts.
const SOURCES: [&str; 5] = [
    "EnvironmentCredential",
    "WorkloadIdentityCredential",
    "ManagedIdentityCredential",
    "AzureCliCredential",
    "AzureDeveloperCliCredential",
];

/// The credential for most applications: tries [`EnvironmentCredential`],
/// [`WorkloadIdentityCredential`], [`ManagedIdentityCredential`], [`AzureCliCredential`] and
/// [`AzureDeveloperCliCredential`] in order, as a [`ChainedTokenCredential`].
///
/// `AZURE_TOKEN_CREDENTIALS` narrows the chain: `dev` (the two CLIs), `prod` (environment,
/// workload identity, managed identity), or one source's name (that source alone). Sources can
/// also be excluded through [`DefaultAzureCredentialOptions`].
///
/// ```no_run
/// use azkv_identity::DefaultAzureCredential;
/// let credential = DefaultAzureCredential::new(None)?;
/// # Ok::<(), azkv_pipeline::Error>(())
/// ```
#[derive(Debug)]
pub struct DefaultAzureCredential {
    chain: ChainedTokenCredential,
}

impl DefaultAzureCredential {
    /// The default chain, narrowed by `AZURE_TOKEN_CREDENTIALS` and `options`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unknown `AZURE_TOKEN_CREDENTIALS` value, when every
    /// source is excluded, or when a source's settings are invalid.
    pub fn new(options: Option<DefaultAzureCredentialOptions>) -> Result<Self> {
        let options = options.unwrap_or_default();
        let env = options.credential.env();
        let mut wanted = match env.non_empty(vars::AZURE_TOKEN_CREDENTIALS) {
            None => [true; 5],
            Some(v) if v.eq_ignore_ascii_case("dev") => [false, false, false, true, true],
            Some(v) if v.eq_ignore_ascii_case("prod") => [true, true, true, false, false],
            Some(v) => match SOURCES.iter().position(|s| s.eq_ignore_ascii_case(&v)) {
                Some(i) => std::array::from_fn(|j| i == j),
                None => {
                    return Err(Error::invalid_argument(format!(
                        "AZURE_TOKEN_CREDENTIALS is {v:?}; expected \"dev\", \"prod\" or one of {}",
                        SOURCES.join(", ")
                    )));
                }
            },
        };
        let excluded = [
            options.exclude_environment_credential,
            options.exclude_workload_identity_credential,
            options.exclude_managed_identity_credential,
            options.exclude_azure_cli_credential,
            options.exclude_azure_developer_cli_credential,
        ];
        for (w, x) in wanted.iter_mut().zip(excluded) {
            *w &= !x;
        }
        let count = wanted.iter().filter(|w| **w).count();
        if count == 0 {
            return Err(Error::invalid_argument(
                "DefaultAzureCredential has no source left: every credential is excluded",
            ));
        }
        let mut common = options.credential;
        if common.additionally_allowed_tenants.is_empty() {
            common.additionally_allowed_tenants = crate::tenant::allowed_from_env(env.as_ref());
        }
        let mut sources: Vec<(String, Arc<dyn TokenCredential>)> = Vec::new();
        for (i, name) in SOURCES.iter().enumerate().filter(|(i, _)| wanted[*i]) {
            let source: Arc<dyn TokenCredential> = match i {
                0 => Arc::new(EnvironmentCredential::new(Some(common.clone()))?),
                1 => {
                    let o = WorkloadIdentityCredentialOptions {
                        credential: common.clone(),
                        ..options.workload_identity.clone()
                    };
                    Arc::new(WorkloadIdentityCredential::new(Some(o))?)
                }
                2 => {
                    let o = ManagedIdentityCredentialOptions {
                        credential: common.clone(),
                        probe_imds: count > 1,
                        ..options.managed_identity.clone()
                    };
                    Arc::new(ManagedIdentityCredential::new(Some(o))?)
                }
                3 => {
                    let o = AzureCliCredentialOptions {
                        time: common.time.clone(),
                        additionally_allowed_tenants: common.additionally_allowed_tenants.clone(),
                        ..options.azure_cli.clone()
                    };
                    Arc::new(AzureCliCredential::new(Some(o))?)
                }
                _ => {
                    let o = AzureDeveloperCliCredentialOptions {
                        time: common.time.clone(),
                        additionally_allowed_tenants: common.additionally_allowed_tenants.clone(),
                        ..options.azure_developer_cli.clone()
                    };
                    Arc::new(AzureDeveloperCliCredential::new(Some(o))?)
                }
            };
            sources.push(((*name).to_owned(), source));
        }
        Ok(Self { chain: ChainedTokenCredential::with_names(sources)? })
    }

    /// The sources this credential tries, in order.
    pub fn source_names(&self) -> Vec<&str> {
        self.chain.source_names()
    }

    /// The source that produced a token, once one has.
    pub fn selected(&self) -> Option<&str> {
        self.chain.selected()
    }
}

#[async_trait]
impl TokenCredential for DefaultAzureCredential {
    async fn get_token(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken> {
        match self.chain.get_token(scopes, options).await {
            Err(azkv_pipeline::Error::Credential { message, unavailable: true, source }) => {
                Err(azkv_pipeline::Error::Credential {
                    message: format!("{message}\n{ENABLE_HINT}"),
                    unavailable: true,
                    source,
                })
            }
            outcome => outcome,
        }
    }
}

/// How to make one source of the default chain available, for the error when none is.
const ENABLE_HINT: &str = "to enable one: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or \
AZURE_CLIENT_CERTIFICATE_PATH) for a service principal, run `az login` or `azd auth login` as a developer, or run \
where a managed identity is assigned (see docs/credentials.md)";
