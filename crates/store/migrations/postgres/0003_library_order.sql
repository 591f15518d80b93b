-- The library's own order: every submission gets the next number the first time it is approved
-- and keeps it (see the SQLite twin for why). A sequence hands the numbers out, so instances
-- approving at the same moment never collide.
alter table submissions add column library_seq bigint;
create sequence submissions_library_seq;

update submissions set library_seq = ranked.n
from (select id, row_number() over (order by approved_at, id) as n
      from submissions where approved_at is not null) as ranked
where ranked.id = submissions.id;
select setval('submissions_library_seq', coalesce((select max(library_seq) from submissions), 0) + 1, false);

create unique index submissions_library_seq_idx on submissions (library_seq);
drop index submissions_library_idx;
create index submissions_library_idx on submissions (org_id, library_seq);
