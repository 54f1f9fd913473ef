//! HS256 JSON Web Tokens minted and checked by the emulator (strict auth mode and the token endpoint).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::hmac;
use serde::{Deserialize, Serialize};

/// The audience Key Vault tokens carry.
pub(crate) const VAULT_AUDIENCE: &str = "https://vault.azure.net";

/// Default token lifetime in seconds.
pub(crate) const LIFETIME_SECS: i64 = 3600;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    aud: String,
    iss: String,
    tid: String,
    sub: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    /// The issue serial: tokens below the revocation mark are refused.
    #[serde(default)]
    sn: u64,
    /// The client the token was issued to (Entra tokens only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    appid: Option<String>,
    /// Whether the token also opens the `/_emulator/` controls: only tokens minted for the emulator's
    /// own credentials (`issue_token`, the App Service endpoint) do, never Entra or IMDS tokens.
    #[serde(default)]
    ctl: bool,
}

/// Signs and verifies tokens with a per-run HMAC-SHA256 key.
#[derive(Debug)]
pub(crate) struct TokenIssuer {
    key: hmac::Key,
    tenant: String,
    /// The serial of the next token.
    next_serial: std::sync::atomic::AtomicU64,
    /// Tokens with a lower serial are revoked.
    revoked_below: std::sync::atomic::AtomicU64,
    /// The last tokens whose signature and audience verified.
    verified: std::sync::Mutex<Verified>,
}

/// What a verified token's signature vouches for and each request still checks: its validity
/// period (against the emulator clock, which tests move), serial (against revocations) and
/// whether it opens the controls.
#[derive(Debug, Clone, Copy)]
struct Vouched {
    nbf: i64,
    exp: i64,
    sn: u64,
    ctl: bool,
}

/// How many verified tokens [`Verified`] keeps: a client sends one token until it renews it.
const VERIFIED_CAPACITY: usize = 8;

/// Tokens already verified, so that a client sending the same token on every request costs a
/// comparison rather than two base64 decodes, two JSON parses and an HMAC (about a tenth of a
/// request's CPU in the emulator). Only tokens this issuer signed get in, so a client cannot fill
/// it with junk; the oldest entry makes way for a new one.
#[derive(Default)]
struct Verified {
    entries: Vec<(Box<str>, Vouched)>,
    next: usize,
}

/// Says how many tokens are kept, never the tokens.
impl std::fmt::Debug for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verified").field("tokens", &self.entries.len()).finish_non_exhaustive()
    }
}

impl Verified {
    fn get(&self, token: &str) -> Option<Vouched> {
        // Compared without an early exit at the first differing byte, which would time how much
        // of a guess matches a known token.
        self.entries
            .iter()
            .find(|(known, _)| crate::auth::constant_time_eq(known.as_bytes(), token.as_bytes()))
            .map(|(_, v)| *v)
    }

