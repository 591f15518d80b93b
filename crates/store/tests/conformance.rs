//! The store's conformance suite: the same assertions on SQLite, and on PostgreSQL when
//! CHORUS_TEST_DATABASE_URL names a server. Every SQL string here runs on both backends.

use chorus_domain::{JobId, OrgId, Role, UserId, UserStatus};
use chorus_store::{Backend, Store, admin, audit, auth, jobs, tokens, users};
use time::{Duration, OffsetDateTime};

async fn fresh_store() -> Store {
    let url = match std::env::var("CHORUS_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(server) => {
            use sqlx::Connection as _;
            let name = format!("chorus_s_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&server).await.expect("connect");
            sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
                .execute(&mut conn)
                .await
                .expect("create db");
            format!("{}/{name}", server.rsplit_once('/').expect("url").0)
        }
        None => {
            let dir = std::env::temp_dir().join(format!("chorus-store-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&dir).expect("dir");
            format!("sqlite://{}", dir.join("t.db").display())
        }
    };
    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
}

fn now() -> OffsetDateTime {
    chorus_domain::clock::from_millis(chorus_domain::clock::to_millis(OffsetDateTime::now_utc()))
}

async fn org_with_user(store: &Store) -> (OrgId, UserId) {
    let mut db = store.conn().await.expect("conn");
    let org = OrgId::new();
    admin::insert_org(&mut db, org, &format!("o-{}", org.0.simple()), "Org", now()).await.expect("org");
    let user = UserId::new();
    users::insert(
        &mut db,
        &users::NewUser {
            id: user,
            org_id: org,
            email: "a@x.test",
            name: "A",
            title: None,
            seniority: Some(3),
            role: Role::Admin,
            department_id: None,
            status: UserStatus::Active,
            password_hash: Some("hash"),
            now: now(),
        },
    )
    .await
    .expect("user");
    (org, user)
}

#[test]
fn both_backends_define_the_same_migration_versions() {
    assert_eq!(
        chorus_store::migration_versions(Backend::Sqlite),
        chorus_store::migration_versions(Backend::Postgres)
    );
}

#[tokio::test]
async fn migrating_twice_is_harmless() {
    let store = fresh_store().await;
    store.migrate().await.expect("second migrate");
    store.ping().await.expect("ping");
}

#[tokio::test]
async fn users_round_trip_and_emails_are_unique_per_organization() {
    let store = fresh_store().await;
    let (org, user) = org_with_user(&store).await;
    let mut db = store.conn().await.expect("conn");
    let got = users::get(&mut db, org, user).await.expect("get").expect("found");
    assert_eq!(
        (got.email.as_str(), got.role, got.seniority, got.status),
        ("a@x.test", Role::Admin, Some(3), UserStatus::Active)
    );
    assert!(users::get(&mut db, OrgId::new(), user).await.expect("get").is_none(), "scoped by org");
    let dup = users::insert(
        &mut db,
        &users::NewUser {
            id: UserId::new(),
            org_id: org,
            email: "a@x.test",
            name: "B",
            title: None,
            seniority: None,
            role: Role::Employee,
            department_id: None,
            status: UserStatus::Invited,
            password_hash: None,
            now: now(),
        },
    )
    .await;
    assert!(dup.expect_err("duplicate").is_conflict());
    let page =
        users::list(&mut db, org, &users::ListFilter { query: Some("A@X".into()), ..Default::default() }, 10)
            .await
            .expect("list");
    assert_eq!(page.len(), 1, "search is case-insensitive");
    let none =
        users::list(&mut db, org, &users::ListFilter { query: Some("%".into()), ..Default::default() }, 10)
            .await
            .expect("list");
    assert!(none.is_empty(), "LIKE wildcards in the query are literal");
}

#[tokio::test]
async fn sessions_expire_and_tokens_stop_working_when_revoked() {
    let store = fresh_store().await;
    let (org, user) = org_with_user(&store).await;
    let mut db = store.conn().await.expect("conn");
    let t0 = now();
    auth::insert_session(&mut db, "s1", org, user, t0, t0 + Duration::hours(1)).await.expect("session");
    let live = auth::session_person(&mut db, "s1", t0).await.expect("get").expect("live session");
    assert_eq!((live.user.id, live.org.id), (user, org));
    assert!(auth::session_person(&mut db, "s1", t0 + Duration::hours(2)).await.expect("get").is_none());
    tokens::insert(
        &mut db,
        &tokens::NewToken {
            id: chorus_domain::TokenId::new(),
            org_id: org,
            user_id: user,
            label: "l",
            token_hash: "h",
            prefix: "p",
            now: t0,
        },
    )
    .await
    .expect("token");
    let (id, person, person_org, _) =
        tokens::authenticate_person(&mut db, "h").await.expect("auth").expect("found");
    assert_eq!((person.id, person_org.id), (user, org));
    assert!(tokens::revoke(&mut db, org, user, id, t0).await.expect("revoke"));
    assert!(!tokens::revoke(&mut db, org, user, id, t0).await.expect("revoke again"));
    assert!(tokens::authenticate_person(&mut db, "h").await.expect("auth").is_none());
}

#[tokio::test]
async fn one_time_links_work_once() {
    let store = fresh_store().await;
    let (org, user) = org_with_user(&store).await;
    let mut db = store.conn().await.expect("conn");
    let t0 = now();
    auth::insert_reset(&mut db, "r", org, user, t0, t0 + Duration::hours(1)).await.expect("reset");
    assert!(auth::use_reset(&mut db, "r", t0).await.expect("use"));
    assert!(!auth::use_reset(&mut db, "r", t0).await.expect("reuse"));
    let inv = chorus_domain::InvitationId::new();
    auth::insert_invitation(&mut db, inv, org, user, None, "i", t0, t0 + Duration::days(1))
        .await
        .expect("invite");
    assert!(auth::accept_invitation(&mut db, inv, t0).await.expect("accept"));
    assert!(!auth::accept_invitation(&mut db, inv, t0).await.expect("accept again"));
}

#[tokio::test]
async fn the_audit_log_refuses_updates_and_deletes() {
    let store = fresh_store().await;
    let (org, user) = org_with_user(&store).await;
    let mut db = store.conn().await.expect("conn");
    let event = audit::AuditEvent {
        id: chorus_domain::AuditEventId::new(),
        at: now(),
        actor_id: Some(user),
        actor_label: "A".into(),
        action: "user.signed_in".into(),
        target_type: None,
        target_id: None,
        detail: "{}".into(),
        client_addr: None,
    };
    audit::append(&mut db, org, &event).await.expect("append");
    let listed =
        audit::list(&mut db, org, &audit::Filter { action: Some("user.".into()), ..Default::default() }, 10)
            .await
            .expect("list");
    assert_eq!(listed, vec![event]);
    let mut tx = store.tx().await.expect("tx");
    let update = match &mut tx {
        chorus_store::Tx::Sqlite(t, _) => {
            sqlx::query("update audit_events set action = 'x'").execute(&mut **t).await.map(|_| ())
        }
        chorus_store::Tx::Postgres(t) => {
            sqlx::query("update audit_events set action = 'x'").execute(&mut **t).await.map(|_| ())
        }
    };
    assert!(update.is_err(), "audit rows cannot be rewritten");
}

#[tokio::test]
async fn jobs_are_claimed_once_fenced_retried_and_dead_lettered() {
    let store = fresh_store().await;
    let t0 = now();
    let id = JobId::new();
    let org = OrgId::new();
    {
        let mut db = store.conn().await.expect("conn");
        jobs::enqueue(
            &mut db,
            &jobs::NewJob {
                id,
                org_id: Some(org),
                kind: "k",
                payload: "{}",
                run_at: t0,
                max_attempts: 2,
                priority: 0,
                now: t0,
            },
        )
        .await
        .expect("enqueue");
    }
    let claim = |at: OffsetDateTime| {
        let store = store.clone();
        async move {
            let mut tx = store.tx().await.expect("tx");
            let batch = jobs::claim(&mut tx, at, at + Duration::seconds(30), 10, &[0]).await.expect("claim");
            tx.commit().await.expect("commit");
            batch
        }
    };
    let first = claim(t0).await;
    assert_eq!(first.len(), 1);
    assert!(claim(t0).await.is_empty(), "a leased job is not claimed twice");
    // The lease expires; another worker takes over with a new token.
    let second = claim(t0 + Duration::seconds(31)).await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].attempts, 2);
    let mut db = store.conn().await.expect("conn");
    assert!(
        !jobs::complete(&mut db, id, first[0].lease_token).await.expect("stale"),
        "the stale worker is fenced out"
    );
    assert!(jobs::fail(&mut db, id, second[0].lease_token, "boom", None, t0).await.expect("fail"));
    let dead = jobs::list(&mut db, "dead", 10).await.expect("dead");
    assert_eq!(dead[0].last_error.as_deref(), Some("boom"));
    assert!(claim(t0 + Duration::hours(1)).await.is_empty(), "dead jobs stay dead");

    // Dead letters are the organization's to see and revive, nobody else's.
    let t1 = t0 + Duration::hours(2);
    assert!(jobs::dead_of_org(&mut db, OrgId::new(), 10).await.expect("other org").is_empty());
    assert!(!jobs::revive(&mut db, OrgId::new(), id, t1).await.expect("other org"), "not theirs");
    let listed = jobs::dead_of_org(&mut db, org, 10).await.expect("dead letters");
    assert_eq!((listed.len(), listed[0].attempts), (1, 2));
    assert!(jobs::revive(&mut db, org, id, t1).await.expect("revive"));
    assert!(!jobs::revive(&mut db, org, id, t1).await.expect("again"), "only a dead job is revived");
    let again = claim(t1).await;
    assert_eq!((again.len(), again[0].attempts), (1, 1), "a fresh retry budget");
}

