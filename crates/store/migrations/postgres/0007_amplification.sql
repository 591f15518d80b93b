-- Amplification: employees' shares of approved content, each with a tracked link, and the clicks
-- on those links.

-- Content leaves the share hub after this time (null: it stays).
alter table submissions add column share_until bigint;

create table shares (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    submission_id uuid not null references submissions (id) on delete cascade,
    network text not null,
    -- The tracked link's code: random base62, unique across organizations.
    code text not null unique,
    caption text not null,
    -- Where the link leads, with its UTM tags; fixed when the share is made, from approved content.
    destination text not null,
    created_at bigint not null
);
create index shares_user_idx on shares (org_id, user_id, created_at);
create index shares_submission_idx on shares (submission_id);

-- One row per request to /s/{code}. No IP address: `visitor` is a keyed hash (the key changes
-- every day and the old one is deleted), so a person can be counted once a day, never followed.
create table clicks (
    id bigserial primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    share_id uuid not null references shares (id) on delete cascade,
    at bigint not null,
    network text not null,
    referrer_host text,
    -- mobile | tablet | desktop | other (people); the bot's name otherwise.
    device text not null,
    bot text,
    visitor text
);
create index clicks_share_idx on clicks (share_id, at);
create index clicks_org_at_idx on clicks (org_id, at);

-- Today's key for visitor hashes; yesterday's is deleted.
create table visitor_keys (
    day bigint primary key,
    key bytea not null
);
