//! Social sessions over HTTP: a weekly session across a DST change, attendance per occurrence,
//! the calendar invite checked strictly against RFC 5545 (CRLF, 75-octet folding, TEXT escaping,
//! VTIMEZONE for the DTSTART's TZID), who may run sessions, other organizations, bad input, and
//! the page's "I'll be there" and "Add to calendar".

use chorus_testkit::{TestApp, csrf_of};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

struct World {
    t: TestApp,
    api: reqwest::Client,
    admin: String,
    lead: String,
    employee: String,
    colleague: String,
    outsider: String,
}

impl World {
    async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        self.t.api(reqwest::Method::GET, token, path, None).await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.t.api(reqwest::Method::POST, token, path, Some(body)).await
    }

    async fn patch(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.t.api(reqwest::Method::PATCH, token, path, Some(body)).await
    }

    async fn ics(&self, token: &str, id: &str) -> String {
        let res = self
            .api
            .get(self.t.url(&format!("/api/v1/events/{id}/invite.ics")))
            .bearer_auth(token)
            .send()
            .await
            .expect("ics");
        assert_eq!(res.status(), 200);
        let ct = res.headers()["content-type"].to_str().expect("ct").to_owned();
        assert!(ct.starts_with("text/calendar"), "{ct}");
        res.text().await.expect("text")
    }
}

async fn world() -> World {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "admin@acme.test", "admin", None, PASSWORD).await;
    t.person(org, "lead@acme.test", "lead", Some("Sales"), PASSWORD).await;
    t.person(org, "emp@acme.test", "employee", Some("Sales"), PASSWORD).await;
    t.person(org, "col@acme.test", "employee", Some("Ops"), PASSWORD).await;
    let (other, _) = t.org("Globex").await;
    t.person(other, "admin@globex.test", "admin", None, PASSWORD).await;
    World {
        admin: t.token(org, "admin@acme.test").await,
        lead: t.token(org, "lead@acme.test").await,
        employee: t.token(org, "emp@acme.test").await,
        colleague: t.token(org, "col@acme.test").await,
        outsider: t.token(other, "admin@globex.test").await,
        api: reqwest::Client::new(),
        t,
    }
}

/// A weekly Thursday 17:00 Berlin session from 2027-03-18 (summer time starts 2027-03-28).
fn trail_chat() -> Value {
    json!({
        "title": "Trail talk, weekly; bring \\ photos",
        "description": "One hour on #OutdoorTrails.\nShare routes, photos and what you learned — déjà vu welcome, naïve questions too, every week all year",
        "place": "Room 4, floor 2; east wing",
        "hashtag": "OutdoorTrails",
        "start_date": "2027-03-18",
        "start_time": "17:00",
        "duration_minutes": 60,
        "time_zone": "Europe/Berlin",
        "repeat": "weekly",
        "count": 10
    })
}

/// Content lines of an iCalendar object, checked strictly: CRLF line ends only, physical lines
/// of at most 75 octets, continuation lines start with one space. Returns the unfolded lines.
fn strict_lines(text: &str) -> Vec<String> {
    assert!(text.ends_with("\r\n"), "the object ends with CRLF");
    let body = &text[..text.len() - 2];
    let mut lines: Vec<String> = Vec::new();
    for physical in body.split("\r\n") {
        assert!(!physical.contains('\r') && !physical.contains('\n'), "bare CR or LF in {physical:?}");
        assert!(physical.len() <= 75, "{} octets: {physical:?}", physical.len());
        assert!(!physical.is_empty(), "empty line");
        if let Some(rest) = physical.strip_prefix(' ') {
            lines.last_mut().expect("a continuation follows a line").push_str(rest);
        } else {
            lines.push(physical.to_owned());
        }
    }
    lines
}

/// `NAME;PARAMS:VALUE` → (name, params, value).
fn split(line: &str) -> (String, String, String) {
    let colon = line.find(':').expect("a colon");
    let (head, value) = (&line[..colon], &line[colon + 1..]);
    let (name, params) = head.split_once(';').unwrap_or((head, ""));
    assert!(name.chars().all(|c| c.is_ascii_uppercase() || c == '-'), "name {name:?}");
    (name.to_owned(), params.to_owned(), value.to_owned())
}

/// Reads a TEXT value, refusing an unescaped `,` or `;` or an unknown escape.
fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\\') => out.push('\\'),
                Some(';') => out.push(';'),
                Some(',') => out.push(','),
                Some('n' | 'N') => out.push('\n'),
                other => panic!("bad escape \\{other:?} in {value:?}"),
            },
            ',' | ';' => panic!("unescaped {c:?} in TEXT value {value:?}"),
            c => out.push(c),
        }
    }
    out
}

