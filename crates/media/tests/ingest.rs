//! Sniffing, limits, image sanitizing and file names, on real bytes.

use std::io::Cursor;

use chorus_media::{
    Limits, MAX_FILENAME_CHARS, MediaClass, MediaError, THUMBNAIL_MAX_SIDE, ingest, safe_filename, sniff,
};
use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{
    AnimationDecoder, DynamicImage, Frame, GenericImageView, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage,
};
use sha2::{Digest, Sha256};

type TestResult = Result<(), Box<dyn std::error::Error>>;

// ---------------------------------------------------------------------------------------------------------
// Fixtures: real files, made with the image crate or by hand.

/// Left half red, right half blue.
fn halves(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, _| if x < width / 2 { Rgb([255, 0, 0]) } else { Rgb([0, 0, 255]) })
}

fn jpeg_of(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90).encode_image(image).expect("encode JPEG fixture");
    out
}

fn png_of(image: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_with_encoder(PngEncoder::new(&mut out)).expect("encode PNG fixture");
    out
}

fn webp_of(image: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_with_encoder(WebPEncoder::new_lossless(&mut out)).expect("encode WebP fixture");
    out
}

/// An animated GIF: `frames` frames of 8×8, each a different colour, looping forever.
fn animated_gif(frames: u8) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        encoder.set_repeat(Repeat::Infinite).expect("set repeat");
        for i in 0..frames {
            let image = RgbaImage::from_pixel(8, 8, Rgba([i.wrapping_mul(60), 100, 200, 255]));
            encoder.encode_frame(Frame::new(image)).expect("encode GIF frame");
        }
    }
    out
}

fn tiny_png() -> Vec<u8> {
    png_of(&DynamicImage::from(halves(4, 2)))
}

fn mp4() -> Vec<u8> {
    let mut f = vec![0, 0, 0, 0x18];
    f.extend_from_slice(b"ftypisom");
    f.extend_from_slice(&[0, 0, 2, 0]);
    f.extend_from_slice(b"isommp41");
    f.extend_from_slice(&[0, 0, 0, 8]);
    f.extend_from_slice(b"mdat");
    f
}

fn mov() -> Vec<u8> {
    let mut f = vec![0, 0, 0, 0x14];
    f.extend_from_slice(b"ftypqt  ");
    f.extend_from_slice(&[0, 0, 2, 0]);
    f.extend_from_slice(b"qt  ");
    f.extend_from_slice(&[0, 0, 0, 8]);
    f.extend_from_slice(b"moov");
    f
}

fn m4a() -> Vec<u8> {
    let mut f = vec![0, 0, 0, 0x1C];
    f.extend_from_slice(b"ftypM4A ");
    f.extend_from_slice(&[0, 0, 0, 0]);
    f.extend_from_slice(b"M4A mp42isom");
    f.extend_from_slice(&[0, 0, 0, 8]);
    f.extend_from_slice(b"mdat");
    f
}

