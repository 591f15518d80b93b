//! The company's own accounts (on every employee's home) and the departments' follow lists, over
//! HTTP: who keeps them, https-only links, other organizations, and the pages.

use chorus_testkit::{TestApp, csrf_of};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

struct World {
    t: TestApp,
    admin: String,
    social: String,
    sales_lead: String,
    ops_lead: String,
    employee: String,
    outsider: String,
}

impl World {
    async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        self.t.api(reqwest::Method::GET, token, path, None).await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.t.api(reqwest::Method::POST, token, path, Some(body)).await
    }

    async fn department(&self, name: &str) -> String {
        self.t.department_id(&self.admin, name).await
    }
}

async fn world() -> World {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "admin@acme.test", "admin", None, PASSWORD).await;
    t.person(org, "social@acme.test", "social", None, PASSWORD).await;
    t.person(org, "sales.lead@acme.test", "lead", Some("Sales"), PASSWORD).await;
    t.person(org, "ops.lead@acme.test", "lead", Some("Ops"), PASSWORD).await;
    t.person(org, "emp@acme.test", "employee", Some("Sales"), PASSWORD).await;
    let (other, _) = t.org("Globex").await;
    t.person(other, "admin@globex.test", "admin", Some("Sales"), PASSWORD).await;
    World {
        admin: t.token(org, "admin@acme.test").await,
        social: t.token(org, "social@acme.test").await,
        sales_lead: t.token(org, "sales.lead@acme.test").await,
        ops_lead: t.token(org, "ops.lead@acme.test").await,
        employee: t.token(org, "emp@acme.test").await,
        outsider: t.token(other, "admin@globex.test").await,
        t,
    }
}

#[tokio::test]
async fn the_company_accounts_are_kept_by_the_social_team_and_shown_on_every_home() {
    let w = world().await;
    let (status, a) = w
        .post(&w.social, "/api/v1/company-accounts", json!({"network": "linkedin", "handle": "Acme & Co", "url": "https://www.linkedin.com/company/acme"}))
        .await;
    assert_eq!(status, 201, "{a}");
    assert_eq!(a["network_label"], "LinkedIn");
    w.post(&w.admin, "/api/v1/company-accounts", json!({"network": "bluesky", "handle": "@acme.bsky.social", "url": "https://bsky.app/profile/acme.bsky.social"}))
        .await;
    let (_, list) = w.get(&w.employee, "/api/v1/company-accounts").await;
    let handles: Vec<&str> =
        list["items"].as_array().expect("items").iter().map(|a| a["handle"].as_str().expect("h")).collect();
    assert_eq!(handles, ["Acme & Co", "@acme.bsky.social"], "in the order they were added");
    assert_eq!(list["next_cursor"], Value::Null);

    // Everyone's home shows them, escaped.
    let browser = w.t.sign_in("emp@acme.test", PASSWORD).await;
    let home = browser.get(w.t.url("/")).send().await.expect("home").text().await.expect("html");
    assert!(home.contains("Follow us"), "{home}");
    assert!(
        home.contains("href=\"https://www.linkedin.com/company/acme\"") && home.contains("Acme &#38; Co"),
        "{home}"
    );
    assert!(!home.contains("Edit this list"), "employees do not keep it");

    // Leads and employees do not keep the directory; links must be https.
    let body = json!({"network": "x", "handle": "@acme", "url": "https://x.com/acme"});
    assert_eq!(w.post(&w.sales_lead, "/api/v1/company-accounts", body.clone()).await.0, 403);
    assert_eq!(w.post(&w.employee, "/api/v1/company-accounts", body).await.0, 403);
    for (url, network) in [
        ("javascript:alert(1)", "x"),
        ("http://x.com/acme", "x"),
        ("https://x.com/acme", "myspace"),
        ("//x.com", "x"),
    ] {
        let (status, p) = w
            .post(
                &w.admin,
                "/api/v1/company-accounts",
                json!({"network": network, "handle": "@acme", "url": url}),
            )
            .await;
        assert_eq!(status, 422, "{url} {network}: {p}");
        assert_eq!(p["code"], "invalid");
    }
    let id = a["id"].as_str().expect("id");
    let (status, p) =
        w.t.api(
            reqwest::Method::PATCH,
            &w.admin,
            &format!("/api/v1/company-accounts/{id}"),
            Some(json!({"url": "data:text/html,hi"})),
        )
        .await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (422, Some("url")));

    // Another organization sees none of it and cannot touch it.
    assert_eq!(w.get(&w.outsider, "/api/v1/company-accounts").await.1["items"], json!([]));
    assert_eq!(
        w.t.api(reqwest::Method::DELETE, &w.outsider, &format!("/api/v1/company-accounts/{id}"), None)
            .await
            .0,
        404
    );
    assert_eq!(
        w.t.api(reqwest::Method::DELETE, &w.social, &format!("/api/v1/company-accounts/{id}"), None).await.0,
        204
    );
    assert_eq!(w.t.count_rows("company_accounts").await, 1);
}

