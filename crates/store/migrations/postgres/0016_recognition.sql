-- Recognition: public shout-outs and their reactions, the points ledger with its rules and
-- roll-ups, leaderboard opt-outs, and the rewards catalog with its redemptions.

-- "Nice job on that report": anyone thanks anyone in the organization, in public.
create table shoutouts (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    from_user_id uuid not null references users (id) on delete cascade,
    to_user_id uuid not null references users (id) on delete cascade,
    message text not null,
    -- What the thanks is for, when it is for something in Chorus.
    submission_id uuid references submissions (id) on delete set null,
    share_id uuid references shares (id) on delete set null,
    created_at bigint not null
);
create index shoutouts_feed_idx on shoutouts (org_id, created_at);
create index shoutouts_wall_idx on shoutouts (org_id, to_user_id, created_at);

create table shoutout_reactions (
    shoutout_id uuid not null references shoutouts (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    -- One of a small fixed set (clap, party, heart, raised_hands).
    reaction text not null,
    created_at bigint not null,
    primary key (shoutout_id, user_id, reaction)
);

-- What each kind of event pays in this organization; an event without a row pays its default.
create table point_rules (
    org_id uuid not null references organizations (id) on delete cascade,
    event text not null,
    points bigint not null,
    updated_at bigint not null,
    primary key (org_id, event)
);

-- Append-only. The unique key makes paying idempotent: the same event for the same person and
-- source never pays twice, however often it is replayed. Redemptions spend with negative rows.
create table point_ledger (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    event text not null,
    points bigint not null,
    reason text not null,
    source_id text not null,
    created_at bigint not null,
    unique (org_id, event, user_id, source_id)
);
create index point_ledger_user_idx on point_ledger (org_id, user_id, created_at);

-- Points earned per person and period ('all', 'y2026', 'm2026-12', 'w2026-49'), kept in the
-- same transaction as the ledger row so a leaderboard reads a few rows, not millions.
create table point_totals (
    org_id uuid not null references organizations (id) on delete cascade,
    period text not null,
    user_id uuid not null references users (id) on delete cascade,
    points bigint not null,
    primary key (org_id, period, user_id)
);
create index point_totals_rank_idx on point_totals (org_id, period, points desc, user_id);

-- What a person may spend. The check is the last line of defence; redemption subtracts only
-- where the balance covers the cost, in one statement.
create table point_balances (
    org_id uuid not null references organizations (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    balance bigint not null check (balance >= 0),
    primary key (org_id, user_id)
);

-- People who asked not to appear on leaderboards.
create table leaderboard_opt_outs (
    org_id uuid not null references organizations (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    created_at bigint not null,
    primary key (org_id, user_id)
);

create table rewards (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    name text not null,
    description text not null,
    cost bigint not null check (cost > 0),
    -- How many are left; null means unlimited.
    stock bigint check (stock is null or stock >= 0),
    -- 'active' or 'retired'.
    status text not null,
    created_at bigint not null
);
create index rewards_org_idx on rewards (org_id, status);

create table redemptions (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    reward_id uuid not null references rewards (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    -- What it cost when asked (the catalog may change later).
    cost bigint not null,
    -- 'pending', 'approved' or 'rejected' (a rejection gives the points back).
    status text not null,
    note text not null,
    decided_by uuid references users (id) on delete set null,
    decided_at bigint,
    created_at bigint not null
);
create index redemptions_org_idx on redemptions (org_id, status, created_at);
create index redemptions_user_idx on redemptions (org_id, user_id, created_at);
