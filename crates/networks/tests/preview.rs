//! Link previews against real HTTP servers on 127.0.0.1 started here: an axum site for pages,
//! redirects and statuses, and raw TCP servers for a silent peer and an endless, slow body.
//! The default policy's refusals are checked against the same site (which must see no request)
//! and against addresses nothing listens on; nothing here leaves the loopback interface.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chorus_networks::preview::{
    GuardedResolver, LinkPreview, PreviewError, PreviewFetcher, PreviewPolicy, ScreenError, check_url,
    is_public_ip, redirect_target, screen_addrs,
};
use reqwest::dns::Resolve as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use url::Url;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const OG_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Fallback title, not used</title>
  <meta property="og:title" content="Caf&eacute; &amp; Bar &#8212; &quot;Opening&quot; night">
  <meta property="og:description" content="  Live music,
      late   hours &lt;3  ">
  <meta property="og:image" content="/media/cover.jpg?w=1200&amp;h=630">
  <meta property="og:site_name" content="The Corner Caf&#xE9;">
</head>
<body><h1>Hello</h1></body>
</html>"#;

const PLAIN_PAGE: &str = r#"<html><head>
  <title>
     Quarterly report &ndash; Q3
  </title>
  <meta name="description" content="Numbers &amp; words.">
  <meta name="twitter:image" content="https://images.example.org/q3.png">
</head><body></body></html>"#;

struct Site {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
}

impl Site {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// `/r/{n}` redirects n times before landing on `/og`, alternating the kinds of redirect and of
/// Location (absolute path, path-relative, absolute URL).
async fn redirect_chain(Path(n): Path<u32>, headers: HeaderMap) -> Response {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default().to_owned();
    match n {
        0 => {
            (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, format!("http://{host}/og"))]).into_response()
        }
        n if n % 2 == 1 => (StatusCode::FOUND, [(header::LOCATION, format!("/r/{}", n - 1))]).into_response(),
        n => Redirect::permanent(&(n - 1).to_string()).into_response(),
    }
}

async fn start_site() -> std::io::Result<Site> {
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    let app = Router::new()
        .route("/og", get(|| async { Html(OG_PAGE) }))
        .route("/plain", get(|| async { Html(PLAIN_PAGE) }))
        .route("/bare", get(|| async { Html("<p>No head, no tags.</p>") }))
        .route("/xhtml", get(|| async { ([(header::CONTENT_TYPE, "application/xhtml+xml")], PLAIN_PAGE) }))
        .route("/r/{n}", get(redirect_chain))
        .route("/to-ftp", get(|| async { Redirect::to("ftp://127.0.0.1/file") }))
        .route("/no-location", get(|| async { StatusCode::FOUND }))
        .route("/json", get(|| async { ([(header::CONTENT_TYPE, "application/json")], "{\"a\":1}") }))
        .route(
            "/png",
            get(|| async { ([(header::CONTENT_TYPE, "image/png")], vec![0x89, b'P', b'N', b'G']) }),
        )
        .route("/untyped", get(|| async { Response::new(axum::body::Body::from("<title>x</title>")) }))
        .route(
            "/status/{code}",
            get(|Path(code): Path<u16>| async move {
                StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }),
        )
        .layer(axum::middleware::from_fn(move |request: Request, next: Next| {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                next.run(request).await
            }
        }));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Site { addr, requests })
}

/// Accepts connections and never answers (keeps them open).
async fn start_silent_server() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    Ok(addr)
}

const TEN_MIB: usize = 10 * 1024 * 1024;

/// What the streaming server saw: bytes written, and whether the client hung up before the end.
#[derive(Default)]
struct StreamLog {
    written: AtomicUsize,
    client_left: AtomicBool,
}

/// Serves one 10 MiB text/html response per connection: `prefix`, then `filler` repeated, a
/// `chunk`-sized write every `delay` (so the whole body would take far longer than the tests).
async fn start_streaming_server(
    prefix: &'static str,
    filler: &'static str,
    chunk: usize,
    delay: Duration,
) -> std::io::Result<(SocketAddr, Arc<StreamLog>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let log = Arc::new(StreamLog::default());
    let server_log = Arc::clone(&log);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let log = Arc::clone(&server_log);
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {TEN_MIB}\r\n\r\n"
                );
                let mut body = prefix.as_bytes().to_vec();
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let mut sent = 0;
                while sent < TEN_MIB {
                    while body.len() < chunk {
                        body.extend_from_slice(filler.as_bytes());
                    }
                    let n = chunk.min(TEN_MIB - sent);
                    if socket.write_all(&body[..n]).await.is_err() {
                        log.client_left.store(true, Ordering::SeqCst);
                        return;
                    }
                    body.drain(..n);
                    sent += n;
                    log.written.store(sent, Ordering::SeqCst);
                    tokio::time::sleep(delay).await;
                }
            });
        }
    });
    Ok((addr, log))
}

