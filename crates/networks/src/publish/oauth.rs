//! OAuth 2.0 access tokens that expire (X, LinkedIn): refreshed with `grant_type=refresh_token`
//! shortly before they expire, and once more after a 401 (then the request is repeated once: a
//! 401 means it was not carried out). Refresh tokens that rotate (X) are kept; a connector that
//! refreshed hands the new [`Token`] back as JSON from `Connector::session_state`, and the caller
//! seals it and passes it back as the session next time, where it takes precedence over the
//! token in the channel's credentials.
//!
//! RFC 6749 §6 <https://datatracker.ietf.org/doc/html/rfc6749#section-6>;
//! X (HTTP Basic client authentication for confidential clients; refresh tokens are single-use)
//! <https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token>;
//! LinkedIn (`client_id` and `client_secret` in the form)
//! <https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens>.

use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use super::{PublishError, retry_after, transport_error, truncate};

/// Refresh when less than this many seconds of the access token's life remain.
pub const REFRESH_MARGIN_SECS: i64 = 5 * 60;

/// The application registered with the network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthApp {
    pub token_url: String,
    pub client_id: String,
    /// Empty for a public client (X allows those; it then sends only `client_id`).
    pub client_secret: String,
}

/// An access token with what is needed to renew it. Serialized as
/// `{"access_token": "…", "refresh_token": "…", "expires_at": 1767225600}` (the last two may be
/// absent); `expires_at` is in Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

impl Token {
    /// A token from a channel's credentials: `access_token`, and optionally `refresh_token` and
    /// `expires_at` (Unix seconds, as a number or a string of digits).
    pub fn from_credentials(map: &serde_json::Map<String, serde_json::Value>) -> Option<Token> {
        let text = |k: &str| map.get(k).and_then(|v| v.as_str()).map(str::trim).filter(|s| !s.is_empty());
        let expires_at =
            map.get("expires_at").and_then(|v| v.as_i64().or_else(|| v.as_str()?.trim().parse().ok()));
        Some(Token {
            access_token: text("access_token")?.to_owned(),
            refresh_token: text("refresh_token").map(str::to_owned),
            expires_at,
        })
    }
}

/// How the client authenticates itself at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic with the client id and secret (RFC 6749 §2.3.1), as X wants for confidential
    /// clients; `client_id` also goes in the form, as X's examples show.
    Basic,
    /// `client_id` and `client_secret` in the form, as LinkedIn wants.
    Form,
}

/// How an authenticated call failed: a refused access token (refresh and repeat once), or for
/// good.
pub(crate) enum Failure {
    Expired,
    Error(PublishError),
}

impl From<PublishError> for Failure {
    fn from(e: PublishError) -> Self {
        Failure::Error(e)
    }
}

/// The token a connector uses, renewed as needed.
pub(crate) struct Tokens {
    client: reqwest::Client,
    app: OAuthApp,
    auth: ClientAuth,
    now_unix: i64,
    // Held across a refresh, so two calls never spend the same (single-use) refresh token.
    token: tokio::sync::Mutex<Token>,
    changed: AtomicBool,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
}

impl Tokens {
    /// `session` (a token kept from an earlier refresh) takes precedence over `credentials`.
    pub(crate) fn new(
        client: reqwest::Client,
        app: OAuthApp,
        auth: ClientAuth,
        credentials: Token,
        session: Option<Token>,
        now_unix: i64,
    ) -> Self {
        Self {
            client,
            app,
            auth,
            now_unix,
            token: tokio::sync::Mutex::new(session.unwrap_or(credentials)),
            changed: AtomicBool::new(false),
        }
    }

    /// The token to keep, if it was renewed since this connector was made.
    pub(crate) fn renewed(&self) -> Option<Token> {
        if !self.changed.load(Ordering::SeqCst) {
            return None;
        }
        self.token.try_lock().ok().map(|t| t.clone())
    }

