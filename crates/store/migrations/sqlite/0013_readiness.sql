-- The social-readiness self-assessment (SPEC §3): assessments repeated over time, and the
-- action checklist. Statement texts, disciplines and the default checklist live in
-- chorus_domain::readiness; rows store only the statements' stable keys (`vision.why`).

create table readiness_assessments (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    note text not null default '',
    created_by blob references users (id) on delete set null,
    created_at integer not null
);
create index readiness_assessments_org_idx on readiness_assessments (org_id, created_at);

-- One row per statement rated in an assessment.
create table readiness_ratings (
    assessment_id blob not null references readiness_assessments (id) on delete cascade,
    org_id blob not null references organizations (id) on delete cascade,
    statement_key text not null,
    rating integer not null,
    constraint readiness_ratings_range check (rating between 1 and 5),
    primary key (assessment_id, statement_key)
) without rowid;
create index readiness_ratings_org_idx on readiness_ratings (org_id);

-- When an organization's checklist was seeded with the default items, so items an admin
-- deletes do not come back.
create table readiness_checklists (
    org_id blob primary key references organizations (id) on delete cascade,
    seeded_at integer not null
);

create table readiness_actions (
    id blob primary key,
    org_id blob not null references organizations (id) on delete cascade,
    position integer not null,
    title text not null,
    -- A person of the same organization (checked by the use case).
    owner_id blob references users (id) on delete set null,
    -- YYYY-MM-DD
    due_on text,
    -- todo | doing | done
    status text not null,
    created_at integer not null,
    updated_at integer not null
);
create index readiness_actions_org_idx on readiness_actions (org_id, position);
