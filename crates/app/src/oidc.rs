//! Single sign-on with an organization's OpenID Connect provider.
//!
//! - **Configuration** (owners and admins): issuer, client id, client secret (sealed with the
//!   instance keyring, never shown back), which claims carry department and title, whether
//!   unverified e-mails are trusted, and "SSO only". Saving runs discovery, so an unreachable
//!   issuer or one that is not an OpenID provider is refused with the reason.
//! - **Sign-in**: authorization code with PKCE (S256), found by discovery. State, nonce and the
//!   PKCE verifier live in the database (any instance can finish a sign-in another started) for
//!   ten minutes, bound to the browser by a cookie whose hash is stored, and redeemed once.
//!   The ID token is checked by `openidconnect`: signature against the provider's JWKS, issuer,
//!   audience (this client only), nonce, expiry (against the app's clock). Nothing is switched
//!   off. Claims come from the ID token, completed by the UserInfo endpoint (whose `sub` must
//!   match).
//! - **Accounts**: a provider identity is issuer + `sub`; an e-mail change at the provider keeps
//!   the account. The first sign-in links an existing account with the same (verified) e-mail,
//!   once, or creates one (employee, department and title from the configured claims).
//!   Deactivated people are refused.
//! - **SSO only**: passwords (sign-in and reset) are off for everyone but owners, who keep theirs
//!   as the break-glass way in (see `chorus_domain::sso::password_allowed`).
//! - **Sign-out**: the Chorus session ends; when the provider has an `end_session_endpoint`, the
//!   browser goes there with `id_token_hint` and `post_logout_redirect_uri` = `/login`.

use crate::{
    App, Error, Result,
    audit::{self, Entry},
    me::{Caller, Me},
    security,
    sessions::{self, SignedIn},
};
use anyhow::Context as _;
use chorus_domain::{
    Action, Actor, DepartmentName, Email, Invalid, OrgId, PersonName, Role, Title, UserId, UserStatus,
    authorize,
    sso::{self, ClaimName, Issuer},
};
use chorus_store::{Db, admin, oidc as store, users};
use openidconnect::{
    AccessToken, AdditionalClaims, AsyncHttpClient, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    HttpRequest, HttpResponse, IdToken, IssuerUrl, Nonce, OAuth2TokenResponse as _, PkceCodeChallenge,
    PkceCodeVerifier, ProviderMetadataWithLogout, RedirectUrl, Scope, SubjectIdentifier, TokenResponse as _,
    core::{
        CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    },
};
use serde_json::{Map, Value};
use std::{collections::HashMap, future::Future, pin::Pin, sync::OnceLock};
use time::OffsetDateTime;

/// How long a started sign-in may take to come back.
const LOGIN_TTL: time::Duration = time::Duration::minutes(10);
/// The callback every provider is told about.
pub const CALLBACK_PATH: &str = "/auth/oidc/callback";
/// Largest answer read from a provider (discovery, JWKS, token, UserInfo).
const MAX_BODY: usize = 1024 * 1024;

fn secret_context(org: OrgId) -> String {
    format!("oidc:{}:client_secret", org.0)
}

/// Where providers send people back: register this at the provider.
pub fn redirect_uri(app: &App) -> String {
    app.url(CALLBACK_PATH)
}

/// Where providers send people after signing out there.
pub fn post_logout_uri(app: &App) -> String {
    app.url("/login")
}

// ---------------------------------------------------------------------------------- HTTP client

/// Our reqwest (0.13) as `openidconnect`'s HTTP client: no redirects followed (the crate asks
/// for that, against SSRF through the provider), bounded time and size, and, unless the operator
/// allows it, only public addresses: the issuer is typed in by an organization's admin, who must
/// not be able to make the server probe its own network (or a cloud metadata service). Names are
/// screened when resolved; IP literals before the request.
struct Http {
    client: reqwest::Client,
    allow_private: bool,
}

