//! Secrets: random tokens, their hashes, and password hashing (argon2id).

use anyhow::Context as _;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use sha2::{Digest, Sha256};

/// A fresh secret: 32 random bytes as 64 hex characters.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The OS RNG failing is unrecoverable: no secret can be made safely.
    getrandom::fill(&mut bytes).unwrap_or_else(|e| panic!("the OS random number generator failed: {e}"));
    hex(&bytes)
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// SHA-256 as hex: how sessions, tokens and links are stored. The secrets are 256-bit random
/// values, so a fast hash is enough (no dictionary to attack, unlike passwords).
pub fn sha256_hex(data: &str) -> String {
    hex(&Sha256::digest(data.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn hasher(fast: bool) -> Argon2<'static> {
    if fast {
        // Tests only: the minimum cost argon2 allows.
        let params = Params::new(Params::MIN_M_COST, 1, 1, None).unwrap_or_default();
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    } else {
        // OWASP's recommended argon2id settings (m=19 MiB, t=2, p=1), ~25 ms in release.
        Argon2::default()
    }
}

/// Hashes a password off the async threads (argon2 is deliberately slow).
pub async fn hash_password(password: &str, fast: bool) -> anyhow::Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        hasher(fast)
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hash password: {e}"))
    })
    .await
    .context("join password hashing")?
}

/// Checks a password against a stored hash. A malformed hash counts as a mismatch.
pub async fn verify_password(password: &str, hash: &str) -> anyhow::Result<bool> {
    let password = password.to_owned();
    let hash = hash.to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok()
    })
    .await
    .context("join password verification")
}

/// A hash of a password nobody knows, verified against when the e-mail is unknown so that the
/// answer takes as long as for a real account (no account enumeration by timing).
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3G6xv4lRl2LJ8N0jXb2cZK9a2Q2qQ7bD8QbTn8jPp8k";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hex() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, random_token());
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery", true).await.expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash).await.expect("verify"));
        assert!(!verify_password("wrong horse battery", &hash).await.expect("verify"));
        assert!(!verify_password("anything", "not a hash").await.expect("verify"));
    }
}
