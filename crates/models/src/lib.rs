//! Models of the Azure Key Vault **secrets** REST API (api-version 2025-07-01) for azkv.
//!
//! - [`models`] (re-exported here): the request and response bodies, as serde types. Timestamps are
//!   [`time::OffsetDateTime`] (Unix seconds on the wire), backup blobs are bytes (base64url on the
//!   wire), enums are open (unknown values are kept, not rejected), unknown JSON fields are ignored.
//!   `Debug` never prints a secret value or a backup blob.
//! - [`operations`]: the table of the 12 REST operations (method, path template, parameters, bodies,
//!   success status), shared by the client and the emulator, with [`Operation::fill_path`] to build a
//!   request path and [`match_route`] to find the operation behind a request.
//! - [`SecretIdentifier`]: parses `https://{vault}/secrets/{name}[/{version}]` and
//!   `https://{vault}/deletedsecrets/{name}`.
//! - [`validation`]: the service's limits on names, values, tags and content types.
//!
//! Everything under `src/generated/` is written by `cargo xtask codegen` from
//! `crates/models/api/secrets.toml`; edit the description, not the output.

pub mod base64url;
mod error;
mod generated;
mod identifier;
mod redact;
mod routing;
pub mod validation;

pub use error::Error;
pub use generated::models::{self, *};
pub use generated::operations::{
    self, API_VERSION, AUTH_SCOPE, KNOWN_API_VERSIONS, MAX_PAGE_SIZE, Method, OPERATIONS, Operation, OperationId,
    QueryParam,
};
pub use identifier::{IdentifierKind, SecretIdentifier};
pub use routing::{RouteMatch, match_route};
