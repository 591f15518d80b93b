//! A small OpenID provider for tests of Chorus's single sign-on: discovery, JWKS, an
//! authorization endpoint that signs in a chosen account at once (no login page), a token
//! endpoint that checks the client's secret (`client_secret_basic`), the redirect URI and the
//! PKCE verifier (S256) and redeems each code once, and an `end_session_endpoint`.
//!
//! The ID token is RS256-signed with a test key and can carry one chosen [`Defect`], so tests
//! show each check of the relying party refusing it; with [`Defect::None`] the same flow must
//! succeed, which shows the stand-in itself is correct. The real provider (npm `oidc-provider`)
//! is exercised by `tests/peers/oidc` and the browser test.

use axum::{
    Form, Json, Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use base64::{Engine as _, engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD};
use openidconnect::{
    JsonWebKeyId, PrivateSigningKey as _,
    core::{CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey},
};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// Test keys, made for these tests only (never used anywhere else).
const KEY: &str = include_str!("oidc_test_key.pem");
const OTHER_KEY: &str = include_str!("oidc_other_key.pem");
const KID: &str = "standin-key-1";

/// The person the next authorization signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub sub: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub department: Option<String>,
    pub title: Option<String>,
}

impl Account {
    pub fn new(sub: &str, email: &str, name: &str) -> Self {
        Self {
            sub: sub.into(),
            email: email.into(),
            email_verified: true,
            name: name.into(),
            department: None,
            title: None,
        }
    }
}

/// What is wrong with the next ID tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Defect {
    #[default]
    None,
    /// Signed, then a claim changed (the signature no longer matches).
    TamperedSignature,
    /// Signed with a key the JWKS does not hold (same key id).
    UnknownKey,
    /// Issued for another client.
    WrongAudience,
    /// Expired a minute before the provider's "now".
    Expired,
    /// Carries another nonce than the one the client sent.
    WrongNonce,
    /// Says another issuer.
    WrongIssuer,
}

struct Grant {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    nonce: String,
    account: Account,
}

struct Inner {
    issuer: String,
    clients: HashMap<String, String>,
    account: Account,
    defect: Defect,
    /// Unix seconds the provider treats as now (tests align it with their clock).
    now: Option<i64>,
    codes: HashMap<String, Grant>,
    next_code: u64,
    /// Every token request's answer status.
    token_answers: Vec<u16>,
    /// An `aud` to put in ID tokens instead of the client's id (another organization's client).
    audience: Option<String>,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    key: Arc<CoreRsaPrivateSigningKey>,
    other_key: Arc<CoreRsaPrivateSigningKey>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running stand-in provider.
pub struct OidcStandIn {
    /// The issuer URL (`http://127.0.0.1:PORT`).
    pub issuer: String,
    shared: Shared,
}

impl OidcStandIn {
    /// Starts a provider that knows one client.
    pub async fn start(client_id: &str, client_secret: &str) -> Self {
        let key = CoreRsaPrivateSigningKey::from_pem(KEY, Some(JsonWebKeyId::new(KID.into())))
            .expect("the test key parses");
        let other_key = CoreRsaPrivateSigningKey::from_pem(OTHER_KEY, Some(JsonWebKeyId::new(KID.into())))
            .expect("the other test key parses");
        let shared = Shared {
            inner: Arc::new(Mutex::new(Inner {
                issuer: String::new(),
                clients: HashMap::from([(client_id.to_owned(), client_secret.to_owned())]),
                account: Account::new("user-1", "user1@example.test", "User One"),
                defect: Defect::None,
                now: None,
                codes: HashMap::new(),
                next_code: 0,
                token_answers: Vec::new(),
                audience: None,
            })),
            key: Arc::new(key),
            other_key: Arc::new(other_key),
        };
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/session/end", get(end_session))
            .with_state(shared.clone());
        let issuer = crate::serve(router).await;
        shared.lock().issuer = issuer.clone();
        Self { issuer, shared }
    }

    /// Another client this provider knows (another organization's, say).
    pub fn add_client(&self, client_id: &str, client_secret: &str) {
        self.shared.lock().clients.insert(client_id.to_owned(), client_secret.to_owned());
    }

    /// Who the next authorization signs in.
    pub fn sign_in_as(&self, account: Account) {
        self.shared.lock().account = account;
    }

    pub fn set_defect(&self, defect: Defect) {
        self.shared.lock().defect = defect;
    }

    /// The provider's "now" for `iat` and `exp` (Unix seconds); the real time by default.
    pub fn set_now(&self, unix_seconds: i64) {
        self.shared.lock().now = Some(unix_seconds);
    }

    /// ID tokens name this audience instead of the requesting client (`None`: the client).
    pub fn set_audience(&self, audience: Option<&str>) {
        self.shared.lock().audience = audience.map(str::to_owned);
    }

    /// The status of every answer of the token endpoint, in order.
    pub fn token_answers(&self) -> Vec<u16> {
        self.shared.lock().token_answers.clone()
    }
}

async fn discovery(State(s): State<Shared>) -> Json<Value> {
    let issuer = s.lock().issuer.clone();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "end_session_endpoint": format!("{issuer}/session/end"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "scopes_supported": ["openid", "email", "profile"],
    }))
}