#[tokio::test]
async fn among_due_jobs_the_higher_priority_runs_first() {
    let store = fresh_store().await;
    let t0 = now();
    let mut db = store.conn().await.expect("conn");
    let mut enqueue = async |kind: &'static str, run_at: OffsetDateTime, priority: i32| {
        let job = jobs::NewJob {
            id: JobId::new(),
            org_id: None,
            kind,
            payload: "{}",
            run_at,
            max_attempts: 3,
            priority,
            now: t0,
        };
        jobs::enqueue(&mut db, &job).await.expect("enqueue");
    };
    enqueue("preview", t0 - Duration::minutes(5), 0).await;
    enqueue("publish", t0 - Duration::minutes(1), 10).await;
    enqueue("later", t0 + Duration::minutes(1), 100).await;
    enqueue("stray", t0 - Duration::minutes(9), 3).await; // a level the registry does not list
    let mut order = Vec::new();
    for _ in 0..4 {
        let mut tx = store.tx().await.expect("tx");
        let batch = jobs::claim(&mut tx, t0, t0 + Duration::seconds(30), 1, &[10, 0]).await.expect("claim");
        tx.commit().await.expect("commit");
        order.extend(batch.into_iter().map(|j| j.kind));
    }
    assert_eq!(
        order,
        ["publish", "preview", "stray"],
        "due jobs by priority, level by level, then any other level; a job not yet due waits"
    );
}

