//! The X, LinkedIn and Facebook connectors over real HTTP against the strict stand-ins in
//! `chorus-standins`: well-formed posts are accepted, token expiry is handled by refreshing,
//! every failure is sorted into what the publish job must do next, and a post whose outcome
//! was unknown is found again (or certainly not) for exactly-once.

use std::time::Duration;

use chorus_networks::publish::{
    Connector, Image, Lookup, Outbound, PublishError, RetrySafety,
    facebook::Facebook,
    http_client,
    linkedin::LinkedIn,
    oauth::{OAuthApp, Token},
    x::X,
};
use chorus_standins::{Endpoint, Fault, facebook, linkedin, x};

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn client() -> reqwest::Client {
    chorus_networks::preview::install_crypto_provider();
    http_client(Duration::from_secs(10)).expect("client")
}

/// A client that gives up long before a delayed stand-in answers.
fn impatient() -> reqwest::Client {
    chorus_networks::preview::install_crypto_provider();
    http_client(Duration::from_millis(300)).expect("client")
}

const SLOW: Fault = Fault::Delay(Duration::from_millis(1500));

fn image(alt: &str) -> Image {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend([7u8; 64]);
    Image { bytes, mime: "image/png".into(), alt: alt.into() }
}

fn post(text: &str) -> Outbound {
    Outbound {
        post_id: uuid::Uuid::now_v7(),
        text: text.into(),
        title: "Spring trails".into(),
        link: None,
        images: Vec::new(),
    }
}

fn refused(r: Result<chorus_networks::publish::Published, PublishError>) -> PublishError {
    r.expect_err("the publish should fail")
}

// ---- X -----------------------------------------------------------------------------------------

fn x_app(s: &x::StandIn) -> OAuthApp {
    let c = s.config();
    OAuthApp {
        token_url: s.token_url.clone(),
        client_id: c.client_id.clone(),
        client_secret: c.client_secret.clone().unwrap_or_default(),
    }
}

/// The token a channel's credentials hold, good for another hour.
fn x_token(s: &x::StandIn) -> Token {
    Token {
        access_token: s.config().access_token.clone(),
        refresh_token: Some(s.config().refresh_token.clone()),
        expires_at: Some(now() + 3600),
    }
}

fn x_connector(s: &x::StandIn, client: reqwest::Client, token: Token, session: Option<Token>) -> X {
    X::new(client, &s.base_url, x_app(s), token, session, now())
}

async fn x_started() -> (x::StandIn, X) {
    let s = x::start(x::Config::default()).await;
    let c = x_connector(&s, client(), x_token(&s), None);
    (s, c)
}

#[tokio::test]
async fn x_accepts_a_post_with_an_image_and_holds_exactly_one_tweet() {
    let (s, c) = x_started().await;
    let mut p = post("Spring trails are open & ready: https://example.com/trails?from=chorus");
    p.images.push(image("A forest trail in April"));
    let published = c.publish(&p).await.expect("published");

    let tweets = s.tweets();
    assert_eq!(tweets.len(), 1, "exactly one tweet");
    assert_eq!(tweets[0].text, p.text);
    assert_eq!(published.id, tweets[0].id);
    assert_eq!(
        published.url.as_deref(),
        Some(format!("https://x.com/i/web/status/{}", tweets[0].id).as_str())
    );
    let media = s.media();
    assert_eq!(tweets[0].media_ids, vec![media[0].id.clone()], "the uploaded image is attached");
    assert_eq!(media[0].alt.as_deref(), Some("A forest trail in April"));
    assert!(s.journal.requests_to(Endpoint::Token).is_empty(), "a fresh token is not refreshed");
    assert_eq!(c.session_state(), None, "nothing new to keep");
    assert_eq!(c.retry(), RetrySafety::LookFirst);
}

