-- Single sign-on with an OpenID Connect provider, one per organization.
create table oidc_providers (
    org_id uuid primary key references organizations (id) on delete cascade,
    issuer text not null,
    client_id text not null,
    -- Sealed with the instance keyring (context "oidc:<org id>:client_secret").
    client_secret_sealed bytea not null,
    department_claim text not null,
    title_claim text not null,
    -- Set when the organization trusts e-mails its provider has not verified.
    trust_unverified_email_at bigint,
    -- Set while passwords are off for everyone but owners.
    sso_only_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);

-- Which provider identity (issuer + subject, never the e-mail) is which person.
create table oidc_identities (
    org_id uuid not null references organizations (id) on delete cascade,
    issuer text not null,
    subject text not null,
    user_id uuid not null references users (id) on delete cascade,
    created_at bigint not null,
    last_sign_in_at bigint not null,
    constraint oidc_identities_pkey primary key (org_id, issuer, subject),
    constraint oidc_identities_user_key unique (user_id, issuer)
);

-- Sign-ins under way: state, nonce and PKCE verifier, bound to the browser that started them.
create table oidc_logins (
    state_hash text primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    browser_hash text not null,
    nonce text not null,
    pkce_verifier text not null,
    next_path text not null,
    created_at bigint not null,
    expires_at bigint not null,
    used_at bigint
);
create index oidc_logins_expires_idx on oidc_logins (expires_at);

-- The ID token a session began with: the hint for the provider's sign-out.
create table oidc_sessions (
    token_hash text primary key references sessions (token_hash) on delete cascade,
    org_id uuid not null references organizations (id) on delete cascade,
    id_token text not null,
    created_at bigint not null
);
