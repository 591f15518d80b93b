use chorus_testkit::{TestApp, csrf_of};

async fn form_page(client: &reqwest::Client, url: &str) -> String {
    let res = client.get(url).send().await.expect("GET");
    assert_eq!(res.status(), 200, "GET {url}");
    res.text().await.expect("body")
}

#[tokio::test]
async fn first_run_setup_creates_the_organization_and_signs_the_owner_in() {
    let t = TestApp::spawn().await;
    let link =
        chorus_app::setup::link_if_needed(&t.app).await.expect("link").expect("empty database gives a link");
    let browser = t.browser();
    let html = form_page(&browser, &link).await;
    let csrf = csrf_of(&html);
    let action = link.replacen(&t.base, "", 1);

    // A bad form keeps what was typed and says what is wrong.
    let res = browser
        .post(t.url(&action))
        .form(&[
            ("csrf", csrf.as_str()),
            ("organization", "Acme"),
            ("name", "Ada"),
            ("email", "not-an-email"),
            ("password", "short"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 422);
    let body = res.text().await.expect("body");
    assert!(body.contains("e-mail address") && body.contains("at least 10 characters"), "{body}");
    assert!(body.contains("value=\"Acme\""));

    let res = browser
        .post(t.url(&action))
        .form(&[
            ("csrf", csrf.as_str()),
            ("organization", "Acme Widgets"),
            ("name", "Ada Owner"),
            ("email", "ada@acme.test"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    let home = browser.get(t.url("/")).send().await.expect("GET /");
    assert_eq!(home.status(), 200);
    let home = home.text().await.expect("body");
    assert!(
        home.contains("Hello, Ada") && home.contains("Acme Widgets") && home.contains("Invite people"),
        "{home}"
    );

    // The link is single-use, and no second set-up link is issued.
    assert_eq!(t.browser().get(&link).send().await.expect("GET").status(), 410);
    assert!(chorus_app::setup::link_if_needed(&t.app).await.expect("link").is_none());
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "owner@acme.test", "owner", None, "owner password 1").await;
    let browser = t.sign_in("owner@acme.test", "owner password 1").await;
    let res = browser.post(t.url("/departments")).form(&[("name", "Sales")]).send().await.expect("POST");
    assert_eq!(res.status(), 403);
    let res = browser
        .post(t.url("/departments"))
        .form(&[("name", "Sales"), ("csrf", "forged")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 403);
    // Nothing was created.
    let html = form_page(&browser, &t.url("/departments")).await;
    assert!(!html.contains("Sales"));
}

#[tokio::test]
async fn an_admin_invites_a_person_who_joins_through_the_emailed_link() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "owner@acme.test", "owner", None, "owner password 1").await;
    let admin = t.sign_in("owner@acme.test", "owner password 1").await;
    let html = form_page(&admin, &t.url("/people/new")).await;
    let res = admin
        .post(t.url("/people"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("name", "Bea Invitee"),
            ("email", "Bea@Acme.test"),
            ("role", "employee"),
            ("department_id", ""),
            ("title", ""),
            ("seniority", "2"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    let list = form_page(&admin, &t.url("/people")).await;
    assert!(
        list.contains("Bea Invitee") && list.contains("bea@acme.test") && list.contains("invited"),
        "{list}"
    );

    // The same e-mail again is a clear conflict, not a second person.
    let res = admin
        .post(t.url("/people"))
        .form(&[("csrf", csrf_of(&html).as_str()), ("name", "Bea Again"), ("email", "bea@acme.test")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("body").contains("already in this organization"));

    t.run_jobs().await;
    let link = t.mailer.last_link_to("bea@acme.test", "/invite/").expect("invitation mailed");
    let invitee = t.browser();
    let html = form_page(&invitee, &link).await;
    assert!(html.contains("Join Acme"));
    let res = invitee
        .post(&link)
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("name", "Bea Joined"),
            ("password", "bea's long password"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    let home = form_page(&invitee, &t.url("/")).await;
    assert!(home.contains("Hello, Bea"));
    // Used once; a second use is refused with a readable page.
    let again = t.browser().get(&link).send().await.expect("GET");
    assert_eq!(again.status(), 410);
    assert!(again.text().await.expect("body").contains("already used"));
}

#[tokio::test]
async fn expired_invitations_are_refused() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "owner@acme.test", "owner", None, "owner password 1").await;
    let caller = chorus_app::me::Caller::operator(org);
    let person = chorus_app::people::NewPerson {
        email: "late@acme.test".into(),
        name: "Late".into(),
        ..Default::default()
    };
    chorus_app::people::invite(&t.app, &caller, &person).await.expect("invite");
    t.run_jobs().await;
    let link = t.mailer.last_link_to("late@acme.test", "/invite/").expect("mailed");
    t.clock.advance(time::Duration::days(8));
    let res = t.browser().get(&link).send().await.expect("GET");
    assert_eq!(res.status(), 410);
    assert!(res.text().await.expect("body").contains("expired"));
}

#[tokio::test]
async fn password_reset_by_emailed_link_works_once() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "cy@acme.test", "employee", None, "old password 123").await;
    let browser = t.browser();
    let html = form_page(&browser, &t.url("/reset")).await;
    let res = browser
        .post(t.url("/reset"))
        .form(&[("csrf", csrf_of(&html).as_str()), ("email", "cy@acme.test")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 200);
    // Unknown addresses get the same answer and no mail.
    let res = browser
        .post(t.url("/reset"))
        .form(&[("csrf", csrf_of(&html).as_str()), ("email", "nobody@acme.test")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 200);
    t.run_jobs().await;
    assert!(t.mailer.sent().iter().all(|m| m.to != "nobody@acme.test"));
    let link = t.mailer.last_link_to("cy@acme.test", "/reset/").expect("reset mailed");
    let html = form_page(&browser, &link).await;
    let res = browser
        .post(&link)
        .form(&[("csrf", csrf_of(&html).as_str()), ("password", "new password 456")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    let again = browser
        .post(&link)
        .form(&[("csrf", csrf_of(&html).as_str()), ("password", "third password 789")])
        .send()
        .await
        .expect("POST");
    assert_eq!(again.status(), 410);

    let login = |password: &'static str| {
        let t = &t;
        async move {
            let b = t.browser();
            let html = form_page(&b, &t.url("/login")).await;
            b.post(t.url("/login"))
                .form(&[("csrf", csrf_of(&html).as_str()), ("email", "cy@acme.test"), ("password", password)])
                .send()
                .await
                .expect("POST")
                .status()
        }
    };
    assert_eq!(login("old password 123").await, 401);
    assert_eq!(login("new password 456").await, 303);
}

#[tokio::test]
async fn sign_in_is_throttled_per_account() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "dee@acme.test", "employee", None, "dee's password 1").await;
    let b = t.browser();
    let html = form_page(&b, &t.url("/login")).await;
    let csrf = csrf_of(&html);
    for _ in 0..5 {
        let res = b
            .post(t.url("/login"))
            .form(&[("csrf", csrf.as_str()), ("email", "dee@acme.test"), ("password", "guess guess")])
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status(), 401);
    }
    // Even the right password is refused while locked…
    let res = b
        .post(t.url("/login"))
        .form(&[("csrf", csrf.as_str()), ("email", "dee@acme.test"), ("password", "dee's password 1")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 429);
    // …and accepted once the window has passed.
    t.clock.advance(time::Duration::minutes(16));
    let res = b
        .post(t.url("/login"))
        .form(&[("csrf", csrf.as_str()), ("email", "dee@acme.test"), ("password", "dee's password 1")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn csv_import_invites_valid_rows_and_reports_each_rejected_one() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "owner@acme.test", "owner", None, "owner password 1").await;
    t.person(org, "taken@acme.test", "employee", None, "taken password 1").await;
    let admin = t.sign_in("owner@acme.test", "owner password 1").await;
    let html = form_page(&admin, &t.url("/people/import")).await;
    let csv = "name,email,department,title,seniority\n\
               Eve Example,eve@acme.test,Field Ops,Ranger,2\n\
               ,nameless@acme.test,,,\n\
               Bad Mail,not-an-email,,,\n\
               Too Senior,senior@acme.test,,,9\n\
               Taken,taken@acme.test,,,\n\
               Eve Twice,EVE@acme.test,,,\n\
               Fay Example,fay@acme.test,field ops,,1\n";
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("people.csv"));
    let res = admin
        .post(t.url(&format!("/people/import?csrf={}", csrf_of(&html))))
        .multipart(form)
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 200);
    let body = res.text().await.expect("body");
    assert!(body.contains("<strong>2</strong> invited, <strong>5</strong> rejected"), "{body}");
    for reason in [
        "name: is required",
        "must be an e-mail address",
        "from 1 to 5",
        "already in this organization",
        "appears earlier in this file",
    ] {
        assert!(body.contains(reason), "missing {reason:?} in {body}");
    }
    assert!(body.contains("New departments: Field Ops"));
    let people = form_page(&admin, &t.url("/people?status=invited")).await;
    assert!(
        people.contains("eve@acme.test")
            && people.contains("fay@acme.test")
            && !people.contains("senior@acme.test")
    );
    t.run_jobs().await;
    let mailed: Vec<_> = t.mailer.sent().into_iter().map(|m| m.to).collect();
    assert!(mailed.contains(&"eve@acme.test".to_owned()) && mailed.contains(&"fay@acme.test".to_owned()));
    assert!(!mailed.contains(&"senior@acme.test".to_owned()));
}

#[tokio::test]
async fn deactivation_ends_sessions_and_tokens_but_keeps_the_person() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "owner@acme.test", "owner", None, "owner password 1").await;
    let gus = t.person(org, "gus@acme.test", "employee", None, "gus password 12").await;
    let gus_browser = t.sign_in("gus@acme.test", "gus password 12").await;
    let gus_token = t.token(org, "gus@acme.test").await;
    let admin = t.sign_in("owner@acme.test", "owner password 1").await;
    let html = form_page(&admin, &t.url(&format!("/people/{gus}"))).await;
    let res = admin
        .post(t.url(&format!("/people/{gus}/status")))
        .form(&[("csrf", csrf_of(&html).as_str()), ("status", "deactivated")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    assert_eq!(gus_browser.get(t.url("/")).send().await.expect("GET").status(), 303);
    let api =
        reqwest::Client::new().get(t.url("/api/v1/me")).bearer_auth(&gus_token).send().await.expect("GET");
    assert_eq!(api.status(), 401);
    let page = form_page(&admin, &t.url(&format!("/people/{gus}"))).await;
    assert!(page.contains("deactivated") && page.contains("gus@acme.test"));
    // Signing in is refused too.
    let b = t.browser();
    let html = form_page(&b, &t.url("/login")).await;
    let res = b
        .post(t.url("/login"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("email", "gus@acme.test"),
            ("password", "gus password 12"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn the_audit_log_records_sign_ins_role_changes_and_tokens_and_filters_them() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "owner@acme.test", "owner", None, "owner password 1").await;
    let hal = t.person(org, "hal@acme.test", "employee", None, "hal password 12").await;
    let owner_token = t.token(org, "owner@acme.test").await;
    let admin = t.sign_in("owner@acme.test", "owner password 1").await;
    let res = reqwest::Client::new()
        .patch(t.url(&format!("/api/v1/users/{hal}")))
        .bearer_auth(&owner_token)
        .json(&serde_json::json!({"role": "social"}))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(res.status(), 200);
    let all = form_page(&admin, &t.url("/audit")).await;
    for action in ["user.signed_in", "user.role_changed", "token.created", "org.created"] {
        assert!(all.contains(action), "{action} missing");
    }
    let filtered = form_page(&admin, &t.url("/audit?action=user.role_changed")).await;
    assert!(filtered.contains("social") && !filtered.contains("<code>token.created</code>"), "{filtered}");
    // Employees cannot read it.
    let hal_browser = t.sign_in("hal@acme.test", "hal password 12").await;
    assert_eq!(hal_browser.get(t.url("/audit")).send().await.expect("GET").status(), 403);
}

#[tokio::test]
async fn the_last_owner_cannot_be_demoted_or_deactivated() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    let owner = t.person(org, "owner@acme.test", "owner", None, "owner password 1").await;
    let other = t.person(org, "other@acme.test", "owner", None, "other password 1").await;
    let token = t.token(org, "other@acme.test").await;
    let api = reqwest::Client::new();
    let res = api
        .patch(t.url(&format!("/api/v1/users/{owner}")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"role": "admin"}))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(res.status(), 200);
    // Now `other` is the last owner; the owner-turned-admin cannot touch them, and nobody can demote them.
    let admin_token = t.token(org, "owner@acme.test").await;
    let res = api
        .patch(t.url(&format!("/api/v1/users/{other}")))
        .bearer_auth(&admin_token)
        .json(&serde_json::json!({"status": "deactivated"}))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(res.status(), 403);
    let res = api
        .patch(t.url(&format!("/api/v1/users/{other}")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"role": "employee"}))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(res.status(), 403, "own role");
}

#[tokio::test]
async fn pages_send_security_headers() {
    let t = TestApp::spawn().await;
    let res = t.browser().get(t.url("/login")).send().await.expect("GET");
    let h = res.headers();
    assert!(h["content-security-policy"].to_str().expect("ascii").contains("frame-ancestors 'none'"));
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert!(h["content-type"].to_str().expect("ascii").contains("text/html"));
}
