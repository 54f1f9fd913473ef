//! Refresh tokens, issued with device-code sign-ins (as the service does when `offline_access` is asked
//! for) and redeemed by the `refresh_token` grant. Opaque random strings, kept by their SHA-256.

use super::error::OAuthError;
use std::collections::HashMap;

/// Lifetime of a refresh token, in seconds (the service's 90 days).
pub(crate) const LIFETIME_SECS: i64 = 90 * 24 * 3600;

/// Most refresh tokens held; past it the oldest is dropped.
const MAX_TOKENS: usize = 10_000;

/// What a refresh token stands for.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub(crate) client_id: String,
    /// The scopes originally granted, space-separated.
    pub(crate) scope: String,
    expires_at: i64,
    serial: u64,
}

/// The refresh tokens issued so far.
#[derive(Debug, Default)]
pub(crate) struct RefreshTokens {
    tokens: HashMap<[u8; 32], Grant>,
    next_serial: u64,
}

fn key(token: &str) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let mut k = [0u8; 32];
    k.copy_from_slice(d.as_ref());
    k
}

impl RefreshTokens {
    /// A new refresh token for `client_id` and `scope`.
    pub(crate) fn issue(&mut self, client_id: &str, scope: &str, now: i64) -> String {
        if self.tokens.len() >= MAX_TOKENS {
            self.tokens.retain(|_, g| g.expires_at > now);
        }
        if self.tokens.len() >= MAX_TOKENS
            && let Some(oldest) = self.tokens.iter().min_by_key(|(_, g)| g.serial).map(|(k, _)| *k)
        {
            self.tokens.remove(&oldest);
        }
        let mut bytes = [0u8; 48];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).expect("the system RNG works");
        use base64::Engine;
        let token = format!("azkv.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
        self.next_serial += 1;
        let grant = Grant {
            client_id: client_id.to_owned(),
            scope: scope.to_owned(),
            expires_at: now.saturating_add(LIFETIME_SECS),
            serial: self.next_serial,
        };
        self.tokens.insert(key(&token), grant);
        token
    }

    /// The grant behind `token` for `client_id`. The token stays valid until it expires (the service
    /// rotates refresh tokens without revoking the old one at once).
    pub(crate) fn redeem(&self, token: &str, client_id: &str, now: i64) -> Result<Grant, OAuthError> {
        let grant = self.tokens.get(&key(token)).ok_or_else(|| OAuthError::invalid_grant("refresh token"))?;
        if grant.client_id != client_id {
            return Err(OAuthError::invalid_grant("refresh token"));
        }
        if now >= grant.expires_at {
            return Err(OAuthError::refresh_token_expired());
        }
        Ok(grant.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_redeem_expire() {
        let mut r = RefreshTokens::default();
        let t = r.issue("c", "s offline_access", 0);
        assert_eq!(r.redeem(&t, "c", 10).unwrap().scope, "s offline_access");
        assert_eq!(r.redeem(&t, "c", 10).unwrap().client_id, "c", "not used up");
        assert_eq!(r.redeem(&t, "d", 10).unwrap_err().code, 70000);
        assert_eq!(r.redeem("azkv.x", "c", 10).unwrap_err().code, 70000);
        assert_eq!(r.redeem(&t, "c", LIFETIME_SECS).unwrap_err().code, 700082);
    }

    #[test]
    fn the_store_is_bounded() {
        let mut r = RefreshTokens::default();
        let first = r.issue("c", "s", 0);
        for _ in 1..MAX_TOKENS {
            r.issue("c", "s", 0);
        }
        let last = r.issue("c", "s", 0);
        assert_eq!(r.tokens.len(), MAX_TOKENS);
        assert!(r.redeem(&first, "c", 0).is_err(), "the oldest made room");
        assert!(r.redeem(&last, "c", 0).is_ok());
    }
}
