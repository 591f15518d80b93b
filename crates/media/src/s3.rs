//! Objects in an S3 bucket (AWS or any S3-compatible server: Garage, MinIO, s3s, Ceph…), through the
//! `object_store` crate: SigV4 signing, retries, multipart uploads and presigned URLs.

use std::fmt;
use std::net::IpAddr;
use std::path::Path as FsPath;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::signer::{SignedUrlOptions, Signer as _};
use object_store::{
    Attribute, Attributes, ObjectStore as _, ObjectStoreExt as _, PutMultipartOptions, PutOptions,
    PutPayload, WriteMultipart,
};
use tokio::io::AsyncReadExt as _;

use crate::store::{ObjectBody, ObjectKey, ObjectStore, ResponseHeaders, StoreError};

/// Objects up to this size go up in one PUT; larger ones in parts of this size (S3's minimum part
/// is 5 MiB). At most [`PARALLEL_PARTS`] parts are in flight, so an upload holds about
/// `PART_SIZE × (PARALLEL_PARTS + 1)` in memory, whatever the file's size.
pub const PART_SIZE: usize = 8 * 1024 * 1024;
const PARALLEL_PARTS: usize = 2;
const READ_CHUNK: usize = 1024 * 1024;

/// Where and how to reach the bucket. Credentials and region left `None` come from the standard
/// AWS environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`
/// or `AWS_DEFAULT_REGION`, and the instance or container credentials on AWS).
#[derive(Clone, Default)]
pub struct S3Options {
    pub bucket: String,
    /// Key prefix inside the bucket, without leading or trailing `/`; may be empty.
    pub prefix: String,
    /// `https://s3.example.com` for S3-compatible servers; requests are then path-style.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Plain HTTP to the endpoint: refused unless the endpoint is a loopback address (tests).
    pub allow_http: bool,
}

impl fmt::Debug for S3Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Options")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key.as_ref().map(|_| "…"))
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

fn config_error(message: String) -> StoreError {
    StoreError::Backend(message.into())
}

impl S3Options {
    /// Parses `s3://bucket/optional/prefix`.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let rest = url.strip_prefix("s3://").ok_or_else(|| {
            config_error(format!("media URL {url:?}: expected s3://bucket/prefix (or a folder path)"))
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            && !bucket.starts_with(['-', '.'])
            && !bucket.ends_with(['-', '.']);
        if !bucket_ok {
            return Err(config_error(format!(
                "media URL {url:?}: {bucket:?} is not a valid bucket name (3-63 characters: a-z, 0-9, '-', '.')"
            )));
        }
        let prefix = prefix.trim_matches('/');
        if !prefix.is_empty() {
            ObjectKey::parse(prefix)
                .map_err(|e| config_error(format!("media URL {url:?}: the prefix: {e}")))?;
        }
        Ok(S3Options { bucket: bucket.to_owned(), prefix: prefix.to_owned(), ..S3Options::default() })
    }
}

/// An [`ObjectStore`] over one S3 bucket and prefix.
#[derive(Clone)]
pub struct S3Store {
    s3: Arc<AmazonS3>,
    prefix: String,
    name: String,
}

impl fmt::Debug for S3Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

fn backend(e: object_store::Error) -> StoreError {
    StoreError::Backend(Box::new(e))
}

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        url::Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

