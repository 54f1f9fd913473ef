//! The emulated Microsoft Entra ID over HTTPS: every grant, every error, the device code flow on the
//! emulator clock, the discovery document, and tokens that strict-mode Key Vault accepts or refuses.

use crate::common::{Kv, T0, builder, start_with, to_resp};
use azkv_emulator::{AuthMode, DEFAULT_TENANT};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use reqwest::Method;
use serde_json::{Value, json};

const VAULT_SCOPE: &str = "https://vault.azure.net/.default";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A self-signed RSA certificate (PEM) and its PKCS#8 key (DER), for key 0 or 1: the keys from the `rsa`
/// crate (each made once per test binary; rcgen on ring cannot make RSA keys), the certificate from rcgen.
/// Nothing is committed.
pub(crate) fn rsa_cert(n: usize) -> (String, Vec<u8>) {
    static KEYS: [std::sync::OnceLock<Vec<u8>>; 2] = [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    let der = KEYS[n].get_or_init(|| {
        use rsa::pkcs8::EncodePrivateKey;
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
        key.to_pkcs8_der().unwrap().as_bytes().to_vec()
    });
    let key = rcgen::KeyPair::try_from(der.as_slice()).unwrap();
    let cert = rcgen::CertificateParams::new(vec![format!("client{n}.test")]).unwrap().self_signed(&key).unwrap();
    (cert.pem(), der.clone())
}

fn thumbprint_s256(pem: &str) -> String {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let der = CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
    B64.encode(ring::digest::digest(&ring::digest::SHA256, der.as_ref()))
}

/// An RS256 client assertion.
fn assertion(key_der: &[u8], header: Value, claims: Value) -> String {
    let mut h = json!({ "alg": "RS256", "typ": "JWT" });
    h.as_object_mut().unwrap().extend(header.as_object().unwrap().clone());
    let input = format!("{}.{}", B64.encode(h.to_string()), B64.encode(claims.to_string()));
    let key = ring::signature::RsaKeyPair::from_pkcs8(key_der).unwrap();
    let mut sig = vec![0; key.public().modulus_len()];
    key.sign(&ring::signature::RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), input.as_bytes(), &mut sig).unwrap();
    format!("{input}.{}", B64.encode(sig))
}

impl Kv {
    fn token_url(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/token", self.emu.authority_host())
    }

    async fn form(&self, url: &str, form: &[(&str, &str)]) -> crate::common::Resp {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let req = self.http.post(url).header("content-type", "application/x-www-form-urlencoded").body(body);
        to_resp(req.send().await.unwrap()).await
    }

    async fn token(&self, form: &[(&str, &str)]) -> crate::common::Resp {
        self.form(&self.token_url(DEFAULT_TENANT), form).await
    }

    /// A strict-mode Key Vault request with `token`: its status.
    async fn vault_status(&self, token: &str) -> u16 {
        self.http.get(self.url("/secrets")).bearer_auth(token).send().await.unwrap().status().as_u16()
    }
}

/// `error`, the AADSTS number and the status of an Entra error, after checking the body's shape.
fn aad(r: &crate::common::Resp) -> (u16, String, u64) {
    for key in ["error_description", "timestamp", "trace_id", "correlation_id"] {
        assert!(r.body[key].is_string(), "{key} in {}", r.body);
    }
    let code = r.body["error_codes"][0].as_u64().unwrap();
    assert!(r.body["error_description"].as_str().unwrap().starts_with(&format!("AADSTS{code}: ")), "{}", r.body);
    (r.status.as_u16(), r.body["error"].as_str().unwrap().to_owned(), code)
}

fn claims(aud: &str, client: &str, exp: i64) -> Value {
    json!({ "aud": aud, "iss": client, "sub": client, "exp": exp, "nbf": T0 - 10, "jti": "1" })
}

