-- Department member counts (the departments page, the API, the leaderboard's department list)
-- scanned every user without this: 160 ms for 50,000 people, 1 ms with it.
create index users_department_idx on users (department_id, status);