/// Why a private issuer is refused, and what the operator can do about it.
const PRIVATE_ADDRESS: &str = "it is at a private or reserved network address, which this server does not \
     reach unless its operator allows on-premises identity providers (--allow-private-sso)";

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let url = url::Url::parse(&parts.uri.to_string()).map_err(|_| HttpError("not a URL".into()))?;
            chorus_networks::preview::check_url(&url, self.allow_private).map_err(|e| match e {
                chorus_networks::preview::PreviewError::Forbidden => HttpError(PRIVATE_ADDRESS.into()),
                other => HttpError(other.to_string()),
            })?;
            let response = self
                .client
                .request(parts.method, url)
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(|e| match chorus_networks::preview::failure(&e) {
                    chorus_networks::preview::Failure::NonPublic => HttpError(PRIVATE_ADDRESS.into()),
                    chorus_networks::preview::Failure::Other(message) => HttpError(message),
                })?;
            let status = response.status();
            let headers = response.headers().clone();
            if response.content_length().is_some_and(|n| n > MAX_BODY as u64) {
                return Err(HttpError("the answer is too large".into()));
            }
            // Read in chunks: an answer without a length is cut off at the limit, not buffered whole.
            let mut response = response;
            let mut bytes = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| HttpError(error_chain(&e)))? {
                if bytes.len() + chunk.len() > MAX_BODY {
                    return Err(HttpError("the answer is too large".into()));
                }
                bytes.extend_from_slice(&chunk);
            }
            let mut out = HttpResponse::new(bytes);
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            Ok(out)
        })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn http(allow_private: bool) -> Result<&'static Http> {
    static GUARDED: OnceLock<std::result::Result<Http, String>> = OnceLock::new();
    static OPEN: OnceLock<std::result::Result<Http, String>> = OnceLock::new();
    let cell = if allow_private { &OPEN } else { &GUARDED };
    cell.get_or_init(|| {
        chorus_networks::preview::install_crypto_provider();
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(chorus_networks::preview::GuardedResolver { allow_private })
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(std::time::Duration::from_secs(10))
            .user_agent("Chorus/0.1 (+single sign-on)")
            .build()
            .map(|client| Http { client, allow_private })
            .map_err(|e| error_chain(&e))
    })
    .as_ref()
    .map_err(|e| Error::Internal(anyhow::anyhow!("no HTTP client for single sign-on: {e}")))
}

// ----------------------------------------------------------------------------------- discovery

type Metadata = ProviderMetadataWithLogout;

/// Why a provider could not be used, in words for an administrator.
fn discovery_problem(issuer: &str, e: &openidconnect::DiscoveryError<HttpError>) -> String {
    use openidconnect::DiscoveryError as D;
    match e {
        D::Request(e) => format!("could not reach {issuer}: {e}"),
        D::Response(status, _, _) => format!(
            "is not an OpenID provider: {issuer}/.well-known/openid-configuration (or its keys) answered {status}"
        ),
        D::Parse(_) => "is not an OpenID provider: its discovery document or keys do not parse".into(),
        D::Validation(m) => format!("is not a usable OpenID provider: {m}"),
        D::UrlParse(_) => "is not a URL".into(),
        other => format!("is not a usable OpenID provider: {other}"),
    }
}

/// Discovery document and signing keys of an issuer.
async fn discover(app: &App, issuer: &str) -> std::result::Result<Metadata, String> {
    let url = IssuerUrl::new(issuer.to_owned()).map_err(|_| "is not a URL".to_owned())?;
    let http = http(app.config.sso_allow_private).map_err(|e| e.to_string())?;
    Metadata::discover_async(url, http).await.map_err(|e| discovery_problem(issuer, &e))
}

// ------------------------------------------------------------------------------- configuration