/// EBML header with DocType "webm", an unknown-size Segment and a Void element padding past 256 bytes.
fn webm() -> Vec<u8> {
    let mut f = vec![0x1A, 0x45, 0xDF, 0xA3, 0x9F];
    f.extend_from_slice(&[0x42, 0x86, 0x81, 0x01, 0x42, 0xF7, 0x81, 0x01, 0x42, 0xF2, 0x81, 0x04]);
    f.extend_from_slice(&[0x42, 0xF3, 0x81, 0x08, 0x42, 0x82, 0x84]);
    f.extend_from_slice(b"webm");
    f.extend_from_slice(&[0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02]);
    f.extend_from_slice(&[0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    f.extend_from_slice(&[0xEC, 0x40, 0xFA]);
    f.extend_from_slice(&[0; 250]);
    f
}

/// ID3v2 tag header followed by one MPEG-1 Layer III frame header and silence.
fn mp3_with_id3() -> Vec<u8> {
    let mut f = b"ID3".to_vec();
    f.extend_from_slice(&[4, 0, 0, 0, 0, 0, 0]);
    f.extend_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
    f.extend_from_slice(&[0; 413]);
    f
}

fn mp3_bare_frame() -> Vec<u8> {
    let mut f = vec![0xFF, 0xFB, 0x90, 0x64];
    f.extend_from_slice(&[0; 413]);
    f
}

/// One Ogg page (27-byte header + 1-entry segment table) carrying the start of a codec header.
fn ogg_page(packet: &[u8]) -> Vec<u8> {
    let mut f = b"OggS".to_vec();
    f.extend_from_slice(&[0, 2]);
    f.extend_from_slice(&[0; 8]); // granule position
    f.extend_from_slice(&[1, 0, 0, 0]); // serial
    f.extend_from_slice(&[0; 4]); // sequence
    f.extend_from_slice(&[0; 4]); // CRC (not checked by sniffing)
    f.push(1);
    f.push(u8::try_from(packet.len()).expect("short packet"));
    f.extend_from_slice(packet);
    f
}

fn ogg_vorbis() -> Vec<u8> {
    let mut packet = b"\x01vorbis".to_vec();
    packet.extend_from_slice(&[0; 23]);
    ogg_page(&packet)
}

fn ogg_opus() -> Vec<u8> {
    let mut packet = b"OpusHead".to_vec();
    packet.extend_from_slice(&[1, 1, 0x38, 1, 0x80, 0xBB, 0, 0, 0, 0, 0]);
    ogg_page(&packet)
}

fn wav() -> Vec<u8> {
    let mut f = b"RIFF".to_vec();
    f.extend_from_slice(&36u32.to_le_bytes());
    f.extend_from_slice(b"WAVEfmt ");
    f.extend_from_slice(&16u32.to_le_bytes());
    f.extend_from_slice(&[1, 0, 1, 0]); // PCM, mono
    f.extend_from_slice(&8000u32.to_le_bytes());
    f.extend_from_slice(&16000u32.to_le_bytes());
    f.extend_from_slice(&[2, 0, 16, 0]);
    f.extend_from_slice(b"data");
    f.extend_from_slice(&0u32.to_le_bytes());
    f
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec()
}

// ---------------------------------------------------------------------------------------------------------
// Sniffing

#[test]
fn sniff_accepts_each_allowed_type_by_content() {
    let image = DynamicImage::from(halves(8, 8));
    let cases: Vec<(&str, Vec<u8>, &str, MediaClass, &str)> = vec![
        ("jpeg", jpeg_of(&halves(8, 8)), "image/jpeg", MediaClass::Image, "jpg"),
        ("png", png_of(&image), "image/png", MediaClass::Image, "png"),
        ("gif", animated_gif(1), "image/gif", MediaClass::Image, "gif"),
        ("webp", webp_of(&image), "image/webp", MediaClass::Image, "webp"),
        ("mp4", mp4(), "video/mp4", MediaClass::Video, "mp4"),
        ("mov", mov(), "video/quicktime", MediaClass::Video, "mov"),
        ("webm", webm(), "video/webm", MediaClass::Video, "webm"),
        ("mp3 with ID3", mp3_with_id3(), "audio/mpeg", MediaClass::Audio, "mp3"),
        ("mp3 frame", mp3_bare_frame(), "audio/mpeg", MediaClass::Audio, "mp3"),
        ("m4a", m4a(), "audio/mp4", MediaClass::Audio, "m4a"),
        ("ogg vorbis", ogg_vorbis(), "audio/ogg", MediaClass::Audio, "ogg"),
        ("ogg opus", ogg_opus(), "audio/ogg", MediaClass::Audio, "ogg"),
        ("wav", wav(), "audio/wav", MediaClass::Audio, "wav"),
        ("pdf", pdf(), "application/pdf", MediaClass::Pdf, "pdf"),
    ];
    for (name, bytes, mime, class, extension) in cases {
        let found = sniff(&bytes).unwrap_or_else(|| panic!("{name} was not recognised"));
        assert_eq!((found.mime, found.class, found.extension), (mime, class, extension), "{name}");
    }
}

#[test]
fn sniff_refuses_everything_else() {
    let mut html_with_pdf_magic = b"<html><!-- ".to_vec();
    html_with_pdf_magic.extend_from_slice(b"%PDF-1.4 -->\n<script>alert(1)</script></html>");
    let mut heic = vec![0, 0, 0, 0x18];
    heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("html", b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>".to_vec()),
        ("html with %PDF in a comment", html_with_pdf_magic),
        ("svg", br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec()),
        ("bare svg", br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#.to_vec()),
        ("windows exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xFF\xFF\x00\x00".to_vec()),
        ("elf", b"\x7FELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec()),
        ("zip", b"PK\x03\x04\x14\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec()),
        ("heic", heic),
        ("plain text", b"just some words, nothing more".to_vec()),
        ("one byte", vec![0xFF]),
    ];
    for (name, bytes) in cases {
        assert_eq!(sniff(&bytes), None, "{name} must be refused");
        assert!(matches!(ingest(bytes, &Limits::default()), Err(MediaError::UnsupportedType)), "{name}");
    }
}

#[test]
fn html_named_photo_jpg_is_refused() {
    // The API has no name parameter at all: what a client calls the file cannot change the verdict.
    let upload_named_photo_jpg = b"<html><body><img src=x onerror=alert(1)></body></html>".to_vec();
    let err = ingest(upload_named_photo_jpg, &Limits::default()).expect_err("HTML must be refused");
    assert!(matches!(err, MediaError::UnsupportedType));
    assert_eq!(err.http_status(), 415);
    assert!(err.to_string().contains("JPEG, PNG, GIF or WebP"), "message lists what is accepted: {err}");
}

#[test]
fn png_is_png_whatever_it_is_called() -> TestResult {
    let bytes = tiny_png();
    let found = sniff(&bytes).ok_or("PNG not recognised")?;
    assert_eq!(found.mime, "image/png");
    let ingested = ingest(bytes, &Limits::default())?;
    assert_eq!((ingested.mime, ingested.extension, ingested.class), ("image/png", "png", MediaClass::Image));
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// Sizes

#[test]
fn zero_bytes_is_empty() {
    let err = ingest(Vec::new(), &Limits::default()).expect_err("empty must be refused");
    assert!(matches!(err, MediaError::Empty));
    assert_eq!(err.to_string(), "The file is empty.");
}

#[test]
fn one_byte_over_the_limit_is_too_large() -> TestResult {
    let png = tiny_png();
    let len = u64::try_from(png.len())?;
    let at_limit = Limits { image: len, ..Limits::default() };
    ingest(png.clone(), &at_limit)?;

    let below = Limits { image: len - 1, ..Limits::default() };
    match ingest(png, &below) {
        Err(MediaError::TooLarge { class: Some(MediaClass::Image), limit }) => assert_eq!(limit, len - 1),
        other => panic!("expected TooLarge for an image, got {other:?}"),
    }

    // Each kind has its own limit: a tiny image limit does not touch PDFs, the PDF limit does.
    let pdf = pdf();
    let pdf_len = u64::try_from(pdf.len())?;
    let tight = Limits { image: 1, video: 1, audio: 1, pdf: pdf_len };
    assert!(ingest(pdf.clone(), &tight).is_ok());
    let err = ingest(pdf, &Limits { pdf: pdf_len - 1, ..tight }).expect_err("PDF over its limit");
    assert!(
        matches!(err, MediaError::TooLarge { class: Some(MediaClass::Pdf), limit } if limit == pdf_len - 1)
    );
    assert_eq!(err.http_status(), 413);
    Ok(())
}

#[test]
fn default_limits_and_message() {
    let limits = Limits::default();
    assert_eq!(limits.image, 25 * 1024 * 1024);
    assert_eq!(limits.video, 500 * 1024 * 1024);
    assert_eq!(limits.audio, 200 * 1024 * 1024);
    assert_eq!(limits.pdf, 50 * 1024 * 1024);
    assert_eq!(limits.max(), limits.video);
    let err = MediaError::TooLarge { class: Some(MediaClass::Image), limit: limits.image };
    assert_eq!(err.to_string(), "Photos may be at most 25 MiB.");
}

// ---------------------------------------------------------------------------------------------------------
// Images: metadata removed, orientation applied, thumbnails

/// A little-endian TIFF: IFD0 with Orientation = 6 and a GPS IFD (N 48° 51′ 24″, E, processing method "GPS").
fn exif_tiff() -> Vec<u8> {
    let mut t = b"II\x2A\x00".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes());
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&kind.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&value);
    };
    // IFD0 at 8: 2 entries, ends at 8 + 2 + 24 + 4 = 38.
    t.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut t, 0x0112, 3, 1, [6, 0, 0, 0]);
    entry(&mut t, 0x8825, 4, 1, 38u32.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    // GPS IFD at 38: 4 entries, ends at 38 + 2 + 48 + 4 = 92; latitude at 92 (24 bytes), method at 116.
    t.extend_from_slice(&4u16.to_le_bytes());
    entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut t, 0x0002, 5, 3, 92u32.to_le_bytes());
    entry(&mut t, 0x0003, 2, 2, *b"E\0\0\0");
    entry(&mut t, 0x001B, 7, 11, 116u32.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(t.len(), 92);
    for (num, den) in [(48u32, 1u32), (51, 1), (2400, 100)] {
        t.extend_from_slice(&num.to_le_bytes());
        t.extend_from_slice(&den.to_le_bytes());
    }
    t.extend_from_slice(b"ASCII\0\0\0GPS");
    t
}

fn jpeg_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len() + 2).expect("segment fits");
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&len.to_be_bytes());
    s.extend_from_slice(payload);
    s
}