    fn insert(&mut self, token: &str, vouched: Vouched) {
        let entry = (Box::from(token), vouched);
        if self.entries.len() < VERIFIED_CAPACITY {
            self.entries.push(entry);
        } else {
            self.entries[self.next] = entry;
            self.next = (self.next + 1) % VERIFIED_CAPACITY;
        }
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejection {
    Malformed,
    BadSignature,
    WrongAudience,
    Expired,
    NotYetValid,
    Revoked,
}

impl TokenIssuer {
    /// A new issuer with a random key.
    pub(crate) fn new(tenant: &str) -> Self {
        let rng = ring::rand::SystemRandom::new();
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng).expect("the system RNG works");
        Self {
            key,
            tenant: tenant.to_owned(),
            next_serial: std::sync::atomic::AtomicU64::new(0),
            revoked_below: std::sync::atomic::AtomicU64::new(0),
            verified: std::sync::Mutex::default(),
        }
    }

    /// Revokes every token issued so far, however long it still has to live.
    pub(crate) fn revoke_all(&self) {
        let next = self.next_serial.load(std::sync::atomic::Ordering::SeqCst);
        self.revoked_below.fetch_max(next, std::sync::atomic::Ordering::SeqCst);
    }

    /// Mints a token for `audience`, valid from `now` for `lifetime` seconds; it also opens the controls.
    pub(crate) fn issue(&self, audience: &str, now: i64, lifetime: i64) -> String {
        self.mint(audience, "azkv-emulator", None, true, now, lifetime)
    }

    /// Mints a token for `audience` issued to the client `client_id` on behalf of `subject` (Entra and
    /// managed-identity endpoints); it does not open the controls.
    pub(crate) fn issue_for(&self, audience: &str, subject: &str, client_id: &str, now: i64, lifetime: i64) -> String {
        self.mint(audience, subject, Some(client_id.to_owned()), false, now, lifetime)
    }

    fn mint(&self, aud: &str, sub: &str, appid: Option<String>, ctl: bool, now: i64, lifetime: i64) -> String {
        let claims = Claims {
            aud: aud.to_owned(),
            iss: format!("https://sts.windows.net/{}/", self.tenant),
            tid: self.tenant.clone(),
            sub: sub.to_owned(),
            iat: now,
            nbf: now.saturating_sub(300),
            exp: now.saturating_add(lifetime),
            sn: self.next_serial.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
            appid,
            ctl,
        };
        self.sign(&serde_json::to_value(&claims).unwrap_or_default())
    }

    /// Signs any claims as an HS256 JWT with this run's key (ID tokens).
    pub(crate) fn sign(&self, claims: &serde_json::Value) -> String {
        let header = B64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = B64.encode(serde_json::to_vec(claims).unwrap_or_default());
        let signing_input = format!("{header}.{payload}");
        let sig = B64.encode(hmac::sign(&self.key, signing_input.as_bytes()).as_ref());
        format!("{signing_input}.{sig}")
    }

    /// Like [`TokenIssuer::verify`], and the token must be one that opens the controls.
    pub(crate) fn verify_control(&self, token: &str, now: i64) -> Result<(), Rejection> {
        if self.verify_vouched(token, now)?.ctl { Ok(()) } else { Err(Rejection::BadSignature) }
    }

    /// Checks signature, audience and validity period against the emulator time `now`.
    pub(crate) fn verify(&self, token: &str, now: i64) -> Result<(), Rejection> {
        self.verify_vouched(token, now).map(|_| ())
    }

    fn verify_vouched(&self, token: &str, now: i64) -> Result<Vouched, Rejection> {
        let known = self.verified.lock().unwrap_or_else(|p| p.into_inner()).get(token);
        let vouched = match known {
            Some(vouched) => vouched,
            None => {
                let vouched = self.verify_signed(token)?;
                self.verified.lock().unwrap_or_else(|p| p.into_inner()).insert(token, vouched);
                vouched
            }
        };
        if now >= vouched.exp {
            return Err(Rejection::Expired);
        }
        if now < vouched.nbf {
            return Err(Rejection::NotYetValid);
        }
        if vouched.sn < self.revoked_below.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Rejection::Revoked);
        }
        Ok(vouched)
    }

    /// The checks that do not depend on time: the token's shape, signature and audience.
    fn verify_signed(&self, token: &str) -> Result<Vouched, Rejection> {
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(Rejection::Malformed);
        };
        let sig = B64.decode(s).map_err(|_| Rejection::Malformed)?;
        let header: serde_json::Value = serde_json::from_slice(&B64.decode(h).map_err(|_| Rejection::Malformed)?)
            .map_err(|_| Rejection::Malformed)?;
        if header["alg"] != "HS256" {
            return Err(Rejection::BadSignature);
        }
        hmac::verify(&self.key, format!("{h}.{p}").as_bytes(), &sig).map_err(|_| Rejection::BadSignature)?;
        let claims: Claims = serde_json::from_slice(&B64.decode(p).map_err(|_| Rejection::Malformed)?)
            .map_err(|_| Rejection::Malformed)?;
        if claims.aud.trim_end_matches('/') != VAULT_AUDIENCE {
            return Err(Rejection::WrongAudience);
        }
        Ok(Vouched { nbf: claims.nbf, exp: claims.exp, sn: claims.sn, ctl: claims.ctl })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let issuer = TokenIssuer::new("t");
        let tok = issuer.issue(VAULT_AUDIENCE, 1_000, 60);
        assert_eq!(issuer.verify(&tok, 1_000), Ok(()));
        assert_eq!(issuer.verify(&tok, 1_060), Err(Rejection::Expired));
        assert_eq!(
            issuer.verify(&issuer.issue("https://storage.azure.com", 1_000, 60), 1_000),
            Err(Rejection::WrongAudience)
        );
        assert_eq!(TokenIssuer::new("t").verify(&tok, 1_000), Err(Rejection::BadSignature));
        issuer.revoke_all();
        assert_eq!(issuer.verify(&tok, 1_000), Err(Rejection::Revoked), "revoked before it expires");
        let fresh = issuer.issue(VAULT_AUDIENCE, 1_000, 60);
        assert_eq!(issuer.verify(&fresh, 1_000), Ok(()), "a token issued after the revocation");
        let mut tampered = tok.clone();
        tampered.push('x');
        assert!(issuer.verify(&tampered, 1_000).is_err());
        assert_eq!(issuer.verify("a.b", 1_000), Err(Rejection::Malformed));
    }

    #[test]
    fn a_verified_token_is_still_checked_against_the_clock_and_revocations() {
        let issuer = TokenIssuer::new("t");
        let tok = issuer.issue(VAULT_AUDIENCE, 1_000, 60);
        assert_eq!(issuer.verify(&tok, 1_000), Ok(()));
        assert_eq!(issuer.verify(&tok, 1_000), Ok(()), "again, now from the verified tokens");
        assert_eq!(issuer.verify(&tok, 600), Err(Rejection::NotYetValid));
        assert_eq!(issuer.verify(&tok, 1_060), Err(Rejection::Expired));
        let mut near = tok.clone();
        near.pop();
        near.push(if tok.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(
            issuer.verify(&near, 1_000),
            Err(Rejection::BadSignature),
            "one character off is not the same token"
        );
        issuer.revoke_all();
        assert_eq!(issuer.verify(&tok, 1_000), Err(Rejection::Revoked));
        assert_eq!(issuer.verify_control(&tok, 1_000), Err(Rejection::Revoked));
    }

    #[test]
    fn the_verified_tokens_keep_the_newest_and_refused_ones_never_enter() {
        let issuer = TokenIssuer::new("t");
        let tokens: Vec<String> = (0..VERIFIED_CAPACITY + 3).map(|_| issuer.issue(VAULT_AUDIENCE, 1_000, 60)).collect();
        for t in &tokens {
            assert_eq!(issuer.verify(t, 1_000), Ok(()));
        }
        let other = issuer.issue("https://storage.azure.com", 1_000, 60);
        assert_eq!(issuer.verify(&other, 1_000), Err(Rejection::WrongAudience));
        let verified = issuer.verified.lock().unwrap();
        assert_eq!(verified.entries.len(), VERIFIED_CAPACITY);
        assert!(verified.get(&tokens[0]).is_none(), "the oldest made way");
        assert!(tokens[3..].iter().all(|t| verified.get(t).is_some()));
        assert!(verified.get(&other).is_none());
        drop(verified);
        let debug = format!("{issuer:?}");
        assert!(debug.contains("tokens: 8"), "{debug}");
        assert!(tokens.iter().all(|t| !debug.contains(t.as_str())), "no kept token in Debug: {debug}");
    }

    #[test]
    fn only_the_emulators_own_tokens_open_the_controls() {
        let issuer = TokenIssuer::new("t");
        let own = issuer.issue(VAULT_AUDIENCE, 1_000, 60);
        let entra = issuer.issue_for(VAULT_AUDIENCE, "client", "client", 1_000, 60);
        assert_eq!(issuer.verify(&entra, 1_000), Ok(()), "an Entra token is a Key Vault token");
        assert_eq!(issuer.verify_control(&own, 1_000), Ok(()));
        assert!(issuer.verify_control(&entra, 1_000).is_err());
    }
}
