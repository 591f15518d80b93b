-- Jobs get a priority: among jobs that are due, higher runs first (a post due now before a
-- batch of link previews). Claims order by (priority desc, run_at); the due set is found through
-- jobs_ready_idx (state, run_at) and is small in normal operation.
alter table jobs add column priority integer not null default 0;
