-- Foundation: organizations, people, sessions, tokens, audit log, job queue.
-- Ids are UUIDv7 (BLOB here, uuid in PostgreSQL); times are Unix milliseconds (INTEGER).

create table organizations (
    id blob primary key,
    slug text not null,
    name text not null,
    settings text not null default '{}',
    created_at integer not null,
    constraint organizations_slug_key unique (slug)
);

create table departments (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    name text not null,
    name_key text not null,
    created_at integer not null,
    constraint departments_org_name_key unique (org_id, name_key)
);

create table users (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    email text not null,
    name text not null,
    title text,
    seniority integer,
    role text not null,
    department_id blob references departments (id) on delete set null,
    status text not null,
    password_hash text,
    created_at integer not null,
    updated_at integer not null,
    constraint users_org_email_key unique (org_id, email)
);
create index users_email_idx on users (email);
create index users_org_name_idx on users (org_id, name);

create table department_leads (
    org_id blob not null references organizations (id) on delete cascade,
    department_id blob not null references departments (id) on delete cascade,
    user_id blob not null references users (id) on delete cascade,
    created_at integer not null,
    primary key (department_id, user_id)
);
create index department_leads_user_idx on department_leads (user_id);

create table sessions (
    token_hash text primary key,
    org_id blob not null references organizations (id) on delete cascade,
    user_id blob not null references users (id) on delete cascade,
    created_at integer not null,
    last_seen_at integer not null,
    expires_at integer not null
);
create index sessions_user_idx on sessions (user_id);

create table api_tokens (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    user_id blob not null references users (id) on delete cascade,
    label text not null,
    token_hash text not null,
    prefix text not null,
    created_at integer not null,
    last_used_at integer,
    revoked_at integer,
    constraint api_tokens_hash_key unique (token_hash)
);
create index api_tokens_user_idx on api_tokens (org_id, user_id);

create table invitations (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    user_id blob not null references users (id) on delete cascade,
    invited_by blob references users (id) on delete set null,
    token_hash text not null,
    created_at integer not null,
    expires_at integer not null,
    accepted_at integer,
    constraint invitations_hash_key unique (token_hash)
);

create table password_resets (
    token_hash text primary key,
    org_id blob not null references organizations (id) on delete cascade,
    user_id blob not null references users (id) on delete cascade,
    created_at integer not null,
    expires_at integer not null,
    used_at integer
);

create table setup_tokens (
    token_hash text primary key,
    created_at integer not null,
    expires_at integer not null
);

create table login_failures (
    id blob primary key,
    key_hash text not null,
    at integer not null
);
create index login_failures_key_idx on login_failures (key_hash, at);

create table audit_events (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    at integer not null,
    actor_id blob,
    actor_label text not null,
    action text not null,
    target_type text,
    target_id text,
    detail text not null default '{}',
    client_addr text
);
create index audit_events_org_idx on audit_events (org_id, id);
create index audit_events_org_action_idx on audit_events (org_id, action, id);

-- The audit log is append-only: the database itself refuses to change history.
create trigger audit_events_no_update before update on audit_events
begin select raise(abort, 'audit_events is append-only'); end;
create trigger audit_events_no_delete before delete on audit_events
when exists (select 1 from organizations where id = old.org_id)
begin select raise(abort, 'audit_events is append-only'); end;

create table jobs (
    id blob primary key,
    org_id blob,
    kind text not null,
    payload text not null,
    state text not null,
    run_at integer not null,
    attempts integer not null default 0,
    max_attempts integer not null,
    lease_until integer,
    lease_token blob,
    last_error text,
    created_at integer not null,
    updated_at integer not null
);
create index jobs_ready_idx on jobs (state, run_at);
