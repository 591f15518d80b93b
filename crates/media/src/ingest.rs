use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader};
use sha2::{Digest, Sha256};

use crate::{Limits, MediaClass, MediaError, Sniffed, sniff};

/// Images wider or taller than this are refused with [`MediaError::TooManyPixels`].
pub const MAX_IMAGE_SIDE: u32 = 12_000;
/// The most memory one decoded image may take: 12,000 × 12,000 pixels of 8-bit RGBA.
pub const MAX_DECODED_BYTES: u64 = 12_000 * 12_000 * 4;
/// Longest side of a thumbnail, in pixels.
pub const THUMBNAIL_MAX_SIDE: u32 = 480;
/// Quality of re-encoded JPEGs.
pub const JPEG_QUALITY: u8 = 88;
const THUMBNAIL_JPEG_QUALITY: u8 = 82;

/// A small preview of an image: JPEG, or PNG when the picture has transparent pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub bytes: Vec<u8>,
    pub mime: &'static str,
    pub extension: &'static str,
    pub width: u32,
    pub height: u32,
}

/// An accepted upload, ready to store.
///
/// For images, `mime`, `extension` and `bytes` describe the re-encoded file, which can differ from the
/// upload (a WebP becomes a JPEG or a PNG). `sha256` is the lower-case hex digest of `bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    pub mime: &'static str,
    pub class: MediaClass,
    pub extension: &'static str,
    pub bytes: Vec<u8>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub thumbnail: Option<Thumbnail>,
    pub sha256: String,
}

/// Checks an upload and prepares it for storage. Synchronous and CPU-bound: call it from a blocking
/// thread (`tokio::task::spawn_blocking`).
///
/// In order: empty → [`MediaError::Empty`]; type not on the allow-list → [`MediaError::UnsupportedType`];
/// larger than the limit of its kind → [`MediaError::TooLarge`]; then images are decoded (with pixel and
/// memory limits), turned upright according to their EXIF orientation and re-encoded without any
/// metadata, and get a thumbnail. Videos, audio and PDFs are kept as uploaded.
pub fn ingest(bytes: Vec<u8>, limits: &Limits) -> Result<Ingested, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    let sniffed = sniff(&bytes).ok_or(MediaError::UnsupportedType)?;
    let limit = limits.for_class(sniffed.class);
    if bytes.len() as u64 > limit {
        return Err(MediaError::TooLarge { class: Some(sniffed.class), limit });
    }
    let (sniffed, bytes, width, height, thumbnail) = match sniffed.class {
        MediaClass::Image => {
            let image = catch_unwind(AssertUnwindSafe(|| process_image(&bytes, sniffed)))
                .map_err(|_| MediaError::CorruptImage("the image decoder panicked".to_owned()))??;
            (image.sniffed, image.bytes, Some(image.width), Some(image.height), Some(image.thumbnail))
        }
        MediaClass::Video | MediaClass::Audio | MediaClass::Pdf => (sniffed, bytes, None, None, None),
    };
    let sha256 = hex(&Sha256::digest(&bytes));
    Ok(Ingested {
        mime: sniffed.mime,
        class: sniffed.class,
        extension: sniffed.extension,
        bytes,
        width,
        height,
        thumbnail,
        sha256,
    })
}

struct ProcessedImage {
    sniffed: Sniffed,
    bytes: Vec<u8>,
    width: u32,
    height: u32,
    thumbnail: Thumbnail,
}

const JPEG: Sniffed = Sniffed { mime: "image/jpeg", class: MediaClass::Image, extension: "jpg" };
const PNG: Sniffed = Sniffed { mime: "image/png", class: MediaClass::Image, extension: "png" };

fn process_image(bytes: &[u8], sniffed: Sniffed) -> Result<ProcessedImage, MediaError> {
    let format = match sniffed.extension {
        "jpg" => ImageFormat::Jpeg,
        "png" => ImageFormat::Png,
        "gif" => ImageFormat::Gif,
        "webp" => ImageFormat::WebP,
        _ => return Err(MediaError::UnsupportedType),
    };
    let image = decode(bytes, format)?;
    let thumbnail = thumbnail(&image)?;
    let (width, height) = (image.width(), image.height());
    let (sniffed, bytes) = match format {
        // Kept as an animation: rebuilt block by block without metadata (see `gif.rs`).
        ImageFormat::Gif => {
            let clean = crate::gif::strip_metadata(bytes)
                .map_err(|e| MediaError::CorruptImage(format!("GIF: {}", e.0)))?;
            (sniffed, clean)
        }
        ImageFormat::Png => (PNG, encode_png(&image)?),
        ImageFormat::Jpeg => (JPEG, encode_jpeg(image, JPEG_QUALITY)?),
        // WebP becomes JPEG or PNG: `image` only writes lossless WebP, which would bloat photos, and the
        // networks we publish to all take JPEG and PNG.
        _ if has_transparency(&image) => (PNG, encode_png(&image)?),
        _ => (JPEG, encode_jpeg(image, JPEG_QUALITY)?),
    };
    Ok(ProcessedImage { sniffed, bytes, width, height, thumbnail })
}

