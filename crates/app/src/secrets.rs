//! Secrets at rest: network credentials are sealed with XChaCha20-Poly1305 (an AEAD) under a key
//! that lives outside the database, with a random 24-byte nonce per value and the row they
//! belong to as associated data (a sealed value copied onto another channel does not open).
//!
//! Keys form a keyring: the first key seals, every key opens, so a key can be rotated without
//! downtime (add a new first key, re-seal every value, drop the old key). The keyring comes from
//! `CHORUS_SECRET_KEYS` or, for the embedded default, from `secret-keys` in the data folder,
//! created on first start with mode 0600.
//!
//! Sealed layout: `1` (format) | key id (4 bytes) | nonce (24 bytes) | ciphertext and tag.

use std::{fmt, path::Path};

use anyhow::Context as _;
use base64::{Engine as _, engine::general_purpose::STANDARD};
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, Generate, Key, KeyInit, Payload},
};

const FORMAT: u8 = 1;
const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 24;

#[derive(Clone)]
struct SecretKey {
    id: [u8; KEY_ID_LEN],
    cipher: XChaCha20Poly1305,
    encoded: String,
}

impl SecretKey {
    fn generate() -> Self {
        let key = Key::<XChaCha20Poly1305>::generate();
        let mut id = [0u8; KEY_ID_LEN];
        getrandom::fill(&mut id).expect("the operating system's random source");
        Self { id, cipher: XChaCha20Poly1305::new(&key), encoded: STANDARD.encode(key.as_slice()) }
    }

    /// `<8 hex digits>:<base64 of 32 bytes>`.
    fn parse(line: &str) -> anyhow::Result<Self> {
        let (id_hex, b64) = line.trim().split_once(':').context("a key is written as ID:BASE64")?;
        anyhow::ensure!(id_hex.len() == KEY_ID_LEN * 2, "a key id is {} hex digits", KEY_ID_LEN * 2);
        let mut id = [0u8; KEY_ID_LEN];
        for (i, byte) in id.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&id_hex[i * 2..i * 2 + 2], 16).context("a key id is hexadecimal")?;
        }
        let raw = STANDARD.decode(b64.trim()).context("a key is base64")?;
        let key = Key::<XChaCha20Poly1305>::try_from(raw.as_slice())
            .map_err(|_| anyhow::anyhow!("a key is 32 bytes"))?;
        Ok(Self { id, cipher: XChaCha20Poly1305::new(&key), encoded: b64.trim().to_owned() })
    }

    fn line(&self) -> String {
        let id: String = self.id.iter().map(|b| format!("{b:02x}")).collect();
        format!("{id}:{}", self.encoded)
    }
}

/// The keys that seal and open secrets. Never printed: `Debug` shows key ids only.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<SecretKey>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<String> =
            self.keys.iter().map(|k| k.line().split(':').next().unwrap_or("").to_owned()).collect();
        f.debug_struct("Keyring").field("key_ids", &ids).finish()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("sealed with a key this instance does not have (key rotated away?)")]
    UnknownKey,
    #[error("the sealed value is damaged or belongs elsewhere")]
    Damaged,
}

impl Keyring {
    /// A keyring with one fresh key that lives as long as the process: tests and demos.
    pub fn ephemeral() -> Self {
        Self { keys: vec![SecretKey::generate()] }
    }

