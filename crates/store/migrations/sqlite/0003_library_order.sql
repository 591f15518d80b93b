-- The library's own order: every submission gets the next number the first time it is approved
-- and keeps it. Browsing walks (org_id, library_seq) backwards; search walks the full-text
-- index backwards by the same number (it is the index's rowid), so a search stops after one
-- page instead of collecting every match and sorting by approval time (issue 3 benchmark).
alter table submissions add column library_seq integer;

update submissions set library_seq = ranked.n
from (select id, row_number() over (order by approved_at, id) as n
      from submissions where approved_at is not null) as ranked
where ranked.id = submissions.id;

create unique index submissions_library_seq_idx on submissions (library_seq);
drop index submissions_library_idx;
create index submissions_library_idx on submissions (org_id, library_seq);

-- Only the library is searched, so only the library is indexed, keyed by library_seq.
drop trigger submissions_fts_insert;
drop trigger submissions_fts_delete;
drop trigger submissions_fts_update;
drop table submissions_fts;

create virtual table library_fts using fts5 (
    title, body, tags,
    content = 'submissions', content_rowid = 'library_seq',
    tokenize = 'unicode61 remove_diacritics 2'
);
insert into library_fts (rowid, title, body, tags)
    select library_seq, title, body, tags from submissions where library_seq is not null;

create trigger library_fts_insert after insert on submissions when new.library_seq is not null begin
    insert into library_fts (rowid, title, body, tags) values (new.library_seq, new.title, new.body, new.tags);
end;
create trigger library_fts_enter after update of library_seq on submissions
when old.library_seq is null and new.library_seq is not null begin
    insert into library_fts (rowid, title, body, tags) values (new.library_seq, new.title, new.body, new.tags);
end;
-- A library number never changes once given, so old.library_seq is the indexed rowid.
create trigger library_fts_update after update of title, body, tags on submissions
when old.library_seq is not null begin
    insert into library_fts (library_fts, rowid, title, body, tags)
        values ('delete', old.library_seq, old.title, old.body, old.tags);
    insert into library_fts (rowid, title, body, tags) values (old.library_seq, new.title, new.body, new.tags);
end;
create trigger library_fts_delete after delete on submissions when old.library_seq is not null begin
    insert into library_fts (library_fts, rowid, title, body, tags)
        values ('delete', old.library_seq, old.title, old.body, old.tags);
end;