#[tokio::test]
async fn x_refreshes_an_expired_token_once_repeats_the_post_and_keeps_the_rotated_token() {
    let (s, c) = x_started().await;
    s.expire_access_tokens();
    let published = c.publish(&post("After a refresh")).await.expect("published");

    assert_eq!(s.journal.statuses(Endpoint::Publish), vec![401, 201], "refused once, then accepted");
    assert_eq!(s.journal.statuses(Endpoint::Token), vec![200]);
    assert_eq!(s.tweets().len(), 1);
    assert_eq!(published.id, s.tweets()[0].id);
    let kept: Token =
        serde_json::from_str(&c.session_state().expect("a new token to keep")).expect("token JSON");
    assert_eq!(kept.access_token, s.access_token());
    assert_eq!(kept.refresh_token, s.refresh_token(), "the rotated refresh token is kept");
    assert_ne!(kept.refresh_token.as_deref(), Some(s.config().refresh_token.as_str()));
    assert!(kept.expires_at.is_some_and(|at| at > now() + 7000));

    // The old refresh token is spent: a connector that still had only the credentials fails…
    let stale = x_connector(&s, client(), x_token(&s), None);
    assert!(matches!(stale.publish(&post("With the old token")).await, Err(PublishError::Unauthorized(_))));
    assert_eq!(s.journal.statuses(Endpoint::Token), vec![200, 400], "invalid_grant for the reused token");
    // …while the kept session, which takes precedence over the credentials, works.
    let next = x_connector(&s, client(), x_token(&s), Some(kept));
    next.publish(&post("With the kept session")).await.expect("published with the session");
    assert_eq!(s.tweets().len(), 2);
}

#[tokio::test]
async fn x_refreshes_a_token_about_to_expire_before_calling_the_api() {
    let s = x::start(x::Config::default()).await;
    let soon = Token { expires_at: Some(now() + 60), ..x_token(&s) };
    let c = x_connector(&s, client(), soon, None);
    c.publish(&post("Refreshed ahead of time")).await.expect("published");

    let order: Vec<(Endpoint, u16)> = s.journal.requests().iter().map(|r| (r.endpoint, r.status)).collect();
    assert_eq!(order, vec![(Endpoint::Token, 200), (Endpoint::Publish, 201)], "no 401 first");
    assert!(c.session_state().is_some());
}

#[tokio::test]
async fn x_with_a_dead_refresh_token_is_unauthorized_and_posts_nothing() {
    let (s, c) = x_started().await;
    s.expire_access_tokens();
    s.revoke_refresh_token();
    let e = refused(c.publish(&post("Never posted")).await);
    assert!(matches!(e, PublishError::Unauthorized(_)), "{e:?}");
    assert!(s.tweets().is_empty());
    assert_eq!(c.session_state(), None);
}

#[tokio::test]
async fn x_rate_limits_carry_the_wait() {
    let (s, c) = x_started().await;
    s.journal.inject(Endpoint::Publish, Fault::Status { status: 429, retry_after: Some(30) }, 1);
    assert_eq!(
        c.publish(&post("Too soon")).await,
        Err(PublishError::RateLimited { retry_after: Some(Duration::from_secs(30)) })
    );
    // Without Retry-After, X's x-rate-limit-reset (15 minutes ahead here) says how long.
    s.journal.inject(Endpoint::Publish, Fault::Status { status: 429, retry_after: None }, 1);
    match c.publish(&post("Too soon")).await {
        Err(PublishError::RateLimited { retry_after: Some(d) }) => {
            assert!((880..=910).contains(&d.as_secs()), "{d:?}")
        }
        other => panic!("expected a rate limit with a wait, got {other:?}"),
    }
    assert!(s.tweets().is_empty());
}

#[tokio::test]
async fn x_server_errors_timeouts_and_unreadable_answers_leave_the_outcome_unknown() {
    let (s, c) = x_started().await;
    s.journal.inject(Endpoint::Publish, Fault::Status { status: 500, retry_after: None }, 1);
    assert!(matches!(c.publish(&post("500")).await, Err(PublishError::Unknown(_))));
    s.journal.inject(Endpoint::Publish, Fault::Malformed, 1);
    let e = refused(c.publish(&post("malformed")).await);
    assert!(matches!(&e, PublishError::Unknown(m) if m.contains("unreadable answer")), "{e:?}");

    let slow = x_connector(&s, impatient(), x_token(&s), None);
    s.journal.inject(Endpoint::Publish, SLOW, 1);
    assert!(matches!(slow.publish(&post("slow")).await, Err(PublishError::Unknown(_))));
}

#[tokio::test]
async fn x_refuses_an_over_long_text() {
    let (s, c) = x_started().await;
    let e = refused(c.publish(&post(&"a".repeat(281))).await);
    assert!(matches!(&e, PublishError::Refused(m) if m.contains("too long")), "{e:?}");
    assert!(s.tweets().is_empty());
}

