-- Reverse mentoring: who opted in (as mentee or mentor, with a skill they rated or a quiz
-- measured — never anything from the anonymous survey), the pairs admins confirmed, and what the
-- pairs log.
create table mentoring_profiles (
    user_id uuid not null references users (id) on delete cascade,
    -- mentee | mentor
    role text not null,
    org_id uuid not null references organizations (id) on delete cascade,
    skill bigint not null,
    -- self | quiz
    skill_source text not null,
    -- Mentees: 1; mentors: how many mentees they take.
    capacity bigint not null,
    -- What they want to learn, or can teach.
    goals text not null,
    updated_at bigint not null,
    primary key (user_id, role)
);
create index mentoring_profiles_org_idx on mentoring_profiles (org_id, role);

create table mentoring_pairs (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    mentee_id uuid not null references users (id) on delete cascade,
    mentor_id uuid not null references users (id) on delete cascade,
    -- The skill difference when confirmed.
    gain bigint not null,
    confirmed_by uuid references users (id) on delete set null,
    confirmed_at bigint not null,
    -- Set when the pair stops; an active pair has none.
    ended_at bigint
);
create index mentoring_pairs_org_idx on mentoring_pairs (org_id, confirmed_at);

create table mentoring_sessions (
    id uuid primary key,
    pair_id uuid not null references mentoring_pairs (id) on delete cascade,
    org_id uuid not null references organizations (id) on delete cascade,
    -- YYYY-MM-DD
    held_on text not null,
    minutes bigint not null,
    notes text not null,
    logged_by uuid references users (id) on delete set null,
    created_at bigint not null
);
create index mentoring_sessions_pair_idx on mentoring_sessions (pair_id, held_on);

create table mentoring_feedback (
    pair_id uuid not null references mentoring_pairs (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    org_id uuid not null references organizations (id) on delete cascade,
    rating bigint not null,
    comment text not null,
    updated_at bigint not null,
    primary key (pair_id, user_id)
);
