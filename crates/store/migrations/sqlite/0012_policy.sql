-- The social media policy: every published version is kept (people acknowledged that text), and
-- who acknowledged which version, when.
create table policy_versions (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    -- 1, 2, 3… per organization; the highest is the current policy.
    version integer not null,
    title text not null,
    -- Markdown.
    body text not null,
    -- JSON array of strings, shown first.
    donts text not null,
    -- What changed since the previous version.
    summary text not null,
    published_by blob references users (id) on delete set null,
    published_at integer not null,
    unique (org_id, version)
);

create table policy_acknowledgements (
    version_id blob not null references policy_versions (id) on delete cascade,
    user_id blob not null references users (id) on delete cascade,
    org_id blob not null references organizations (id) on delete cascade,
    acknowledged_at integer not null,
    primary key (version_id, user_id)
);
