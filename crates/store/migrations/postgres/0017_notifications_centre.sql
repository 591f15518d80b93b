-- The notifications centre: e-mail preferences per kind, digests claimed once per period, and
-- announcements with read tracking.

-- A person's choice for one kind of notification; a kind without a row uses its default
-- (`chorus_domain::notify::KINDS`). The in-app list records every notification regardless.
create table notification_preferences (
    org_id uuid not null references organizations (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    kind text not null,
    -- immediate, daily, weekly or off.
    delivery text not null,
    updated_at bigint not null,
    primary key (user_id, kind)
);
create index notification_preferences_org_idx on notification_preferences (org_id, user_id);

-- One row per organization, cadence and period: the unique key is what makes a digest go out
-- once however many workers run. `cursor` is the last person done, so a worker that dies
-- mid-way is taken over (after `lease_until`) without sending anyone a second copy.
create table digest_runs (
    org_id uuid not null references organizations (id) on delete cascade,
    cadence text not null,
    period_end bigint not null,
    period_start bigint not null,
    state text not null,
    cursor uuid,
    recipients bigint not null default 0,
    lease_token uuid,
    lease_until bigint,
    claimed_at bigint not null,
    finished_at bigint,
    constraint digest_runs_key primary key (org_id, cadence, period_end)
);

create table announcements (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    -- null: company-wide.
    department_id uuid references departments (id) on delete cascade,
    author_id uuid references users (id) on delete set null,
    title text not null,
    -- Markdown, rendered and sanitized when shown.
    body text not null,
    pinned bigint not null default 0,
    -- How many people it was sent to (the M of "N of M read").
    audience bigint not null,
    created_at bigint not null
);
create index announcements_org_idx on announcements (org_id, created_at);

create table announcement_reads (
    announcement_id uuid not null references announcements (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    org_id uuid not null,
    read_at bigint not null,
    primary key (announcement_id, user_id)
);
