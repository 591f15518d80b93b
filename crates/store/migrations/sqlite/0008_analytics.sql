-- Analytics: click roll-ups per hour and per day, so dashboards read a few hundred rows however
-- many clicks there were; raw clicks are then kept only for a retention period.

-- One row per share per hour ('h') or day ('d') that had clicks. The dimensions are copied from
-- the share (and the sharer's department at roll-up time) so reports need no joins.
create table click_buckets (
    share_id blob not null references shares (id) on delete cascade,
    span text not null,
    starts_at integer not null,
    org_id blob not null references organizations (id) on delete cascade,
    submission_id blob not null,
    user_id blob not null,
    department_id blob,
    network text not null,
    human integer not null,
    bot integer not null,
    -- Distinct visitor hashes among the people (a visitor hash changes every day).
    visitors integer not null,
    primary key (share_id, span, starts_at)
);
create index click_buckets_org_idx on click_buckets (org_id, span, starts_at);

-- The organization's totals per hour and per day; `visitors` counts each person once per bucket.
create table org_click_buckets (
    org_id blob not null references organizations (id) on delete cascade,
    span text not null,
    starts_at integer not null,
    human integer not null,
    bot integer not null,
    visitors integer not null,
    primary key (org_id, span, starts_at)
);

-- Every click before `rolled_until` (an hour boundary) is in the roll-ups. One row.
create table rollup_state (
    id integer primary key,
    rolled_until integer not null
);
insert into rollup_state (id, rolled_until) values (1, 0);

-- The roll-up finds the next hour with clicks, and retention deletes the oldest, by time.
create index clicks_at_idx on clicks (at);
-- Reports count shares and submissions in a period.
create index shares_org_time_idx on shares (org_id, created_at);
create index submissions_org_created_idx on submissions (org_id, created_at);
