//! The User-Agent policy.

/// Sets `User-Agent: [{application_id} ]azsdk-rust-{crate}/{version} (rustc {v}; {os}; {arch})`.
#[derive(Debug, Clone)]
pub struct UserAgentPolicy {
    value: String,
    /// `value`, prepared once: each request gets a reference-counted copy. `None` when the
    /// application id holds a character HTTP does not allow: the header is then set as text,
    /// and the transport refuses the request naming it.
    header: Option<http::HeaderValue>,
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
        let header = http::HeaderValue::try_from(value.as_str()).ok();
        Self { value, header }
    }

    /// The header value.
    pub fn value(&self) -> &str {
        &self.value
    }
}

// The header is set when the policy is called; the future handed back is the next policy's.
crate::policies::policy::impl_policy_without_future!(UserAgentPolicy, |this, ctx, request, next| {
    if !request.headers.as_header_map().contains_key(http::header::USER_AGENT) {
        match &this.header {
            Some(header) => request.headers.insert_value(http::header::USER_AGENT, header.clone()),
            None => request.headers.insert("user-agent", this.value.clone()),
        }
    }
    crate::policies::policy::next(ctx, request, next)
});

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use async_trait::async_trait;

    use super::*;
    use crate::{Context, Policy, Request, Response, Result};

    #[test]
    fn application_id_is_prefixed_and_trimmed() {
        let ua = UserAgentPolicy::new("azkv-secrets", "1.2.3", Some("my app with a long name over 24"));
        assert!(ua.value().starts_with("my-app-with-a-long-name- azsdk-rust-secrets/1.2.3 (rustc "), "{}", ua.value());
        assert!(ua.value().contains(std::env::consts::OS));
    }

    /// Answers with the request's headers.
    #[derive(Debug)]
    struct Echo;

    #[async_trait]
    impl Policy for Echo {
        async fn send(&self, _: &Context, request: &mut Request, _: &[Arc<dyn Policy>]) -> Result<Response> {
            Ok(Response::new(http::StatusCode::OK, request.headers.clone(), bytes::Bytes::new()))
        }
    }

    async fn sent(policy: UserAgentPolicy, preset: Option<&str>) -> crate::Headers {
        let mut request = Request::new(crate::Method::GET, "https://v.vault.azure.net/".parse().unwrap());
        if let Some(p) = preset {
            request.headers.insert("User-Agent", p);
        }
        let echo: Vec<Arc<dyn Policy>> = vec![Arc::new(Echo)];
        policy.send(&Context::new(), &mut request, &echo).await.unwrap().headers
    }

    #[tokio::test]
    async fn the_header_is_set_unless_present_and_a_bad_application_id_is_refused_by_the_transport() {
        let ua = UserAgentPolicy::new("azkv-secrets", "1.2.3", Some("app"));
        let expected = ua.value().to_owned();
        assert_eq!(sent(ua.clone(), None).await.get("user-agent"), Some(expected.as_str()));
        assert_eq!(sent(ua, Some("mine/1")).await.get("user-agent"), Some("mine/1"));
        let bad = sent(UserAgentPolicy::new("azkv-secrets", "1.2.3", Some("app\u{1}")), None).await;
        assert_eq!(bad.invalid_header(), Some("user-agent"));
    }
}