/// The provider as administrators see it (never the secret).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProviderView {
    pub issuer: String,
    pub client_id: String,
    pub department_claim: String,
    pub title_claim: String,
    pub trust_unverified_email: bool,
    pub sso_only: bool,
    /// To register at the provider.
    pub redirect_uri: String,
    pub post_logout_redirect_uri: String,
    pub updated_at: OffsetDateTime,
    /// People of the organization who have signed in by SSO at least once.
    pub linked_people: i64,
}

/// What administrators set. A blank secret keeps the stored one.
#[derive(Clone, Default, serde::Deserialize)]
pub struct ProviderInput {
    pub issuer: String,
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub department_claim: Option<String>,
    #[serde(default)]
    pub title_claim: Option<String>,
    #[serde(default)]
    pub trust_unverified_email: bool,
    #[serde(default)]
    pub sso_only: bool,
}

/// Never prints the client secret (a log line must not carry it).
impl std::fmt::Debug for ProviderInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderInput")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "[redacted]"))
            .field("sso_only", &self.sso_only)
            .finish_non_exhaustive()
    }
}

async fn view(app: &App, db: &mut impl Db, p: store::Provider) -> Result<ProviderView> {
    let linked_people = store::count_identities(db, p.org_id).await?;
    Ok(ProviderView {
        issuer: p.issuer,
        client_id: p.client_id,
        department_claim: p.department_claim,
        title_claim: p.title_claim,
        trust_unverified_email: p.trust_unverified_email,
        sso_only: p.sso_only,
        redirect_uri: redirect_uri(app),
        post_logout_redirect_uri: post_logout_uri(app),
        updated_at: p.updated_at,
        linked_people,
    })
}

/// The organization's provider, if one is configured (owners and admins).
pub async fn get(app: &App, caller: &Caller) -> Result<Option<ProviderView>> {
    authorize(&caller.actor, Action::ManageSettings)?;
    let mut db = app.store.conn().await?;
    match store::provider_of(&mut db, caller.org_id()).await? {
        Some(p) => Ok(Some(view(app, &mut db, p).await?)),
        None => Ok(None),
    }
}

/// Sets up or changes the provider (owners and admins). The issuer must answer discovery.
pub async fn save(app: &App, caller: &Caller, input: &ProviderInput) -> Result<ProviderView> {
    authorize(&caller.actor, Action::ManageSettings)?;
    let mut problems = crate::Problems::default();
    let issuer = problems.check(Issuer::parse(&input.issuer));
    let client_id = problems.check(sso::parse_client_id(&input.client_id));
    let secret = problems.check(sso::parse_client_secret(input.client_secret.as_deref()));
    let dept_claim = problems.check(ClaimName::parse_or(
        "department_claim",
        input.department_claim.as_deref(),
        sso::DEFAULT_DEPARTMENT_CLAIM,
    ));
    let title_claim = problems.check(ClaimName::parse_or(
        "title_claim",
        input.title_claim.as_deref(),
        sso::DEFAULT_TITLE_CLAIM,
    ));
    problems.finish()?;
    let (Some(issuer), Some(client_id), Some(secret), Some(dept_claim), Some(title_claim)) =
        (issuer, client_id, secret, dept_claim, title_claim)
    else {
        return Err(Error::Internal(anyhow::anyhow!("parsed values missing after a clean parse")));
    };
    let org = caller.org_id();
    let existing = {
        let mut db = app.store.conn().await?;
        store::provider_of(&mut db, org).await?
    };
    let sealed = match (secret, &existing) {
        (Some(s), _) => app.config.secrets.seal(&secret_context(org), s.as_bytes()),
        (None, Some(p)) => p.client_secret_sealed.clone(),
        (None, None) => return Err(Invalid::new("client_secret", "is required").into()),
    };
    // Outside any transaction: a slow provider must not hold the database's writer.
    discover(app, issuer.as_str()).await.map_err(|m| Error::from(Invalid::new("issuer", m)))?;
    let now = app.now();
    let p = store::Provider {
        org_id: org,
        issuer: issuer.as_str().to_owned(),
        client_id,
        client_secret_sealed: sealed,
        department_claim: dept_claim.as_str().to_owned(),
        title_claim: title_claim.as_str().to_owned(),
        trust_unverified_email: input.trust_unverified_email,
        sso_only: input.sso_only,
        created_at: existing.as_ref().map_or(now, |e| e.created_at),
        updated_at: now,
    };
    let mut tx = app.store.tx().await?;
    store::put_provider(&mut tx, &p).await?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("sso.configured").detail(serde_json::json!({
            "issuer": p.issuer, "client_id": p.client_id, "sso_only": p.sso_only,
            "trust_unverified_email": p.trust_unverified_email,
            "department_claim": p.department_claim, "title_claim": p.title_claim,
            "secret_changed": input.client_secret.as_deref().is_some_and(|s| !s.trim().is_empty()),
        })),
    )
    .await?;
    let out = view(app, &mut tx, p).await?;
    tx.commit().await?;
    Ok(out)
}

