//! The built-in policies.

mod bearer;
mod logging;
pub(crate) mod policy;
mod request_id;
mod retry;
mod send;
mod timer_anchor;
mod user_agent;

pub use bearer::{
    BearerTokenPolicy, FixedScopes, OnChallenge, TokenTarget, claims_challenge, ensure_secure_for_tokens, is_loopback,
    is_secure_for_tokens,
};
pub use logging::{LoggingOptions, LoggingPolicy};
pub use policy::{PolicyFuture, next};
pub use request_id::{CLIENT_REQUEST_ID, RequestIdPolicy};
pub use retry::{
    Attempt, ClassifyRetry, DefaultRetryClassifier, RetryKind, RetryMode, RetryOptions, RetryPolicy,
    is_retryable_status, retry_after,
};
pub use send::SendPolicy;
pub use user_agent::UserAgentPolicy;