    /// Runs `call` with an access token good for a while yet; if the network refuses the token
    /// (401), refreshes it and runs `call` once more.
    pub(crate) async fn call<T, F, Fut>(&self, call: F) -> Result<T, PublishError>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let token = self.usable().await?;
        match call(token.clone()).await {
            Ok(v) => Ok(v),
            Err(Failure::Error(e)) => Err(e),
            Err(Failure::Expired) => {
                let fresh = self.renew_refused(&token).await?;
                call(fresh).await.map_err(|e| match e {
                    Failure::Expired => {
                        PublishError::Unauthorized("the access token was refused even after a refresh".into())
                    }
                    Failure::Error(e) => e,
                })
            }
        }
    }

    /// The current access token, refreshed first when it expires within the margin.
    async fn usable(&self) -> Result<String, PublishError> {
        let mut token = self.token.lock().await;
        let left = token.expires_at.map(|at| at - self.now_unix);
        if left.is_some_and(|s| s < REFRESH_MARGIN_SECS) && token.refresh_token.is_some() {
            match self.refresh(&token).await {
                Ok(fresh) => self.keep(&mut token, fresh),
                // A dead refresh token needs a person now, even if the access token has minutes left.
                Err(e @ PublishError::Unauthorized(_)) => return Err(e),
                // The token endpoint is unwell but the access token still works: use it.
                Err(_) if left.is_some_and(|s| s > 0) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(token.access_token.clone())
    }

    /// A new access token after `refused` was refused (unless another call already renewed it).
    async fn renew_refused(&self, refused: &str) -> Result<String, PublishError> {
        let mut token = self.token.lock().await;
        if token.access_token != refused {
            return Ok(token.access_token.clone());
        }
        if token.refresh_token.is_none() {
            return Err(PublishError::Unauthorized(
                "the access token was refused and there is no refresh token".into(),
            ));
        }
        let fresh = self.refresh(&token).await?;
        self.keep(&mut token, fresh);
        Ok(token.access_token.clone())
    }

    fn keep(&self, slot: &mut Token, fresh: Token) {
        *slot = fresh;
        self.changed.store(true, Ordering::SeqCst);
    }

    /// `grant_type=refresh_token` at the token endpoint. Nothing is posted by a refresh, so
    /// failures other than a refused grant are `Unavailable` (try again later), never `Unknown`.
    async fn refresh(&self, current: &Token) -> Result<Token, PublishError> {
        let refresh_token = current.refresh_token.as_deref().unwrap_or_default();
        let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token)];
        let mut request = self.client.post(&self.app.token_url);
        form.push(("client_id", &self.app.client_id));
        match self.auth {
            ClientAuth::Basic if !self.app.client_secret.is_empty() => {
                request = request.basic_auth(&self.app.client_id, Some(&self.app.client_secret));
            }
            ClientAuth::Basic => {}
            ClientAuth::Form => form.push(("client_secret", &self.app.client_secret)),
        }
        let not_posted = |e: PublishError| match e {
            PublishError::Unknown(m) => PublishError::Unavailable(format!("token refresh: {m}")),
            other => other,
        };
        let response =
            request.form(&form).send().await.map_err(|e| not_posted(transport_error(&e.without_url())))?;
        let status = response.status();
        let wait = retry_after(response.headers());
        let body =
            response.text().await.map_err(|e| PublishError::Unavailable(format!("token refresh: {e}")))?;
        if status.is_success() {
            let answer: TokenAnswer = serde_json::from_str(&body)
                .map_err(|e| PublishError::Unavailable(format!("token refresh: unreadable answer: {e}")))?;
            return Ok(Token {
                access_token: answer.access_token,
                // LinkedIn may leave it out or repeat it; X sends a new one (the old one is dead).
                refresh_token: answer.refresh_token.or_else(|| current.refresh_token.clone()),
                expires_at: answer.expires_in.map(|s| self.now_unix + s),
            });
        }
        let detail = format!("token refresh: HTTP {}: {}", status.as_u16(), truncate(&body, 300));
        Err(match status.as_u16() {
            // invalid_grant (dead or reused refresh token), invalid_client: a person must reconnect.
            400 | 401 | 403 => PublishError::Unauthorized(detail),
            429 => PublishError::RateLimited { retry_after: wait },
            _ => PublishError::Unavailable(detail),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_read_from_credentials_and_round_trip_as_json() {
        let creds =
            serde_json::json!({"access_token": " a ", "refresh_token": "", "expires_at": "1767225600"});
        let t = Token::from_credentials(creds.as_object().expect("object")).expect("token");
        assert_eq!(
            t,
            Token { access_token: "a".into(), refresh_token: None, expires_at: Some(1_767_225_600) }
        );
        let json = serde_json::to_string(&t).expect("json");
        assert_eq!(json, r#"{"access_token":"a","expires_at":1767225600}"#);
        assert_eq!(serde_json::from_str::<Token>(&json).expect("parse"), t);
        assert!(Token::from_credentials(&serde_json::Map::new()).is_none(), "an access token is required");
    }
}