async fn jwks(State(s): State<Shared>) -> Json<Value> {
    let jwk = serde_json::to_value(s.key.as_verification_key()).unwrap_or(Value::Null);
    Json(json!({ "keys": [jwk] }))
}

fn bad(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

async fn authorize(State(s): State<Shared>, Query(q): Query<AuthorizeQuery>) -> Response {
    let mut inner = s.lock();
    let (Some(client_id), Some(redirect_uri), Some(state), Some(nonce), Some(challenge)) =
        (q.client_id, q.redirect_uri, q.state, q.nonce, q.code_challenge)
    else {
        return bad(StatusCode::BAD_REQUEST, "invalid_request");
    };
    if !inner.clients.contains_key(&client_id)
        || q.response_type.as_deref() != Some("code")
        || q.code_challenge_method.as_deref() != Some("S256")
        || !q.scope.unwrap_or_default().split(' ').any(|s| s == "openid")
    {
        return bad(StatusCode::BAD_REQUEST, "invalid_request");
    }
    inner.next_code += 1;
    let code = format!("code-{}-{}", inner.next_code, URL_SAFE_NO_PAD.encode(state.as_bytes()));
    let account = inner.account.clone();
    inner.codes.insert(
        code.clone(),
        Grant { client_id, redirect_uri: redirect_uri.clone(), challenge, nonce, account },
    );
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{redirect_uri}{sep}code={code}&state={state}")).into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
}

/// `client_secret_basic`: `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
fn basic_client(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(value).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
                (b'%', Some(b)) => {
                    out.push(b);
                    i += 3;
                }
                (b'+', _) => {
                    out.push(b' ');
                    i += 1;
                }
                (b, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    Some((unescape(id), unescape(secret)))
}

async fn token(State(s): State<Shared>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Response {
    let answer = redeem(&s, &headers, f);
    let status = answer.status().as_u16();
    s.lock().token_answers.push(status);
    answer
}

fn redeem(s: &Shared, headers: &HeaderMap, f: TokenForm) -> Response {
    let mut inner = s.lock();
    let Some((client_id, secret)) = basic_client(headers) else {
        return bad(StatusCode::UNAUTHORIZED, "invalid_client");
    };
    if inner.clients.get(&client_id) != Some(&secret) {
        return bad(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    if f.grant_type.as_deref() != Some("authorization_code") {
        return bad(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    // Each code is redeemed once: removed on first use, whatever the outcome.
    let Some(grant) = f.code.as_deref().and_then(|c| inner.codes.remove(c)) else {
        return bad(StatusCode::BAD_REQUEST, "invalid_grant");
    };
    let verifier_ok = f
        .code_verifier
        .as_deref()
        .is_some_and(|v| URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())) == grant.challenge);
    if grant.client_id != client_id
        || f.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str())
        || !verifier_ok
    {
        return bad(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let now = inner.now.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
            .unwrap_or(0)
    });
    let defect = inner.defect;
    let a = &grant.account;
    let mut claims = json!({
        "iss": if defect == Defect::WrongIssuer { "https://elsewhere.example" } else { inner.issuer.as_str() },
        "sub": a.sub,
        "aud": match (&inner.audience, defect) {
            (_, Defect::WrongAudience) => "another-client",
            (Some(aud), _) => aud.as_str(),
            (None, _) => client_id.as_str(),
        },
        "iat": now,
        "exp": if defect == Defect::Expired { now - 60 } else { now + 300 },
        "nonce": if defect == Defect::WrongNonce { "not-the-nonce" } else { grant.nonce.as_str() },
        "email": a.email,
        "email_verified": a.email_verified,
        "name": a.name,
    });
    if let Some(d) = &a.department {
        claims["department"] = json!(d);
    }
    if let Some(t) = &a.title {
        claims["title"] = json!(t);
    }
    let key = if defect == Defect::UnknownKey { &s.other_key } else { &s.key };
    let Some(mut id_token) = sign(key, &claims) else {
        return bad(StatusCode::INTERNAL_SERVER_ERROR, "server_error");
    };
    if defect == Defect::TamperedSignature {
        // Same header and signature, a payload claiming someone else.
        claims["sub"] = json!("admin");
        claims["email"] = json!("ceo@example.test");
        let parts: Vec<&str> = id_token.split('.').collect();
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes());
        id_token = format!("{}.{}.{}", parts[0], payload, parts[2]);
    }
    Json(json!({
        "access_token": format!("at-{}", a.sub),
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    }))
    .into_response()
}

fn sign(key: &CoreRsaPrivateSigningKey, claims: &Value) -> Option<String> {
    let header = json!({ "alg": "RS256", "typ": "JWT", "kid": KID });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string().as_bytes()),
        URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes())
    );
    let signature =
        key.sign(&CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, signing_input.as_bytes()).ok()?;
    Some(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

async fn end_session() -> &'static str {
    "signed out"
}
