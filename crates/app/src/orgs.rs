//! Organizations: the tenants.

use crate::{
    Result,
    audit::{self, Entry},
    me::Caller,
};
use chorus_domain::{OrgId, OrgName, Slug};
use chorus_store::{Db, admin};
use time::OffsetDateTime;

pub use chorus_store::admin::Org;

/// Creates an organization with a slug derived from its name ("acme", then "acme-2", …).
/// Runs inside the caller's transaction (set-up also creates the owner in it).
pub async fn insert(db: &mut impl Db, name: &OrgName, now: OffsetDateTime) -> Result<Org> {
    let base = Slug::from_name(name);
    let mut slug = base.clone();
    let mut n = 1;
    while admin::slug_taken(db, slug.as_str()).await? {
        n += 1;
        slug = base.with_suffix(n);
    }
    let id = OrgId::new();
    admin::insert_org(db, id, slug.as_str(), name.as_str(), now).await?;
    crate::guidelines::seed(db, id, now).await?;
    Ok(Org { id, slug: slug.into_inner(), name: name.as_str().to_owned(), created_at: now })
}

/// `chorus org create --name NAME`.
pub async fn create(app: &crate::App, name: &str) -> Result<Org> {
    let name = OrgName::parse(name)?;
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let org = insert(&mut tx, &name, now).await?;
    let who = Caller::operator(org.id);
    audit::record(&mut tx, org.id, &who, now, Entry::new("org.created").target("org", org.id)).await?;
    tx.commit().await?;
    Ok(org)
}

pub async fn by_slug(app: &crate::App, slug: &str) -> Result<Org> {
    let mut db = app.store.conn().await?;
    admin::org_by_slug(&mut db, slug.trim()).await?.ok_or(crate::Error::NotFound)
}
