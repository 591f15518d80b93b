//! `chorus bench media`: upload throughput of a large video through the real HTTP endpoint
//! (`POST /api/v1/media`, multipart) into the disk store, and into S3 when `--media-url s3://…`
//! is given, then the download back through the instance; MB/s and the server's peak RSS.
//!
//! Benchmarks, not tests: results go in docs/benchmarks.md.

use std::process::Stdio;
use std::time::Instant;

use anyhow::Context as _;
use chorus_media::ObjectStore as _;

use crate::bench::{chorus_cli, fresh_database, start_server};
use crate::media_store::MediaArgs;

#[derive(clap::Args, Debug, Clone)]
pub struct MediaBenchArgs {
    /// Size of the video, in MiB.
    #[arg(long, default_value_t = 50)]
    size_mb: usize,
    /// Uploads per store.
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

/// A video the sniffer accepts: an MP4 `ftyp` box, then filler up to `size` bytes.
fn video(size: usize) -> Vec<u8> {
    let mut v = vec![0, 0, 0, 0x18];
    v.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2");
    v.extend((v.len()..size).map(|i| u8::try_from(i % 251).unwrap_or(0)));
    v
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field))?.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

struct Target {
    name: String,
    flags: Vec<String>,
}

pub async fn run(database_url: Option<String>, media: MediaArgs, args: MediaBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.size_mb > 0 && args.runs > 0, "--size-mb and --runs must be positive");
    let (tmp, db, backend) = fresh_database(database_url)?;
    let exe = std::env::current_exe().context("find the chorus binary")?;
    let cli = |a: &[&str]| chorus_cli(&exe, &db, a);
    cli(&["migrate"])?;
    let slug = cli(&["org", "create", "--name", "Media Bench"])?;
    cli(&[
        "user",
        "add",
        "--org",
        &slug,
        "--email",
        "bench@bench.test",
        "--name",
        "Bench",
        "--role",
        "owner",
    ])?;
    let token = cli(&["token", "create", "--org", &slug, "--email", "bench@bench.test"])?;

    let mut targets = vec![Target { name: "disk".into(), flags: vec![] }];
    let s3_prefix = format!("bench-media-{}", std::process::id());
    if let Some(url) = media.media_url.as_deref().filter(|u| u.starts_with("s3://")) {
        let url = format!("{}/{s3_prefix}", url.trim_end_matches('/'));
        let mut flags = vec!["--media-url".to_owned(), url.clone()];
        if let Some(endpoint) = &media.s3_endpoint {
            flags.extend(["--s3-endpoint".to_owned(), endpoint.clone()]);
        }
        if media.s3_allow_http {
            flags.push("--s3-allow-http".to_owned());
        }
        targets.push(Target { name: format!("S3 ({url})"), flags });
    }

    let size = args.size_mb * 1024 * 1024;
    let body = bytes::Bytes::from(video(size));
    let mb = size as f64 / 1_000_000.0;
    println!(
        "chorus bench media on {backend}: a {} MiB MP4 uploaded {} times per store through POST /api/v1/media",
        args.size_mb, args.runs
    );
    println!(
        "{:<44} {:>11} {:>9} {:>13} {:>13} {:>13}",
        "store", "upload MB/s", "best MB/s", "download MB/s", "idle RSS MiB", "peak RSS MiB"
    );
    let client = reqwest::Client::new();
    for target in &targets {
        let flags: Vec<&str> = target.flags.iter().map(String::as_str).collect();
        let (mut child, base, _) = start_server(&exe, &db, &flags, Stdio::inherit()).await?;
        let idle = rss_kib(child.id(), "VmRSS:") as f64 / 1024.0;
        let mut rates = Vec::new();
        let mut last_id = String::new();
        for _ in 0..args.runs {
            let part =
                reqwest::multipart::Part::stream_with_length(reqwest::Body::from(body.clone()), size as u64)
                    .file_name("launch.mp4")
                    .mime_str("video/mp4")?;
            let form = reqwest::multipart::Form::new().part("file", part);
            let started = Instant::now();
            let res = client
                .post(format!("{base}/api/v1/media"))
                .bearer_auth(&token)
                .multipart(form)
                .send()
                .await?;
            let status = res.status();
            let json: serde_json::Value = res.json().await.unwrap_or_default();
            anyhow::ensure!(status.as_u16() == 201, "upload answered {status}: {json}");
            rates.push(mb / started.elapsed().as_secs_f64());
            last_id = json["id"].as_str().unwrap_or_default().to_owned();
        }
        let started = Instant::now();
        let res =
            client.get(format!("{base}/api/v1/media/{last_id}/content")).bearer_auth(&token).send().await?;
        let got = res.bytes().await?.len();
        anyhow::ensure!(got == size, "downloaded {got} bytes of {size}");
        let download = mb / started.elapsed().as_secs_f64();
        let peak = rss_kib(child.id(), "VmHWM:") as f64 / 1024.0;
        rates.sort_by(f64::total_cmp);
        let median = rates[rates.len() / 2];
        let best = rates[rates.len() - 1];
        println!("{:<44} {median:>11.1} {best:>9.1} {download:>13.1} {idle:>13.1} {peak:>13.1}", target.name);
        crate::bench::ask_to_stop(child.id());
        let _ = child.wait();
    }

    // Leave the bucket as it was.
    if let Some(url) = media.media_url.as_deref().filter(|u| u.starts_with("s3://")) {
        let mut options =
            chorus_media::S3Options::from_url(&format!("{}/{s3_prefix}", url.trim_end_matches('/')))?;
        options.endpoint.clone_from(&media.s3_endpoint);
        options.allow_http = media.s3_allow_http;
        let store = chorus_media::S3Store::new(options)?;
        for key in store.list_keys().await? {
            store.delete(&chorus_media::ObjectKey::parse(&key)?).await?;
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}