/// SOI, APP1 Exif (orientation 6 + GPS), APP1 XMP, COM, then the rest of a real JPEG of `image`.
fn jpeg_with_metadata(image: &RgbImage) -> Vec<u8> {
    let plain = jpeg_of(image);
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend_from_slice(&exif_tiff());
    let xmp =
        b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>48,51.4N</exif:GPSLatitude></x:xmpmeta>";
    let mut out = vec![0xFF, 0xD8];
    out.extend_from_slice(&jpeg_segment(0xE1, &exif));
    out.extend_from_slice(&jpeg_segment(0xE1, xmp));
    out.extend_from_slice(&jpeg_segment(0xFE, b"Shot at home, 12 Rue Example"));
    out.extend_from_slice(&plain[2..]);
    out
}

/// The markers of a JPEG's header segments, from SOI up to and including SOS.
fn jpeg_markers(jpeg: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "starts with SOI");
    let mut markers = Vec::new();
    let mut pos = 2;
    while pos + 4 <= jpeg.len() {
        assert_eq!(jpeg[pos], 0xFF, "marker expected at {pos}");
        let marker = jpeg[pos + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        let len = usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
        pos += 2 + len;
    }
    markers
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn assert_close(actual: Rgb<u8>, expected: [u8; 3], what: &str) {
    let near = actual.0.iter().zip(expected).all(|(&a, e)| a.abs_diff(e) < 40);
    assert!(near, "{what}: expected about {expected:?}, got {:?}", actual.0);
}

#[test]
fn jpeg_loses_exif_gps_xmp_and_comments_and_is_turned_upright() -> TestResult {
    let upload = jpeg_with_metadata(&halves(640, 320));
    // The fixture really carries what must go.
    assert!(
        contains(&upload, b"Exif\0\0") && contains(&upload, b"GPS") && contains(&upload, b"Shot at home")
    );

    let ingested = ingest(upload, &Limits::default())?;
    assert_eq!((ingested.mime, ingested.extension), ("image/jpeg", "jpg"));
    let out = &ingested.bytes;
    for needle in [&b"Exif"[..], b"GPS", b"http://ns.adobe.com", b"xmpmeta", b"Shot at home", b"Rue Example"]
    {
        assert!(!contains(out, needle), "{:?} survived", String::from_utf8_lossy(needle));
    }
    let markers = jpeg_markers(out);
    let app_or_comment: Vec<u8> =
        markers.iter().copied().filter(|m| (0xE1..=0xEF).contains(m) || *m == 0xFE).collect();
    assert!(app_or_comment.is_empty(), "only APP0/JFIF may remain, found markers {app_or_comment:02X?}");

    // Orientation 6 (rotate 90° clockwise): 640×320 becomes 320×640 and the left (red) half is on top.
    assert_eq!((ingested.width, ingested.height), (Some(320), Some(640)));
    let decoded = image::load_from_memory_with_format(out, ImageFormat::Jpeg)?.to_rgb8();
    assert_eq!(decoded.dimensions(), (320, 640));
    assert_close(*decoded.get_pixel(160, 100), [255, 0, 0], "top is red");
    assert_close(*decoded.get_pixel(160, 540), [0, 0, 255], "bottom is blue");

    let thumb = ingested.thumbnail.ok_or("no thumbnail")?;
    assert_eq!((thumb.mime, thumb.extension), ("image/jpeg", "jpg"));
    assert!(thumb.width.max(thumb.height) <= THUMBNAIL_MAX_SIDE);
    assert_eq!((thumb.width, thumb.height), (240, 480), "thumbnail keeps the upright aspect");
    let small = image::load_from_memory_with_format(&thumb.bytes, ImageFormat::Jpeg)?;
    assert_eq!(small.dimensions(), (240, 480));
    assert!(!contains(&thumb.bytes, b"Exif") && !contains(&thumb.bytes, b"GPS"));

    assert_eq!(ingested.sha256, format!("{:x}", Sha256::digest(out)), "sha256 is of the stored bytes");
    Ok(())
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = u32::try_from(data.len()).expect("chunk fits").to_be_bytes().to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    c.extend_from_slice(&crc.finalize().to_be_bytes());
    c
}

/// The chunk types of a PNG, in order.
fn png_chunk_types(png: &[u8]) -> Vec<String> {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let mut types = Vec::new();
    let mut pos = 8;
    while pos + 8 <= png.len() {
        let len = usize::try_from(u32::from_be_bytes([png[pos], png[pos + 1], png[pos + 2], png[pos + 3]]))
            .expect("length fits");
        types.push(String::from_utf8_lossy(&png[pos + 4..pos + 8]).into_owned());
        pos += 12 + len;
    }
    types
}

/// A real PNG with eXIf (orientation 6 + GPS), tEXt and iTXt chunks put in right after IHDR.
fn png_with_metadata(image: &DynamicImage) -> Vec<u8> {
    let plain = png_of(image);
    let after_ihdr = 8 + 12 + 13;
    let mut out = plain[..after_ihdr].to_vec();
    out.extend_from_slice(&png_chunk(b"eXIf", &exif_tiff()));
    out.extend_from_slice(&png_chunk(b"tEXt", b"Comment\0Taken at home, GPS 48.8566 2.3522"));
    out.extend_from_slice(&png_chunk(
        b"iTXt",
        b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta>GPSLatitude</x:xmpmeta>",
    ));
    out.extend_from_slice(&plain[after_ihdr..]);
    out
}

#[test]
fn png_loses_exif_and_text_chunks() -> TestResult {
    let upload = png_with_metadata(&DynamicImage::from(halves(64, 32)));
    let before = png_chunk_types(&upload);
    assert!(["eXIf", "tEXt", "iTXt"].iter().all(|t| before.iter().any(|b| b == t)), "fixture: {before:?}");

    let ingested = ingest(upload, &Limits::default())?;
    assert_eq!((ingested.mime, ingested.extension), ("image/png", "png"));
    let after = png_chunk_types(&ingested.bytes);
    let unexpected: Vec<&String> =
        after.iter().filter(|t| !["IHDR", "PLTE", "tRNS", "IDAT", "IEND"].contains(&t.as_str())).collect();
    assert!(unexpected.is_empty(), "metadata chunks survived: {unexpected:?} in {after:?}");
    for needle in [&b"GPS"[..], b"Taken at home", b"xmpmeta", b"II\x2A\x00"] {
        assert!(!contains(&ingested.bytes, needle), "{:?} survived", String::from_utf8_lossy(needle));
    }
    // The eXIf orientation was honoured before it was dropped: lossless, so the pixels are exact.
    assert_eq!((ingested.width, ingested.height), (Some(32), Some(64)));
    let decoded = image::load_from_memory_with_format(&ingested.bytes, ImageFormat::Png)?.to_rgb8();
    assert_eq!(*decoded.get_pixel(16, 5), Rgb([255, 0, 0]), "top is red");
    assert_eq!(*decoded.get_pixel(16, 60), Rgb([0, 0, 255]), "bottom is blue");
    Ok(())
}

#[test]
fn small_images_keep_their_size_in_the_thumbnail() -> TestResult {
    let ingested = ingest(jpeg_of(&halves(100, 60)), &Limits::default())?;
    let thumb = ingested.thumbnail.ok_or("no thumbnail")?;
    assert_eq!((thumb.width, thumb.height), (100, 60), "never upscaled");
    Ok(())
}

#[test]
fn large_landscape_thumbnail_is_480_wide() -> TestResult {
    let ingested = ingest(jpeg_of(&halves(1200, 800)), &Limits::default())?;
    assert_eq!((ingested.width, ingested.height), (Some(1200), Some(800)));
    let thumb = ingested.thumbnail.ok_or("no thumbnail")?;
    assert_eq!((thumb.width, thumb.height), (480, 320));
    Ok(())
}

#[test]
fn transparent_images_get_png_thumbnails_and_webp_becomes_png_or_jpeg() -> TestResult {
    let mut with_hole = RgbaImage::from_pixel(600, 300, Rgba([10, 200, 10, 255]));
    with_hole.put_pixel(5, 5, Rgba([0, 0, 0, 0]));
    let ingested = ingest(webp_of(&DynamicImage::from(with_hole)), &Limits::default())?;
    assert_eq!((ingested.mime, ingested.extension), ("image/png", "png"), "transparent WebP → PNG");
    let thumb = ingested.thumbnail.ok_or("no thumbnail")?;
    assert_eq!((thumb.mime, thumb.width, thumb.height), ("image/png", 480, 240));
    let decoded = image::load_from_memory_with_format(&ingested.bytes, ImageFormat::Png)?.to_rgba8();
    assert_eq!(decoded.get_pixel(5, 5)[3], 0, "transparency kept");

    let opaque = RgbaImage::from_pixel(40, 30, Rgba([10, 200, 10, 255]));
    let ingested = ingest(webp_of(&DynamicImage::from(opaque)), &Limits::default())?;
    assert_eq!((ingested.mime, ingested.extension), ("image/jpeg", "jpg"), "opaque WebP → JPEG");
    assert_eq!(ingested.thumbnail.ok_or("no thumbnail")?.mime, "image/jpeg");
    Ok(())
}

/// Puts a comment, an XMP application extension and trailing bytes into a GIF.
fn gif_with_metadata(gif: &[u8]) -> Vec<u8> {
    let packed = gif[10];
    let table = if packed & 0x80 == 0 { 0 } else { 3usize << ((packed & 0x07) + 1) };
    let split = 13 + table;
    let mut out = gif[..split].to_vec();
    out.extend_from_slice(&[0x21, 0xFE, 27]);
    out.extend_from_slice(b"taken at home, GPS 48.8566N");
    out.push(0);
    out.extend_from_slice(&[0x21, 0xFF, 11]);
    out.extend_from_slice(b"XMP DataXMP");
    out.push(32);
    out.extend_from_slice(b"<x:xmpmeta>GPSLatitude</x:xmpme");
    out.push(b'>');
    out.push(0);
    out.extend_from_slice(&gif[split..]);
    out.extend_from_slice(b"appended after the trailer");
    out
}

#[test]
fn animated_gif_stays_animated_without_metadata() -> TestResult {
    let upload = gif_with_metadata(&animated_gif(3));
    // The fixture still decodes, metadata and all.
    assert_eq!(GifDecoder::new(Cursor::new(&upload))?.into_frames().count(), 3);

    let ingested = ingest(upload, &Limits::default())?;
    assert_eq!((ingested.mime, ingested.extension), ("image/gif", "gif"));
    for needle in [&b"taken at home"[..], b"GPS", b"XMP DataXMP", b"xmpmeta", b"appended"] {
        assert!(!contains(&ingested.bytes, needle), "{:?} survived", String::from_utf8_lossy(needle));
    }
    assert!(contains(&ingested.bytes, b"NETSCAPE2.0"), "the loop is kept");
    let frames = GifDecoder::new(Cursor::new(&ingested.bytes))?.into_frames().collect_frames()?;
    assert_eq!(frames.len(), 3, "every frame is kept");
    assert_eq!((ingested.width, ingested.height), (Some(8), Some(8)));
    assert_eq!(ingested.thumbnail.ok_or("no thumbnail")?.width, 8);
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// Hostile and broken images

/// PNG signature + IHDR claiming `width`×`height`, a tiny IDAT and IEND.
fn png_header_only(width: u32, height: u32, bit_depth: u8, color_type: u8) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[bit_depth, color_type, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&png_chunk(b"IHDR", &ihdr));
    out.extend_from_slice(&png_chunk(b"IDAT", &[0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]));
    out.extend_from_slice(&png_chunk(b"IEND", &[]));
    out
}

#[test]
fn decompression_bombs_are_refused_before_decoding() {
    // 50,000 × 50,000 RGB: 7.5 GB of pixels from a 70-byte file.
    let err = ingest(png_header_only(50_000, 50_000, 8, 2), &Limits::default()).expect_err("bomb");
    assert!(matches!(err, MediaError::TooManyPixels), "got {err:?}");
    assert!(err.to_string().contains("12,000"), "{err}");

    // Within the side limit but 16-bit RGBA: 968 MB, over the memory budget.
    let err = ingest(png_header_only(11_000, 11_000, 16, 6), &Limits::default()).expect_err("bomb");
    assert!(matches!(err, MediaError::TooManyPixels), "got {err:?}");

    // One side over the limit.
    let err = ingest(png_header_only(12_001, 10, 8, 2), &Limits::default()).expect_err("too wide");
    assert!(matches!(err, MediaError::TooManyPixels), "got {err:?}");

    // A JPEG whose frame header claims 50,000 × 50,000.
    let mut jpeg = jpeg_of(&halves(16, 16));
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).expect("baseline SOF0");
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xC3, 0x50, 0xC3, 0x50]);
    let err = ingest(jpeg, &Limits::default()).expect_err("JPEG bomb");
    assert!(matches!(err, MediaError::TooManyPixels), "got {err:?}");

    // A GIF whose logical screen is 50,000 × 50,000.
    let mut gif = animated_gif(1);
    gif[6..10].copy_from_slice(&[0x50, 0xC3, 0x50, 0xC3]);
    let err = ingest(gif, &Limits::default()).expect_err("GIF bomb");
    assert!(matches!(err, MediaError::TooManyPixels), "got {err:?}");
}