/// Removes the provider (owners and admins): passwords work again for everyone who has one.
pub async fn remove(app: &App, caller: &Caller) -> Result<()> {
    authorize(&caller.actor, Action::ManageSettings)?;
    let now = app.now();
    let mut tx = app.store.tx().await?;
    if !store::delete_provider(&mut tx, caller.org_id()).await? {
        return Err(Error::NotFound);
    }
    audit::record(&mut tx, caller.org_id(), caller, now, Entry::new("sso.removed")).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether a person of this organization may use a password (sign-in, reset).
pub async fn password_allowed(db: &mut impl Db, org: OrgId, role: Role) -> Result<bool> {
    Ok(sso::password_allowed(store::sso_only(db, org).await?, role))
}

// ------------------------------------------------------------------------------------ sign-in

/// A sign-in sent to the provider: where the browser goes, and the value of the cookie that
/// binds the sign-in to this browser.
#[derive(Debug, Clone)]
pub struct Started {
    pub authorize_url: String,
    pub browser_token: String,
}

const NO_SSO: &str = "has no single sign-on (check the short name, or sign in with your password)";

fn client(app: &App, p: &store::Provider, metadata: Metadata) -> Result<ConfiguredClient> {
    let secret = app
        .config
        .secrets
        .open(&secret_context(p.org_id), &p.client_secret_sealed)
        .map_err(|e| Error::Internal(anyhow::anyhow!("open the SSO client secret: {e}")))?;
    let secret = String::from_utf8(secret).context("the SSO client secret is text")?;
    let redirect = RedirectUrl::new(redirect_uri(app)).context("the redirect URI is a URL")?;
    // client_secret_basic unless the provider only takes the secret in the body.
    let post_only = metadata.token_endpoint_auth_methods_supported().is_some_and(|m| {
        !m.contains(&CoreClientAuthMethod::ClientSecretBasic)
            && m.contains(&CoreClientAuthMethod::ClientSecretPost)
    });
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(p.client_id.clone()),
        Some(ClientSecret::new(secret)),
    )
    .set_redirect_uri(redirect);
    Ok(if post_only { client.set_auth_type(openidconnect::AuthType::RequestBody) } else { client })
}

