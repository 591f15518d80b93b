-- Every tracked-link click writes a row into `clicks`. On PostgreSQL its `id` cost a sequence
-- step and a primary-key index insertion per row: measured with COPY of 1,000,000 rows on the
-- benchmark box, 2.0-3.0 µs a row with it against 1.1-1.6 µs without. Nothing reads it: the
-- retention delete, its only user, now picks the oldest rows by their physical address (ctid).
-- SQLite keeps its `id`: there it is the rowid, which every table has anyway.
alter table clicks drop column id;