#[tokio::test]
async fn client_secret_grant_issues_a_vault_token_that_strict_mode_accepts() {
    let kv = start_with(builder().app_secret("app", "s3cret")).await;
    let r = kv
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "app"),
            ("client_secret", "s3cret"),
            ("scope", VAULT_SCOPE),
        ])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["token_type"].as_str(), r.body["expires_in"].as_i64()), (Some("Bearer"), Some(3600)));
    assert_eq!(r.body["ext_expires_in"], 3600);
    assert!(r.body.get("refresh_token").is_none(), "no refresh token for client credentials");
    let token = r.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(kv.vault_status(&token).await, 200);
    let payload: Value = serde_json::from_slice(&B64.decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_eq!((payload["aud"].as_str(), payload["appid"].as_str()), (Some("https://vault.azure.net"), Some("app")));

    // HTTP Basic client authentication, a second secret added while running, and the tenant aliases.
    kv.emu.register_app_secret("app", "second").unwrap();
    let basic = base64::engine::general_purpose::STANDARD.encode("app:second");
    let body = format!(
        "grant_type=client_credentials&scope={}",
        url::form_urlencoded::byte_serialize(VAULT_SCOPE.as_bytes()).collect::<String>()
    );
    let r = kv
        .http
        .post(kv.token_url("organizations"))
        .header("authorization", format!("Basic {basic}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // A token for another audience is refused by Key Vault; it does not open the controls either.
    let r = kv
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "app"),
            ("client_secret", "s3cret"),
            ("scope", "https://storage.azure.com/.default"),
        ])
        .await;
    let storage = r.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(kv.vault_status(&storage).await, 401);
    let r = kv.http.get(format!("{}/_emulator/export", kv.emu.url())).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 401, "an Entra token is not a control credential");
    kv.advance(3600).await;
    assert_eq!(kv.vault_status(&token).await, 401, "expired on the emulator clock");
}

#[tokio::test]
async fn token_endpoint_errors_are_the_services() {
    let kv = start_with(builder().app_secret("app", "s3cret")).await;
    let secret = |id: &'static str, s: &'static str| {
        [("grant_type", "client_credentials"), ("client_id", id), ("client_secret", s), ("scope", VAULT_SCOPE)]
    };
    type Case<'a> = (Vec<(&'a str, &'a str)>, (u16, &'a str, u64));
    let cases: Vec<Case<'_>> = vec![
        (secret("app", "wrong").to_vec(), (401, "invalid_client", 7000215)),
        (secret("nobody", "s3cret").to_vec(), (400, "unauthorized_client", 700016)),
        (
            vec![("grant_type", "client_credentials"), ("client_id", "app"), ("scope", VAULT_SCOPE)],
            (401, "invalid_client", 7000218),
        ),
        (vec![("client_id", "app")], (400, "invalid_request", 900144)),
        (vec![("grant_type", "client_credentials"), ("client_secret", "s3cret")], (400, "invalid_request", 900144)),
        (
            vec![("grant_type", "client_credentials"), ("client_id", "app"), ("client_secret", "s3cret")],
            (400, "invalid_request", 900144),
        ),
        (vec![("grant_type", "password"), ("client_id", "app")], (400, "unsupported_grant_type", 70003)),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "app"),
                ("client_secret", "s3cret"),
                ("scope", "https://vault.azure.net/user_impersonation"),
            ],
            (400, "invalid_scope", 1002012),
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "app"),
                ("client_secret", "s3cret"),
                ("scope", "https://a/.default https://b/.default"),
            ],
            (400, "invalid_scope", 700022),
        ),
        (
            vec![("grant_type", "client_credentials"), ("client_id", "app"), ("client_assertion", "x.y.z")],
            (400, "invalid_request", 900144),
        ),
        (
            vec![("grant_type", "refresh_token"), ("client_id", "app"), ("refresh_token", "azkv.nope")],
            (400, "invalid_grant", 70000),
        ),
        (
            vec![("grant_type", DEVICE_GRANT), ("client_id", "app"), ("device_code", "nope")],
            (400, "invalid_grant", 70000),
        ),
    ];
    for (form, expected) in cases {
        let r = kv.token(&form).await;
        let (status, error, code) = aad(&r);
        assert_eq!((status, error.as_str(), code), expected, "{form:?}");
        assert!(!r.body.to_string().contains("s3cret"), "no secret echoed: {}", r.body);
    }
    let r = kv.form(&kv.token_url("someone-else"), &secret("app", "s3cret")).await;
    assert_eq!(aad(&r), (400, "invalid_request".into(), 90002));
    let r = to_resp(kv.http.get(kv.token_url(DEFAULT_TENANT)).send().await.unwrap()).await;
    assert_eq!(aad(&r), (400, "invalid_request".into(), 900561));
    // The client's request id comes back as the correlation id.
    let id = "0b5e5f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
    let r = to_resp(
        kv.http.post(kv.token_url(DEFAULT_TENANT)).header("client-request-id", id).body("").send().await.unwrap(),
    )
    .await;
    assert_eq!(r.body["correlation_id"], id);
}

