-- Jobs get a priority: among jobs that are due, higher runs first (a post due now before a
-- batch of link previews).
alter table jobs add column priority integer not null default 0;
-- Claims scan one priority level at a time, in due order, and stop when the batch is full.
-- The new index also serves every other lookup by state, so the old (state, run_at) index goes:
-- with both, PostgreSQL's planner, misled by statistics taken before a burst, chose the old one
-- and sorted the whole backlog on every claim.
create index jobs_claim_idx on jobs (state, priority, run_at, id);
drop index jobs_ready_idx;