/// The properties of the one VEVENT, checking the components nest and close.
fn vevent(lines: &[String]) -> Vec<(String, String, String)> {
    let mut stack: Vec<String> = Vec::new();
    let mut event = Vec::new();
    let mut tzids = Vec::new();
    for l in lines {
        let (name, params, value) = split(l);
        match name.as_str() {
            "BEGIN" => stack.push(value),
            "END" => assert_eq!(
                stack.pop().as_deref(),
                Some(value.as_str()),
                "END:{value} closes the open component"
            ),
            _ if stack.last().map(String::as_str) == Some("VEVENT") => event.push((name, params, value)),
            "TZID" if stack.last().map(String::as_str) == Some("VTIMEZONE") => tzids.push(value),
            _ => {}
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert!(lines.iter().any(|l| l == "VERSION:2.0") && lines.iter().any(|l| l.starts_with("PRODID:")));
    for required in ["UID", "DTSTAMP", "DTSTART", "SUMMARY"] {
        assert_eq!(event.iter().filter(|(n, _, _)| n == required).count(), 1, "one {required}");
    }
    assert!(event.iter().any(|(n, _, _)| n == "DURATION" || n == "DTEND"));
    let (_, params, _) = event.iter().find(|(n, _, _)| n == "DTSTART").expect("DTSTART");
    if let Some(tz) = params.strip_prefix("TZID=") {
        assert!(tzids.iter().any(|t| t == tz), "a VTIMEZONE for {tz}");
    }
    event
}

fn prop<'a>(event: &'a [(String, String, String)], name: &str) -> Option<&'a (String, String, String)> {
    event.iter().find(|(n, _, _)| n == name)
}

#[tokio::test]
async fn a_weekly_session_keeps_its_local_time_across_dst_and_counts_attendance_per_occurrence() {
    let w = world().await;
    let (status, e) = w.post(&w.lead, "/api/v1/events", trail_chat()).await;
    assert_eq!(status, 201, "{e}");
    let id = e["id"].as_str().expect("id").to_owned();
    assert_eq!(e["hashtag"], "#OutdoorTrails");
    assert_eq!(e["recurrence"], json!({"repeat": "weekly", "interval": 1, "until": null, "count": 10}));
    let starts: Vec<&str> = e["upcoming"]
        .as_array()
        .expect("upcoming")
        .iter()
        .map(|o| o["starts_at"].as_str().expect("s"))
        .collect();
    assert_eq!(
        starts[..3],
        ["2027-03-18T16:00:00Z", "2027-03-25T16:00:00Z", "2027-04-01T15:00:00Z"],
        "17:00 in Berlin is 16:00 UTC before the change and 15:00 UTC after"
    );
    assert_eq!(e["next_occurrence"]["date"], "2027-03-18");

    let attend = |token: &str, date: &str, attending: bool| {
        let token = token.to_owned();
        let date = date.to_owned();
        let w = &w;
        let id = id.clone();
        async move {
            w.post(
                &token,
                &format!("/api/v1/events/{id}/attendance"),
                json!({"occurrence": date, "attending": attending}),
            )
            .await
        }
    };
    let (status, o) = attend(&w.employee, "2027-03-25", true).await;
    assert_eq!(status, 200, "{o}");
    assert_eq!((o["attendance"].as_i64(), o["attending"].as_bool()), (Some(1), Some(true)));
    assert_eq!(o["starts_at"], "2027-03-25T16:00:00Z");
    attend(&w.colleague, "2027-03-25", true).await;
    let (_, o) = attend(&w.employee, "2027-03-25", true).await;
    assert_eq!(o["attendance"], 2, "saying it twice counts once");
    attend(&w.employee, "2027-04-01", true).await;
    let (_, o) = attend(&w.colleague, "2027-03-25", false).await;
    assert_eq!((o["attendance"].as_i64(), o["attending"].as_bool()), (Some(1), Some(false)));

    let (_, list) = w.get(&w.employee, &format!("/api/v1/events/{id}/attendance")).await;
    assert_eq!(
        list["items"],
        json!([
            {"date": "2027-03-25", "attendance": 1, "attending": true},
            {"date": "2027-04-01", "attendance": 1, "attending": true}
        ])
    );
    let (_, all) = w.get(&w.colleague, "/api/v1/events").await;
    let upcoming = &all["items"][0]["upcoming"];
    assert_eq!(upcoming[1]["attendance"], 1);
    assert_eq!(upcoming[1]["attending"], false, "the colleague withdrew");

    // Only dates the session takes place on.
    for (date, field) in
        [("2027-03-26", "occurrence"), ("2027-06-03", "occurrence"), ("next thursday", "occurrence")]
    {
        let (status, p) = attend(&w.employee, date, true).await;
        assert_eq!(status, 422, "{date}: {p}");
        assert_eq!(p["errors"][0]["field"], field);
    }
}