#[tokio::test]
async fn ready_jobs_are_counted_by_kind_with_the_oldest_due_time() {
    let store = fresh_store().await;
    let t0 = now();
    let mut db = store.conn().await.expect("conn");
    for (kind, run_at) in [
        ("publish", t0 - Duration::minutes(7)),
        ("publish", t0 - Duration::minutes(2)),
        ("email", t0),
        ("email", t0 + Duration::minutes(1)), // not due yet
    ] {
        let job = jobs::NewJob {
            id: JobId::new(),
            org_id: None,
            kind,
            payload: "{}",
            run_at,
            max_attempts: 3,
            priority: 0,
            now: t0,
        };
        jobs::enqueue(&mut db, &job).await.expect("enqueue");
    }
    let running = JobId::new();
    let job = jobs::NewJob {
        id: running,
        org_id: None,
        kind: "preview",
        payload: "{}",
        run_at: t0 - Duration::hours(1),
        max_attempts: 3,
        priority: 5,
        now: t0,
    };
    jobs::enqueue(&mut db, &job).await.expect("enqueue");
    drop(db);
    let mut tx = store.tx().await.expect("tx");
    let claimed = jobs::claim(&mut tx, t0, t0 + Duration::seconds(30), 1, &[5]).await.expect("claim");
    tx.commit().await.expect("commit");
    assert_eq!(claimed[0].id, running);
    let mut db = store.conn().await.expect("conn");
    let ready = jobs::ready_by_kind(&mut db, t0).await.expect("ready");
    assert_eq!(
        ready,
        [
            jobs::ReadyKind { kind: "email".into(), ready: 1, oldest_run_at: t0 },
            jobs::ReadyKind { kind: "publish".into(), ready: 2, oldest_run_at: t0 - Duration::minutes(7) },
        ],
        "due and unclaimed only: a running job and one not due yet are not waiting"
    );
}

