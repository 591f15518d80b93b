-- Every tracked-link click writes a row into `clicks`, so each index and each constraint on it is
-- paid for on the hot path (docs/benchmarks.md, "Tracked-link redirect"). What goes:
--
-- * The index on (org_id, at). Its only readers were reports over raw clicks, which read less
--   than an hour at each edge of a period (whole hours and days come from the roll-ups);
--   `clicks_at_idx` serves those ranges, filtering by organization.
-- * The index on (share_id, at). Its reader was "my shares", which added up a share's hourly
--   roll-ups and its clicks since the last roll-up. Each share's totals are now kept in
--   `share_click_counts`, added to by the click writer in the same transaction as the clicks.
-- * The foreign keys. Each inserted click ran two referential-integrity triggers (a lookup and a
--   row lock on its organization and its share). Clicks are an append-only log written only for
--   a share resolved from the database moments before, so the checks never fail, and nothing
--   deletes shares or organizations. Whatever deletes them later must delete their clicks itself
--   (a scan by share, or by time): nothing cascades.

-- Every click a share ever had, people and bots apart (raw clicks past their retention included).
create table share_click_counts (
    share_id uuid primary key references shares (id) on delete cascade,
    human bigint not null,
    bot bigint not null
);
-- What "my shares" showed until now: the hourly roll-ups, plus the clicks not rolled up yet.
insert into share_click_counts (share_id, human, bot)
    select share_id, sum(human), sum(bot) from (
        select share_id, human::bigint as human, bot::bigint as bot from click_buckets where span = 'h'
        union all
        select share_id, case when bot is null then 1 else 0 end, case when bot is null then 0 else 1 end
            from clicks where at >= (select rolled_until from rollup_state where id = 1)
    ) t group by share_id;

drop index clicks_org_at_idx;
drop index clicks_share_idx;
alter table clicks drop constraint clicks_org_id_fkey, drop constraint clicks_share_id_fkey;
