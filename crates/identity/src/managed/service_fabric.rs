//! Service Fabric: `IDENTITY_ENDPOINT`, `IDENTITY_HEADER` and `IDENTITY_SERVER_THUMBPRINT`; the
//! cluster's token service presents a self-signed certificate, trusted by its thumbprint alone.

use std::sync::Arc;

use azkv_pipeline::transport::TransportOptions;
use azkv_pipeline::{AccessToken, Error, HttpClient, Method, Request, Result, Secret, Url};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::{Shared, endpoint_url, parse_response, token_url};
use crate::http::{Retry, send};

const WHAT: &str = "ManagedIdentityCredential (Service Fabric)";

/// GET `{IDENTITY_ENDPOINT}?api-version=2019-07-01-preview&resource=...` with the header
/// `secret: {IDENTITY_HEADER}`.
#[derive(Debug)]
pub(crate) struct ServiceFabric {
    shared: Shared,
    endpoint: Url,
    header: Secret,
}

impl ServiceFabric {
    /// A source for `endpoint`. Unless the caller injected a transport, requests go through one
    /// that trusts exactly the certificate whose SHA-1 (or SHA-256) thumbprint is `thumbprint`.
    pub(crate) fn new(
        mut shared: Shared,
        injected_transport: bool,
        endpoint: &str,
        header: Secret,
        thumbprint: &str,
    ) -> Result<Self> {
        let thumbprint = parse_thumbprint(thumbprint)?;
        if !injected_transport {
            shared.http = pinned_transport(thumbprint)?;
        }
        Ok(Self { shared, endpoint: endpoint_url("IDENTITY_ENDPOINT", endpoint)?, header })
    }

    pub(crate) async fn get_token(&self, resource: &str) -> Result<AccessToken> {
        let id = self.shared.user_assigned_id.as_ref();
        let url = token_url(&self.endpoint, "2019-07-01-preview", resource, id, "mi_res_id");
        let mut request = Request::new(Method::GET, url);
        request.headers.insert("secret", self.header.expose());
        let response = send(&self.shared.http, &request, &self.shared.time, Retry::AAD).await?;
        if !response.is_success() {
            return Err(service_fabric_error(&response));
        }
        parse_response(&response, self.shared.time.now_utc(), WHAT)
    }
}

/// Service Fabric's error body is `{"error": {"code", "message"}}`; only those are quoted.
fn service_fabric_error(response: &azkv_pipeline::Response) -> Error {
    #[derive(serde::Deserialize)]
    struct Body {
        error: Inner,
    }
    #[derive(serde::Deserialize)]
    struct Inner {
        code: String,
        #[serde(default)]
        message: Option<String>,
    }
    match serde_json::from_slice::<Body>(&response.body) {
        Ok(Body { error }) => Error::credential(format!(
            "{WHAT}: authentication failed (HTTP {}, {}){}",
            response.status.as_u16(),
            error.code,
            error.message.map(|m| format!(": {}", m.lines().next().unwrap_or("").trim())).unwrap_or_default()
        )),
        Err(_) => crate::aad::error_from_response(response, WHAT),
    }
}

/// A thumbprint: 40 (SHA-1) or 64 (SHA-256) hex digits, `:` or spaces allowed between them.
fn parse_thumbprint(text: &str) -> Result<Vec<u8>> {
    let hex: String = text.chars().filter(|c| !matches!(c, ':' | ' ')).collect();
    let bad = || Error::invalid_argument("IDENTITY_SERVER_THUMBPRINT must be 40 or 64 hexadecimal digits");
    if !(hex.len() == 40 || hex.len() == 64) || !hex.is_ascii() {
        return Err(bad());
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad())).collect()
}

/// A transport whose TLS accepts only the certificate with `thumbprint`, never through a
/// proxy, with no redirects followed (the default transport follows none).
fn pinned_transport(thumbprint: Vec<u8>) -> Result<Arc<dyn HttpClient>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(ThumbprintVerifier { thumbprint, provider });
    let options = TransportOptions::default().without_proxy().with_server_verifier(verifier);
    azkv_pipeline::transport::default_transport(&options)
        .map_err(|e| Error::invalid_argument(format!("{WHAT}: the HTTP client cannot be built: {e}")))
}

/// Trusts one certificate, named by its SHA-1 or SHA-256 thumbprint (the token service's
/// self-signed certificate, whose name need not match the endpoint's host); the handshake's
/// signatures are still checked against that certificate.
#[derive(Debug)]
struct ThumbprintVerifier {
    thumbprint: Vec<u8>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ThumbprintVerifier {
    fn matches(&self, cert: &[u8]) -> bool {
        let algorithm =
            if self.thumbprint.len() == 20 { &ring::digest::SHA1_FOR_LEGACY_USE_ONLY } else { &ring::digest::SHA256 };
        ring::digest::digest(algorithm, cert).as_ref() == self.thumbprint.as_slice()
    }
}

impl ServerCertVerifier for ThumbprintVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if self.matches(end_entity.as_ref()) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::ApplicationVerificationFailure))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprints() {
        assert_eq!(parse_thumbprint(&"ab".repeat(20)).unwrap().len(), 20);
        assert_eq!(parse_thumbprint(&"AB:".repeat(32)).unwrap().len(), 32);
        for bad in ["", "abc", &"zz".repeat(20), &"é".repeat(20)] {
            assert!(parse_thumbprint(bad).is_err(), "{bad}");
        }
        let der = include_bytes!("../../tests/data/public_rsa.der");
        let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
        let v = ThumbprintVerifier {
            thumbprint: sha1.as_ref().to_vec(),
            provider: Arc::new(rustls::crypto::ring::default_provider()),
        };
        assert!(v.matches(der) && !v.matches(b"other"));
    }
}