impl S3Store {
    /// Builds the client. Checks the configuration only; [`S3Store::check`] talks to the server.
    pub fn new(options: S3Options) -> Result<Self, StoreError> {
        // reqwest is built without a default TLS provider; use ring as the rest of the process does.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&options.bucket);
        if let Some(endpoint) = &options.endpoint {
            let parsed = url::Url::parse(endpoint)
                .map_err(|e| config_error(format!("S3 endpoint {endpoint:?} is not a URL: {e}")))?;
            let host =
                parsed.host().ok_or_else(|| config_error(format!("S3 endpoint {endpoint:?} has no host")))?;
            match parsed.scheme() {
                "https" => {}
                "http" if options.allow_http && is_loopback(&host) => {}
                "http" if options.allow_http => {
                    return Err(config_error(format!(
                        "S3 endpoint {endpoint:?}: plain HTTP is only allowed to a loopback address \
                         (127.0.0.1, ::1, localhost); use https"
                    )));
                }
                "http" => {
                    return Err(config_error(format!(
                        "S3 endpoint {endpoint:?} is plain HTTP: use https, or --s3-allow-http for a \
                         loopback test server"
                    )));
                }
                other => {
                    return Err(config_error(format!("S3 endpoint {endpoint:?}: unknown scheme {other:?}")));
                }
            }
            // S3-compatible servers rarely have a wildcard DNS name per bucket: path-style requests.
            builder = builder
                .with_endpoint(endpoint.trim_end_matches('/'))
                .with_virtual_hosted_style_request(false)
                .with_allow_http(options.allow_http);
        }
        let region = options.region.clone().or_else(|| {
            std::env::var("AWS_REGION")
                .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
                .ok()
                .filter(|r| !r.trim().is_empty())
        });
        builder = builder.with_region(region.unwrap_or_else(|| "us-east-1".to_owned()));
        if let Some(id) = &options.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &options.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let s3 = builder.build().map_err(|e| config_error(format!("S3 configuration: {e}")))?;
        let name = if options.prefix.is_empty() {
            format!("s3://{}", options.bucket)
        } else {
            format!("s3://{}/{}", options.bucket, options.prefix)
        };
        Ok(S3Store { s3: Arc::new(s3), prefix: options.prefix, name })
    }

    /// Lists the prefix once: fails with a readable error when the server cannot be reached, the
    /// bucket does not exist or the credentials are refused. Call it at start-up.
    pub async fn check(&self) -> Result<(), StoreError> {
        let prefix = (!self.prefix.is_empty()).then(|| Path::from(self.prefix.as_str()));
        match self.s3.list_with_delimiter(prefix.as_ref()).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let hint = match &e {
                    object_store::Error::NotFound { .. } => "the bucket does not exist",
                    object_store::Error::PermissionDenied { .. }
                    | object_store::Error::Unauthenticated { .. } => {
                        "the credentials were refused (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
                    }
                    _ => {
                        let text = e.to_string();
                        if text.contains("403")
                            || text.contains("SignatureDoesNotMatch")
                            || text.contains("AccessDenied")
                            || text.contains("InvalidAccessKeyId")
                        {
                            "the credentials were refused (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
                        } else {
                            "the server could not be used"
                        }
                    }
                };
                Err(StoreError::Backend(format!("cannot use {}: {hint}: {e}", self.name).into()))
            }
        }
    }

    /// Every key under the prefix (relative to it), sorted: for tools and tests, not for requests.
    pub async fn list_keys(&self) -> Result<Vec<String>, StoreError> {
        let prefix = (!self.prefix.is_empty()).then(|| Path::from(self.prefix.as_str()));
        let metas: Vec<_> = self.s3.list(prefix.as_ref()).try_collect().await.map_err(backend)?;
        let strip = if self.prefix.is_empty() { String::new() } else { format!("{}/", self.prefix) };
        let mut keys: Vec<String> = metas
            .into_iter()
            .map(|m| m.location.as_ref().strip_prefix(&strip).unwrap_or(m.location.as_ref()).to_owned())
            .collect();
        keys.sort();
        Ok(keys)
    }

    fn path(&self, key: &ObjectKey) -> Path {
        if self.prefix.is_empty() {
            Path::from(key.as_str())
        } else {
            Path::from(format!("{}/{}", self.prefix, key.as_str()))
        }
    }
}

fn with_type(content_type: &str) -> Attributes {
    Attributes::from_iter([(Attribute::ContentType, content_type.to_owned())])
}

