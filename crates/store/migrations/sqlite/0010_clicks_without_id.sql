-- PostgreSQL drops `clicks.id` in this version (see postgres/0010). On SQLite `id` is the rowid,
-- which costs nothing extra, so nothing changes here; the file keeps both backends' versions in
-- step.
select 1;