fn image_limits() -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    limits
}

fn decode_error(error: ImageError) -> MediaError {
    match error {
        ImageError::Limits(_) => MediaError::TooManyPixels,
        other => MediaError::CorruptImage(other.to_string()),
    }
}

fn encode_error(error: ImageError) -> MediaError {
    MediaError::Io(std::io::Error::other(error))
}

/// Decodes the first frame within the limits and applies the EXIF orientation.
fn decode(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, MediaError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(image_limits());
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(MediaError::CorruptImage("zero width or height".to_owned()));
    }
    // The decoders check the sides; the size of the output buffer is checked here, because
    // `DynamicImage::from_decoder` allocates it without asking the limits.
    if width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(MediaError::TooManyPixels);
    }
    // Broken EXIF must not sink an otherwise good photo: it is dropped anyway.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn thumbnail(image: &DynamicImage) -> Result<Thumbnail, MediaError> {
    let small = if image.width().max(image.height()) > THUMBNAIL_MAX_SIDE {
        image.thumbnail(THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE)
    } else {
        image.clone()
    };
    let (width, height) = (small.width(), small.height());
    let (kind, bytes) = if has_transparency(&small) {
        (PNG, encode_png(&small)?)
    } else {
        (JPEG, encode_jpeg(small, THUMBNAIL_JPEG_QUALITY)?)
    };
    Ok(Thumbnail { bytes, mime: kind.mime, extension: kind.extension, width, height })
}

/// Whether any pixel is not fully opaque (an alpha channel that is all opaque does not count).
fn has_transparency(image: &DynamicImage) -> bool {
    match image {
        DynamicImage::ImageLumaA8(b) => b.pixels().any(|p| p[1] < u8::MAX),
        DynamicImage::ImageRgba8(b) => b.pixels().any(|p| p[3] < u8::MAX),
        DynamicImage::ImageLumaA16(b) => b.pixels().any(|p| p[1] < u16::MAX),
        DynamicImage::ImageRgba16(b) => b.pixels().any(|p| p[3] < u16::MAX),
        DynamicImage::ImageRgba32F(b) => b.pixels().any(|p| p[3] < 1.0),
        other => other.color().has_alpha(),
    }
}

/// PNG from pixels only: the encoder writes IHDR, IDAT and IEND, no text, EXIF or ICC chunks.
fn encode_png(image: &DynamicImage) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    let image = match image {
        // PNG has no float samples.
        DynamicImage::ImageRgb32F(_) | DynamicImage::ImageRgba32F(_) => {
            &DynamicImage::from(image.to_rgba16())
        }
        other => other,
    };
    image.write_with_encoder(PngEncoder::new(&mut out)).map_err(encode_error)?;
    Ok(out)
}

/// Baseline JPEG from pixels only: SOI, JFIF APP0, tables, scan, EOI; no EXIF, XMP or ICC.
fn encode_jpeg(image: DynamicImage, quality: u8) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, quality);
    let result = if image.color().has_color() {
        encoder.encode_image(&image.into_rgb8())
    } else {
        encoder.encode_image(&image.into_luma8())
    };
    result.map_err(encode_error)?;
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0x00, 0xAB, 0x0F, 0xF0]), "00ab0ff0");
    }

    #[test]
    fn opaque_alpha_is_not_transparency() {
        let opaque = DynamicImage::from(image::RgbaImage::from_pixel(3, 3, image::Rgba([1, 2, 3, 255])));
        assert!(!has_transparency(&opaque));
        let mut holey = image::RgbaImage::from_pixel(3, 3, image::Rgba([1, 2, 3, 255]));
        holey.put_pixel(2, 2, image::Rgba([0, 0, 0, 0]));
        assert!(has_transparency(&DynamicImage::from(holey)));
    }
}