#[tokio::test]
async fn x_finds_a_tweet_accepted_behind_an_error_and_not_one_never_posted() {
    let (s, c) = x_started().await;
    let mut p = post("Dropped answer & a link: https://example.com/a?b=1 <3");
    p.images.push(image("alt"));
    assert_eq!(c.find(&p).await, Ok(Lookup::NotFound), "nothing posted yet");

    s.journal.inject(Endpoint::Publish, Fault::AcceptThen500, 1);
    assert!(matches!(c.publish(&p).await, Err(PublishError::Unknown(_))));
    let tweets = s.tweets();
    assert_eq!(tweets.len(), 1, "the stand-in did post it");
    match c.find(&p).await {
        Ok(Lookup::Found(found)) => assert_eq!(found.id, tweets[0].id),
        other => panic!("expected the tweet, got {other:?}"),
    }
    assert_eq!(c.find(&post("Dropped answer & a link")).await, Ok(Lookup::NotFound), "another text");

    let q = post("A dropped connection");
    s.journal.inject(Endpoint::Publish, Fault::AcceptThenDrop, 1);
    assert!(matches!(c.publish(&q).await, Err(PublishError::Unknown(_))));
    assert_eq!(s.journal.statuses(Endpoint::Publish).last(), Some(&0), "no answer at all");
    assert!(matches!(c.find(&q).await, Ok(Lookup::Found(f)) if f.id == s.tweets()[1].id));
}

// ---- LinkedIn ----------------------------------------------------------------------------------

fn li_app(s: &linkedin::StandIn) -> OAuthApp {
    let c = s.config();
    OAuthApp {
        token_url: s.token_url.clone(),
        client_id: c.client_id.clone(),
        client_secret: c.client_secret.clone(),
    }
}

fn li_token(s: &linkedin::StandIn) -> Token {
    Token {
        access_token: s.config().access_token.clone(),
        refresh_token: Some(s.config().refresh_token.clone()),
        expires_at: Some(now() + 3600),
    }
}

fn li_connector(s: &linkedin::StandIn, client: reqwest::Client, token: Token) -> LinkedIn {
    LinkedIn::new(client, &s.api_url, li_app(s), &s.config().organization_id, token, None, now())
}

async fn li_started() -> (linkedin::StandIn, LinkedIn) {
    let s = linkedin::start(linkedin::Config::default()).await;
    let c = li_connector(&s, client(), li_token(&s));
    (s, c)
}

#[tokio::test]
async fn linkedin_accepts_a_post_with_an_image_and_shows_the_text_uncut() {
    let (s, c) = li_started().await;
    // Every little-format reserved character: unescaped, LinkedIn would cut the text at "(".
    let text =
        r"Launch (v2) of our_trail [beta] {new} <3 @team *now* ~50% a|b \o/ #Hiking https://example.com/a_b";
    let mut p = post(text);
    p.images.push(image("A forest trail"));
    let published = c.publish(&p).await.expect("published");

    let posts = s.posts();
    assert_eq!(posts.len(), 1, "exactly one post");
    assert_eq!(posts[0].text, text, "readers see the whole text");
    assert_eq!(posts[0].author, s.config().organization_urn());
    assert_eq!(published.id, posts[0].urn);
    assert_eq!(
        published.url.as_deref(),
        Some(format!("https://www.linkedin.com/feed/update/{}", posts[0].urn).as_str())
    );
    let images = s.images();
    assert_eq!(posts[0].images, vec![images[0].urn.clone()]);
    assert_eq!(images[0].uploaded, Some(p.images[0].bytes.len()), "the bytes went to the upload URL");
    assert!(s.journal.requests_to(Endpoint::Token).is_empty());
    assert_eq!(c.session_state(), None);
    assert_eq!(c.retry(), RetrySafety::LookFirst);
}

#[tokio::test]
async fn linkedin_shares_a_link_without_images_as_an_article() {
    let (s, c) = li_started().await;
    let mut p = post("Read the guide");
    p.link = Some("https://example.com/guide".into());
    c.publish(&p).await.expect("published");
    assert_eq!(s.posts()[0].article.as_deref(), Some("https://example.com/guide"));
}

#[tokio::test]
async fn linkedin_refreshes_an_expired_token_on_the_other_host_and_returns_it() {
    let (s, c) = li_started().await;
    s.expire_access_tokens();
    c.publish(&post("After a refresh")).await.expect("published");

    assert_eq!(s.journal.statuses(Endpoint::Publish), vec![401, 201]);
    assert_eq!(s.journal.statuses(Endpoint::Token), vec![200]);
    let kept: Token = serde_json::from_str(&c.session_state().expect("a new token")).expect("token JSON");
    assert_eq!(kept.access_token, s.access_token());
    assert_ne!(kept.access_token, s.config().access_token);
    assert_eq!(
        kept.refresh_token.as_deref(),
        Some(s.config().refresh_token.as_str()),
        "LinkedIn does not rotate"
    );
    assert_eq!(s.posts().len(), 1);
}