#[tokio::test]
async fn the_invite_is_strict_rfc_5545_with_rrule_vtimezone_escaping_and_folding() {
    let w = world().await;
    let (_, e) = w.post(&w.admin, "/api/v1/events", trail_chat()).await;
    let id = e["id"].as_str().expect("id").to_owned();
    let text = w.ics(&w.employee, &id).await;
    let lines = strict_lines(&text);
    assert!(text.contains("\r\n "), "the long description is folded");
    let event = vevent(&lines);
    let summary = prop(&event, "SUMMARY").expect("summary");
    assert_eq!(unescape(&summary.2), "Trail talk, weekly; bring \\ photos");
    let description = unescape(&prop(&event, "DESCRIPTION").expect("description").2);
    assert!(description.starts_with("One hour on #OutdoorTrails.\nShare routes"), "{description}");
    assert!(description.ends_with("\n\n#OutdoorTrails"), "{description}");
    assert_eq!(unescape(&prop(&event, "LOCATION").expect("location").2), "Room 4, floor 2; east wing");
    let dtstart = prop(&event, "DTSTART").expect("dtstart");
    assert_eq!((dtstart.1.as_str(), dtstart.2.as_str()), ("TZID=Europe/Berlin", "20270318T170000"));
    assert_eq!(prop(&event, "RRULE").expect("rrule").2, "FREQ=WEEKLY;INTERVAL=1;COUNT=10");
    assert_eq!(prop(&event, "DURATION").expect("duration").2, "PT60M");
    assert!(prop(&event, "UID").expect("uid").2.starts_with(&format!("event-{id}@")));
    assert!(prop(&event, "URL").expect("url").2.ends_with(&format!("/events/{id}")));
    assert!(text.contains("TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200"), "the spring change is described");

    // A change bumps SEQUENCE and moves DTSTART; an online place becomes the URL; a one-off has no RRULE.
    let (status, e2) = w
        .patch(
            &w.admin,
            &format!("/api/v1/events/{id}"),
            json!({"start_time": "18:30", "place": "https://meet.example/trails", "repeat": "once"}),
        )
        .await;
    assert_eq!(status, 200, "{e2}");
    assert_eq!(e2["recurrence"]["count"], Value::Null);
    let lines = strict_lines(&w.ics(&w.employee, &id).await);
    let event = vevent(&lines);
    assert_eq!(prop(&event, "SEQUENCE").expect("sequence").2, "1");
    assert_eq!(prop(&event, "DTSTART").expect("dtstart").2, "20270318T183000");
    assert!(prop(&event, "RRULE").is_none());
    assert_eq!(prop(&event, "URL").expect("url").2, "https://meet.example/trails");

    // With an end date: UNTIL in UTC, as RFC 5545 requires with a TZID start.
    w.patch(&w.admin, &format!("/api/v1/events/{id}"), json!({"repeat": "weekly", "until": "2027-04-08"}))
        .await;
    let lines = strict_lines(&w.ics(&w.employee, &id).await);
    assert_eq!(
        prop(&vevent(&lines), "RRULE").expect("rrule").2,
        "FREQ=WEEKLY;INTERVAL=1;UNTIL=20270408T163000Z"
    );
}