#[test]
fn broken_images_are_corrupt_not_panics() {
    let mut garbage_jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    garbage_jpeg.extend_from_slice(&[0x42; 200]);
    let png = tiny_png();
    let truncated_png = png[..png.len() / 2].to_vec();
    let mut bad_crc_png = png.clone();
    bad_crc_png[29] ^= 0xFF; // inside the IHDR CRC
    let cases = [
        ("garbage after a JPEG header", garbage_jpeg),
        ("truncated PNG", truncated_png),
        ("PNG with a bad IHDR CRC", bad_crc_png),
        ("GIF header only", b"GIF89a\x01\x00\x01\x00\x00\x00\x00".to_vec()),
        ("WebP magic without a RIFF", b"XXXXXXXXWEBPVP8 \x00\x00\x00\x00".to_vec()),
        ("PNG of 0 × 0", png_header_only(0, 0, 8, 2)),
    ];
    for (name, bytes) in cases {
        match ingest(bytes, &Limits::default()) {
            Err(MediaError::CorruptImage(detail)) => assert!(!detail.is_empty(), "{name}"),
            other => panic!("{name}: expected CorruptImage, got {other:?}"),
        }
    }
}

#[test]
fn other_kinds_are_stored_as_uploaded() -> TestResult {
    for bytes in [pdf(), mp4(), webm(), wav()] {
        let ingested = ingest(bytes.clone(), &Limits::default())?;
        assert_eq!(ingested.bytes, bytes, "{} unchanged", ingested.mime);
        assert_eq!((ingested.width, ingested.height), (None, None));
        assert!(ingested.thumbnail.is_none());
        assert_eq!(ingested.sha256, format!("{:x}", Sha256::digest(&bytes)));
        assert_eq!(ingested.sha256.len(), 64);
    }
    Ok(())
}

