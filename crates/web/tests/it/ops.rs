//! Operations (issue 8): Prometheus `/metrics` on its own listener, scraped after real traffic.
//! Request counts and latencies are labelled by route template and status class (never by an
//! id or a code), the job queue is sampled on scrape, publish outcomes and click-writer batches
//! are counted.

use chorus_testkit::TestApp;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const PASSWORD: &str = "correct horse battery staple";

/// One sample of the Prometheus text format: name, labels, value.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the text exposition format (the subset the exporter writes: no escapes in our labels).
fn parse(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("not a number: {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("unclosed labels: {line}"));
                let labels = body
                    .split("\",")
                    .filter(|p| !p.is_empty())
                    .map(|pair| {
                        let (k, v) = pair.split_once("=\"").unwrap_or_else(|| panic!("bad label: {line}"));
                        (k.to_owned(), v.trim_end_matches('"').to_owned())
                    })
                    .collect();
                (name.to_owned(), labels)
            }
            None => (series.to_owned(), BTreeMap::new()),
        };
        out.push(Sample { name, labels, value });
    }
    out
}

/// The value of the sample `name` whose labels include all of `want` (0 when absent).
fn value(samples: &[Sample], name: &str, want: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| {
            s.name == name && want.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(v))
        })
        .map(|s| s.value)
        .sum()
}

struct Metrics {
    base: String,
}

impl Metrics {
    /// `/metrics` served as the binary serves it with `--metrics-bind`: a listener of its own.
    async fn start(t: &TestApp) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let router = chorus_web::metrics_router(t.app.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Metrics { base }
    }

    async fn scrape(&self) -> (String, Vec<Sample>) {
        let res = reqwest::get(format!("{}/metrics", self.base)).await.expect("scrape");
        assert_eq!(res.status(), 200);
        let content_type = res.headers()["content-type"].to_str().expect("type").to_owned();
        assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
        let text = res.text().await.expect("body");
        let samples = parse(&text);
        (text, samples)
    }
}

