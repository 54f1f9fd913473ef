#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod base64url;
mod error;
mod generated;
mod identifier;
mod open_enum;
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
