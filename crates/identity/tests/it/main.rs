//! Integration tests for azkv-identity: wiremock token endpoints, fake `az`/`azd` scripts,
//! chains, the cache and redaction.

mod cache;
mod chain;
mod client_assertion;
mod client_certificate;
mod client_secret;
mod common;
mod default;
#[cfg(unix)]
mod developer_tools;
mod device_code;
mod entra;
#[cfg(unix)]
mod faults;
#[cfg(feature = "azure-interop")]
mod interop;
mod managed;
#[cfg(feature = "pkcs12")]
mod pkcs12;
mod redaction;
mod workload;
