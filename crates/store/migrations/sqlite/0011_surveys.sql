-- The anonymous knowledge survey (SPEC §3). What is stored is what makes it anonymous:
-- * `survey_participation` says who has answered, for the participation dashboard. It holds no
--   time, and as a WITHOUT ROWID table it is kept in (survey, person) order, not arrival order.
-- * An answer first waits in `survey_ballots` with a random id (UUIDv4: a UUIDv7 would carry the
--   time) and no person, and is moved with others into `survey_responses` in a shuffled batch by
--   a separate transaction, in batches of at least k. Neither table holds a person, a time or an
--   arrival order (both are WITHOUT ROWID, kept in random-id order).
-- * Department and seniority band are on a response only when their group has at least k
--   members (decided in chorus_domain::survey::disclosure).

create table surveys (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    title text not null,
    intro text not null,
    -- draft | open | closed
    status text not null,
    -- The smallest group any report shows (5 or more).
    k integer not null,
    closes_at integer,
    opened_at integer,
    closed_at integer,
    -- The earlier round of the same survey, for trends between rounds.
    previous_id blob references surveys (id) on delete set null,
    created_by blob references users (id) on delete set null,
    created_at integer not null
);
create index surveys_org_idx on surveys (org_id, created_at);

-- The departments a survey is open to; none means the whole organization.
create table survey_audience (
    survey_id blob not null references surveys (id) on delete cascade,
    department_id blob not null references departments (id) on delete cascade,
    primary key (survey_id, department_id)
) without rowid;

create table survey_questions (
    id blob primary key,
    survey_id blob not null references surveys (id) on delete cascade,
    org_id blob not null references organizations (id) on delete cascade,
    position integer not null,
    kind text not null,
    prompt text not null,
    -- JSON arrays of strings.
    options text not null,
    topics text not null,
    correct integer,
    follow_up text,
    -- An answered question is never edited: it is retired, and its new version names it.
    retired_at integer,
    replaces blob references survey_questions (id) on delete set null
);
create index survey_questions_survey_idx on survey_questions (survey_id, position);

create table survey_participation (
    survey_id blob not null references surveys (id) on delete cascade,
    user_id blob not null references users (id) on delete cascade,
    org_id blob not null references organizations (id) on delete cascade,
    primary key (survey_id, user_id)
) without rowid;

create table survey_ballots (
    id blob primary key,
    survey_id blob not null references surveys (id) on delete cascade,
    org_id blob not null references organizations (id) on delete cascade,
    department_id blob references departments (id) on delete set null,
    band text,
    -- JSON: [[question id, answer], …]
    answers text not null
) without rowid;
create index survey_ballots_survey_idx on survey_ballots (survey_id);

create table survey_responses (
    id blob primary key,
    survey_id blob not null references surveys (id) on delete cascade,
    org_id blob not null references organizations (id) on delete cascade,
    department_id blob references departments (id) on delete set null,
    band text,
    answers text not null
) without rowid;
create index survey_responses_survey_idx on survey_responses (survey_id);

-- Counts kept as batches land, so a report over 50,000 responses reads a few hundred rows.
-- `department` is the department id as text, or '' when not kept; `band` likewise.
create table survey_group_counts (
    survey_id blob not null references surveys (id) on delete cascade,
    department text not null,
    band text not null,
    responses integer not null,
    primary key (survey_id, department, band)
) without rowid;

create table survey_tallies (
    survey_id blob not null references surveys (id) on delete cascade,
    question_id blob not null references survey_questions (id) on delete cascade,
    department text not null,
    band text not null,
    option integer not null,
    answers integer not null,
    primary key (question_id, department, band, option)
) without rowid;
create index survey_tallies_survey_idx on survey_tallies (survey_id);

-- Open answers and follow-ups, for reading; shown only when the whole survey has k responses.
create table survey_texts (
    id blob primary key,
    survey_id blob not null references surveys (id) on delete cascade,
    question_id blob not null references survey_questions (id) on delete cascade,
    body text not null
) without rowid;
create index survey_texts_question_idx on survey_texts (question_id, id);
