//! Uploaded media for Chorus.
//!
//! * [`sniff`] decides the type of an upload from its content (magic bytes) against a short allow-list;
//!   the file name and the declared content type are never consulted.
//! * [`ingest`] checks emptiness and the per-kind size [`Limits`], and makes images safe: decoded with
//!   pixel and memory limits, turned upright by their EXIF orientation, re-encoded so that no EXIF, XMP,
//!   GPS, ICC or text metadata survives, and given a thumbnail. Other kinds are kept byte for byte.
//! * [`safe_filename`] turns an uploaded name into one fit for display and downloads.
//! * [`ObjectStore`] is where the bytes go; [`DiskStore`] keeps them under the data directory and writes
//!   atomically; [`S3Store`] keeps them in an S3 bucket. Large files go in with [`Spool`] (to a
//!   temporary file, with bounded memory) and [`ObjectStore::put_file`]. The `testing` feature exposes [`testing::conformance`], the suite every store must pass.

mod error;
mod filename;
mod gif;
mod ingest;
mod limits;
mod s3;
mod sniff;
mod spool;
mod store;

#[cfg(feature = "testing")]
pub mod testing;

pub use error::MediaError;
pub use filename::{MAX_FILENAME_CHARS, safe_filename};
pub use ingest::{
    Ingested, JPEG_QUALITY, MAX_DECODED_BYTES, MAX_IMAGE_SIDE, THUMBNAIL_MAX_SIDE, Thumbnail, ingest,
};
pub use limits::Limits;
pub use s3::{PART_SIZE, S3Options, S3Store};
pub use sniff::{MediaClass, Sniffed, sniff};
pub use spool::{HEAD_LEN, Spool, Spooled, sweep_stale};
pub use store::{
    ByteStream, DiskStore, MAX_KEY_LEN, MediaVariant, ObjectBody, ObjectKey, ObjectStore, ResponseHeaders,
    StoreError,
};
