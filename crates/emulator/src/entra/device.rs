//! Device codes (RFC 8628): issued by the devicecode endpoint, approved by a control (or at once when
//! configured), redeemed once at the token endpoint, expired on the emulator clock.
//!
//! Codes are kept by the SHA-256 of the device code, so a lookup's timing says nothing about the codes held.

use super::error::OAuthError;
use std::collections::HashMap;

/// Lifetime of a device code, in seconds (the service's 15 minutes).
pub(crate) const EXPIRES_IN: i64 = 900;

/// The polling interval the service asks for, in seconds.
pub(crate) const INTERVAL: i64 = 5;

/// Most device codes held at once; expired ones are dropped first.
const MAX_CODES: usize = 1024;

/// Letters and digits a person can read without confusing them.
const USER_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// One device code's state.
#[derive(Debug, Clone)]
pub(crate) struct DeviceCode {
    pub(crate) user_code: String,
    pub(crate) client_id: String,
    /// The scopes asked for, space-separated.
    pub(crate) scope: String,
    pub(crate) expires_at: i64,
    pub(crate) approved: bool,
}

/// The outstanding device codes.
#[derive(Debug, Default)]
pub(crate) struct DeviceCodes {
    codes: HashMap<[u8; 32], DeviceCode>,
}

fn key(device_code: &str) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, device_code.as_bytes());
    let mut k = [0u8; 32];
    k.copy_from_slice(d.as_ref());
    k
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b).expect("the system RNG works");
    b
}

impl DeviceCodes {
    /// A new code for `client_id` and `scope`; returns `(device_code, user_code)`.
    pub(crate) fn create(
        &mut self,
        client_id: &str,
        scope: &str,
        now: i64,
        approved: bool,
    ) -> Result<(String, String), OAuthError> {
        if self.codes.len() >= MAX_CODES {
            // Codes past their lifetime for another lifetime are dropped; recently expired ones stay so that
            // a late poll still hears `expired_token`.
            self.codes.retain(|_, c| c.expires_at.saturating_add(EXPIRES_IN) > now);
        }
        if self.codes.len() >= MAX_CODES {
            return Err(OAuthError::throttled());
        }
        use base64::Engine;
        let device_code = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<48>());
        let user_code: String = random_bytes::<9>()
            .iter()
            .map(|b| USER_CODE_ALPHABET[usize::from(*b) % USER_CODE_ALPHABET.len()] as char)
            .collect();
        let code = DeviceCode {
            user_code: user_code.clone(),
            client_id: client_id.to_owned(),
            scope: scope.to_owned(),
            expires_at: now.saturating_add(EXPIRES_IN),
            approved,
        };
        self.codes.insert(key(&device_code), code);
        Ok((device_code, user_code))
    }

    /// A poll for `device_code` by `client_id`: the code when approved (it is then used up), else why not.
    pub(crate) fn redeem(&mut self, device_code: &str, client_id: &str, now: i64) -> Result<DeviceCode, OAuthError> {
        let k = key(device_code);
        let Some(code) = self.codes.get(&k) else {
            return Err(OAuthError::invalid_grant("device code"));
        };
        if code.client_id != client_id {
            return Err(OAuthError::invalid_grant("device code"));
        }
        if now >= code.expires_at {
            return Err(OAuthError::device_code_expired());
        }
        if !code.approved {
            return Err(OAuthError::authorization_pending());
        }
        self.codes.remove(&k).ok_or_else(|| OAuthError::invalid_grant("device code"))
    }

    /// Approves the pending code whose user code is `user_code` (case-insensitive).
    pub(crate) fn approve(&mut self, user_code: &str, now: i64) -> Result<(), String> {
        let code = self
            .codes
            .values_mut()
            .find(|c| c.user_code.eq_ignore_ascii_case(user_code.trim()))
            .ok_or_else(|| "no device code has that user code".to_owned())?;
        if now >= code.expires_at {
            return Err("that device code has expired".into());
        }
        code.approved = true;
        Ok(())
    }

    /// User codes still waiting for approval (not expired), oldest expiry first.
    pub(crate) fn pending(&self, now: i64) -> Vec<String> {
        let mut p: Vec<&DeviceCode> = self.codes.values().filter(|c| !c.approved && now < c.expires_at).collect();
        p.sort_by(|a, b| a.expires_at.cmp(&b.expires_at).then_with(|| a.user_code.cmp(&b.user_code)));
        p.into_iter().map(|c| c.user_code.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_approved_redeemed_once_and_expired() {
        let mut d = DeviceCodes::default();
        let (dc, uc) = d.create("c", "s", 1_000, false).unwrap();
        assert_eq!(uc.len(), 9);
        assert_eq!(d.pending(1_000), std::slice::from_ref(&uc));
        assert_eq!(d.redeem(&dc, "c", 1_000).unwrap_err().error, "authorization_pending");
        assert_eq!(d.redeem(&dc, "other", 1_000).unwrap_err().error, "invalid_grant");
        assert_eq!(d.redeem("nope", "c", 1_000).unwrap_err().error, "invalid_grant");
        assert!(d.approve("nope", 1_000).is_err());
        d.approve(&uc.to_ascii_lowercase(), 1_000).unwrap();
        assert!(d.pending(1_000).is_empty());
        assert_eq!(d.redeem(&dc, "c", 1_000).unwrap().scope, "s");
        assert_eq!(d.redeem(&dc, "c", 1_000).unwrap_err().error, "invalid_grant", "used up");

        let (dc, uc) = d.create("c", "s", 1_000, false).unwrap();
        assert_eq!(d.redeem(&dc, "c", 1_000 + EXPIRES_IN).unwrap_err().error, "expired_token");
        assert!(d.approve(&uc, 1_000 + EXPIRES_IN).is_err());
        assert!(d.pending(1_000 + EXPIRES_IN).is_empty());
        let (dc, _) = d.create("c", "s", 1_000, true).unwrap();
        assert!(d.redeem(&dc, "c", 1_000).is_ok(), "approved at creation");
    }

    #[test]
    fn the_number_of_codes_is_bounded() {
        let mut d = DeviceCodes::default();
        for _ in 0..MAX_CODES {
            d.create("c", "s", 0, false).unwrap();
        }
        assert_eq!(d.create("c", "s", 0, false).unwrap_err().error, "temporarily_unavailable");
        assert!(d.create("c", "s", 2 * EXPIRES_IN, false).is_ok(), "long-expired codes make room");
    }
}