#[tokio::test]
async fn who_runs_sessions_other_organizations_and_bad_input() {
    let w = world().await;
    let (status, p) = w.post(&w.employee, "/api/v1/events", trail_chat()).await;
    assert_eq!((status, p["code"].as_str()), (403, Some("forbidden")));
    let (_, e) = w.post(&w.admin, "/api/v1/events", trail_chat()).await;
    let id = e["id"].as_str().expect("id").to_owned();
    // A lead runs their own sessions, not the admin's.
    let (status, _) = w.patch(&w.lead, &format!("/api/v1/events/{id}"), json!({"title": "Mine now"})).await;
    assert_eq!(status, 403);
    assert_eq!(
        w.t.api(reqwest::Method::DELETE, &w.employee, &format!("/api/v1/events/{id}"), None).await.0,
        403
    );

    // Another organization sees nothing and cannot attend.
    assert_eq!(w.get(&w.outsider, &format!("/api/v1/events/{id}")).await.0, 404);
    assert_eq!(w.get(&w.outsider, "/api/v1/events").await.1["items"], json!([]));
    let (status, _) = w
        .post(&w.outsider, &format!("/api/v1/events/{id}/attendance"), json!({"occurrence": "2027-03-18"}))
        .await;
    assert_eq!(status, 404);
    let res = w
        .api
        .get(w.t.url(&format!("/api/v1/events/{id}/invite.ics")))
        .bearer_auth(&w.outsider)
        .send()
        .await
        .expect("ics");
    assert_eq!(res.status(), 404);

    let bad = json!({
        "title": "", "place": "javascript:alert(1)", "hashtag": "#two words", "start_date": "2027-02-30",
        "start_time": "24:61", "duration_minutes": 0, "time_zone": "Mars/Olympus_Mons", "repeat": "weekly", "count": 0
    });
    let (status, p) = w.post(&w.admin, "/api/v1/events", bad).await;
    assert_eq!(status, 422, "{p}");
    let fields: Vec<&str> =
        p["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("f")).collect();
    for f in
        ["title", "place", "hashtag", "start_date", "start_time", "duration_minutes", "time_zone", "count"]
    {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    let (status, p) = w.post(&w.admin, "/api/v1/events", json!({"title": "x", "when": "soon"})).await;
    assert!(status == 400 || status == 422, "{status} {p}");
    assert_eq!(p["status"], status, "problem+json");
    let (status, p) =
        w.patch(&w.admin, &format!("/api/v1/events/{id}"), json!({"until": "2027-01-01"})).await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (422, Some("until")), "{p}");
    assert_eq!(w.t.count_rows("social_events").await, 1);

    // Deleting takes the attendance with it.
    w.post(&w.employee, &format!("/api/v1/events/{id}/attendance"), json!({"occurrence": "2027-03-18"}))
        .await;
    assert_eq!(w.t.count_rows("event_attendance").await, 1);
    assert_eq!(
        w.t.api(reqwest::Method::DELETE, &w.admin, &format!("/api/v1/events/{id}"), None).await.0,
        204
    );
    assert_eq!(w.get(&w.employee, &format!("/api/v1/events/{id}")).await.0, 404);
    assert_eq!(w.t.count_rows("event_attendance").await, 0);
    let (_, openapi) = w.get(&w.employee, "/api/v1/openapi.json").await;
    let paths = openapi["paths"].as_object().expect("paths");
    for p in [
        "/events",
        "/events/{id}",
        "/events/{id}/attendance",
        "/events/{id}/invite.ics",
        "/company-accounts",
        "/follow-lists",
        "/chat-integrations",
    ] {
        assert!(paths.contains_key(p), "{p} in the OpenAPI document");
    }
}

#[tokio::test]
async fn the_page_lists_what_is_coming_with_an_attend_button_and_an_add_to_calendar_link() {
    let w = world().await;
    let mut soon = trail_chat();
    let today = w.t.app.now().date();
    let next = today + time::Duration::days(2);
    soon["start_date"] = json!(next.to_string());
    soon["title"] = json!("Trail talk");
    let (_, e) = w.post(&w.lead, "/api/v1/events", soon).await;
    let id = e["id"].as_str().expect("id").to_owned();

    let browser = w.t.sign_in("emp@acme.test", PASSWORD).await;
    let html = browser.get(w.t.url("/events")).send().await.expect("page").text().await.expect("html");
    assert!(
        html.contains("Trail talk") && html.contains(&format!("href=\"/events/{id}/invite.ics\"")),
        "{html}"
    );
    assert!(html.contains("I&#39;ll be there") || html.contains("I'll be there"), "{html}");
    assert!(!html.contains("Start a session"), "employees do not create sessions");
    let res = browser
        .post(w.t.url(&format!("/events/{id}/attend")))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("occurrence", next.to_string().as_str()),
            ("attending", "yes"),
            ("back", "list"),
        ])
        .send()
        .await
        .expect("attend");
    assert_eq!(res.status(), 303);
    let html = browser.get(w.t.url("/events")).send().await.expect("page").text().await.expect("html");
    assert!(
        html.contains("<span class=\"num\">1</span> <span class=\"badge\">including you</span>"),
        "{html}"
    );
    let res = browser.get(w.t.url(&format!("/events/{id}/invite.ics"))).send().await.expect("ics");
    assert_eq!(res.status(), 200);
    strict_lines(&res.text().await.expect("ics"));

    // A lead's form with a bad time zone comes back with a readable message, not a 500.
    let lead = w.t.sign_in("lead@acme.test", PASSWORD).await;
    let html = lead.get(w.t.url("/events")).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("Start a session"));
    let res = lead
        .post(w.t.url("/events"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("title", "Lunch & learn"),
            ("start_date", "2027-01-07"),
            ("start_time", "12:00"),
            ("duration_minutes", "forty"),
            ("time_zone", "Nowhere/Special"),
            ("repeat", "weekly"),
        ])
        .send()
        .await
        .expect("create");
    assert_eq!(res.status(), 422);
    let html = res.text().await.expect("html");
    assert!(html.contains("Duration minutes must be a whole number"), "{html}");
    assert!(
        html.contains("Lunch &amp; learn") || html.contains("Lunch &#38; learn"),
        "the typed title comes back: {html}"
    );
}
