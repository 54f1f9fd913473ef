//! The User-Agent policy.

use std::sync::Arc;

use async_trait::async_trait;

use crate::{Context, Policy, Request, Response, Result};

/// Sets `User-Agent: [{application_id} ]azsdk-rust-{crate}/{version} (rustc {v}; {os}; {arch})`.
#[derive(Debug, Clone)]
pub struct UserAgentPolicy {
    value: String,
}

impl UserAgentPolicy {
    /// A User-Agent for `crate_name` at `crate_version`, prefixed with `application_id` when
    /// given (at most 24 characters, spaces replaced, as Azure SDKs require).
    pub fn new(crate_name: &str, crate_version: &str, application_id: Option<&str>) -> Self {
        let name = crate_name.strip_prefix("azkv-").unwrap_or(crate_name);
        let mut value = format!(
            "azsdk-rust-{name}/{crate_version} (rustc {}; {}; {})",
            env!("AZKV_RUSTC_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        );
        if let Some(app) = application_id.filter(|a| !a.is_empty()) {
            let app: String = app.chars().take(24).map(|c| if c.is_whitespace() { '-' } else { c }).collect();
            value = format!("{app} {value}");
        }
        Self { value }
    }

    /// The header value.
    pub fn value(&self) -> &str {
        &self.value
    }
}

#[async_trait]
impl Policy for UserAgentPolicy {
    async fn send(&self, ctx: &Context, request: &mut Request, next: &[Arc<dyn Policy>]) -> Result<Response> {
        if !request.headers.contains("user-agent") {
            request.headers.insert("user-agent", self.value.clone());
        }
        crate::policies::policy::next(ctx, request, next).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_id_is_prefixed_and_trimmed() {
        let ua = UserAgentPolicy::new("azkv-secrets", "1.2.3", Some("my app with a long name over 24"));
        assert!(ua.value().starts_with("my-app-with-a-long-name- azsdk-rust-secrets/1.2.3 (rustc "), "{}", ua.value());
        assert!(ua.value().contains(std::env::consts::OS));
    }
}