#[test]
fn ingest_is_deterministic() -> TestResult {
    let upload = jpeg_with_metadata(&halves(64, 64));
    let first = ingest(upload.clone(), &Limits::default())?;
    let second = ingest(upload, &Limits::default())?;
    assert_eq!(first.sha256, second.sha256, "same upload, same stored bytes (deduplication works)");
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// File names

#[test]
fn safe_filename_cases() {
    let cases = [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\evil.dll", "evil.dll"),
        ("C:\\Users\\ana\\Pictures\\team photo.jpg", "team photo.jpg"),
        ("a\u{0}b\nc.jpg", "abc.jpg"),
        ("\u{202E}gpj.exe", "gpj.exe"),
        ("invoice\u{2066}\u{202E}fdp.exe\u{2069}", "invoicefdp.exe"),
        ("\u{200F}\u{FEFF}report.pdf", "report.pdf"),
        ("", "file"),
        ("....", "file"),
        ("../..", "file"),
        ("/", "file"),
        ("  \t ", "file"),
        (".htaccess", "htaccess"),
        ("  . .bashrc  ", "bashrc"),
        ("photos/", "photos"),
        ("passwd/..", "passwd"),
        ("Café déjà vu.png", "Café déjà vu.png"),
        ("\u{7F}\u{9B}x.gif", "x.gif"),
    ];
    for (input, expected) in cases {
        assert_eq!(safe_filename(input), expected, "safe_filename({input:?})");
    }
}

#[test]
fn safe_filename_caps_long_names_on_char_boundaries() {
    let long = format!("{}.jpeg", "é".repeat(300));
    let out = safe_filename(&long);
    assert_eq!(out.chars().count(), MAX_FILENAME_CHARS);
    assert!(out.ends_with(".jpeg"), "the extension survives shortening: {out}");
    assert!(out.starts_with("ééé"));

    let no_extension = "🙂".repeat(500);
    let out = safe_filename(&no_extension);
    assert_eq!(out.chars().count(), MAX_FILENAME_CHARS);
    assert!(out.chars().all(|c| c == '🙂'));

    let exactly = "a".repeat(MAX_FILENAME_CHARS);
    assert_eq!(safe_filename(&exactly), exactly);
}