#[async_trait::async_trait]
impl ObjectStore for S3Store {
    async fn put(&self, key: &ObjectKey, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError> {
        let options = PutOptions { attributes: with_type(content_type), ..PutOptions::default() };
        self.s3.put_opts(&self.path(key), PutPayload::from(bytes), options).await.map_err(backend)?;
        Ok(())
    }

    async fn get(&self, key: &ObjectKey) -> Result<Option<Vec<u8>>, StoreError> {
        match self.s3.get(&self.path(key)).await {
            Ok(result) => Ok(Some(result.bytes().await.map_err(backend)?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError> {
        match self.s3.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(backend(e)),
        }
    }

    async fn exists(&self, key: &ObjectKey) -> Result<bool, StoreError> {
        match self.s3.head(&self.path(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(backend(e)),
        }
    }

    async fn put_file(&self, key: &ObjectKey, source: &FsPath, content_type: &str) -> Result<(), StoreError> {
        let mut file = tokio::fs::File::open(source).await?;
        let size = file.metadata().await?.len();
        let path = self.path(key);
        if size <= PART_SIZE as u64 {
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            file.read_to_end(&mut bytes).await?;
            return self.put(key, bytes, content_type).await;
        }
        let options = PutMultipartOptions { attributes: with_type(content_type), ..Default::default() };
        let upload = self.s3.put_multipart_opts(&path, options).await.map_err(backend)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut buf = vec![0u8; READ_CHUNK];
        let written: Result<(), StoreError> = async {
            loop {
                let n = file.read(&mut buf).await?;
                if n == 0 {
                    return Ok(());
                }
                writer.wait_for_capacity(PARALLEL_PARTS).await.map_err(backend)?;
                writer.write(&buf[..n]);
            }
        }
        .await;
        match written {
            Ok(()) => {
                writer.finish().await.map_err(backend)?;
                Ok(())
            }
            Err(e) => {
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(key = %key, error = %abort, "could not abort a multipart upload");
                }
                Err(e)
            }
        }
    }

    async fn get_stream(&self, key: &ObjectKey) -> Result<Option<ObjectBody>, StoreError> {
        match self.s3.get(&self.path(key)).await {
            Ok(result) => {
                let size = result.meta.size;
                let stream = result.into_stream().map_err(backend).boxed();
                Ok(Some(ObjectBody { size, stream }))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    async fn presign_get(
        &self,
        key: &ObjectKey,
        expires_in: Duration,
        response: &ResponseHeaders,
    ) -> Result<Option<String>, StoreError> {
        let query: Vec<(&str, &str)> = [
            ("response-content-type", response.content_type.as_deref()),
            ("response-content-disposition", response.content_disposition.as_deref()),
            ("response-cache-control", response.cache_control.as_deref()),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect();
        let options = SignedUrlOptions::new().with_query(query);
        let url = self
            .s3
            .signed_url_opts(http::Method::GET, &self.path(key), expires_in, &options)
            .await
            .map_err(backend)?;
        Ok(Some(url.to_string()))
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_urls_parse() {
        let o = S3Options::from_url("s3://chorus-media/prod/eu").expect("valid");
        assert_eq!((o.bucket.as_str(), o.prefix.as_str()), ("chorus-media", "prod/eu"));
        let o = S3Options::from_url("s3://chorus-media").expect("valid");
        assert_eq!((o.bucket.as_str(), o.prefix.as_str()), ("chorus-media", ""));
        let o = S3Options::from_url("s3://chorus-media/").expect("valid");
        assert_eq!(o.prefix, "");
        for bad in
            ["chorus-media", "s3://", "s3://UPPER/x", "s3://ab", "s3://ok-bucket/../x", "s3://ok-bucket/a//b"]
        {
            assert!(S3Options::from_url(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn plain_http_only_to_loopback() {
        let with = |endpoint: &str, allow_http| S3Options {
            bucket: "media".into(),
            endpoint: Some(endpoint.into()),
            allow_http,
            access_key_id: Some("id".into()),
            secret_access_key: Some("secret".into()),
            ..S3Options::default()
        };
        assert!(S3Store::new(with("http://127.0.0.1:8014", true)).is_ok());
        assert!(S3Store::new(with("http://localhost:8014", true)).is_ok());
        let e = S3Store::new(with("http://127.0.0.1:8014", false)).expect_err("http needs the flag");
        assert!(e.to_string().contains("--s3-allow-http"), "{e}");
        let e = S3Store::new(with("http://s3.example.com", true)).expect_err("http only to loopback");
        assert!(e.to_string().contains("loopback"), "{e}");
        assert!(S3Store::new(with("https://s3.example.com", false)).is_ok());
        assert!(S3Store::new(with("not a url", false)).is_err());
    }
}