type ConfiguredClient = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    openidconnect::core::CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    openidconnect::core::CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// Starts a sign-in for the organization with this short name: sends the browser to its
/// provider. `next` is where to land afterwards (a local path).
pub async fn begin(app: &App, org_slug: &str, next: &str) -> Result<Started> {
    let slug = org_slug.trim().to_lowercase();
    if slug.is_empty() {
        return Err(Invalid::new("organization", "is required").into());
    }
    let (org, p) = {
        let mut db = app.store.conn().await?;
        let org = admin::org_by_slug(&mut db, &slug).await?.ok_or(Invalid::new("organization", NO_SSO))?;
        let p = store::provider_of(&mut db, org.id).await?.ok_or(Invalid::new("organization", NO_SSO))?;
        (org, p)
    };
    let metadata = discover(app, &p.issuer).await.map_err(|m| {
        tracing::warn!(org.slug = %org.slug, sso.issuer = %p.issuer, "SSO provider unusable: {m}");
        Error::Invalid(vec![Invalid::new(
            "organization",
            "the identity provider cannot be reached right now; try again later or ask an administrator",
        )])
    })?;
    let client = client(app, &p, metadata)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let browser_token = security::random_token();
    let now = app.now();
    let login = store::Login {
        state_hash: security::sha256_hex(state.secret()),
        org_id: org.id,
        browser_hash: security::sha256_hex(&browser_token),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        next_path: next.to_owned(),
        created_at: now,
        expires_at: now + LOGIN_TTL,
        used_at: None,
    };
    let mut db = app.store.write().await?;
    store::insert_login(&mut db, &login).await?;
    Ok(Started { authorize_url: url.to_string(), browser_token })
}

/// What the provider sent back to the callback.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Callback {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
    /// The provider's issuer (RFC 9207), sent by providers that support it: checked when present.
    #[serde(default)]
    pub iss: Option<String>,
}

/// A finished sign-in.
#[derive(Debug, Clone)]
pub struct Finished {
    pub signed_in: SignedIn,
    /// Where to go now (a local path).
    pub next: String,
}

/// Why a sign-in was refused, in words for the person, with the HTTP status to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub message: String,
}

fn refused(status: u16, message: impl Into<String>) -> Refused {
    Refused { status, message: message.into() }
}

impl From<Error> for Refused {
    fn from(e: Error) -> Self {
        tracing::error!(error = %format!("{e:#}"), "Single sign-on failed");
        refused(500, "Something went wrong on our side while signing you in. Try again in a moment.")
    }
}

impl From<chorus_store::Error> for Refused {
    fn from(e: chorus_store::Error) -> Self {
        // Two first sign-ins racing for one identity, e-mail or new department: one wins.
        if e.is_conflict() {
            return refused(409, "The same account was being set up at the same moment. Try again.");
        }
        Error::from(e).into()
    }
}

/// Claims beyond the standard ones (department, title, whatever the provider adds).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
struct ExtraClaims {
    #[serde(flatten)]
    rest: HashMap<String, Value>,
}
impl AdditionalClaims for ExtraClaims {}

type SsoIdToken =
    IdToken<ExtraClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

fn id_token_problem(e: &openidconnect::ClaimsVerificationError) -> &'static str {
    use openidconnect::ClaimsVerificationError as C;
    match e {
        C::SignatureVerification(_) => "its signature does not verify against the provider's keys",
        C::InvalidAudience(_) => "it was issued for another application (audience)",
        C::Expired(_) => "it has expired",
        C::InvalidNonce(_) => "it does not belong to this sign-in (nonce)",
        C::InvalidIssuer(_) => "it comes from another issuer",
        _ => "it is not valid",
    }
}

fn chrono_now(app: &App) -> impl Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync + use<> {
    let clock = app.clock.clone();
    move || {
        let now = clock.now();
        chrono::DateTime::from_timestamp(now.unix_timestamp(), now.nanosecond()).unwrap_or_default()
    }
}