#[tokio::test]
async fn any_mode_serves_unregistered_clients_but_still_checks_registered_ones() {
    let kv = start_with(builder().auth(AuthMode::Any).app_secret("app", "s3cret")).await;
    let r = kv
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "anyone"),
            ("client_secret", "x"),
            ("scope", VAULT_SCOPE),
        ])
        .await;
    assert_eq!(r.status, 200);
    let r = kv
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "app"),
            ("client_secret", "x"),
            ("scope", VAULT_SCOPE),
        ])
        .await;
    assert_eq!(aad(&r).2, 7000215);
}

#[tokio::test]
async fn certificate_assertions_are_verified() {
    let (pem, key) = rsa_cert(0);
    let kv = start_with(builder().app_certificate("cert-app", pem.clone())).await;
    let s256 = thumbprint_s256(&pem);
    let endpoint = kv.token_url(DEFAULT_TENANT);
    let send = |jwt: String| {
        let kv = &kv;
        async move {
            kv.token(&[
                ("grant_type", "client_credentials"),
                ("client_id", "cert-app"),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &jwt),
                ("scope", VAULT_SCOPE),
            ])
            .await
        }
    };
    let good = assertion(&key, json!({ "x5t#S256": s256 }), claims(&endpoint, "cert-app", T0 + 600));
    let r = send(good.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(kv.vault_status(r.body["access_token"].as_str().unwrap()).await, 200);
    // The v2.0 authority is an accepted audience too, and the SHA-1 thumbprint names the certificate.
    let sha1 = {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        let der = CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
        B64.encode(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der.as_ref()))
    };
    let authority = format!("{}/{DEFAULT_TENANT}/v2.0", kv.emu.authority_host());
    assert_eq!(
        send(assertion(&key, json!({ "x5t": sha1 }), claims(&authority, "cert-app", T0 + 600))).await.status,
        200
    );

    let (other_pem, other_key) = rsa_cert(1);
    let other_s256 = thumbprint_s256(&other_pem);
    let cases = [
        (assertion(&key, json!({ "x5t#S256": other_s256 }), claims(&endpoint, "cert-app", T0 + 600)), 700027),
        (assertion(&other_key, json!({ "x5t#S256": s256 }), claims(&endpoint, "cert-app", T0 + 600)), 700027),
        (assertion(&key, json!({}), claims(&endpoint, "cert-app", T0 + 600)), 700027),
        (good.replacen('.', ".e30", 1), 700027),
        (assertion(&key, json!({ "x5t#S256": s256 }), claims(&endpoint, "cert-app", T0 - 3600)), 700024),
        (
            assertion(
                &key,
                json!({ "x5t#S256": s256 }),
                claims("https://elsewhere/t/oauth2/v2.0/token", "cert-app", T0 + 600),
            ),
            50027,
        ),
        (
            assertion(
                &key,
                json!({ "x5t#S256": s256 }),
                json!({ "aud": endpoint, "iss": "cert-app", "sub": "x", "exp": T0 + 600 }),
            ),
            50048,
        ),
        ("not-a-jwt".to_owned(), 50027),
    ];
    for (jwt, code) in cases {
        let r = send(jwt.clone()).await;
        assert_eq!(aad(&r), (401, "invalid_client".into(), code), "{}", r.body);
        assert!(!r.body.to_string().contains(&jwt[jwt.len().saturating_sub(16)..]), "no assertion echoed");
    }
    // A certificate registered while running, over the control.
    let r =
        kv.control(Method::POST, "apps", Some(json!({ "client_id": "cert-app", "certificate_pem": other_pem }))).await;
    assert_eq!(r.status, 204);
    let signed_by_other =
        assertion(&other_key, json!({ "x5t#S256": other_s256 }), claims(&endpoint, "cert-app", T0 + 600));
    assert_eq!(send(signed_by_other).await.status, 200);
    let r = kv.control(Method::GET, "apps", None).await;
    assert_eq!(r.body["apps"][0]["certificates"].as_array().unwrap().len(), 2);
    assert_eq!(
        kv.control(Method::POST, "apps", Some(json!({ "client_id": "x", "certificate_pem": "junk" }))).await.status,
        400
    );
}

