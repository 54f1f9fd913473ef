//! The built-in policies.

pub mod bearer;
pub mod logging;
pub mod request_id;
pub mod retry;
pub mod transport;
pub mod user_agent;

pub use bearer::{BearerTokenPolicy, FixedScopes, OnChallenge, TokenTarget};
pub use logging::{LoggingOptions, LoggingPolicy};
pub use request_id::RequestIdPolicy;
pub use retry::{RetryMode, RetryOptions, RetryPolicy};
pub use transport::TransportPolicy;
pub use user_agent::UserAgentPolicy;