/// Finishes a sign-in at the callback: checks state, browser and expiry, redeems the code with
/// the PKCE verifier, validates the ID token, then finds, links or creates the account and
/// starts a session.
pub async fn complete(
    app: &App,
    cb: &Callback,
    browser_token: Option<&str>,
    client_addr: Option<String>,
) -> std::result::Result<Finished, Refused> {
    const AGAIN: &str = "Start again from the sign-in page.";
    let state = cb.state.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| {
        refused(400, format!("This sign-in answer has no state, so it cannot be trusted. {AGAIN}"))
    })?;
    let state_hash = security::sha256_hex(state);
    let login = {
        let mut db = app.store.conn().await?;
        store::login(&mut db, &state_hash).await?
    }
    .ok_or_else(|| refused(400, format!("This sign-in is unknown or has expired. {AGAIN}")))?;
    if login.used_at.is_some() {
        return Err(refused(400, format!("This sign-in was already used. {AGAIN}")));
    }
    if browser_token.map(security::sha256_hex).as_deref() != Some(login.browser_hash.as_str()) {
        return Err(refused(400, format!("This sign-in was started in another browser or window. {AGAIN}")));
    }
    let now = app.now();
    if login.expires_at <= now {
        return Err(refused(400, format!("This sign-in took too long and has expired. {AGAIN}")));
    }
    {
        let mut db = app.store.write().await?;
        if !store::use_login(&mut db, &state_hash, now).await? {
            return Err(refused(400, format!("This sign-in was already used. {AGAIN}")));
        }
    }
    if let Some(error) = &cb.error {
        let detail = cb.error_description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
        return Err(refused(401, format!("The identity provider did not sign you in: {error}{detail}.")));
    }
    let code = cb
        .code
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| refused(400, format!("The identity provider sent no code. {AGAIN}")))?;
    let org = login.org_id;
    let p = {
        let mut db = app.store.conn().await?;
        store::provider_of(&mut db, org).await?
    }
    .ok_or_else(|| refused(400, "Single sign-on is no longer set up for this organization."))?;
    if cb.iss.as_deref().is_some_and(|iss| iss != p.issuer) {
        return Err(refused(401, "The answer came from another identity provider than this organization's."));
    }
    let metadata = discover(app, &p.issuer).await.map_err(|m| {
        tracing::warn!(org.id = %org.0, sso.issuer = %p.issuer, "SSO provider unusable: {m}");
        refused(502, "The identity provider cannot be reached right now. Try again later.")
    })?;
    let client = client(app, &p, metadata)?;
    let http = http(app.config.sso_allow_private)?;
    let token = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|e| Error::Internal(anyhow::anyhow!("no token endpoint: {e}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(login.pkce_verifier.clone()))
        .request_async(http)
        .await
        .map_err(|e| {
            tracing::warn!(org.id = %org.0, error = %error_chain(&e), "SSO code exchange refused");
            refused(401, format!("The identity provider did not accept this sign-in. {AGAIN}"))
        })?;
    let raw_id_token =
        token.id_token().ok_or_else(|| refused(401, "The identity provider sent no ID token."))?.to_string();
    // Parsed again with room for any claim (department, title); verified in full either way.
    let id_token: SsoIdToken =
        raw_id_token.parse().map_err(|_| refused(401, "The identity provider's ID token does not parse."))?;
    let verifier = client.id_token_verifier().set_time_fn(chrono_now(app));
    let claims = id_token.claims(&verifier, &Nonce::new(login.nonce.clone())).map_err(|e| {
        tracing::warn!(org.id = %org.0, error = %error_chain(&e), "SSO ID token refused");
        refused(401, format!("The identity provider's answer was refused: {}.", id_token_problem(&e)))
    })?;
    let subject = claims.subject().to_string();
    let issuer = claims.issuer().to_string();
    let mut all: Map<String, Value> = match serde_json::to_value(claims) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    if client.user_info_url().is_some() {
        let request = client
            .user_info(
                AccessToken::new(token.access_token().secret().clone()),
                Some(SubjectIdentifier::new(subject.clone())),
            )
            .map_err(|e| Error::Internal(anyhow::anyhow!("UserInfo: {e}")))?;
        match request.request_async::<ExtraClaims, _, CoreGenderClaim>(http).await {
            Ok(info) => {
                if let Ok(Value::Object(m)) = serde_json::to_value(info) {
                    // The ID token's own claims (iss, aud, nonce…) win; UserInfo adds the rest.
                    for (k, v) in m {
                        all.entry(k).or_insert(v);
                    }
                }
            }
            Err(e) => tracing::warn!(org.id = %org.0, error = %error_chain(&e), "SSO UserInfo failed"),
        }
    }
    let identity = Identity { org, issuer, subject, claims: all };
    let user = account_for(app, &p, &identity, client_addr.clone()).await?;
    let name = PersonName::parse(&user.name)
        .unwrap_or_else(|_| PersonName::parse("SSO user").expect("a valid name"));
    let signed_in = sessions::start(app, org, user.id, &name, client_addr).await?;
    {
        let mut db = app.store.write().await?;
        store::insert_session_token(
            &mut db,
            &security::sha256_hex(&signed_in.token),
            org,
            &raw_id_token,
            now,
        )
        .await?;
    }
    Ok(Finished { signed_in, next: login.next_path })
}

struct Identity {
    org: OrgId,
    issuer: String,
    subject: String,
    claims: Map<String, Value>,
}

impl Identity {
    fn text(&self, name: &str) -> Option<String> {
        sso::claim_text(self.claims.get(name))
    }
}

/// The person this identity is: already linked, linked now by e-mail, or created now.
async fn account_for(
    app: &App,
    p: &store::Provider,
    id: &Identity,
    client_addr: Option<String>,
) -> std::result::Result<users::User, Refused> {
    const DEACTIVATED: &str = "Your Chorus account has been deactivated. Ask an administrator.";
    let now = app.now();
    let org = id.org;
    let mut tx = app.store.tx().await?;
    if let Some(uid) = store::identity_user(&mut tx, org, &id.issuer, &id.subject).await? {
        let user = users::get(&mut tx, org, uid).await?.ok_or_else(|| refused(403, DEACTIVATED))?;
        if user.status == UserStatus::Deactivated {
            return Err(refused(403, DEACTIVATED));
        }
        if user.status == UserStatus::Invited {
            users::set_status(&mut tx, org, uid, UserStatus::Active, now).await?;
        }
        store::touch_identity(&mut tx, org, &id.issuer, &id.subject, now).await?;
        tx.commit().await.map_err(Error::from)?;
        return Ok(user);
    }
    let email = id.text("email").and_then(|e| Email::parse(&e).ok()).ok_or_else(|| {
        refused(403, "The identity provider did not tell us your e-mail address (the email claim).")
    })?;
    if !sso::email_acceptable(id.claims.get("email_verified"), p.trust_unverified_email) {
        return Err(refused(
            403,
            "The identity provider has not verified your e-mail address, so it cannot be used to sign in here.",
        ));
    }
    let who = |user: UserId, name: &str| Caller {
        actor: Actor {
            org_id: org,
            user_id: Some(user),
            role: Role::Employee,
            department_id: None,
            leads: vec![],
        },
        label: name.to_owned(),
        client_addr: client_addr.clone(),
    };
    let detail = serde_json::json!({"issuer": id.issuer, "subject": id.subject});
    if let Some(user) = users::get_by_email(&mut tx, org, email.as_str()).await? {
        if user.status == UserStatus::Deactivated {
            return Err(refused(403, DEACTIVATED));
        }
        // An owner's account is never taken over by an e-mail claim: whoever configures the
        // provider (an admin may) would otherwise control who signs in as the owner. Owners keep
        // their password, even in SSO-only mode.
        if user.role == Role::Owner {
            return Err(refused(
                403,
                "This e-mail address belongs to an owner of the organization; owners sign in with their password.",
            ));
        }
        if store::has_identity(&mut tx, org, user.id, &id.issuer).await? {
            return Err(refused(
                409,
                "Your e-mail address belongs to a Chorus account already linked to another identity at this provider. Ask an administrator.",
            ));
        }
        store::link(&mut tx, org, &id.issuer, &id.subject, user.id, now).await?;
        if user.status == UserStatus::Invited {
            users::set_status(&mut tx, org, user.id, UserStatus::Active, now).await?;
        }
        audit::record(
            &mut tx,
            org,
            &who(user.id, &user.name),
            now,
            Entry::new("user.sso_linked").target("user", user.id).detail(detail),
        )
        .await?;
        tx.commit().await.map_err(Error::from)?;
        return Ok(user);
    }
    let name =
        sso::display_name(id.text("name"), id.text("given_name"), id.text("family_name"), email.as_str());
    let name = PersonName::parse(&name)
        .or_else(|_| PersonName::parse(email.as_str().split('@').next().unwrap_or("SSO user")))
        .map_err(|_| refused(403, "The identity provider sent a name Chorus cannot use."))?;
    let title = Title::parse_optional(id.text(&p.title_claim).as_deref()).ok().flatten();
    let department_id = match id.text(&p.department_claim).and_then(|d| DepartmentName::parse(&d).ok()) {
        Some(d) => {
            // Created (and audited) like any department; the provider's claim is the reason.
            let sso = Caller { label: "single sign-on".into(), ..Caller::operator(org) };
            Some(crate::departments::find_or_create(&mut tx, &sso, &d, now).await?.0.id)
        }
        None => None,
    };
    let uid = UserId::new();
    users::insert(
        &mut tx,
        &users::NewUser {
            id: uid,
            org_id: org,
            email: email.as_str(),
            name: name.as_str(),
            title: title.as_ref().map(Title::as_str),
            seniority: None,
            role: Role::Employee,
            department_id,
            status: UserStatus::Active,
            password_hash: None,
            now,
        },
    )
    .await?;
    store::link(&mut tx, org, &id.issuer, &id.subject, uid, now).await?;
    audit::record(
        &mut tx,
        org,
        &who(uid, name.as_str()),
        now,
        Entry::new("user.sso_created").target("user", uid).detail(detail),
    )
    .await?;
    let user = users::get(&mut tx, org, uid).await?.ok_or(Error::NotFound)?;
    tx.commit().await.map_err(Error::from)?;
    Ok(user)
}

// ----------------------------------------------------------------------------------- sign-out

/// Where to send the browser after ending a session that began by single sign-on: the
/// provider's `end_session_endpoint` with `id_token_hint`, `client_id` and
/// `post_logout_redirect_uri`. `None` for password sessions, providers without one, or a
/// provider that cannot be reached (the Chorus session ends either way). Call before the
/// session is deleted.
pub async fn end_session_url(app: &App, me: &Me, session_token: &str) -> Option<String> {
    let org = me.org_id();
    let found = async {
        let mut db = app.store.conn().await?;
        let id_token = store::session_id_token(&mut db, org, &security::sha256_hex(session_token)).await?;
        let provider = store::provider_of(&mut db, org).await?;
        Ok::<_, Error>(id_token.zip(provider))
    }
    .await;
    let (id_token, p) = match found {
        Ok(Some(v)) => v,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "SSO sign-out: session lookup failed");
            return None;
        }
    };
    let metadata = match discover(app, &p.issuer).await {
        Ok(m) => m,
        Err(m) => {
            tracing::warn!(sso.issuer = %p.issuer, "SSO sign-out without the provider: {m}");
            return None;
        }
    };
    let endpoint = metadata.additional_metadata().end_session_endpoint.clone()?;
    let mut url = endpoint.url().clone();
    url.query_pairs_mut()
        .append_pair("id_token_hint", &id_token)
        .append_pair("client_id", &p.client_id)
        .append_pair("post_logout_redirect_uri", &post_logout_uri(app));
    Some(url.to_string())
}

/// Housekeeping: sign-ins that were never finished.
pub async fn prune(app: &App) -> Result<()> {
    let mut db = app.store.write().await?;
    store::prune_logins(&mut db, app.now() - time::Duration::days(1)).await?;
    Ok(())
}