fn open_policy() -> PreviewPolicy {
    PreviewPolicy { allow_private: true, timeout: Duration::from_secs(5), ..PreviewPolicy::default() }
}

fn open_fetcher() -> PreviewFetcher {
    PreviewFetcher::new(open_policy())
}

// ---------------------------------------------------------------- fetching (allow_private)

#[tokio::test]
async fn open_graph_tags_are_read_decoded_and_resolved() -> TestResult {
    let site = start_site().await?;
    let preview = open_fetcher().fetch(&site.url("/og")).await?;
    assert_eq!(
        preview,
        LinkPreview {
            url: site.url("/og"),
            title: Some("Café & Bar \u{2014} \"Opening\" night".into()),
            description: Some("Live music, late hours <3".into()),
            image_url: Some(site.url("/media/cover.jpg?w=1200&h=630")),
            site_name: Some("The Corner Café".into()),
        }
    );
    Ok(())
}

#[tokio::test]
async fn title_and_meta_description_are_the_fallbacks() -> TestResult {
    let site = start_site().await?;
    let fetcher = open_fetcher();
    for path in ["/plain", "/xhtml"] {
        let preview = fetcher.fetch(&site.url(path)).await?;
        assert_eq!(preview.title.as_deref(), Some("Quarterly report \u{2013} Q3"), "{path}");
        assert_eq!(preview.description.as_deref(), Some("Numbers & words."), "{path}");
        assert_eq!(preview.image_url.as_deref(), Some("https://images.example.org/q3.png"), "{path}");
        assert_eq!(preview.site_name, None, "{path}");
    }
    let bare = fetcher.fetch(&site.url("/bare")).await?;
    assert_eq!(
        bare,
        LinkPreview {
            url: site.url("/bare"),
            title: None,
            description: None,
            image_url: None,
            site_name: None
        }
    );
    Ok(())
}

#[tokio::test]
async fn a_redirect_chain_is_followed_to_the_final_url() -> TestResult {
    let site = start_site().await?;
    // /r/4 -> /r/3 -> /r/2 -> /r/1 -> /r/0 -> /og: five redirects, the default limit.
    let preview = open_fetcher().fetch(&site.url("/r/4")).await?;
    assert_eq!(preview.url, site.url("/og"));
    assert_eq!(preview.title.as_deref(), Some("Café & Bar \u{2014} \"Opening\" night"));
    assert_eq!(preview.image_url, Some(site.url("/media/cover.jpg?w=1200&h=630")));
    assert_eq!(site.requests(), 6);
    Ok(())
}

#[tokio::test]
async fn too_many_redirects_are_refused() -> TestResult {
    let site = start_site().await?;
    let result = open_fetcher().fetch(&site.url("/r/5")).await;
    assert_eq!(result, Err(PreviewError::TooManyRedirects));
    assert_eq!(site.requests(), 6, "the sixth redirect is not followed");

    let strict = PreviewFetcher::new(PreviewPolicy { max_redirects: 0, ..open_policy() });
    assert_eq!(strict.fetch(&site.url("/r/0")).await, Err(PreviewError::TooManyRedirects));
    assert!(strict.fetch(&site.url("/og")).await.is_ok());
    Ok(())
}

#[tokio::test]
async fn bad_redirects_are_refused() -> TestResult {
    let site = start_site().await?;
    let fetcher = open_fetcher();
    assert_eq!(fetcher.fetch(&site.url("/to-ftp")).await, Err(PreviewError::InvalidUrl));
    assert_eq!(fetcher.fetch(&site.url("/no-location")).await, Err(PreviewError::Http(302)));
    Ok(())
}