#[tokio::test]
async fn linkedin_refreshes_a_token_about_to_expire_before_calling_the_api() {
    let s = linkedin::start(linkedin::Config::default()).await;
    let c = li_connector(&s, client(), Token { expires_at: Some(now() + 120), ..li_token(&s) });
    c.publish(&post("Refreshed ahead of time")).await.expect("published");
    let order: Vec<(Endpoint, u16)> = s.journal.requests().iter().map(|r| (r.endpoint, r.status)).collect();
    assert_eq!(order, vec![(Endpoint::Token, 200), (Endpoint::Publish, 201)]);
    assert!(c.session_state().is_some());
}

#[tokio::test]
async fn linkedin_with_a_dead_refresh_token_is_unauthorized() {
    let (s, c) = li_started().await;
    s.expire_access_tokens();
    s.revoke_refresh_token();
    let e = refused(c.publish(&post("Never posted")).await);
    assert!(matches!(e, PublishError::Unauthorized(_)), "{e:?}");
    assert!(s.posts().is_empty());
}

#[tokio::test]
async fn linkedin_rate_limits_server_errors_timeouts_and_unreadable_answers() {
    let (s, c) = li_started().await;
    s.journal.inject(Endpoint::Publish, Fault::Status { status: 429, retry_after: Some(60) }, 1);
    assert_eq!(
        c.publish(&post("429")).await,
        Err(PublishError::RateLimited { retry_after: Some(Duration::from_secs(60)) })
    );
    s.journal.inject(Endpoint::Publish, Fault::Status { status: 500, retry_after: None }, 1);
    assert!(matches!(c.publish(&post("500")).await, Err(PublishError::Unknown(_))));
    // A 201 without the post's URN.
    s.journal.inject(Endpoint::Publish, Fault::Malformed, 1);
    let e = refused(c.publish(&post("malformed")).await);
    assert!(matches!(&e, PublishError::Unknown(m) if m.contains("unreadable answer")), "{e:?}");

    let slow = li_connector(&s, impatient(), li_token(&s));
    s.journal.inject(Endpoint::Publish, SLOW, 1);
    assert!(matches!(slow.publish(&post("slow")).await, Err(PublishError::Unknown(_))));
}

#[tokio::test]
async fn linkedin_refuses_an_over_long_text_and_a_malformed_version() {
    let (s, c) = li_started().await;
    let e = refused(c.publish(&post(&"a".repeat(3001))).await);
    assert!(matches!(&e, PublishError::Refused(m) if m.contains("422")), "{e:?}");
    let e =
        refused(li_connector(&s, client(), li_token(&s)).with_version("2026-05").publish(&post("v")).await);
    assert!(matches!(&e, PublishError::Refused(m) if m.contains("NONEXISTENT_VERSION")), "{e:?}");
    assert!(s.posts().is_empty());
}

#[tokio::test]
async fn linkedin_finds_a_post_accepted_behind_an_error_and_not_one_never_posted() {
    let (s, c) = li_started().await;
    let p = post("Accepted (but) answered 500 #Chorus");
    assert_eq!(c.find(&p).await, Ok(Lookup::NotFound));
    s.journal.inject(Endpoint::Publish, Fault::AcceptThen500, 1);
    assert!(matches!(c.publish(&p).await, Err(PublishError::Unknown(_))));
    let urn = s.posts()[0].urn.clone();
    assert!(matches!(c.find(&p).await, Ok(Lookup::Found(f)) if f.id == urn));
    assert_eq!(c.find(&post("Accepted (but) answered 500")).await, Ok(Lookup::NotFound));
}

// ---- Facebook ----------------------------------------------------------------------------------

fn fb_connector(s: &facebook::StandIn, client: reqwest::Client) -> Facebook {
    Facebook::new(client, &s.base_url, &s.config().page_id, &s.config().page_token)
}

async fn fb_started() -> (facebook::StandIn, Facebook) {
    let s = facebook::start(facebook::Config::default()).await;
    let c = fb_connector(&s, client());
    (s, c)
}