#[tokio::test]
async fn a_departments_leads_keep_its_follow_list_and_everyone_reads_every_list() {
    let w = world().await;
    let sales = w.department("Sales").await;
    let ops = w.department("Ops").await;
    let entry = json!({"name": "The Trail Blog", "url": "https://trails.example/blog", "kind": "blog", "note": "Weekly route reviews"});
    let (status, e) = w.post(&w.sales_lead, &format!("/api/v1/follow-lists/{sales}"), entry.clone()).await;
    assert_eq!(status, 201, "{e}");
    let (status, p) = w.post(&w.ops_lead, &format!("/api/v1/follow-lists/{sales}"), entry.clone()).await;
    assert_eq!((status, p["code"].as_str()), (403, Some("forbidden")), "a lead of another department");
    assert_eq!(w.post(&w.employee, &format!("/api/v1/follow-lists/{sales}"), entry.clone()).await.0, 403);
    let (status, _) = w.post(&w.sales_lead, &format!("/api/v1/follow-lists/{sales}"), entry.clone()).await;
    assert_eq!(status, 409, "the same link twice");
    w.post(
        &w.social,
        &format!("/api/v1/follow-lists/{ops}"),
        json!({"name": "Ops Weekly", "url": "https://ops.example/news", "kind": "newsletter"}),
    )
    .await;

    let (status, all) = w.get(&w.employee, "/api/v1/follow-lists").await;
    assert_eq!(status, 200);
    let lists = all["items"].as_array().expect("items");
    let names: Vec<&str> = lists.iter().map(|l| l["department_name"].as_str().expect("n")).collect();
    assert_eq!(names, ["Ops", "Sales"]);
    assert_eq!(lists[1]["items"][0]["name"], "The Trail Blog");
    assert!(lists.iter().all(|l| l["editable"] == false), "employees read");
    let (_, one) = w.get(&w.sales_lead, &format!("/api/v1/follow-lists/{sales}")).await;
    assert_eq!(one["editable"], true);

    let id = e["id"].as_str().expect("id");
    let path = format!("/api/v1/follow-lists/{sales}/{id}");
    let (status, _) =
        w.t.api(reqwest::Method::PATCH, &w.ops_lead, &path, Some(json!({"note": "mine"}))).await;
    assert_eq!(status, 403);
    let (status, changed) =
        w.t.api(reqwest::Method::PATCH, &w.sales_lead, &path, Some(json!({"kind": "podcast"}))).await;
    assert_eq!((status, changed["kind"].as_str()), (200, Some("podcast")));
    // Through another department's path the entry does not exist.
    let (status, _) =
        w.t.api(
            reqwest::Method::PATCH,
            &w.admin,
            &format!("/api/v1/follow-lists/{ops}/{id}"),
            Some(json!({"note": "x"})),
        )
        .await;
    assert_eq!(status, 404);

    for (bad, field) in [
        (json!({"name": "x", "url": "javascript:alert(1)", "kind": "blog"}), "url"),
        (json!({"name": "", "url": "https://a.example", "kind": "blog"}), "name"),
        (json!({"name": "x", "url": "https://a.example", "kind": "magazine"}), "kind"),
    ] {
        let (status, p) = w.post(&w.admin, &format!("/api/v1/follow-lists/{sales}"), bad).await;
        assert_eq!((status, p["errors"][0]["field"].as_str()), (422, Some(field)), "{p}");
    }

    // Another organization: no lists of ours, and our department is not theirs.
    let (_, theirs) = w.get(&w.outsider, "/api/v1/follow-lists").await;
    assert!(!theirs.to_string().contains("Trail Blog"));
    assert_eq!(w.get(&w.outsider, &format!("/api/v1/follow-lists/{sales}")).await.0, 404);
    assert_eq!(w.post(&w.outsider, &format!("/api/v1/follow-lists/{sales}"), entry).await.0, 404);
    assert_eq!(w.t.api(reqwest::Method::DELETE, &w.outsider, &path, None).await.0, 404);
    assert_eq!(w.t.api(reqwest::Method::DELETE, &w.sales_lead, &path, None).await.0, 204);
    assert_eq!(w.t.count_rows("follow_entries").await, 1);
}

#[tokio::test]
async fn the_follow_pages_show_every_list_and_let_a_lead_add_to_their_own() {
    let w = world().await;
    let sales = w.department("Sales").await;
    let lead = w.t.sign_in("sales.lead@acme.test", PASSWORD).await;
    let html = lead
        .get(w.t.url(&format!("/follow/{sales}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Add to the list"), "{html}");
    let csrf = csrf_of(&html);
    let res = lead
        .post(w.t.url(&format!("/follow/{sales}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Gear & Trails"),
            ("url", "https://gear.example"),
            ("kind", "podcast"),
            ("note", ""),
        ])
        .send()
        .await
        .expect("add");
    assert_eq!(res.status(), 303);
    let res = lead
        .post(w.t.url(&format!("/follow/{sales}")))
        .form(&[("csrf", csrf.as_str()), ("name", "Bad"), ("url", "javascript:alert(1)"), ("kind", "blog")])
        .send()
        .await
        .expect("add");
    assert_eq!(res.status(), 422);
    let html = res.text().await.expect("html");
    assert!(
        html.contains("Url must start with https://") || html.contains("Url must be a full link"),
        "{html}"
    );

    let emp = w.t.sign_in("emp@acme.test", PASSWORD).await;
    let all = emp.get(w.t.url("/follow")).send().await.expect("page").text().await.expect("html");
    assert!(all.contains("Gear &#38; Trails") && all.contains("href=\"https://gear.example/\""), "{all}");
    let one =
        emp.get(w.t.url(&format!("/follow/{sales}"))).send().await.expect("page").text().await.expect("html");
    assert!(!one.contains("Add to the list"), "employees read only");
    let ops_lead = w.t.sign_in("ops.lead@acme.test", PASSWORD).await;
    let theirs = ops_lead
        .get(w.t.url(&format!("/follow/{sales}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(!theirs.contains("Add to the list"), "a lead of another department reads only");
    let res = ops_lead
        .post(w.t.url(&format!("/follow/{sales}")))
        .form(&[
            ("csrf", csrf_of(&theirs).as_str()),
            ("name", "X"),
            ("url", "https://x.example"),
            ("kind", "blog"),
        ])
        .send()
        .await
        .expect("add");
    assert_eq!(res.status(), 403);
    assert!(res.text().await.expect("html").contains("only this department&#39;s leads"));
}
