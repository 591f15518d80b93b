-- The anonymous knowledge survey (SPEC §3). What is stored is what makes it anonymous:
-- * `survey_participation` says who has answered, for the participation dashboard. It holds no
--   time. (PostgreSQL keeps rows in arrival order, so it does say in which order people answered,
--   never what.)
-- * An answer first waits in `survey_ballots` with a random id (UUIDv4: a UUIDv7 would carry the
--   time) and no person, and is moved with others into `survey_responses` in a shuffled batch of
--   at least k by a separate transaction. While it waits, the ballot row and the participation
--   row share a transaction id (xmin), which a database administrator could read; once moved, a
--   response can be traced at best to its batch of k or more people.
-- * Department and seniority band are on a response only when their group has at least k
--   members (decided in chorus_domain::survey::disclosure).

create table surveys (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    title text not null,
    intro text not null,
    -- draft | open | closed
    status text not null,
    -- The smallest group any report shows (5 or more).
    k bigint not null,
    closes_at bigint,
    opened_at bigint,
    closed_at bigint,
    -- The earlier round of the same survey, for trends between rounds.
    previous_id uuid references surveys (id) on delete set null,
    created_by uuid references users (id) on delete set null,
    created_at bigint not null
);
create index surveys_org_idx on surveys (org_id, created_at);

-- The departments a survey is open to; none means the whole organization.
create table survey_audience (
    survey_id uuid not null references surveys (id) on delete cascade,
    department_id uuid not null references departments (id) on delete cascade,
    primary key (survey_id, department_id)
);

create table survey_questions (
    id uuid primary key,
    survey_id uuid not null references surveys (id) on delete cascade,
    org_id uuid not null references organizations (id) on delete cascade,
    position bigint not null,
    kind text not null,
    prompt text not null,
    -- JSON arrays of strings.
    options text not null,
    topics text not null,
    correct bigint,
    follow_up text,
    -- An answered question is never edited: it is retired, and its new version names it.
    retired_at bigint,
    replaces uuid references survey_questions (id) on delete set null
);
create index survey_questions_survey_idx on survey_questions (survey_id, position);

create table survey_participation (
    survey_id uuid not null references surveys (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    org_id uuid not null references organizations (id) on delete cascade,
    primary key (survey_id, user_id)
);

create table survey_ballots (
    id uuid primary key,
    survey_id uuid not null references surveys (id) on delete cascade,
    org_id uuid not null references organizations (id) on delete cascade,
    department_id uuid references departments (id) on delete set null,
    band text,
    -- JSON: [[question id, answer], …]
    answers text not null
);
create index survey_ballots_survey_idx on survey_ballots (survey_id);

create table survey_responses (
    id uuid primary key,
    survey_id uuid not null references surveys (id) on delete cascade,
    org_id uuid not null references organizations (id) on delete cascade,
    department_id uuid references departments (id) on delete set null,
    band text,
    answers text not null
);
create index survey_responses_survey_idx on survey_responses (survey_id);

-- Counts kept as batches land, so a report over 50,000 responses reads a few hundred rows.
-- `department` is the department id as text, or '' when not kept; `band` likewise.
create table survey_group_counts (
    survey_id uuid not null references surveys (id) on delete cascade,
    department text not null,
    band text not null,
    responses bigint not null,
    primary key (survey_id, department, band)
);

create table survey_tallies (
    survey_id uuid not null references surveys (id) on delete cascade,
    question_id uuid not null references survey_questions (id) on delete cascade,
    department text not null,
    band text not null,
    option bigint not null,
    answers bigint not null,
    primary key (question_id, department, band, option)
);
create index survey_tallies_survey_idx on survey_tallies (survey_id);

-- Open answers and follow-ups, for reading; shown only when the whole survey has k responses.
create table survey_texts (
    id uuid primary key,
    survey_id uuid not null references surveys (id) on delete cascade,
    question_id uuid not null references survey_questions (id) on delete cascade,
    body text not null
);
create index survey_texts_question_idx on survey_texts (question_id, id);
