//! Client assertions (`private_key_jwt`): an RS256 or PS256 JWT signed with a registered certificate's key.
//!
//! Checked as the service checks them: the `x5t#S256` (or `x5t`) header names a certificate registered for
//! the client, the signature verifies with its public key, `iss` = `sub` = the client id, `aud` is this
//! tenant's token endpoint (or its v2.0 authority), and `exp`/`nbf` hold on the emulator clock, give or
//! take [`SKEW_SECS`].

use super::apps::RegisteredApp;
use super::error::OAuthError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rustls::pki_types::CertificateDer;
use serde_json::Value;

/// The client assertion type of `private_key_jwt`.
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Clock skew allowed on `exp` and `nbf`, in seconds.
pub(crate) const SKEW_SECS: i64 = 300;

/// The longest assertion looked at.
const MAX_ASSERTION_BYTES: usize = 64 * 1024;

fn part(s: &str) -> Result<Value, OAuthError> {
    let bytes = B64.decode(s).map_err(|_| OAuthError::invalid_assertion("The token is not base64url-encoded."))?;
    let v: Value =
        serde_json::from_slice(&bytes).map_err(|_| OAuthError::invalid_assertion("The token is malformed."))?;
    if v.is_object() { Ok(v) } else { Err(OAuthError::invalid_assertion("The token is malformed.")) }
}