    /// Reads keys, one per line or separated by commas; the first seals.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let keys = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with('#'))
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(SecretKey::parse)
            .collect::<anyhow::Result<Vec<_>>>()?;
        anyhow::ensure!(!keys.is_empty(), "no secret key given");
        Ok(Self { keys })
    }

    /// Loads `path`, creating it with one new key (mode 0600) if it does not exist.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                Self::parse(&text).with_context(|| format!("read secret keys from {}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // Two processes starting together must end up with one key, never each its own:
                // the new file is linked into place only if none exists yet (atomic), and the
                // loser reads the winner's.
                let ring = Self::ephemeral();
                let tmp = unique_tmp(path);
                write_private(&tmp, ring.text().as_bytes())
                    .with_context(|| format!("write {}", tmp.display()))?;
                let linked = std::fs::hard_link(&tmp, path);
                let _ = std::fs::remove_file(&tmp);
                match linked {
                    Ok(()) => Ok(ring),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::parse(
                        &std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?,
                    ),
                    Err(e) => Err(e).with_context(|| format!("create {}", path.display())),
                }
            }
            Err(e) => Err(e).with_context(|| format!("read {}", path.display())),
        }
    }

    /// Writes the keyring atomically (a temporary file renamed over the old one), readable by
    /// the owner only.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let tmp = unique_tmp(path);
        write_private(&tmp, self.text().as_bytes()).with_context(|| format!("write {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("replace {}", path.display()))?;
        Ok(())
    }

    fn text(&self) -> String {
        format!(
            "# Chorus secret keys: the first seals, all open. Keep a copy; without it channel credentials are lost.\n{}\n",
            self.lines().join("\n")
        )
    }

    /// The same keyring with a new first key (the old ones still open).
    pub fn with_new_primary(&self) -> Self {
        let mut keys = vec![SecretKey::generate()];
        keys.extend(self.keys.iter().cloned());
        Self { keys }
    }

    /// Only the sealing key, once everything is re-sealed with it.
    pub fn primary_only(&self) -> Self {
        Self { keys: self.keys[..1].to_vec() }
    }

    /// The keys in their written form (`ID:BASE64`), first the sealing one.
    pub fn lines(&self) -> Vec<String> {
        self.keys.iter().map(SecretKey::line).collect()
    }

    /// Seals `plain` for the place named by `context` (e.g. "channel:<id>:credentials").
    pub fn seal(&self, context: &str, plain: &[u8]) -> Vec<u8> {
        let key = &self.keys[0];
        let nonce = XNonce::generate();
        let sealed = key
            .cipher
            .encrypt(&nonce, Payload { msg: plain, aad: context.as_bytes() })
            .expect("XChaCha20-Poly1305 encryption does not fail for in-memory buffers");
        let mut out = Vec::with_capacity(1 + KEY_ID_LEN + NONCE_LEN + sealed.len());
        out.push(FORMAT);
        out.extend_from_slice(&key.id);
        out.extend_from_slice(nonce.as_slice());
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, SecretError> {
        if sealed.len() < 1 + KEY_ID_LEN + NONCE_LEN || sealed[0] != FORMAT {
            return Err(SecretError::Damaged);
        }
        let id = &sealed[1..=KEY_ID_LEN];
        let key = self.keys.iter().find(|k| k.id == id).ok_or(SecretError::UnknownKey)?;
        let nonce = XNonce::try_from(&sealed[1 + KEY_ID_LEN..1 + KEY_ID_LEN + NONCE_LEN])
            .map_err(|_| SecretError::Damaged)?;
        key.cipher
            .decrypt(&nonce, Payload { msg: &sealed[1 + KEY_ID_LEN + NONCE_LEN..], aad: context.as_bytes() })
            .map_err(|_| SecretError::Damaged)
    }

    /// Keys for signing (HMAC) derived from each key of the ring for one purpose, the sealing
    /// key's first: sign with the first, accept any (rotation keeps old signatures valid until
    /// the old key is dropped).
    pub fn mac_keys(&self, purpose: &str) -> Vec<[u8; 32]> {
        use hmac::{Hmac, Mac as _};
        self.keys
            .iter()
            .map(|k| {
                let raw = STANDARD.decode(&k.encoded).unwrap_or_default();
                let mut mac =
                    Hmac::<sha2::Sha256>::new_from_slice(&raw).expect("HMAC takes a key of any length");
                mac.update(b"chorus/");
                mac.update(purpose.as_bytes());
                mac.finalize().into_bytes().into()
            })
            .collect()
    }

    /// Whether `sealed` is already under the sealing key.
    pub fn is_current(&self, sealed: &[u8]) -> bool {
        sealed.get(1..=KEY_ID_LEN) == Some(&self.keys[0].id[..])
    }
}

/// A temporary name beside `path`, unique per process and call.
fn unique_tmp(path: &Path) -> std::path::PathBuf {
    path.with_extension(format!("new-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()))
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::{io::Write as _, os::unix::fs::OpenOptionsExt as _};
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_in_their_place_and_only_with_the_key() {
        let ring = Keyring::ephemeral();
        let sealed = ring.seal("channel:1:credentials", b"{\"access_token\":\"s3cret\"}");
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"), "not the plain text");
        assert_eq!(
            ring.open("channel:1:credentials", &sealed).expect("open"),
            b"{\"access_token\":\"s3cret\"}"
        );
        assert_eq!(ring.open("channel:2:credentials", &sealed), Err(SecretError::Damaged), "other row");
        assert_eq!(Keyring::ephemeral().open("channel:1:credentials", &sealed), Err(SecretError::UnknownKey));
        let mut flipped = sealed.clone();
        *flipped.last_mut().expect("bytes") ^= 1;
        assert_eq!(ring.open("channel:1:credentials", &flipped), Err(SecretError::Damaged));
        // Two seals of the same value differ (random nonce).
        assert_ne!(ring.seal("c", b"x"), ring.seal("c", b"x"));
    }

    #[test]
    fn rotation_keeps_old_values_readable_until_resealed() {
        let old = Keyring::ephemeral();
        let sealed = old.seal("c", b"token");
        let rotated = old.with_new_primary();
        assert!(!rotated.is_current(&sealed));
        assert_eq!(rotated.open("c", &sealed).expect("old key still opens"), b"token");
        let resealed = rotated.seal("c", &rotated.open("c", &sealed).expect("open"));
        assert!(rotated.is_current(&resealed));
        let only_new = rotated.primary_only();
        assert_eq!(only_new.open("c", &resealed).expect("open"), b"token");
        assert_eq!(only_new.open("c", &sealed), Err(SecretError::UnknownKey));
    }

    #[test]
    fn keyrings_are_saved_privately_and_read_back() {
        let dir = std::env::temp_dir().join(format!("chorus-keys-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("secret-keys");
        let ring = Keyring::load_or_create(&path).expect("create");
        let sealed = ring.seal("c", b"v");
        let again = Keyring::load_or_create(&path).expect("read");
        assert_eq!(again.open("c", &sealed).expect("same key"), b"v");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(!format!("{ring:?}").contains(&ring.keys[0].encoded), "Debug hides keys");
        assert!(Keyring::parse("zz:abc").is_err());
        assert!(Keyring::parse("").is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