#[tokio::test]
async fn device_code_flow_pending_approved_refreshed_and_expired() {
    let kv = start_with(builder().app_secret("public-app", "unused")).await;
    let devicecode = format!("{}/organizations/oauth2/v2.0/devicecode", kv.emu.authority_host());
    let scope = format!("{VAULT_SCOPE} offline_access openid profile");
    let r = kv.form(&devicecode, &[("client_id", "public-app"), ("scope", &scope)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    for key in ["device_code", "user_code", "verification_uri", "message"] {
        assert!(r.body[key].is_string(), "{key}");
    }
    assert_eq!((r.body["expires_in"].as_i64(), r.body["interval"].as_i64()), (Some(900), Some(5)));
    let device_code = r.body["device_code"].as_str().unwrap().to_owned();
    let user_code = r.body["user_code"].as_str().unwrap().to_owned();
    assert_eq!(kv.emu.pending_device_codes(), std::slice::from_ref(&user_code));
    let poll = [
        ("grant_type", DEVICE_GRANT),
        ("client_id", "public-app"),
        ("device_code", &device_code),
        ("client_info", "1"),
    ];
    assert_eq!(aad(&kv.token(&poll).await), (400, "authorization_pending".into(), 70016));

    let r = kv.control(Method::GET, "devicecodes", None).await;
    assert_eq!(r.body["pending"], json!([user_code]));
    assert_eq!(kv.control(Method::POST, "devicecodes/approve", Some(json!({ "user_code": "NOPE" }))).await.status, 404);
    assert_eq!(
        kv.control(Method::POST, "devicecodes/approve", Some(json!({ "user_code": user_code }))).await.status,
        204
    );
    let r = kv.token(&poll).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["scope"], VAULT_SCOPE);
    assert!(r.body["id_token"].is_string() && r.body["client_info"].is_string());
    assert_eq!(kv.vault_status(r.body["access_token"].as_str().unwrap()).await, 200);
    assert_eq!(aad(&kv.token(&poll).await).2, 70000, "a device code is redeemed once");

    let refresh = r.body["refresh_token"].as_str().unwrap().to_owned();
    let r = kv
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", "public-app"),
            ("refresh_token", &refresh),
            ("scope", &scope),
        ])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["refresh_token"].is_string());
    assert_eq!(kv.vault_status(r.body["access_token"].as_str().unwrap()).await, 200);
    let other =
        kv.token(&[("grant_type", "refresh_token"), ("client_id", "someone"), ("refresh_token", &refresh)]).await;
    assert_eq!(aad(&other).2, 70000);

    // Expiry on the emulator clock, never the wall clock.
    let r = kv.form(&devicecode, &[("client_id", "public-app"), ("scope", &scope)]).await;
    let device_code = r.body["device_code"].as_str().unwrap().to_owned();
    kv.emu.advance_clock(900);
    let poll = [("grant_type", DEVICE_GRANT), ("client_id", "public-app"), ("device_code", &device_code)];
    assert_eq!(aad(&kv.token(&poll).await), (400, "expired_token".into(), 70019));
    assert!(kv.emu.pending_device_codes().is_empty());
    assert!(kv.emu.approve_device_code(r.body["user_code"].as_str().unwrap()).is_err());
    kv.emu.advance_clock(90 * 24 * 3600);
    let r =
        kv.token(&[("grant_type", "refresh_token"), ("client_id", "public-app"), ("refresh_token", &refresh)]).await;
    assert_eq!(aad(&r), (400, "invalid_grant".into(), 700082));
}

#[tokio::test]
async fn device_codes_are_approved_at_once_when_configured_and_need_a_known_client() {
    let kv = start_with(builder().device_code_auto_approve(true)).await;
    let devicecode = format!("{}/{DEFAULT_TENANT}/oauth2/v2.0/devicecode", kv.emu.authority_host());
    let azure_cli = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
    let r = kv.form(&devicecode, &[("client_id", azure_cli), ("scope", VAULT_SCOPE)]).await;
    assert_eq!(r.status, 200);
    assert!(kv.emu.pending_device_codes().is_empty());
    let dc = r.body["device_code"].as_str().unwrap().to_owned();
    let r = kv.token(&[("grant_type", DEVICE_GRANT), ("client_id", azure_cli), ("device_code", &dc)]).await;
    assert_eq!(r.status, 200);
    assert!(r.body.get("refresh_token").is_none() && r.body.get("id_token").is_none(), "none asked for");
    let r = kv.form(&devicecode, &[("client_id", "unknown"), ("scope", VAULT_SCOPE)]).await;
    assert_eq!(aad(&r).2, 700016);
    let r = kv.form(&devicecode, &[("client_id", azure_cli)]).await;
    assert_eq!(aad(&r).2, 900144);
}

