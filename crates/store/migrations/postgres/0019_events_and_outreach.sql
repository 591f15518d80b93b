-- Social sessions with attendance, the company's own accounts directory, the departments' follow
-- lists, and Slack/Teams incoming webhooks (issue 7). Rules live in chorus_domain::{events,
-- social, chat}.

-- A one-off or weekly session at a local wall-clock time in an IANA time zone.
create table social_events (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    title text not null,
    description text not null default '',
    -- A room, an address or an http(s) link.
    place text not null default '',
    -- `#Tag`, or null.
    hashtag text,
    -- YYYY-MM-DD, HH:MM (local), minutes, IANA name.
    start_date text not null,
    start_time text not null,
    duration_minutes bigint not null,
    time_zone text not null,
    -- once | weekly
    repeat text not null,
    interval_weeks bigint,
    -- YYYY-MM-DD (inclusive), or null.
    until_date text,
    occurrence_count bigint,
    -- Bumped on every change (the invite's SEQUENCE).
    sequence bigint not null default 0,
    created_by uuid references users (id) on delete set null,
    created_at bigint not null,
    updated_at bigint not null,
    constraint social_events_duration check (duration_minutes between 5 and 1440),
    constraint social_events_repeat check (repeat in ('once', 'weekly'))
);
create index social_events_org_idx on social_events (org_id, start_date);

-- Who attended, or will attend, one occurrence (its local date).
create table event_attendance (
    event_id uuid not null references social_events (id) on delete cascade,
    occurrence text not null,
    user_id uuid not null references users (id) on delete cascade,
    org_id uuid not null references organizations (id) on delete cascade,
    created_at bigint not null,
    primary key (event_id, occurrence, user_id)
);
create index event_attendance_org_idx on event_attendance (org_id, user_id);

-- "Follow us on …": the company's own accounts, in display order.
create table company_accounts (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    network text not null,
    handle text not null,
    -- https only (checked by the use case).
    url text not null,
    position bigint not null,
    created_at bigint not null,
    updated_at bigint not null
);
create index company_accounts_org_idx on company_accounts (org_id, position);

-- A department's list of blogs, accounts, newsletters and podcasts worth following.
create table follow_entries (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    department_id uuid not null references departments (id) on delete cascade,
    name text not null,
    url text not null,
    -- blog | account | newsletter | podcast
    kind text not null,
    note text not null default '',
    created_by uuid references users (id) on delete set null,
    created_at bigint not null,
    updated_at bigint not null,
    constraint follow_entries_dept_url_key unique (department_id, url)
);
create index follow_entries_org_idx on follow_entries (org_id, department_id, name);

-- A Slack or Teams incoming webhook. The URL is a secret: sealed with the instance keyring
-- (context `chat_integration:<id>:url`), never stored or shown in clear; `url_hint` is what
-- pages show.
create table chat_integrations (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    -- slack | teams
    kind text not null,
    name text not null,
    url_sealed bytea not null,
    url_hint text not null,
    -- Comma-separated: review_queue, shoutouts.
    events text not null,
    -- active | paused
    status text not null,
    last_delivered_at bigint,
    last_error text,
    last_error_at bigint,
    created_by uuid references users (id) on delete set null,
    created_at bigint not null,
    updated_at bigint not null,
    constraint chat_integrations_kind check (kind in ('slack', 'teams')),
    constraint chat_integrations_status check (status in ('active', 'paused'))
);
create index chat_integrations_org_idx on chat_integrations (org_id, created_at);
