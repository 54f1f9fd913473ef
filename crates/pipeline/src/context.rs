//! Per-call values that travel beside the request.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Per-call values: deadline, client request id, logging switch, operation name, extensions.
///
/// Cheap to clone; policies that add values clone it and pass the copy down.
///
/// ```
/// use std::time::Duration;
/// use azkv_pipeline::Context;
/// let ctx = Context::new().with_timeout(Duration::from_secs(5)).with_client_request_id("abc");
/// assert_eq!(ctx.client_request_id(), Some("abc"));
/// ```
#[derive(Clone, Default)]
pub struct Context {
    deadline: Option<SystemTime>,
    client_request_id: Option<Arc<str>>,
    log_body: Option<bool>,
    operation: Option<&'static str>,
    attempt: u32,
    extensions: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("deadline", &self.deadline)
            .field("client_request_id", &self.client_request_id)
            .field("log_body", &self.log_body)
            .field("operation", &self.operation)
            .field("attempt", &self.attempt)
            .field("extensions", &self.extensions.len())
            .finish()
    }
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// The call must finish by `deadline` (retries included).
    pub fn with_deadline(mut self, deadline: SystemTime) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The call must finish within `timeout` from now (system clock).
    pub fn with_timeout(self, timeout: Duration) -> Self {
        self.with_deadline(SystemTime::now() + timeout)
    }

    /// The deadline, if any.
    pub fn deadline(&self) -> Option<SystemTime> {
        self.deadline
    }

    /// Sends this `x-ms-client-request-id` instead of a generated one.
    pub fn with_client_request_id(mut self, id: impl Into<Arc<str>>) -> Self {
        self.client_request_id = Some(id.into());
        self
    }

    /// The caller's client request id, if set.
    pub fn client_request_id(&self) -> Option<&str> {
        self.client_request_id.as_deref()
    }

    /// Turns body logging on or off for this call, overriding the client's setting.
    pub fn with_log_body(mut self, enabled: bool) -> Self {
        self.log_body = Some(enabled);
        self
    }

    /// This call's body-logging override.
    pub fn log_body(&self) -> Option<bool> {
        self.log_body
    }

    /// Names the operation, for the logging span.
    pub fn with_operation(mut self, name: &'static str) -> Self {
        self.operation = Some(name);
        self
    }

    /// The operation name.
    pub fn operation(&self) -> Option<&'static str> {
        self.operation
    }

    /// Sets the attempt number (1-based); the retry policy does this.
    pub fn with_attempt(mut self, attempt: u32) -> Self {
        self.attempt = attempt;
        self
    }

    /// The attempt number (1-based; 0 before the retry policy).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Adds a typed value, replacing one of the same type.
    pub fn insert<T: Any + Send + Sync>(mut self, value: T) -> Self {
        self.extensions.insert(TypeId::of::<T>(), Arc::new(value));
        self
    }

    /// The typed value of type `T`, if set.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.extensions.get(&TypeId::of::<T>()).and_then(|v| v.downcast_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_typed() {
        #[derive(Debug, PartialEq)]
        struct Tenant(&'static str);
        let ctx = Context::new().insert(Tenant("t1")).insert(7u8);
        assert_eq!(ctx.get::<Tenant>(), Some(&Tenant("t1")));
        assert_eq!(ctx.get::<u8>(), Some(&7));
        assert_eq!(ctx.get::<u16>(), None);
    }
}