#[tokio::test]
async fn notification_centre_rows_round_trip_and_a_digest_period_is_claimed_once() {
    use chorus_domain::{AnnouncementId, NotificationId};
    use chorus_store::{announcements, digests, notifications, preferences};
    let store = fresh_store().await;
    let (org, user) = org_with_user(&store).await;
    let t = now();
    let mut tx = store.tx().await.expect("tx");
    preferences::set(&mut tx, org, user, "comment", "weekly", t).await.expect("set");
    preferences::set(&mut tx, org, user, "comment", "off", t).await.expect("replace");
    let batch: Vec<notifications::Notification> = (0..1500)
        .map(|i| notifications::Notification {
            id: NotificationId::new(),
            user_id: user,
            kind: "comment".into(),
            title: format!("n{i}"),
            link: "/x".into(),
            read_at: None,
            created_at: t,
        })
        .collect();
    notifications::insert_many(&mut tx, org, &batch).await.expect("many");
    let jobs: Vec<jobs::BatchJob> =
        (0..700).map(|_| jobs::BatchJob { id: JobId::new(), payload: "{}".into() }).collect();
    let template = jobs::NewJob {
        id: JobId::new(),
        org_id: Some(org),
        kind: "send_email",
        payload: "",
        run_at: t,
        max_attempts: 3,
        priority: 5,
        now: t,
    };
    jobs::enqueue_many(&mut tx, &template, &jobs).await.expect("jobs");
    let a = announcements::Announcement {
        id: AnnouncementId::new(),
        department_id: None,
        department_name: None,
        author_id: Some(user),
        author_name: None,
        title: "Hello".into(),
        body: "**x**".into(),
        pinned: true,
        audience: 1,
        reads: 0,
        read_by_me: false,
        created_at: t,
    };
    announcements::insert(&mut tx, org, &a).await.expect("announcement");
    tx.commit().await.expect("commit");

    let mut db = store.conn().await.expect("conn");
    assert_eq!(
        preferences::of_user(&mut db, org, user).await.expect("prefs"),
        vec![("comment".into(), "off".into())]
    );
    assert_eq!(preferences::of_kind(&mut db, org, "comment").await.expect("kind").len(), 1);
    let mine = notifications::of_people_between(&mut db, org, None, user, t, t + Duration::SECOND)
        .await
        .expect("read");
    assert_eq!(mine.len(), 1500);
    assert_eq!(jobs::count_of_kinds(&mut db, org, &["send_email"]).await.expect("count"), (700, 0));
    assert_eq!(jobs::unfinished_of_kinds(&mut db, org, &["send_email"], 10).await.expect("list").len(), 10);
    let q = announcements::ListQuery {
        viewer: user,
        department: None,
        all: false,
        pinned_only: true,
        before: None,
        limit: 10,
    };
    let list = announcements::list(&mut db, org, &q).await.expect("list");
    assert_eq!((list.len(), list[0].author_name.as_deref()), (1, Some("A")));
    assert!(announcements::mark_read(&mut db, org, a.id, user, t).await.expect("read"));
    assert!(!announcements::mark_read(&mut db, org, a.id, user, t).await.expect("again"));
    let got = announcements::get(&mut db, org, user, a.id).await.expect("get").expect("found");
    assert_eq!((got.reads, got.read_by_me), (1, true));
    assert_eq!(announcements::audience(&mut db, org, None).await.expect("audience"), vec![user]);

    let end = t;
    let claim = || async {
        let mut tx = store.tx().await.expect("tx");
        let run = digests::claim(&mut tx, org, "weekly", end - Duration::WEEK, end, t, t + Duration::MINUTE)
            .await
            .expect("claim");
        tx.commit().await.expect("commit");
        run
    };
    let run = claim().await.expect("the first claim wins");
    assert!(claim().await.is_none(), "the second does not");
    let mut tx = store.tx().await.expect("tx");
    assert!(digests::advance(&mut tx, &run, user, 1, t + Duration::MINUTE).await.expect("advance"));
    tx.commit().await.expect("commit");
    let mut tx = store.tx().await.expect("tx");
    assert!(digests::take_over_stale(&mut tx, t, t + Duration::MINUTE).await.expect("none stale").is_none());
    let stale =
        digests::take_over_stale(&mut tx, t + Duration::HOUR, t + Duration::HOUR * 2).await.expect("stale");
    tx.commit().await.expect("commit");
    let stale = stale.expect("an expired lease is taken over");
    assert_eq!(stale.cursor, Some(user), "from the last batch recorded");
    let mut tx = store.tx().await.expect("tx");
    assert!(
        !digests::advance(&mut tx, &run, user, 1, t).await.expect("old lease"),
        "the old holder is fenced out"
    );
    assert!(digests::finish(&mut tx, &stale, t).await.expect("finish"));
    tx.commit().await.expect("commit");
    assert!(digests::exists(&mut db, org, "weekly", end).await.expect("exists"));
    let recent = digests::recent(&mut db, org, 5).await.expect("recent");
    assert_eq!((recent[0].state.as_str(), recent[0].recipients), ("done", 1));
}