#[tokio::test]
async fn facebook_accepts_a_post_with_an_image_attached_as_an_unpublished_photo() {
    let (s, c) = fb_started().await;
    let mut p = post("Spring trails are open: https://example.com/trails");
    p.link = Some("https://example.com/trails".into());
    p.images.push(image("A forest trail"));
    let published = c.publish(&p).await.expect("published");

    let posts = s.posts();
    assert_eq!(posts.len(), 1, "exactly one post (the photo itself is not published)");
    assert_eq!(posts[0].message, p.text);
    assert_eq!(published.id, posts[0].id);
    assert!(posts[0].id.starts_with(&format!("{}_", s.config().page_id)));
    let photos = s.photos();
    assert_eq!(posts[0].photos, vec![photos[0].id.clone()]);
    assert!(!photos[0].published);
    assert_eq!(photos[0].alt.as_deref(), Some("A forest trail"));
    assert_eq!(posts[0].link, None, "no link preview next to photos");
    assert_eq!(c.session_state(), None, "Page tokens are not refreshed");
    assert_eq!(c.retry(), RetrySafety::LookFirst);
}

#[tokio::test]
async fn facebook_shares_a_link_without_images() {
    let (s, c) = fb_started().await;
    let mut p = post("Read the guide");
    p.link = Some("https://example.com/guide".into());
    c.publish(&p).await.expect("published");
    assert_eq!(s.posts()[0].link.as_deref(), Some("https://example.com/guide"));
}

#[tokio::test]
async fn facebook_with_an_expired_page_token_is_unauthorized() {
    let (s, c) = fb_started().await;
    s.expire_page_token();
    let e = refused(c.publish(&post("Never posted")).await);
    assert!(matches!(&e, PublishError::Unauthorized(m) if m.contains("190")), "{e:?}");
    assert_eq!(s.journal.requests_to(Endpoint::Publish).len(), 1, "no second attempt");
    assert!(s.posts().is_empty());
}

#[tokio::test]
async fn facebook_rate_limits_server_errors_timeouts_and_unreadable_answers() {
    let (s, c) = fb_started().await;
    s.journal.inject(Endpoint::Publish, Fault::Status { status: 429, retry_after: Some(120) }, 1);
    assert_eq!(
        c.publish(&post("429")).await,
        Err(PublishError::RateLimited { retry_after: Some(Duration::from_secs(120)) })
    );
    s.journal.inject(Endpoint::Publish, Fault::Status { status: 500, retry_after: None }, 1);
    assert!(matches!(c.publish(&post("500")).await, Err(PublishError::Unknown(_))));
    s.journal.inject(Endpoint::Publish, Fault::Malformed, 1);
    let e = refused(c.publish(&post("malformed")).await);
    assert!(matches!(&e, PublishError::Unknown(m) if m.contains("unreadable answer")), "{e:?}");

    let slow = fb_connector(&s, impatient());
    s.journal.inject(Endpoint::Publish, SLOW, 1);
    let e = refused(slow.publish(&post("slow")).await);
    assert!(matches!(&e, PublishError::Unknown(m) if !m.contains(&s.config().page_token)), "{e:?}");
}

#[tokio::test]
async fn facebook_refuses_an_over_long_text() {
    let (s, c) = fb_started().await;
    let e = refused(c.publish(&post(&"a".repeat(63_207))).await);
    assert!(matches!(&e, PublishError::Refused(m) if m.contains("code 100")), "{e:?}");
    assert!(s.posts().is_empty());
}

#[tokio::test]
async fn facebook_finds_a_post_accepted_behind_an_error_and_not_one_never_posted() {
    let (s, c) = fb_started().await;
    let p = post("Accepted but the connection dropped");
    assert_eq!(c.find(&p).await, Ok(Lookup::NotFound));
    s.journal.inject(Endpoint::Publish, Fault::AcceptThenDrop, 1);
    assert!(matches!(c.publish(&p).await, Err(PublishError::Unknown(_))));
    let id = s.posts()[0].id.clone();
    match c.find(&p).await {
        Ok(Lookup::Found(f)) => {
            assert_eq!(f.id, id);
            assert_eq!(f.url, Some(format!("https://www.facebook.com/{id}")));
        }
        other => panic!("expected the post, got {other:?}"),
    }
    s.journal.inject(Endpoint::Publish, Fault::AcceptThen500, 1);
    let q = post("Accepted but answered 500");
    assert!(matches!(c.publish(&q).await, Err(PublishError::Unknown(_))));
    assert!(matches!(c.find(&q).await, Ok(Lookup::Found(f)) if f.id == s.posts()[1].id));
    assert_eq!(c.find(&post("Never posted")).await, Ok(Lookup::NotFound));
}