/// A JWT NumericDate: seconds, possibly fractional (MSAL for Python sends floats); the cast saturates.
fn numeric_date(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

/// Checks `assertion` for `client_id` registered as `app`; `audiences` are the accepted `aud` values.
pub(crate) fn verify(
    app: &RegisteredApp,
    client_id: &str,
    assertion: &str,
    audiences: &[String],
    now: i64,
) -> Result<(), OAuthError> {
    if assertion.len() > MAX_ASSERTION_BYTES {
        return Err(OAuthError::invalid_assertion("The token is too large."));
    }
    let mut parts = assertion.split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(OAuthError::invalid_assertion("The token format is not proper: a JWT has three parts."));
    };
    let header = part(h)?;
    let alg = match header["alg"].as_str() {
        Some("RS256") => webpki::ring::RSA_PKCS1_2048_8192_SHA256,
        Some("PS256") => webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        _ => return Err(OAuthError::bad_assertion_signature("The algorithm must be RS256 or PS256.")),
    };
    let x5t_s256 = header["x5t#S256"].as_str();
    let x5t = header["x5t"].as_str();
    let cert = app.certificate(x5t_s256, x5t).ok_or_else(|| {
        let shown: String = x5t_s256.or(x5t).unwrap_or_default().chars().take(64).collect();
        OAuthError::bad_assertion_signature(&format!(
            "The certificate with identifier used to sign the client assertion is not registered on application. \
             Thumbprint of key used by client: '{shown}'"
        ))
    })?;
    let signature =
        B64.decode(s).map_err(|_| OAuthError::bad_assertion_signature("The signature is not base64url."))?;
    let der = CertificateDer::from(cert.der.as_slice());
    let ee = webpki::EndEntityCert::try_from(&der)
        .map_err(|_| OAuthError::bad_assertion_signature("The registered certificate cannot be used."))?;
    let signed = &assertion[..h.len() + 1 + p.len()];
    ee.verify_signature(alg, signed.as_bytes(), &signature).map_err(|_| {
        OAuthError::bad_assertion_signature("The signature does not verify with the certificate's key.")
    })?;

    let claims = part(p)?;
    let (iss, sub) = (claims["iss"].as_str(), claims["sub"].as_str());
    if iss != sub {
        return Err(OAuthError::subject_mismatches_issuer());
    }
    if sub != Some(client_id) {
        return Err(OAuthError::invalid_assertion("The subject identifier does not match the client_id."));
    }
    let aud_ok = |a: &str| audiences.iter().any(|x| x.eq_ignore_ascii_case(a.trim_end_matches('/')));
    let aud_matches = match &claims["aud"] {
        Value::String(a) => aud_ok(a),
        Value::Array(list) => list.iter().filter_map(Value::as_str).any(aud_ok),
        _ => false,
    };
    if !aud_matches {
        return Err(OAuthError::invalid_assertion(
            "The audience is unexpected: it must be this tenant's token endpoint.",
        ));
    }
    let exp = numeric_date(&claims["exp"]).ok_or_else(|| OAuthError::invalid_assertion("The exp claim is missing."))?;
    let nbf = claims.get("nbf").and_then(numeric_date);
    if now > exp.saturating_add(SKEW_SECS) || nbf.is_some_and(|n| n > now.saturating_add(SKEW_SECS)) {
        return Err(OAuthError::assertion_time(now, nbf, exp));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::entra::apps::Registry;
    use serde_json::json;

    const AUD: &str = "https://h/t/oauth2/v2.0/token";

    /// A signed assertion: `alg` RS256 or PS256, header extras, claims.
    pub(crate) fn sign(key_der: &[u8], alg: &str, header: Value, claims: &Value) -> String {
        let mut h = json!({ "alg": alg, "typ": "JWT" });
        h.as_object_mut().unwrap().extend(header.as_object().unwrap().clone());
        let input = format!("{}.{}", B64.encode(h.to_string()), B64.encode(claims.to_string()));
        let key = ring::signature::RsaKeyPair::from_pkcs8(key_der).unwrap();
        let mut sig = vec![0; key.public().modulus_len()];
        let padding: &dyn ring::signature::RsaEncoding =
            if alg == "PS256" { &ring::signature::RSA_PSS_SHA256 } else { &ring::signature::RSA_PKCS1_SHA256 };
        key.sign(padding, &ring::rand::SystemRandom::new(), input.as_bytes(), &mut sig).unwrap();
        format!("{input}.{}", B64.encode(sig))
    }

    fn claims(exp: i64) -> Value {
        json!({ "aud": AUD, "iss": "c", "sub": "c", "exp": exp, "nbf": 900, "jti": "j" })
    }

    #[test]
    fn checks_key_signature_subject_audience_and_time() {
        let (pem, key) = crate::entra::apps::tests::rsa_cert();
        let mut r = Registry::default();
        r.add_certificate("c", &pem).unwrap();
        let app = r.get("c").unwrap();
        let (s256, s1) = (app.certificates[0].x5t_s256.clone(), app.certificates[0].x5t.clone());
        let auds = [AUD.to_owned()];
        let check = |jwt: &str| verify(app, "c", jwt, &auds, 1_000).map_err(|e| e.code);
        assert_eq!(check(&sign(&key, "RS256", json!({ "x5t#S256": s256 }), &claims(2_000))), Ok(()));
        assert_eq!(check(&sign(&key, "PS256", json!({ "x5t": s1 }), &claims(2_000))), Ok(()));
        assert_eq!(check(&sign(&key, "RS256", json!({}), &claims(2_000))), Err(700027), "no thumbprint");
        assert_eq!(check(&sign(&key, "RS256", json!({ "x5t": "AAAA" }), &claims(2_000))), Err(700027));
        let good = sign(&key, "RS256", json!({ "x5t#S256": s256 }), &claims(2_000));
        let tampered = good.replacen(".", ".e30", 1);
        assert_eq!(check(&tampered), Err(700027), "the signature no longer matches");
        assert_eq!(check(&format!("{good}.x")), Err(50027));
        assert_eq!(check("a.b"), Err(50027));
        let hs = good.replacen(&good[..good.find('.').unwrap()], &B64.encode(r#"{"alg":"HS256"}"#), 1);
        assert_eq!(check(&hs), Err(700027), "only RSA algorithms");
        let with = |f: &dyn Fn(&mut Value)| {
            let mut c = claims(2_000);
            f(&mut c);
            check(&sign(&key, "RS256", json!({ "x5t#S256": s256 }), &c))
        };
        assert_eq!(with(&|c| c["iss"] = json!("other")), Err(50048));
        assert_eq!(
            with(&|c| {
                c["iss"] = json!("d");
                c["sub"] = json!("d")
            }),
            Err(50027)
        );
        assert_eq!(with(&|c| c["aud"] = json!("https://h/other/oauth2/v2.0/token")), Err(50027));
        assert_eq!(with(&|c| c["aud"] = json!([AUD])), Ok(()));
        assert_eq!(with(&|c| c["exp"] = json!(1_000 - SKEW_SECS)), Ok(()), "within the skew");
        assert_eq!(with(&|c| c["exp"] = json!(1_000 - SKEW_SECS - 1)), Err(700024));
        assert_eq!(with(&|c| c["nbf"] = json!(1_000 + SKEW_SECS + 1)), Err(700024));
        assert_eq!(with(&|c| c["exp"] = json!("soon")), Err(50027));
        assert_eq!(with(&|c| c["exp"] = json!(1_500.75)), Ok(()), "fractional seconds");
        assert_eq!(with(&|c| c["exp"] = json!(1e300)), Ok(()), "saturates, no panic");
        let e = verify(app, "c", &good, &auds, 1_000_000).unwrap_err();
        assert!(!e.message.contains(&good[good.len() - 20..]), "no part of the assertion is echoed");
    }
}