#[tokio::test]
async fn discovery_document_names_the_emulators_endpoints() {
    let kv = start_with(builder()).await;
    let host = kv.emu.authority_host();
    let url = format!("{host}/organizations/v2.0/.well-known/openid-configuration");
    let r = to_resp(kv.http.get(url).send().await.unwrap()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["token_endpoint"], format!("{host}/organizations/oauth2/v2.0/token"));
    assert_eq!(r.body["device_authorization_endpoint"], format!("{host}/organizations/oauth2/v2.0/devicecode"));
    assert_eq!(r.body["authorization_endpoint"], format!("{host}/organizations/oauth2/v2.0/authorize"));
    assert_eq!(r.body["issuer"], format!("{host}/{}/v2.0", kv.emu.tenant_id()));
    let jwks = to_resp(kv.http.get(r.body["jwks_uri"].as_str().unwrap()).send().await.unwrap()).await;
    assert_eq!(jwks.body["keys"], json!([]));
    let r =
        to_resp(kv.http.get(format!("{host}/nope/v2.0/.well-known/openid-configuration")).send().await.unwrap()).await;
    assert_eq!(aad(&r).2, 90002);
}

#[tokio::test]
async fn managed_identity_endpoints_need_their_headers() {
    let kv = start_with(builder()).await;
    let q = "resource=https://vault.azure.net";
    let imds = format!("{}?api-version=2018-02-01&{q}", kv.emu.imds_endpoint());
    let r = to_resp(kv.http.get(&imds).send().await.unwrap()).await;
    assert_eq!(
        (r.status.as_u16(), r.body["error"].as_str()),
        (400, Some("invalid_request")),
        "Metadata: true is required"
    );
    let r = to_resp(kv.http.get(&imds).header("Metadata", "true").send().await.unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["expires_on"].is_string() && r.body["expires_in"] == "3600");
    assert_eq!(kv.vault_status(r.body["access_token"].as_str().unwrap()).await, 200);
    let r = kv.http.get(format!("{}?{q}", kv.emu.imds_endpoint())).header("Metadata", "true").send().await.unwrap();
    assert_eq!(r.status(), 400, "api-version is required");

    let secret = kv.emu.identity_header().to_owned();
    let sf = format!("{}?api-version=2019-07-01-preview&{q}", kv.emu.service_fabric_endpoint());
    let r = to_resp(kv.http.get(&sf).send().await.unwrap()).await;
    assert_eq!((r.status.as_u16(), r.body["error"]["code"].as_str()), (404, Some("SecretHeaderNotFound")));
    let r = to_resp(kv.http.get(&sf).header("secret", "wrong").send().await.unwrap()).await;
    assert_eq!(r.body["error"]["code"], "ManagedIdentityNotFound");
    let r = to_resp(kv.http.get(&sf).header("secret", &secret).send().await.unwrap()).await;
    assert_eq!(r.status, 200);
    assert!(r.body["expires_on"].is_i64(), "Service Fabric's expires_on is a number");
    assert_eq!(kv.vault_status(r.body["access_token"].as_str().unwrap()).await, 200);
    let r = to_resp(
        kv.http
            .get(format!("{}?{q}", kv.emu.service_fabric_endpoint()))
            .header("secret", &secret)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.body["error"]["code"], "InvalidApiVersion");

    let aml = format!("{}?api-version=2017-09-01&{q}&clientid=uami", kv.emu.azure_ml_endpoint());
    assert_eq!(kv.http.get(&aml).send().await.unwrap().status(), 401);
    let r = to_resp(kv.http.get(&aml).header("secret", &secret).send().await.unwrap()).await;
    assert_eq!((r.status.as_u16(), r.body["client_id"].as_str()), (200, Some("uami")));
    assert_eq!(kv.vault_status(r.body["access_token"].as_str().unwrap()).await, 200);
}

#[tokio::test]
async fn builder_refuses_bad_registrations() {
    let e = builder().app_certificate("a", "not a certificate").start().await.unwrap_err();
    assert!(e.to_string().contains("app certificate"), "{e}");
    let e = builder().app_secret("a", "").start().await.unwrap_err();
    assert!(!format!("{e:?}").is_empty());
    let emu = builder().start().await.unwrap();
    assert!(emu.register_app_secret("", "x").is_err());
    assert!(emu.register_app_certificate("a", "junk").is_err());
    assert!(!format!("{:?}", builder().app_secret("a", "hidden-value")).contains("hidden-value"));
}
