//! Tries credentials in order.

use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use azkv_pipeline::{AccessToken, Error, Result, TokenCredential, TokenRequestOptions};

/// Tries each credential in order until one produces a token.
///
/// A source answering "unavailable" ([`Error::is_credential_unavailable`]) passes to the next;
/// any other error (a failed authentication) stops the chain. When no source produced a
/// token, the error lists every attempt and why it failed; it is "unavailable" only when every
/// source was. The first source that produced a token is remembered, and later calls go
/// straight to it.
///
/// ```
/// use std::sync::Arc;
/// use azkv_identity::{ChainedTokenCredential, StaticTokenCredential};
/// let fixed = StaticTokenCredential::new("token", time::OffsetDateTime::now_utc() + time::Duration::hours(1));
/// let chain = ChainedTokenCredential::new(vec![Arc::new(fixed)])?;
/// # Ok::<(), azkv_pipeline::Error>(())
/// ```
pub struct ChainedTokenCredential {
    sources: Vec<(String, Arc<dyn TokenCredential>)>,
    selected: Mutex<Option<usize>>,
}

impl fmt::Debug for ChainedTokenCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.sources.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("ChainedTokenCredential").field("sources", &names).field("selected", &self.selected()).finish()
    }
}

impl ChainedTokenCredential {
    /// A chain of `sources`, each named in errors by its type name.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `sources` is empty.
    pub fn new(sources: Vec<Arc<dyn TokenCredential>>) -> Result<Self> {
        Self::with_names(sources.into_iter().map(|s| (type_name(s.as_ref()), s)).collect())
    }

    /// A chain of `sources` with the names errors give them.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `sources` is empty.
    pub fn with_names(sources: Vec<(String, Arc<dyn TokenCredential>)>) -> Result<Self> {
        if sources.is_empty() {
            return Err(Error::invalid_argument("a credential chain needs at least one credential"));
        }
        Ok(Self { sources, selected: Mutex::new(None) })
    }

    /// The sources' names, in order.
    pub fn source_names(&self) -> Vec<&str> {
        self.sources.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The name of the source that produced a token, once one has.
    pub fn selected(&self) -> Option<&str> {
        let index = (*self.selected.lock().unwrap_or_else(|p| p.into_inner()))?;
        Some(self.sources[index].0.as_str())
    }
}

/// The credential's type name, from its `Debug` output (`Name { .. }` or `Name(..)`).
fn type_name(credential: &dyn TokenCredential) -> String {
    let shown = format!("{credential:?}");
    let name: String = shown.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    if name.is_empty() { "credential".to_owned() } else { name }
}

/// An error's message without the "credential error: " prefix.
fn reason(e: &Error) -> String {
    match e {
        Error::Credential { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

#[async_trait]
impl TokenCredential for ChainedTokenCredential {
    async fn get_token(&self, scopes: &[&str], options: &TokenRequestOptions) -> Result<AccessToken> {
        let selected = *self.selected.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(index) = selected {
            return self.sources[index].1.get_token(scopes, options).await;
        }
        let mut attempts = Vec::new();
        for (index, (name, source)) in self.sources.iter().enumerate() {
            match source.get_token(scopes, options).await {
                Ok(token) => {
                    tracing::debug!(credential = %name, "credential chain selected a source");
                    *self.selected.lock().unwrap_or_else(|p| p.into_inner()) = Some(index);
                    return Ok(token);
                }
                Err(e) if e.is_credential_unavailable() => {
                    tracing::debug!(credential = %name, error = %e, "credential unavailable; trying the next");
                    attempts.push(format!("{name}: {}", reason(&e)));
                }
                Err(e) => {
                    attempts.push(format!("{name}: {}", reason(&e)));
                    return Err(Error::Credential {
                        message: format!("{name} failed to authenticate; attempts:\n- {}", attempts.join("\n- ")),
                        unavailable: false,
                        source: Some(Box::new(e)),
                    });
                }
            }
        }
        Err(Error::Credential {
            message: format!("no credential in the chain could authenticate; attempts:\n- {}", attempts.join("\n- ")),
            unavailable: true,
            source: None,
        })
    }
}
