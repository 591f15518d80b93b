-- RSS/Atom subscriptions and the curation inbox (SPEC §3). Feeds belong to a department (kept
-- by its leads) or to the whole organization (department_id null, kept by the social team).
-- Inbox items are one per canonical URL per organization; curation_sources records every feed
-- (and so every department inbox) an item came through.

create table feeds (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    department_id blob references departments (id) on delete cascade,
    url text not null,
    -- The name people gave it ('' for none: the feed's own title is shown).
    title text not null,
    -- The feed's own title, from its last successful read.
    feed_title text,
    -- active | paused
    status text not null,
    interval_minutes integer not null,
    -- Validators from the last successful response, sent back as If-None-Match and
    -- If-Modified-Since.
    etag text,
    last_modified text,
    last_polled_at integer,
    last_success_at integer,
    -- The last failure in plain words; null after a success.
    last_error text,
    -- Failures in a row (back-off doubles with each).
    failures integer not null default 0,
    -- When the worker's upkeep queues the next poll. While a poll is queued this is pushed
    -- ahead (a lease), so no two workers queue the same feed.
    next_poll_at integer not null,
    -- When the current poll was queued; null when none is.
    queued_at integer,
    items_found integer not null default 0,
    created_by blob references users (id) on delete set null,
    created_at integer not null,
    updated_at integer not null,
    constraint feeds_status_check check (status in ('active', 'paused')),
    constraint feeds_interval_check check (interval_minutes between 15 and 10080)
);
-- One subscription per address per department (or per organization).
create unique index feeds_scope_url_key
    on feeds (org_id, coalesce(department_id, x'00000000000000000000000000000000'), url);
create index feeds_due_idx on feeds (next_poll_at) where status = 'active';
create index feeds_org_idx on feeds (org_id, created_at);

create table curation_items (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    canonical_url text not null,
    -- The link as the feed gave it (first seen).
    url text not null,
    title text not null,
    summary text not null default '',
    author text,
    published_at integer,
    -- The name of the feed it was first seen in (kept if the feed is removed).
    source_title text not null,
    -- new | dismissed | submitted
    state text not null,
    submission_id blob references submissions (id) on delete set null,
    decided_by blob references users (id) on delete set null,
    decided_at integer,
    created_at integer not null,
    constraint curation_items_state_check check (state in ('new', 'dismissed', 'submitted')),
    constraint curation_items_org_url_key unique (org_id, canonical_url)
);
create index curation_items_org_state_idx on curation_items (org_id, state, id);

create table curation_sources (
    item_id blob not null references curation_items (id) on delete cascade,
    org_id blob not null references organizations (id) on delete cascade,
    feed_id blob references feeds (id) on delete set null,
    -- The feed's department when the item came (null: an organization-wide feed). Kept when the
    -- feed is removed, so the department's leads still see the item.
    department_id blob references departments (id) on delete set null,
    seen_at integer not null
);
create unique index curation_sources_item_feed_key on curation_sources (item_id, feed_id);
create index curation_sources_org_dept_idx on curation_sources (org_id, department_id, item_id);