async fn call(
    t: &TestApp,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    t.api(method, token, path, body).await
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_sample_the_queue() {
    let t = TestApp::spawn().await;
    let metrics = Metrics::start(&t).await;
    let (org, slug) = t.org("Metrics Co").await;
    t.person(org, "sam@metrics.test", "social", None, PASSWORD).await;
    t.person(org, "eve@metrics.test", "employee", None, PASSWORD).await;
    let sam = t.token(org, "sam@metrics.test").await;
    let eve = t.token(org, "eve@metrics.test").await;

    // The public router never answers /metrics.
    let res = reqwest::get(t.url("/metrics")).await.expect("GET");
    assert_eq!(res.status(), 404, "metrics are on the operator listener only");

    let (_, before) = metrics.scrape().await;
    let route = "/api/v1/submissions/{id}";

    // Traffic with ids in its paths.
    let (s, draft) = call(
        &t,
        reqwest::Method::POST,
        &eve,
        "/api/v1/submissions",
        Some(json!({"kind": "blog_post", "title": "Depot news", "body": "We rebuilt it."})),
    )
    .await;
    assert_eq!(s, 201, "{draft}");
    let id = draft["id"].as_str().expect("id").to_owned();
    for _ in 0..3 {
        assert_eq!(
            call(&t, reqwest::Method::GET, &eve, &format!("/api/v1/submissions/{id}"), None).await.0,
            200
        );
    }
    let unknown = uuid::Uuid::new_v4();
    let (s, _) = call(&t, reqwest::Method::GET, &eve, &format!("/api/v1/submissions/{unknown}"), None).await;
    assert_eq!(s, 404);
    let res = reqwest::get(t.url("/no/such/page/3f9a1c")).await.expect("GET");
    assert_eq!(res.status(), 404);
    let res = reqwest::get(t.url("/s/Nope12345")).await.expect("GET");
    assert_eq!(res.status(), 404);
    let res = reqwest::Client::new()
        .request(reqwest::Method::from_bytes(b"BREW").expect("method"), t.url("/healthz"))
        .send()
        .await
        .expect("BREW");
    assert!(res.status().is_client_error(), "{}", res.status());

    // A blog post goes out (the blog publishes without a network).
    let (s, blog) = call(
        &t,
        reqwest::Method::POST,
        &sam,
        "/api/v1/channels",
        Some(json!({"network": "blog", "name": "Blog"})),
    )
    .await;
    assert_eq!(s, 201, "{blog}");
    assert_eq!(
        call(&t, reqwest::Method::POST, &eve, &format!("/api/v1/submissions/{id}/submit"), Some(json!({})))
            .await
            .0,
        200
    );
    let (s, v) = call(
        &t,
        reqwest::Method::POST,
        &sam,
        &format!("/api/v1/submissions/{id}/decision"),
        Some(json!({"decision": "approve", "comment": ""})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, p) = call(
        &t,
        reqwest::Method::POST,
        &sam,
        "/api/v1/posts",
        Some(json!({"submission_id": id, "channel_id": blog["id"]})),
    )
    .await;
    assert_eq!(s, 201, "{p}");

    // Before the worker runs, the publish job waits in the queue: the scrape samples it.
    t.clock.advance(time::Duration::seconds(90));
    let (_, waiting) = metrics.scrape().await;
    assert!(value(&waiting, "chorus_jobs_ready", &[("kind", "publish_post")]) >= 1.0, "{waiting:?}");
    let age = value(&waiting, "chorus_jobs_oldest_ready_age_seconds", &[("kind", "publish_post")]);
    assert!(age >= 60.0, "the oldest due publish job has waited at least a minute: {age}");
    t.run_jobs().await;

    // Clicks on a share are written in a batch by the background writer.
    let (s, share) = call(
        &t,
        reqwest::Method::POST,
        &eve,
        "/api/v1/shares",
        Some(json!({"submission_id": id, "network": "linkedin"})),
    )
    .await;
    assert_eq!(s, 201, "{share}");
    let code = share["code"].as_str().expect("code").to_owned();
    let raw = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    for _ in 0..4 {
        let res =
            raw.get(t.url(&format!("/s/{code}"))).header("user-agent", "Mozilla/5.0 (phone)").send().await;
        assert_eq!(res.expect("GET").status(), 302);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let (text, after) = loop {
        let (text, after) = metrics.scrape().await;
        if value(&after, "chorus_click_batch_size_sum", &[])
            - value(&before, "chorus_click_batch_size_sum", &[])
            >= 4.0
        {
            break (text, after);
        }
        assert!(std::time::Instant::now() < deadline, "no click batch recorded: {text}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };

    // Requests: by template, never by id; the unknown id is a 4xx on the same template.
    // (`cargo test` runs other tests in this process at the same time, and the recorder is the
    // process's: they may add to the shared series, so those are compared as "at least".)
    let delta = |name: &str, want: &[(&str, &str)]| value(&after, name, want) - value(&before, name, want);
    let requests = |route: &'static str, method: &'static str, status: &'static str| {
        delta("chorus_http_requests_total", &[("method", method), ("route", route), ("status", status)])
    };
    assert!(requests(route, "GET", "2xx") >= 3.0, "{text}");
    assert!(requests(route, "GET", "4xx") >= 1.0, "{text}");
    assert!(requests("unmatched", "GET", "4xx") >= 1.0, "unknown paths share one label: {text}");
    assert!(requests("/s/{code}", "GET", "3xx") >= 4.0, "{text}");
    assert!(requests("/s/{code}", "GET", "4xx") >= 1.0, "{text}");
    assert!(requests("/api/v1/submissions", "POST", "2xx") >= 1.0, "{text}");
    assert!(
        delta("chorus_http_requests_total", &[("method", "OTHER"), ("status", "4xx")]) >= 1.0,
        "an unknown method is OTHER: {text}"
    );
    // The latency histogram has the same labels, with buckets, a sum and a count.
    let hist = [("method", "GET"), ("route", route), ("status", "2xx")];
    let observed = value(&after, "chorus_http_request_duration_seconds_count", &hist);
    assert!(delta("chorus_http_request_duration_seconds_count", &hist) >= 3.0, "{text}");
    assert!(value(&after, "chorus_http_request_duration_seconds_sum", &hist) > 0.0, "{text}");
    let bucket = |le: &str| {
        after
            .iter()
            .find(|s| {
                s.name == "chorus_http_request_duration_seconds_bucket"
                    && s.labels.get("route").map(String::as_str) == Some(route)
                    && s.labels.get("method").map(String::as_str) == Some("GET")
                    && s.labels.get("status").map(String::as_str) == Some("2xx")
                    && s.labels.get("le").map(String::as_str) == Some(le)
            })
            .map(|s| s.value)
    };
    assert_eq!(bucket("+Inf"), Some(observed), "every request falls in the +Inf bucket: {text}");
    assert!(bucket("0.0005").is_some() && bucket("10").is_some(), "the configured buckets: {text}");

    // Publish outcomes and click batches.
    assert!(delta("chorus_publish_outcomes_total", &[("outcome", "published")]) >= 1.0, "{text}");
    for outcome in ["failed", "unconfirmed", "retried"] {
        assert!(
            after.iter().any(|s| s.name == "chorus_publish_outcomes_total"
                && s.labels.get("outcome").map(String::as_str) == Some(outcome)),
            "{outcome} is reported from the start: {text}"
        );
    }
    assert!(delta("chorus_click_batch_size_sum", &[]) >= 4.0, "{text}");
    assert!(delta("chorus_click_batch_size_count", &[]) >= 1.0, "{text}");
    // The publish job ran: its kind is reported empty, not left at its last value.
    assert_eq!(value(&after, "chorus_jobs_ready", &[("kind", "publish_post")]), 0.0, "{text}");

    // No id, code, slug or raw path ever becomes a label value.
    let forbidden =
        [id.as_str(), &unknown.to_string(), code.as_str(), slug.as_str(), "Nope12345", "3f9a1c", "BREW"];
    for s in &after {
        for v in s.labels.values() {
            assert!(!forbidden.iter().any(|f| v.contains(f)), "{} carries {v:?}", s.name);
            assert!(
                !v.split('/').any(|seg| uuid::Uuid::parse_str(seg).is_ok()),
                "{} carries an id: {v:?}",
                s.name
            );
        }
    }
}

/// The router as `chorus serve --trusted-proxies …` builds it, on a listener of its own.
async fn behind_proxies(t: &TestApp, proxies: &[&str]) -> String {
    let web = chorus_web::WebConfig {
        trusted_proxies: proxies.iter().map(|p| p.parse().expect("cidr")).collect(),
        ..chorus_web::WebConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let router = chorus_web::router(t.app.clone(), web);
    tokio::spawn(async move {
        let _ =
            axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await;
    });
    base
}

/// X-Forwarded-For is believed only from a trusted proxy, and only its rightmost untrusted hop:
/// the audit log records that address for what the caller did.
#[tokio::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Proxy Co").await;
    t.person(org, "ada@proxy.test", "admin", None, PASSWORD).await;
    let token = t.token(org, "ada@proxy.test").await;
    let trusted = behind_proxies(&t, &["127.0.0.0/8"]).await;
    let elsewhere = behind_proxies(&t, &["10.0.0.0/8"]).await;
    let api = reqwest::Client::new();
    let cases = [
        (&trusted, "198.51.100.1, 203.0.113.7", "Forged left hop", "203.0.113.7"),
        (&trusted, "203.0.113.8, 127.0.0.5", "Trusted hop skipped", "203.0.113.8"),
        (&elsewhere, "203.0.113.9", "Untrusted peer", "127.0.0.1"),
        (&t.base, "203.0.113.10", "Default", "127.0.0.1"),
    ];
    for (base, header, name, _) in &cases {
        let res = api
            .post(format!("{base}/api/v1/departments"))
            .bearer_auth(&token)
            .header("x-forwarded-for", *header)
            .json(&json!({"name": name}))
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status(), 201, "{name}");
    }
    let caller = chorus_app::me::Caller::operator(org);
    let filter =
        chorus_app::audit::Filter { action: Some("department.created".into()), ..Default::default() };
    let events =
        chorus_app::audit::list(&t.app, &caller, &filter, chorus_domain::pagination::Limit::new(None))
            .await
            .expect("audit");
    for (_, _, name, want) in &cases {
        let event =
            events.iter().find(|e| e.detail.contains(name)).unwrap_or_else(|| panic!("{name}: {events:?}"));
        assert_eq!(event.client_addr.as_deref(), Some(*want), "{name}");
    }
}
