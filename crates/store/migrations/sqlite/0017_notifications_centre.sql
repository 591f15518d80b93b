-- The notifications centre: e-mail preferences per kind, digests claimed once per period, and
-- announcements with read tracking.

-- A person's choice for one kind of notification; a kind without a row uses its default
-- (`chorus_domain::notify::KINDS`). The in-app list records every notification regardless.
create table notification_preferences (
    org_id blob not null references organizations (id) on delete cascade,
    user_id blob not null references users (id) on delete cascade,
    kind text not null,
    -- immediate, daily, weekly or off.
    delivery text not null,
    updated_at integer not null,
    primary key (user_id, kind)
);
create index notification_preferences_org_idx on notification_preferences (org_id, user_id);

-- One row per organization, cadence and period: the unique key is what makes a digest go out
-- once however many workers run. `cursor` is the last person done, so a worker that dies
-- mid-way is taken over (after `lease_until`) without sending anyone a second copy.
create table digest_runs (
    org_id blob not null references organizations (id) on delete cascade,
    cadence text not null,
    period_end integer not null,
    period_start integer not null,
    state text not null,
    cursor blob,
    recipients integer not null default 0,
    lease_token blob,
    lease_until integer,
    claimed_at integer not null,
    finished_at integer,
    constraint digest_runs_key primary key (org_id, cadence, period_end)
);

create table announcements (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    -- null: company-wide.
    department_id blob references departments (id) on delete cascade,
    author_id blob references users (id) on delete set null,
    title text not null,
    -- Markdown, rendered and sanitized when shown.
    body text not null,
    pinned integer not null default 0,
    -- How many people it was sent to (the M of "N of M read").
    audience integer not null,
    created_at integer not null
);
create index announcements_org_idx on announcements (org_id, created_at);

create table announcement_reads (
    announcement_id blob not null references announcements (id) on delete cascade,
    user_id blob not null references users (id) on delete cascade,
    org_id blob not null,
    read_at integer not null,
    primary key (announcement_id, user_id)
);
