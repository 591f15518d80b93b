-- Every tracked-link click writes a row into `clicks`, so each index and each constraint on it is
-- paid for on the hot path (docs/benchmarks.md, "Tracked-link redirect"). What goes:
--
-- * The index on (org_id, at). Its only readers were reports over raw clicks, which read less
--   than an hour at each edge of a period (whole hours and days come from the roll-ups);
--   `clicks_at_idx` serves those ranges, filtering by organization.
-- * The index on (share_id, at). Its reader was "my shares", which added up a share's hourly
--   roll-ups and its clicks since the last roll-up. Each share's totals are now kept in
--   `share_click_counts`, added to by the click writer in the same transaction as the clicks.
-- * The foreign keys. Each inserted click looked up its organization and its share. Clicks are
--   an append-only log written only for a share resolved from the database moments before, so
--   the checks never fail, and nothing deletes shares or organizations. Whatever deletes them
--   later must delete their clicks itself (a scan by share, or by time): nothing cascades.
--
-- SQLite cannot drop a constraint, so the table is rebuilt.
create table clicks_lean (
    id integer primary key,
    org_id blob not null,
    share_id blob not null,
    at integer not null,
    network text not null,
    referrer_host text,
    -- mobile | tablet | desktop | other (people); the bot's name otherwise.
    device text not null,
    bot text,
    visitor text
);
insert into clicks_lean (id, org_id, share_id, at, network, referrer_host, device, bot, visitor)
    select id, org_id, share_id, at, network, referrer_host, device, bot, visitor from clicks;

-- Every click a share ever had, people and bots apart (raw clicks past their retention included).
create table share_click_counts (
    share_id blob primary key references shares (id) on delete cascade,
    human integer not null,
    bot integer not null
);
-- What "my shares" showed until now: the hourly roll-ups, plus the clicks not rolled up yet.
insert into share_click_counts (share_id, human, bot)
    select share_id, sum(human), sum(bot) from (
        select share_id, human, bot from click_buckets where span = 'h'
        union all
        select share_id, case when bot is null then 1 else 0 end, case when bot is null then 0 else 1 end
            from clicks where at >= (select rolled_until from rollup_state where id = 1)
    ) t group by share_id;

drop table clicks;
alter table clicks_lean rename to clicks;
-- The roll-up finds the next hour with clicks, and retention deletes the oldest, by time.
create index clicks_at_idx on clicks (at);
