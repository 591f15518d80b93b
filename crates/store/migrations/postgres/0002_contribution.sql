-- Contribution and review: submissions, media, revisions, transitions, the idea board,
-- campaigns and messaging goals, brand-guideline rules, in-app notifications.

create table pillars (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    name text not null,
    name_key text not null,
    description text not null default '',
    created_at bigint not null,
    constraint pillars_org_name_key unique (org_id, name_key)
);

create table campaigns (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    name text not null,
    name_key text not null,
    goal text not null default '',
    pillar_id uuid references pillars (id) on delete set null,
    starts_on text,
    ends_on text,
    budget_cents bigint,
    channels text not null default '',
    created_at bigint not null,
    constraint campaigns_org_name_key unique (org_id, name_key)
);

create table media (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    uploader_id uuid references users (id) on delete set null,
    class text not null,
    mime text not null,
    extension text not null,
    bytes bigint not null,
    sha256 text not null,
    width bigint,
    height bigint,
    thumbnail_mime text,
    filename text not null,
    created_at bigint not null
);
create index media_org_uploader_idx on media (org_id, uploader_id);

create table submissions (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    author_id uuid not null references users (id),
    department_id uuid references departments (id) on delete set null,
    kind text not null,
    status text not null,
    title text not null,
    body text not null,
    link text,
    -- Space-separated, normalized (lower case, no '#'): searchable and shown as they are.
    tags text not null default '',
    channels text not null default '',
    campaign_id uuid references campaigns (id) on delete set null,
    -- Bumped by every change; a write based on an older version is refused.
    version bigint not null,
    revision bigint not null,
    preview text,
    promoted_from uuid references submissions (id) on delete set null,
    vote_count bigint not null default 0,
    comment_count bigint not null default 0,
    created_at bigint not null,
    updated_at bigint not null,
    -- When it entered the review stage it waits in (queues are oldest first).
    queued_at bigint,
    approved_at bigint
);
create index submissions_queue_idx on submissions (org_id, status, queued_at, id);
create index submissions_author_idx on submissions (org_id, author_id, updated_at);
create index submissions_library_idx on submissions (org_id, approved_at, id);
create index submissions_ideas_idx on submissions (org_id, kind, vote_count, id);

-- Full-text search over the library: a generated tsvector with a GIN index.
alter table submissions add column search tsvector
    generated always as (to_tsvector('simple', title || ' ' || body || ' ' || tags)) stored;
create index submissions_search_idx on submissions using gin (search);

create table submission_authors (
    submission_id uuid not null references submissions (id) on delete cascade,
    org_id uuid not null references organizations (id) on delete cascade,
    user_id uuid not null references users (id),
    added_at bigint not null,
    primary key (submission_id, user_id)
);
-- Leading with the person, so lookups by submission use the primary key, never this index.
create index submission_authors_user_idx on submission_authors (user_id, org_id);

create table submission_tags (
    submission_id uuid not null references submissions (id) on delete cascade,
    org_id uuid not null references organizations (id) on delete cascade,
    tag text not null,
    primary key (submission_id, tag)
);
create index submission_tags_tag_idx on submission_tags (tag, org_id);

create table submission_media (
    submission_id uuid not null references submissions (id) on delete cascade,
    org_id uuid not null references organizations (id) on delete cascade,
    media_id uuid not null references media (id),
    position bigint not null,
    primary key (submission_id, media_id)
);
create index submission_media_media_idx on submission_media (media_id);

create table revisions (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    submission_id uuid not null references submissions (id) on delete cascade,
    number bigint not null,
    editor_id uuid references users (id),
    title text not null,
    body text not null,
    link text,
    note text not null default '',
    created_at bigint not null,
    constraint revisions_number_key unique (submission_id, number)
);

create table transitions (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    submission_id uuid not null references submissions (id) on delete cascade,
    actor_id uuid references users (id),
    step text not null,
    from_status text not null,
    to_status text not null,
    comment text not null default '',
    at bigint not null
);
create index transitions_submission_idx on transitions (submission_id, at);

create table comments (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    submission_id uuid not null references submissions (id) on delete cascade,
    author_id uuid not null references users (id),
    body text not null,
    created_at bigint not null
);
create index comments_submission_idx on comments (submission_id, id);

create table votes (
    submission_id uuid not null references submissions (id) on delete cascade,
    org_id uuid not null references organizations (id) on delete cascade,
    user_id uuid not null references users (id),
    created_at bigint not null,
    primary key (submission_id, user_id)
);
create index votes_user_idx on votes (user_id, org_id);

create table guideline_rules (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    position bigint not null,
    -- The rule as the domain's JSON (name, severity, message, kind, scope).
    rule text not null,
    enabled bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);
create index guideline_rules_org_idx on guideline_rules (org_id, position);

create table notifications (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    kind text not null,
    title text not null,
    link text not null,
    read_at bigint,
    created_at bigint not null
);
create index notifications_user_idx on notifications (org_id, user_id, id);
