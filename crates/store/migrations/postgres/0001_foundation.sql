-- Foundation: organizations, people, sessions, tokens, audit log, job queue.
-- Ids are UUIDv7 (uuid here, BLOB in SQLite); times are Unix milliseconds (bigint).

create table organizations (
    id uuid primary key,
    slug text not null,
    name text not null,
    settings text not null default '{}',
    created_at bigint not null,
    constraint organizations_slug_key unique (slug)
);

create table departments (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    name text not null,
    name_key text not null,
    created_at bigint not null,
    constraint departments_org_name_key unique (org_id, name_key)
);

create table users (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    email text not null,
    name text not null,
    title text,
    seniority bigint,
    role text not null,
    department_id uuid references departments (id) on delete set null,
    status text not null,
    password_hash text,
    created_at bigint not null,
    updated_at bigint not null,
    constraint users_org_email_key unique (org_id, email)
);
create index users_email_idx on users (email);
create index users_org_name_idx on users (org_id, name);

create table department_leads (
    org_id uuid not null references organizations (id) on delete cascade,
    department_id uuid not null references departments (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    created_at bigint not null,
    primary key (department_id, user_id)
);
create index department_leads_user_idx on department_leads (user_id);

create table sessions (
    token_hash text primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    created_at bigint not null,
    last_seen_at bigint not null,
    expires_at bigint not null
);
create index sessions_user_idx on sessions (user_id);

create table api_tokens (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    label text not null,
    token_hash text not null,
    prefix text not null,
    created_at bigint not null,
    last_used_at bigint,
    revoked_at bigint,
    constraint api_tokens_hash_key unique (token_hash)
);
create index api_tokens_user_idx on api_tokens (org_id, user_id);

create table invitations (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    invited_by uuid references users (id) on delete set null,
    token_hash text not null,
    created_at bigint not null,
    expires_at bigint not null,
    accepted_at bigint,
    constraint invitations_hash_key unique (token_hash)
);

create table password_resets (
    token_hash text primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    created_at bigint not null,
    expires_at bigint not null,
    used_at bigint
);

create table setup_tokens (
    token_hash text primary key,
    created_at bigint not null,
    expires_at bigint not null
);

create table login_failures (
    id uuid primary key,
    key_hash text not null,
    at bigint not null
);
create index login_failures_key_idx on login_failures (key_hash, at);

create table audit_events (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    at bigint not null,
    actor_id uuid,
    actor_label text not null,
    action text not null,
    target_type text,
    target_id text,
    detail text not null default '{}',
    client_addr text
);
create index audit_events_org_idx on audit_events (org_id, id);
create index audit_events_org_action_idx on audit_events (org_id, action, id);

-- The audit log is append-only: the database itself refuses to change history
-- (deleting a whole organization still cascades).
create function audit_events_append_only() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' and not exists (select 1 from organizations where id = old.org_id) then
        return old;
    end if;
    raise exception 'audit_events is append-only';
end;
$$;
create trigger audit_events_append_only before update or delete on audit_events
for each row execute function audit_events_append_only();

create table jobs (
    id uuid primary key,
    org_id uuid,
    kind text not null,
    payload text not null,
    state text not null,
    run_at bigint not null,
    attempts bigint not null default 0,
    max_attempts bigint not null,
    lease_until bigint,
    lease_token uuid,
    last_error text,
    created_at bigint not null,
    updated_at bigint not null
);
create index jobs_ready_idx on jobs (state, run_at);