#[tokio::test]
async fn content_that_is_not_html_is_refused() -> TestResult {
    let site = start_site().await?;
    let fetcher = open_fetcher();
    for path in ["/json", "/png", "/untyped"] {
        assert_eq!(fetcher.fetch(&site.url(path)).await, Err(PreviewError::NotHtml), "{path}");
    }
    Ok(())
}

#[tokio::test]
async fn http_errors_carry_their_status() -> TestResult {
    let site = start_site().await?;
    let fetcher = open_fetcher();
    let missing = fetcher.fetch(&site.url("/status/404")).await;
    assert_eq!(missing, Err(PreviewError::Http(404)));
    assert!(missing.is_err_and(|e| !e.is_transient()));
    let unavailable = fetcher.fetch(&site.url("/status/503")).await;
    assert_eq!(unavailable, Err(PreviewError::Http(503)));
    assert!(unavailable.is_err_and(|e| e.is_transient()));
    Ok(())
}

#[tokio::test]
async fn a_refused_connection_is_a_transient_network_error() -> TestResult {
    let port = TcpListener::bind("127.0.0.1:0").await?.local_addr()?.port(); // closed again at once
    let result = open_fetcher().fetch(&format!("http://127.0.0.1:{port}/")).await;
    assert!(matches!(&result, Err(PreviewError::Network(_))), "{result:?}");
    assert!(result.is_err_and(|e| e.is_transient()));
    Ok(())
}

#[tokio::test]
async fn an_endless_body_is_cut_at_max_bytes() -> TestResult {
    // The head never ends: only max_bytes stops the reading.
    let (addr, log) = start_streaming_server(
        "<!doctype html><html><head><title>Endless &amp; slow</title>\n",
        "<meta name=\"padding\" content=\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\">\n",
        8 * 1024,
        Duration::from_millis(2),
    )
    .await?;
    let policy = PreviewPolicy { max_bytes: 64 * 1024, timeout: Duration::from_secs(3), ..open_policy() };
    let started = Instant::now();
    let preview = PreviewFetcher::new(policy).fetch(&format!("http://{addr}/")).await?;
    let took = started.elapsed();
    assert_eq!(preview.title.as_deref(), Some("Endless & slow"));
    // Sending all 10 MiB takes at least 1,280 × 2 ms; the fetch stopped after 64 KiB.
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    assert_server_gave_up_early(&log).await;
    Ok(())
}

#[tokio::test]
async fn reading_stops_at_the_end_of_the_head() -> TestResult {
    let (addr, log) = start_streaming_server(
        "<html><head><meta property=\"og:title\" content=\"Short head\"></head><body>\n",
        "<p>body text that is never needed for a preview, repeated for ten mebibytes</p>\n",
        8 * 1024,
        Duration::from_millis(2),
    )
    .await?;
    // The default 1 MiB cap would take over a second to fill; the head ends in the first chunk.
    let policy = PreviewPolicy { timeout: Duration::from_secs(3), ..open_policy() };
    let started = Instant::now();
    let preview = PreviewFetcher::new(policy).fetch(&format!("http://{addr}/")).await?;
    assert_eq!(preview.title.as_deref(), Some("Short head"));
    assert!(started.elapsed() < Duration::from_millis(1000), "took {:?}", started.elapsed());
    assert_server_gave_up_early(&log).await;
    Ok(())
}