#[tokio::test]
async fn sso_providers_identities_logins_and_session_tokens_round_trip() {
    use chorus_store::oidc;
    let store = fresh_store().await;
    let (org, user) = org_with_user(&store).await;
    let mut db = store.conn().await.expect("conn");
    let t0 = now();
    assert!(oidc::provider_of(&mut db, org).await.expect("read").is_none());
    let mut p = oidc::Provider {
        org_id: org,
        issuer: "https://id.example".into(),
        client_id: "c".into(),
        client_secret_sealed: vec![1, 0, 255, 7],
        department_claim: "department".into(),
        title_claim: "title".into(),
        trust_unverified_email: false,
        sso_only: false,
        created_at: t0,
        updated_at: t0,
    };
    oidc::put_provider(&mut db, &p).await.expect("insert");
    assert_eq!(oidc::provider_of(&mut db, org).await.expect("read").as_ref(), Some(&p));
    assert!(!oidc::sso_only(&mut db, org).await.expect("sso only"));
    p.sso_only = true;
    p.trust_unverified_email = true;
    p.client_id = "c2".into();
    p.updated_at = t0 + Duration::minutes(1);
    oidc::put_provider(&mut db, &p).await.expect("replace");
    assert_eq!(
        oidc::provider_of(&mut db, org).await.expect("read").as_ref(),
        Some(&p),
        "one per organization"
    );
    assert!(oidc::sso_only(&mut db, org).await.expect("sso only"));

    oidc::link(&mut db, org, "https://id.example", "sub-1", user, t0).await.expect("link");
    assert_eq!(
        oidc::identity_user(&mut db, org, "https://id.example", "sub-1").await.expect("find"),
        Some(user)
    );
    assert!(oidc::has_identity(&mut db, org, user, "https://id.example").await.expect("has"));
    assert!(
        oidc::link(&mut db, org, "https://id.example", "sub-1", user, t0)
            .await
            .expect_err("twice")
            .is_conflict()
    );
    let other = oidc::link(&mut db, org, "https://id.example", "sub-2", user, t0).await;
    assert!(other.expect_err("a second identity at the issuer").is_conflict(), "linked once per issuer");
    oidc::touch_identity(&mut db, org, "https://id.example", "sub-1", t0).await.expect("touch");
    assert_eq!(oidc::count_identities(&mut db, org).await.expect("count"), 1);

    let login = oidc::Login {
        state_hash: "state".into(),
        org_id: org,
        browser_hash: "browser".into(),
        nonce: "n".into(),
        pkce_verifier: "v".into(),
        next_path: "/".into(),
        created_at: t0,
        expires_at: t0 + Duration::minutes(10),
        used_at: None,
    };
    oidc::insert_login(&mut db, &login).await.expect("login");
    assert_eq!(oidc::login(&mut db, "state").await.expect("read").as_ref(), Some(&login));
    assert!(oidc::use_login(&mut db, "state", t0).await.expect("use"));
    assert!(!oidc::use_login(&mut db, "state", t0).await.expect("use again"), "redeemed once");
    assert_eq!(oidc::prune_logins(&mut db, t0).await.expect("prune"), 0);
    assert_eq!(oidc::prune_logins(&mut db, t0 + Duration::hours(1)).await.expect("prune"), 1);

    auth::insert_session(&mut db, "s1", org, user, t0, t0 + Duration::hours(1)).await.expect("session");
    oidc::insert_session_token(&mut db, "s1", org, "id.token.here", t0).await.expect("id token");
    assert_eq!(
        oidc::session_id_token(&mut db, org, "s1").await.expect("read").as_deref(),
        Some("id.token.here")
    );
    assert!(
        oidc::session_id_token(&mut db, OrgId::new(), "s1").await.expect("read").is_none(),
        "per organization"
    );
    auth::delete_session(&mut db, "s1").await.expect("sign out");
    assert!(
        oidc::session_id_token(&mut db, org, "s1").await.expect("read").is_none(),
        "ends with the session"
    );

    assert!(oidc::delete_provider(&mut db, org).await.expect("delete"));
    assert!(!oidc::delete_provider(&mut db, org).await.expect("delete again"));
}
