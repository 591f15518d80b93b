-- Scheduling and publishing: the company's channels and the posts placed on them.

create table channels (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    network text not null,
    name text not null,
    -- Where the connector talks to (an instance, a PDS, a stand-in in tests); null = the network's own.
    base_url text,
    -- The credentials, sealed with the instance's secret key (AEAD, random nonce, the channel id
    -- as associated data). Never selected for a page or an API answer.
    credentials blob not null,
    -- Connector state worth keeping between posts (a Bluesky session, an OAuth token's expiry),
    -- sealed the same way; empty until the first use.
    session blob,
    -- The cadence guard as JSON (chorus_domain::cadence::Cadence).
    cadence text not null,
    -- active | needs_attention (credentials refused: its posts wait, they are not lost).
    status text not null,
    status_reason text,
    created_by blob references users (id) on delete set null,
    created_at integer not null,
    updated_at integer not null
);
create index channels_org_idx on channels (org_id, name);

create table posts (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    submission_id blob not null references submissions (id) on delete cascade,
    channel_id blob not null references channels (id) on delete cascade,
    text text not null,
    -- scheduled | publishing | published | failed | unconfirmed | cancelled
    status text not null,
    scheduled_at integer not null,
    version integer not null,
    -- When the connector was last called: a post found `publishing` after a crash has an
    -- attempt whose outcome is unknown, and is looked up on the network before any retry.
    attempt_started_at integer,
    attempts integer not null default 0,
    external_id text,
    external_url text,
    last_error text,
    published_at integer,
    created_by blob references users (id) on delete set null,
    created_at integer not null,
    updated_at integer not null
);
create index posts_channel_time_idx on posts (channel_id, scheduled_at);
create index posts_org_time_idx on posts (org_id, scheduled_at);
create index posts_submission_idx on posts (submission_id);
