-- Training (SPEC §3): courses with ordered lessons and a multiple-choice quiz, who a course is
-- assigned to (and why), each person's progress, and the rules that assign a course where a
-- knowledge survey shows a gap. Completion is not stored: it is worked out from the lessons
-- done and the best quiz score (chorus_domain::training::completed), so adding a lesson later
-- asks everyone for it.

create table courses (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    title text not null,
    description text not null,
    -- Who it is for, in words ("Executives").
    audience text not null,
    -- JSON array of topic names, the ones the knowledge survey uses.
    topics text not null,
    -- Percent of quiz answers needed to pass, 1–100.
    pass_mark bigint not null,
    created_by uuid references users (id) on delete set null,
    created_at bigint not null,
    updated_at bigint not null
);
create index courses_org_idx on courses (org_id, created_at);

create table course_lessons (
    id uuid primary key,
    course_id uuid not null references courses (id) on delete cascade,
    org_id uuid not null references organizations (id) on delete cascade,
    position bigint not null,
    title text not null,
    -- Markdown; media by URL.
    body text not null,
    created_at bigint not null
);
create index course_lessons_course_idx on course_lessons (course_id, position);

create table course_questions (
    id uuid primary key,
    course_id uuid not null references courses (id) on delete cascade,
    org_id uuid not null references organizations (id) on delete cascade,
    position bigint not null,
    prompt text not null,
    -- JSON array of strings.
    options text not null,
    -- Index of the correct option: never sent to people taking the course.
    correct bigint not null,
    created_at bigint not null
);
create index course_questions_course_idx on course_questions (course_id, position);

-- One assignment per person and course: assigning again keeps the first (and its reason).
create table course_assignments (
    course_id uuid not null references courses (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    org_id uuid not null references organizations (id) on delete cascade,
    -- "Survey gap: X basics in Sales", "Assigned by Ada".
    reason text not null,
    assigned_by uuid references users (id) on delete set null,
    assigned_at bigint not null,
    primary key (course_id, user_id)
);
create index course_assignments_user_idx on course_assignments (user_id, course_id);

create table lesson_completions (
    lesson_id uuid not null references course_lessons (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    course_id uuid not null references courses (id) on delete cascade,
    org_id uuid not null references organizations (id) on delete cascade,
    done_at bigint not null,
    primary key (lesson_id, user_id)
);
create index lesson_completions_course_idx on lesson_completions (course_id, user_id);

-- Every attempt is kept; the best score counts.
create table quiz_attempts (
    id uuid primary key,
    course_id uuid not null references courses (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    org_id uuid not null references organizations (id) on delete cascade,
    -- JSON array: the option chosen per question, in the quiz's order at the time.
    answers text not null,
    score bigint not null,
    attempted_at bigint not null
);
create index quiz_attempts_course_idx on quiz_attempts (course_id, user_id);

-- Assign `course_id` to the groups of a closed survey whose score for `topic` is below
-- `threshold` percent. `topic_key` is the topic in lower case: one rule per course and topic.
create table training_rules (
    id uuid primary key,
    org_id uuid not null references organizations (id) on delete cascade,
    course_id uuid not null references courses (id) on delete cascade,
    topic text not null,
    topic_key text not null,
    threshold bigint not null,
    created_by uuid references users (id) on delete set null,
    created_at bigint not null,
    constraint training_rules_course_topic_key unique (course_id, topic_key)
);
create index training_rules_org_idx on training_rules (org_id, created_at);