/// The server notices the client hung up long before it sent the whole body.
async fn assert_server_gave_up_early(log: &StreamLog) {
    let deadline = Instant::now() + Duration::from_secs(3);
    while !log.client_left.load(Ordering::SeqCst) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(log.client_left.load(Ordering::SeqCst), "the client kept the connection open");
    let written = log.written.load(Ordering::SeqCst);
    assert!(written < TEN_MIB / 4, "the server wrote {written} bytes");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() -> TestResult {
    let addr = start_silent_server().await?;
    let policy = PreviewPolicy { timeout: Duration::from_millis(300), ..open_policy() };
    let started = Instant::now();
    let result = PreviewFetcher::new(policy).fetch(&format!("http://{addr}/")).await;
    let took = started.elapsed();
    assert_eq!(result, Err(PreviewError::Timeout));
    assert!(PreviewError::Timeout.is_transient());
    assert!(took >= Duration::from_millis(300) && took < Duration::from_millis(1300), "took {took:?}");
    Ok(())
}

#[tokio::test]
async fn a_body_that_trickles_times_out() -> TestResult {
    // 16 bytes every 50 ms, no end of head: the total timeout covers the body too.
    let (addr, _log) = start_streaming_server(
        "<html><head><title>t</title>",
        "<!-- slow -->   ",
        16,
        Duration::from_millis(50),
    )
    .await?;
    let policy = PreviewPolicy { timeout: Duration::from_millis(300), ..open_policy() };
    let started = Instant::now();
    let result = PreviewFetcher::new(policy).fetch(&format!("http://{addr}/")).await;
    assert_eq!(result, Err(PreviewError::Timeout));
    assert!(started.elapsed() < Duration::from_millis(1300), "took {:?}", started.elapsed());
    Ok(())
}

#[tokio::test]
async fn with_allow_private_a_name_for_loopback_is_fetched() -> TestResult {
    let site = start_site().await?;
    let preview = open_fetcher().fetch(&format!("http://localhost:{}/plain", site.addr.port())).await?;
    assert_eq!(preview.title.as_deref(), Some("Quarterly report \u{2013} Q3"));
    Ok(())
}

// ---------------------------------------------------------------- the default policy refuses

#[tokio::test]
async fn the_default_policy_refuses_loopback_and_private_targets_before_any_request() -> TestResult {
    let site = start_site().await?;
    let port = site.addr.port();
    let fetcher = PreviewFetcher::new(PreviewPolicy::default());
    // Loopback first, against the real site: these also prove that fetch applies the check.
    let loopback = [
        format!("http://127.0.0.1:{port}/og"),
        format!("http://localhost:{port}/og"),
        format!("http://LocalHost:{port}/og"),
        format!("http://127.1:{port}/og"),
        format!("http://2130706433:{port}/og"),
        format!("http://0x7f.1:{port}/og"),
        format!("http://0177.0.0.1:{port}/og"),
        format!("http://0.0.0.0:{port}/og"),
        format!("http://[::1]:{port}/og"),
        format!("http://[::ffff:127.0.0.1]:{port}/og"),
        format!("http://[::ffff:7f00:1]:{port}/og"),
        format!("http://[::]:{port}/og"),
        "http://[::1]/".to_owned(),
    ];
    for url in &loopback {
        let started = Instant::now();
        assert_eq!(fetcher.fetch(url).await, Err(PreviewError::Forbidden), "{url}");
        assert!(started.elapsed() < Duration::from_secs(2), "{url} took {:?}", started.elapsed());
    }
    assert_eq!(site.requests(), 0, "the site saw a request");
    // Addresses off this machine: each is first confirmed refused by the pure check, so that a
    // regression fails here instead of sending a packet anywhere.
    for url in [
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00:ec2::254]/latest/meta-data",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "https://172.16.0.1/",
        "http://100.64.0.1/",
        "http://[64:ff9b::a9fe:a9fe]/",
    ] {
        assert_eq!(check_url(&Url::parse(url)?, false), Err(PreviewError::Forbidden), "{url}");
        assert_eq!(fetcher.fetch(url).await, Err(PreviewError::Forbidden), "{url}");
    }
    assert_eq!(site.requests(), 0, "the site saw a request");
    assert!(!PreviewError::Forbidden.is_transient());
    // The same site, allowed, answers: the refusals above were the policy's.
    assert!(open_fetcher().fetch(&site.url("/og")).await.is_ok());
    assert_eq!(site.requests(), 1);
    Ok(())
}

#[tokio::test]
async fn unusable_urls_are_refused() -> TestResult {
    let fetcher = PreviewFetcher::new(PreviewPolicy::default());
    // Hosts are loopback or absent, so that even a broken check sends nothing off this machine.
    for url in [
        "",
        "not a url",
        "127.0.0.1/no-scheme",
        "ftp://127.0.0.1/file",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "data:text/html,<title>x</title>",
        "http://user@127.0.0.1:9/",
        "http://user:secret@localhost:9/",
        "http://:secret@[::1]:9/",
        "http://",
        "http://[::1/",
    ] {
        assert_eq!(fetcher.fetch(url).await, Err(PreviewError::InvalidUrl), "{url:?}");
    }
    assert!(!PreviewError::InvalidUrl.is_transient());
    Ok(())
}

// ---------------------------------------------------------------- the checks, directly

fn public_page() -> Result<Url, url::ParseError> {
    Url::parse("http://news.example.com/a/b?x=1")
}

