-- Contribution and review: submissions, media, revisions, transitions, the idea board,
-- campaigns and messaging goals, brand-guideline rules, in-app notifications.

create table pillars (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    name text not null,
    name_key text not null,
    description text not null default '',
    created_at integer not null,
    constraint pillars_org_name_key unique (org_id, name_key)
);

create table campaigns (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    name text not null,
    name_key text not null,
    goal text not null default '',
    pillar_id blob references pillars (id) on delete set null,
    starts_on text,
    ends_on text,
    budget_cents integer,
    channels text not null default '',
    created_at integer not null,
    constraint campaigns_org_name_key unique (org_id, name_key)
);

create table media (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    uploader_id blob references users (id) on delete set null,
    class text not null,
    mime text not null,
    extension text not null,
    bytes integer not null,
    sha256 text not null,
    width integer,
    height integer,
    thumbnail_mime text,
    filename text not null,
    created_at integer not null
);
create index media_org_uploader_idx on media (org_id, uploader_id);

create table submissions (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    author_id blob not null references users (id),
    department_id blob references departments (id) on delete set null,
    kind text not null,
    status text not null,
    title text not null,
    body text not null,
    link text,
    -- Space-separated, normalized (lower case, no '#'): searchable and shown as they are.
    tags text not null default '',
    channels text not null default '',
    campaign_id blob references campaigns (id) on delete set null,
    -- Bumped by every change; a write based on an older version is refused.
    version integer not null,
    revision integer not null,
    preview text,
    promoted_from blob references submissions (id) on delete set null,
    vote_count integer not null default 0,
    comment_count integer not null default 0,
    created_at integer not null,
    updated_at integer not null,
    -- When it entered the review stage it waits in (queues are oldest first).
    queued_at integer,
    approved_at integer
);
create index submissions_queue_idx on submissions (org_id, status, queued_at, id);
create index submissions_author_idx on submissions (org_id, author_id, updated_at);
create index submissions_library_idx on submissions (org_id, approved_at, id);
create index submissions_ideas_idx on submissions (org_id, kind, vote_count, id);

-- Full-text search over the library (external content: the text lives in submissions).
create virtual table submissions_fts using fts5 (
    title, body, tags,
    content = 'submissions', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
create trigger submissions_fts_insert after insert on submissions begin
    insert into submissions_fts (rowid, title, body, tags) values (new.rowid, new.title, new.body, new.tags);
end;
create trigger submissions_fts_delete after delete on submissions begin
    insert into submissions_fts (submissions_fts, rowid, title, body, tags)
    values ('delete', old.rowid, old.title, old.body, old.tags);
end;
create trigger submissions_fts_update after update of title, body, tags on submissions begin
    insert into submissions_fts (submissions_fts, rowid, title, body, tags)
    values ('delete', old.rowid, old.title, old.body, old.tags);
    insert into submissions_fts (rowid, title, body, tags) values (new.rowid, new.title, new.body, new.tags);
end;

create table submission_authors (
    submission_id blob not null references submissions (id) on delete cascade,
    org_id blob not null references organizations (id) on delete cascade,
    user_id blob not null references users (id),
    added_at integer not null,
    primary key (submission_id, user_id)
);
-- Leading with the person, so lookups by submission use the primary key, never this index.
create index submission_authors_user_idx on submission_authors (user_id, org_id);

create table submission_tags (
    submission_id blob not null references submissions (id) on delete cascade,
    org_id blob not null references organizations (id) on delete cascade,
    tag text not null,
    primary key (submission_id, tag)
);
create index submission_tags_tag_idx on submission_tags (tag, org_id);

create table submission_media (
    submission_id blob not null references submissions (id) on delete cascade,
    org_id blob not null references organizations (id) on delete cascade,
    media_id blob not null references media (id),
    position integer not null,
    primary key (submission_id, media_id)
);
create index submission_media_media_idx on submission_media (media_id);

create table revisions (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    submission_id blob not null references submissions (id) on delete cascade,
    number integer not null,
    editor_id blob references users (id),
    title text not null,
    body text not null,
    link text,
    note text not null default '',
    created_at integer not null,
    constraint revisions_number_key unique (submission_id, number)
);

create table transitions (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    submission_id blob not null references submissions (id) on delete cascade,
    actor_id blob references users (id),
    step text not null,
    from_status text not null,
    to_status text not null,
    comment text not null default '',
    at integer not null
);
create index transitions_submission_idx on transitions (submission_id, at);

create table comments (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    submission_id blob not null references submissions (id) on delete cascade,
    author_id blob not null references users (id),
    body text not null,
    created_at integer not null
);
create index comments_submission_idx on comments (submission_id, id);

create table votes (
    submission_id blob not null references submissions (id) on delete cascade,
    org_id blob not null references organizations (id) on delete cascade,
    user_id blob not null references users (id),
    created_at integer not null,
    primary key (submission_id, user_id)
);
create index votes_user_idx on votes (user_id, org_id);

create table guideline_rules (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    position integer not null,
    -- The rule as the domain's JSON (name, severity, message, kind, scope).
    rule text not null,
    enabled integer not null default 1,
    created_at integer not null,
    updated_at integer not null
);
create index guideline_rules_org_idx on guideline_rules (org_id, position);

create table notifications (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    user_id blob not null references users (id) on delete cascade,
    kind text not null,
    title text not null,
    link text not null,
    read_at integer,
    created_at integer not null
);
create index notifications_user_idx on notifications (org_id, user_id, id);
