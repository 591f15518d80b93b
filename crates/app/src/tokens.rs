//! Personal access tokens for the API: shown once, stored hashed, revocable, listed with last use.

use crate::{
    App, Error, Result,
    audit::{self, Entry},
    me::Caller,
    security,
};
use chorus_domain::{Action, TokenId, TokenLabel, UserId, authorize};
use chorus_store::{tokens, users};

pub use chorus_store::tokens::ApiToken;

/// Every token starts with this, so secret scanners and people can recognise one.
pub const PREFIX: &str = "chorus_pat_";

/// A token just created: `secret` is shown once and never stored.
#[derive(Debug, Clone)]
pub struct Created {
    pub token: ApiToken,
    pub secret: String,
}

async fn create_for(app: &App, caller: &Caller, user: UserId, label: &str) -> Result<Created> {
    let label = TokenLabel::parse(label)?;
    let secret = format!("{PREFIX}{}", security::random_token());
    let prefix: String = secret.chars().take(PREFIX.len() + 6).collect();
    let now = app.now();
    let id = TokenId::new();
    let mut tx = app.store.tx().await?;
    tokens::insert(
        &mut tx,
        &tokens::NewToken {
            id,
            org_id: caller.org_id(),
            user_id: user,
            label: label.as_str(),
            token_hash: &security::sha256_hex(&secret),
            prefix: &prefix,
            now,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        now,
        Entry::new("token.created")
            .target("token", id)
            .detail(serde_json::json!({"label": label.as_str(), "user_id": user})),
    )
    .await?;
    tx.commit().await?;
    let token = ApiToken {
        id,
        label: label.into_inner(),
        prefix,
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    };
    Ok(Created { token, secret })
}

/// A person creates a token for themselves.
pub async fn create(app: &App, caller: &Caller, label: &str) -> Result<Created> {
    authorize(&caller.actor, Action::ManageOwnTokens)?;
    let me = caller.actor.user_id.ok_or(Error::Unauthenticated("sign in to create a token"))?;
    create_for(app, caller, me, label).await
}

/// `chorus token create --org SLUG --email E`: the operator creates a token for a person.
pub async fn create_from_cli(app: &App, caller: &Caller, email: &str, label: &str) -> Result<Created> {
    let email = chorus_domain::Email::parse(email)?;
    let user = {
        let mut db = app.store.conn().await?;
        users::get_by_email(&mut db, caller.org_id(), email.as_str()).await?.ok_or(Error::NotFound)?
    };
    if user.status != chorus_domain::UserStatus::Active {
        return Err(Error::Conflict(format!("{email} is not an active account")));
    }
    create_for(app, caller, user.id, label).await
}

pub async fn list(app: &App, caller: &Caller) -> Result<Vec<ApiToken>> {
    authorize(&caller.actor, Action::ManageOwnTokens)?;
    let me = caller.actor.user_id.ok_or(Error::NotFound)?;
    let mut db = app.store.conn().await?;
    Ok(tokens::list(&mut db, caller.org_id(), me).await?)
}

pub async fn revoke(app: &App, caller: &Caller, id: TokenId) -> Result<()> {
    authorize(&caller.actor, Action::ManageOwnTokens)?;
    let me = caller.actor.user_id.ok_or(Error::NotFound)?;
    let now = app.now();
    let mut tx = app.store.tx().await?;
    if !tokens::revoke(&mut tx, caller.org_id(), me, id, now).await? {
        return Err(Error::NotFound);
    }
    audit::record(&mut tx, caller.org_id(), caller, now, Entry::new("token.revoked").target("token", id))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// "Last used" stamps, written a batch at a time by one task: a request does not wait for them,
/// and many requests cost one statement on the single writer. A stamp lost in a crash is a
/// stamp a minute old.
#[derive(Debug)]
pub struct TokenTouches {
    tx: tokio::sync::mpsc::Sender<chorus_domain::TokenId>,
}

impl TokenTouches {
    pub fn start(store: chorus_store::Store, clock: std::sync::Arc<dyn chorus_domain::Clock>) -> Self {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<chorus_domain::TokenId>(4_096);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut ids = vec![first];
                while let Ok(id) = rx.try_recv() {
                    ids.push(id);
                }
                ids.sort();
                ids.dedup();
                let written = async {
                    let mut db = store.write().await?;
                    tokens::touch_many(&mut db, &ids, clock.now()).await
                }
                .await;
                if let Err(e) = written {
                    tracing::warn!(error = %e, "Could not record when API tokens were last used");
                }
            }
        });
        Self { tx }
    }

    /// Queues a stamp; when the queue is full the stamp is skipped (it is to the minute anyway).
    pub fn touch(&self, id: chorus_domain::TokenId) {
        let _ = self.tx.try_send(id);
    }
}

/// Resolves a bearer token to its live owner.
pub async fn authenticate(app: &App, secret: &str, client_addr: Option<String>) -> Result<Option<crate::Me>> {
    if !secret.starts_with(PREFIX) {
        return Ok(None);
    }
    let found = {
        let mut db = app.store.conn().await?;
        tokens::authenticate_person(&mut db, &security::sha256_hex(secret)).await?
    };
    match found {
        Some((id, user, org, last_used)) => {
            // "Last used" is kept to the minute: a write only when it is older than that (every
            // write waits for the single SQLite writer).
            let now = app.now();
            if last_used.is_none_or(|t| now - t >= time::Duration::minutes(1)) {
                app.token_touches.touch(id);
            }
            crate::Me::assemble(app, user, org, client_addr).await.map(Some)
        }
        None => Ok(None),
    }
}