#[test]
fn a_public_page_redirecting_to_a_private_address_is_refused() -> TestResult {
    let current = public_page()?;
    for location in [
        "http://127.0.0.1/admin",
        "http://127.0.0.1:8080/",
        "//169.254.169.254/latest/meta-data",
        "http://[::1]:6379/",
        "http://[::ffff:10.0.0.1]/",
        "http://0x7f.1/",
        "http://2130706433/",
        "http://0/",
        "http://192.168.0.1./",
        "https://[fe80::1]/",
    ] {
        assert_eq!(redirect_target(&current, location, false), Err(PreviewError::Forbidden), "{location}");
        assert!(redirect_target(&current, location, true).is_ok(), "{location} with allow_private");
    }
    Ok(())
}

#[test]
fn redirect_targets_resolve_against_the_current_url() -> TestResult {
    let current = public_page()?;
    let next = |location: &str| redirect_target(&current, location, false).map(String::from);
    assert_eq!(next("c"), Ok("http://news.example.com/a/c".into()));
    assert_eq!(next("/x?y=2#z"), Ok("http://news.example.com/x?y=2#z".into()));
    assert_eq!(next("//cdn.example.net/p"), Ok("http://cdn.example.net/p".into()));
    assert_eq!(next("https://www.example.org:8443/"), Ok("https://www.example.org:8443/".into()));
    assert_eq!(next("https://8.8.8.8/"), Ok("https://8.8.8.8/".into()));
    assert_eq!(next("ftp://example.com/"), Err(PreviewError::InvalidUrl));
    assert_eq!(next("http://u:p@example.org/"), Err(PreviewError::InvalidUrl));
    assert_eq!(next("mailto:a@example.org"), Err(PreviewError::InvalidUrl));
    assert_eq!(next("http://"), Err(PreviewError::InvalidUrl));
    Ok(())
}

#[test]
fn check_url_leaves_names_to_the_resolver() -> TestResult {
    // A name is fine here; the resolver screens its addresses (see below).
    assert_eq!(check_url(&Url::parse("http://localhost:8080/")?, false), Ok(()));
    assert_eq!(check_url(&Url::parse("http://127.0.0.1:8080/")?, false), Err(PreviewError::Forbidden));
    assert_eq!(check_url(&Url::parse("http://127.0.0.1:8080/")?, true), Ok(()));
    assert_eq!(check_url(&Url::parse("http://[2606:4700:4700::1111]/")?, false), Ok(()));
    Ok(())
}

fn sa(ip: &str) -> SocketAddr {
    SocketAddr::new(ip.parse().expect("test address"), 0)
}

#[test]
fn the_resolver_filter_refuses_a_name_if_any_address_is_not_public() {
    let public = [sa("93.184.216.34"), sa("2606:2800:220:1:248:1893:25c8:1946")];
    assert_eq!(screen_addrs(public, false), Ok(public.to_vec()));
    assert_eq!(
        screen_addrs([sa("93.184.216.34"), sa("10.1.2.3")], false),
        Err(ScreenError::NonPublic("10.1.2.3".parse().expect("ip")))
    );
    assert_eq!(
        screen_addrs([sa("2606:4700::1111"), sa("::1")], false),
        Err(ScreenError::NonPublic(IpAddr::V6(Ipv6Addr::LOCALHOST)))
    );
    assert!(screen_addrs([sa("169.254.169.254")], false).is_err());
    assert!(screen_addrs([sa("::ffff:192.168.0.10")], false).is_err());
    assert_eq!(screen_addrs([], false), Err(ScreenError::NoAddress));
    assert_eq!(screen_addrs([], true), Err(ScreenError::NoAddress));
    let private = [sa("127.0.0.1"), sa("10.0.0.7")];
    assert_eq!(screen_addrs(private, true), Ok(private.to_vec()));
}

