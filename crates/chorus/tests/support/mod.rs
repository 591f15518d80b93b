//! What the process tests share: the `chorus` binary, temporary folders, free ports, and a
//! running `chorus serve` that is stopped (or crashed) on purpose and killed however a test ends.
#![allow(dead_code)] // each test binary uses its own part of this

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub const BIN: &str = env!("CARGO_BIN_EXE_chorus");

/// A temporary folder, removed when the test ends however it ends.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("chorus-{name}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 path")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A running `chorus serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// Runs `serve` (a `chorus serve …` command, `--bind` is added) and waits until `/readyz`
    /// answers.
    pub async fn spawn(mut serve: Command) -> Self {
        // reqwest is built without a default TLS provider; the binary installs ring, so do we.
        chorus_networks::preview::install_crypto_provider();
        let bind = format!("127.0.0.1:{}", free_port());
        let child = serve
            .args(["--bind", &bind])
            .env("CHORUS_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn chorus serve");
        let base = format!("http://{bind}");
        let server = Server { child, base };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(res) = reqwest::get(format!("{}/readyz", server.base)).await
                && res.status() == 200
            {
                return server;
            }
            assert!(Instant::now() < deadline, "chorus serve did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, and the process must exit cleanly.
    pub fn stop(mut self) {
        let status =
            Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(code) = self.child.try_wait().expect("wait") {
                assert!(code.success(), "chorus serve exited with {code}");
                return;
            }
            assert!(Instant::now() < deadline, "chorus serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL, as a crash: no shutdown code runs. Returns the instant just before the signal was
    /// sent (the process was certainly alive until then).
    pub fn crash(mut self) -> Instant {
        let at = Instant::now();
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("wait");
        at
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
