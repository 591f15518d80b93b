//! One-click unsubscribe (RFC 8058). Every notification and digest e-mail carries a link that
//! turns off e-mail of its kind for its person, without signing in: the token is signed (HMAC-
//! SHA256 under a key derived from the instance's secret keys), so it is checked without a
//! database lookup, and it names the organization, the person and the kind it is for.
//!
//! Layout: `base64url(org id ‖ user id ‖ kind) . base64url(first 16 bytes of the MAC)`.

use crate::{App, Error, Result, secrets::Keyring};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chorus_domain::{
    OrgId, UserId,
    notify::{self, Delivery},
};
use chorus_store::{admin, preferences, users};
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

const PURPOSE: &str = "unsubscribe/v1";
const MAC_LEN: usize = 16;

fn mac(key: &[u8; 32], payload: &[u8]) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    m.update(payload);
    m
}

/// The token for one person and kind.
pub fn token(keys: &Keyring, org: OrgId, user: UserId, kind: &str) -> String {
    let mut payload = Vec::with_capacity(32 + kind.len());
    payload.extend_from_slice(org.0.as_bytes());
    payload.extend_from_slice(user.0.as_bytes());
    payload.extend_from_slice(kind.as_bytes());
    let key = keys.mac_keys(PURPOSE)[0];
    let tag = mac(&key, &payload).finalize().into_bytes();
    format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(&tag[..MAC_LEN]))
}

/// Who and what a token is for, when it is genuine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub org: OrgId,
    pub user: UserId,
    pub kind: &'static str,
}

/// Checks a token; `None` when it is malformed, tampered with, or for an unknown kind.
pub fn verify(keys: &Keyring, token: &str) -> Option<Subject> {
    let (p, t) = token.split_once('.')?;
    let payload = URL_SAFE_NO_PAD.decode(p).ok()?;
    let tag = URL_SAFE_NO_PAD.decode(t).ok()?;
    if payload.len() <= 32 || tag.len() != MAC_LEN {
        return None;
    }
    let genuine =
        keys.mac_keys(PURPOSE).iter().any(|key| mac(key, &payload).verify_truncated_left(&tag).is_ok());
    if !genuine {
        return None;
    }
    let org = uuid::Uuid::from_slice(&payload[..16]).ok()?;
    let user = uuid::Uuid::from_slice(&payload[16..32]).ok()?;
    let kind = std::str::from_utf8(&payload[32..]).ok()?;
    let kind = notify::KINDS.iter().find(|k| k.name == kind)?.name;
    Some(Subject { org: org.into(), user: user.into(), kind })
}

/// What an unsubscribe page shows before anything changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub subject: Subject,
    pub org_name: String,
    pub email: String,
    pub kind_label: &'static str,
    /// Whether e-mail of this kind is already off.
    pub already_off: bool,
}

fn bad_link() -> Error {
    Error::BadRequest(
        "This unsubscribe link is not valid: it may have been cut short or changed. Open the preferences page \
         in Chorus to choose what it e-mails you."
            .into(),
    )
}

/// Reads what a token is for; never changes anything (link scanners open links).
pub async fn describe(app: &App, token: &str) -> Result<Target> {
    let subject = verify(&app.config.secrets, token).ok_or_else(bad_link)?;
    let mut db = app.store.conn().await?;
    let org = admin::org_by_id(&mut db, subject.org).await?.ok_or_else(bad_link)?;
    let user = users::get(&mut db, subject.org, subject.user).await?.ok_or_else(bad_link)?;
    let stored = preferences::of_user(&mut db, subject.org, subject.user).await?;
    let current = notify::effective(
        subject.kind,
        stored.iter().filter_map(|(k, d)| Delivery::parse(d).ok().map(|d| (k.as_str(), d))),
    );
    Ok(Target {
        kind_label: notify::kind(subject.kind).label,
        org_name: org.name,
        email: user.email,
        already_off: current == Delivery::Off,
        subject,
    })
}

/// Turns e-mail of the token's kind off for its person (the one-click POST).
pub async fn apply(app: &App, token: &str) -> Result<Target> {
    let mut target = describe(app, token).await?;
    let s = &target.subject;
    let mut tx = app.store.tx().await?;
    preferences::set(&mut tx, s.org, s.user, s.kind, Delivery::Off.as_str(), app.now()).await?;
    tx.commit().await?;
    tracing::info!(user.id = %s.user, notification.kind = s.kind, "Unsubscribed by one-click link");
    target.already_off = true;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_untouched_and_only_under_the_instance_keys() {
        let keys = Keyring::ephemeral();
        let (org, user) = (OrgId::new(), UserId::new());
        let t = token(&keys, org, user, "digest.weekly");
        assert_eq!(verify(&keys, &t), Some(Subject { org, user, kind: "digest.weekly" }));
        assert_eq!(verify(&Keyring::ephemeral(), &t), None, "another instance's keys");
        let other = token(&keys, org, user, "comment");
        let (p1, _) = t.split_once('.').expect("dot");
        let (_, m2) = other.split_once('.').expect("dot");
        assert_eq!(verify(&keys, &format!("{p1}.{m2}")), None, "a MAC moved onto another payload");
        assert_eq!(verify(&keys, "garbage"), None);
        assert_eq!(verify(&keys, ""), None);
        // Rotation: a token signed before a new key was added still works.
        assert!(verify(&keys.with_new_primary(), &t).is_some());
    }
}