#[tokio::test]
async fn the_resolver_refuses_localhost_unless_private_is_allowed() -> TestResult {
    let refused = GuardedResolver { allow_private: false }.resolve("localhost".parse()?).await;
    let error = refused.err().ok_or("localhost was resolved")?;
    assert!(error.downcast_ref::<ScreenError>().is_some(), "{error}");

    let addrs: Vec<SocketAddr> = GuardedResolver { allow_private: true }
        .resolve("localhost".parse()?)
        .await
        .map_err(|e| e.to_string())?
        .collect();
    assert!(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    Ok(())
}

// ---------------------------------------------------------------- is_public_ip

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

#[test]
fn non_public_ipv4_ranges() {
    for s in [
        "0.0.0.0",
        "0.1.2.3",
        "10.0.0.0",
        "10.255.255.255",
        "100.64.0.0",
        "100.127.255.255",
        "127.0.0.1",
        "127.255.255.254",
        "169.254.0.1",
        "169.254.169.254",
        "172.16.0.0",
        "172.31.255.255",
        "192.0.0.1",
        "192.0.2.1",
        "192.88.99.1",
        "192.168.0.1",
        "192.168.255.255",
        "198.18.0.0",
        "198.19.255.255",
        "198.51.100.7",
        "203.0.113.9",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.254",
        "255.255.255.255",
    ] {
        assert!(!is_public_ip(ip(s)), "{s} must not be public");
    }
    assert!(!is_public_ip(IpAddr::V4(Ipv4Addr::BROADCAST)));
    assert!(!is_public_ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
}

#[test]
fn public_ipv4_including_the_edges_of_each_range() {
    for s in [
        "1.1.1.1",
        "8.8.8.8",
        "9.255.255.255",
        "11.0.0.0",
        "93.184.216.34",
        "100.63.255.255",
        "100.128.0.0",
        "126.255.255.255",
        "128.0.0.0",
        "169.253.255.255",
        "169.255.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "192.0.1.1",
        "192.0.3.1",
        "192.167.255.255",
        "192.169.0.0",
        "198.17.255.255",
        "198.20.0.0",
        "198.51.99.1",
        "203.0.112.1",
        "223.255.255.255",
    ] {
        assert!(is_public_ip(ip(s)), "{s} must be public");
    }
}

#[test]
fn non_public_ipv6_ranges() {
    for s in [
        "::",
        "::1",
        "fc00::1",
        "fd12:3456:789a::1",
        "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "fe80::1",
        "febf:ffff::1",
        "fec0::1",
        "ff00::1",
        "ff02::1",
        "ff0e::1",
        "2001:db8::1",
        "2001:db8:ffff::1",
        "3fff::1",
        "2001::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "2001:2::1",
        "100::1",
        "64:ff9b:1::1",
        "::ffff:0:7f00:1",
        // IPv4-mapped and -compatible, with non-public IPv4 inside
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:192.168.1.1",
        "::ffff:0.0.0.0",
        "::127.0.0.1",
        "::10.0.0.1",
        // NAT64 and 6to4 with non-public IPv4 inside
        "64:ff9b::7f00:1",
        "64:ff9b::10.0.0.1",
        "64:ff9b::169.254.169.254",
        "2002:7f00:1::",
        "2002:c0a8:101::1",
    ] {
        assert!(!is_public_ip(ip(s)), "{s} must not be public");
    }
}

#[test]
fn public_ipv6() {
    for s in [
        "2606:4700:4700::1111",
        "2a00:1450:4001:82b::200e",
        "2001:4860:4860::8888",
        "2001:200::1",
        "2001:db9::1",
        "2001:db7::1",
        "3fff:1000::1",
        "2002:808:808::1",
        "::ffff:8.8.8.8",
        "::8.8.8.8",
        "64:ff9b::8.8.8.8",
    ] {
        assert!(is_public_ip(ip(s)), "{s} must be public");
    }
}

#[test]
fn policy_defaults() {
    let p = PreviewPolicy::default();
    assert!(!p.allow_private);
    assert_eq!(p.timeout, Duration::from_secs(5));
    assert_eq!(p.max_bytes, 1024 * 1024);
    assert_eq!(p.max_redirects, 5);
    assert_eq!(p.user_agent, "ChorusBot/0.1 (+link preview)");
}

#[tokio::test]
async fn https_to_a_plain_http_port_is_a_network_error() -> TestResult {
    // Holds with and without TLS compiled into reqwest: either https is unsupported, or the
    // handshake with a plain-HTTP server fails.
    let site = start_site().await?;
    let result = open_fetcher().fetch(&format!("https://127.0.0.1:{}/og", site.addr.port())).await;
    assert!(matches!(result, Err(PreviewError::Network(_))), "{result:?}");
    Ok(())
}
