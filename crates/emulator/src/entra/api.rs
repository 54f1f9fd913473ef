//! The emulated tenant on [`EmulatorBuilder`] and [`EmulatorHandle`]: registered applications, device codes,
//! the authority host and the managed-identity endpoints.

use super::lock;
use crate::builder::EmulatorBuilder;
use crate::handle::EmulatorHandle;

impl EmulatorBuilder {
    /// Registers a confidential client `client_id` with a client secret in the emulator's tenant
    /// (repeat to add secrets or applications). Checked by `start`.
    pub fn app_secret(mut self, client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.entra.secrets.push((client_id.into(), secret.into()));
        self
    }

    /// Registers a certificate (PEM; its thumbprints come from its DER) for the client `client_id`, whose
    /// client assertions it then verifies. Checked by `start`.
    pub fn app_certificate(mut self, client_id: impl Into<String>, cert_pem: impl Into<String>) -> Self {
        self.entra.certificates.push((client_id.into(), cert_pem.into()));
        self
    }

    /// Approve every device code as soon as it is issued (default off: a control approves each one).
    pub fn device_code_auto_approve(mut self, on: bool) -> Self {
        self.entra.auto_approve = on;
        self
    }
}

impl EmulatorHandle {
    /// The authority host to give credentials (`https://127.0.0.1:PORT`): the emulated Entra ID serves
    /// `{authority_host}/{tenant}/oauth2/v2.0/token` and the rest under it. Turn instance discovery off.
    pub fn authority_host(&self) -> String {
        self.url.clone()
    }

    /// The emulator's tenant id (the builder's `tenant`).
    pub fn tenant_id(&self) -> &str {
        &self.app.tenant
    }

    /// Registers a client secret for `client_id` while running, as `POST /_emulator/apps` does.
    ///
    /// # Errors
    ///
    /// [`crate::Error::InvalidOption`] for an empty or oversized id or secret, or too many registrations.
    pub fn register_app_secret(&self, client_id: impl Into<String>, secret: impl Into<String>) -> crate::Result<()> {
        let (id, secret) = (client_id.into(), secret.into());
        super::controls::register(&self.app, &id, Some(&secret), None).map_err(crate::Error::InvalidOption)
    }

    /// Registers a certificate (PEM) for `client_id` while running, as `POST /_emulator/apps` does.
    ///
    /// # Errors
    ///
    /// [`crate::Error::InvalidOption`] for a bad client id or a PEM that holds no X.509 certificate.
    pub fn register_app_certificate(
        &self,
        client_id: impl Into<String>,
        cert_pem: impl Into<String>,
    ) -> crate::Result<()> {
        let (id, pem) = (client_id.into(), cert_pem.into());
        super::controls::register(&self.app, &id, None, Some(&pem)).map_err(crate::Error::InvalidOption)
    }

    /// Approves the pending device code whose user code is `user_code`, as
    /// `POST /_emulator/devicecodes/approve` does; the client's next poll gets its tokens.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Control`] when no unexpired device code has that user code.
    pub fn approve_device_code(&self, user_code: &str) -> crate::Result<()> {
        lock(&self.app.entra.devices).approve(user_code, self.app.clock.now()).map_err(crate::Error::Control)
    }

    /// The user codes of device codes waiting for approval (unexpired), oldest first.
    pub fn pending_device_codes(&self) -> Vec<String> {
        lock(&self.app.entra.devices).pending(self.app.clock.now())
    }

    /// The IMDS token endpoint, `{url}/metadata/identity/oauth2/token` (send `Metadata: true`). Clients
    /// that take an IMDS host instead (Python's `AZURE_POD_IDENTITY_AUTHORITY_HOST`) take [`Self::url`].
    pub fn imds_endpoint(&self) -> String {
        format!("{}{}", self.url, super::routes::IMDS_PATH)
    }

    /// The Service Fabric token endpoint (`IDENTITY_ENDPOINT`); its `secret` header is
    /// [`EmulatorHandle::identity_header`] (`IDENTITY_HEADER`).
    pub fn service_fabric_endpoint(&self) -> String {
        format!("{}{}", self.url, super::routes::SERVICE_FABRIC_PATH)
    }

    /// The SHA-1 thumbprint (uppercase hex) of the certificate the emulator serves, which Service Fabric
    /// clients pin (`IDENTITY_SERVER_THUMBPRINT`); `None` without TLS.
    pub fn server_thumbprint(&self) -> Option<&str> {
        self.server_thumbprint.as_deref()
    }

    /// The Azure ML token endpoint (`MSI_ENDPOINT`); its `secret` header is
    /// [`EmulatorHandle::identity_header`] (`MSI_SECRET`).
    pub fn azure_ml_endpoint(&self) -> String {
        format!("{}{}", self.url, super::routes::AZURE_ML_PATH)
    }
}
