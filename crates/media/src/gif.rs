//! Rewrites a GIF keeping only what draws the picture, so an animation stays animated but carries no
//! metadata.
//!
//! The output is built from an allow-list of blocks, each re-emitted from parsed fields:
//! header (always `GIF89a`), logical screen descriptor, colour tables, graphic control extensions
//! (frame delay, disposal, transparency), the `NETSCAPE2.0`/`ANIMEXTS1.0` loop count, image descriptors
//! with their LZW data, and the trailer. Comment extensions, plain-text extensions, every other
//! application extension (XMP `XMP DataXMP`, ICC `ICCRGBG1`, IPTC `MGK8BIM0000`, ...) and anything
//! after the trailer are dropped.

/// Why a GIF could not be parsed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct GifError(pub(crate) &'static str);

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], GifError> {
        let end =
            self.pos.checked_add(n).filter(|&end| end <= self.bytes.len()).ok_or(GifError("truncated"))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, GifError> {
        Ok(self.take(1)?[0])
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// Reads data sub-blocks up to and including the zero-length terminator.
    fn sub_blocks(&mut self) -> Result<Vec<&'a [u8]>, GifError> {
        let mut blocks = Vec::new();
        loop {
            let len = usize::from(self.byte()?);
            if len == 0 {
                return Ok(blocks);
            }
            blocks.push(self.take(len)?);
        }
    }
}

fn color_table_len(packed: u8) -> usize {
    if packed & 0x80 == 0 { 0 } else { 3 << ((packed & 0x07) + 1) }
}

fn push_sub_blocks(out: &mut Vec<u8>, blocks: &[&[u8]]) {
    for block in blocks {
        // A sub-block is at most 255 bytes, as it was read.
        out.push(block.len() as u8);
        out.extend_from_slice(block);
    }
    out.push(0);
}

/// Returns the GIF rebuilt from its picture blocks, or why it is not a well-formed GIF.
pub(crate) fn strip_metadata(bytes: &[u8]) -> Result<Vec<u8>, GifError> {
    let mut r = Reader { bytes, pos: 0 };
    let header = r.take(6)?;
    if header != b"GIF87a" && header != b"GIF89a" {
        return Err(GifError("not a GIF header"));
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(b"GIF89a");

    let screen = r.take(7)?;
    out.extend_from_slice(screen);
    out.extend_from_slice(r.take(color_table_len(screen[4]))?);

    let mut frames = 0usize;
    loop {
        if r.at_end() {
            // Many GIFs in the wild lack the trailer; browsers show them, so do we.
            if frames == 0 {
                return Err(GifError("no image"));
            }
            out.push(0x3B);
            return Ok(out);
        }
        match r.byte()? {
            0x2C => {
                let descriptor = r.take(9)?;
                out.push(0x2C);
                out.extend_from_slice(descriptor);
                out.extend_from_slice(r.take(color_table_len(descriptor[8]))?);
                let min_code_size = r.byte()?;
                if !(1..=11).contains(&min_code_size) {
                    return Err(GifError("bad LZW code size"));
                }
                out.push(min_code_size);
                push_sub_blocks(&mut out, &r.sub_blocks()?);
                frames += 1;
            }
            0x21 => {
                let label = r.byte()?;
                let blocks = r.sub_blocks()?;
                match label {
                    // Graphic control: exactly 4 bytes of packed fields, delay and transparent index.
                    0xF9 => {
                        let fields = blocks.first().filter(|b| b.len() == 4).ok_or(GifError("bad GCE"))?;
                        out.extend_from_slice(&[0x21, 0xF9, 4]);
                        out.extend_from_slice(fields);
                        out.push(0);
                    }
                    // Application: only the loop count of the two animation extensions survives.
                    0xFF => {
                        let is_loop = matches!(blocks.first(), Some(&id) if id == b"NETSCAPE2.0" || id == b"ANIMEXTS1.0");
                        let count = blocks.get(1).filter(|b| b.len() == 3 && b[0] == 1).map(|b| [b[1], b[2]]);
                        if let (true, Some([lo, hi])) = (is_loop, count) {
                            out.extend_from_slice(&[0x21, 0xFF, 11]);
                            out.extend_from_slice(b"NETSCAPE2.0");
                            out.extend_from_slice(&[3, 1, lo, hi, 0]);
                        }
                    }
                    // Comment (0xFE), plain text (0x01) and unknown extensions are dropped.
                    _ => {}
                }
            }
            0x3B => {
                if frames == 0 {
                    return Err(GifError("no image"));
                }
                out.push(0x3B);
                return Ok(out);
            }
            _ => return Err(GifError("unknown block")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1×1 GIF with a 2-colour table, a comment, an XMP application block, a loop and garbage after the end.
    fn sample() -> Vec<u8> {
        let mut g = Vec::new();
        g.extend_from_slice(b"GIF89a");
        g.extend_from_slice(&[1, 0, 1, 0, 0x80, 0, 0]);
        g.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
        g.extend_from_slice(&[0x21, 0xFE, 5]);
        g.extend_from_slice(b"hello");
        g.push(0);
        g.extend_from_slice(&[0x21, 0xFF, 11]);
        g.extend_from_slice(b"XMP DataXMP");
        g.extend_from_slice(&[4]);
        g.extend_from_slice(b"<gps");
        g.push(0);
        g.extend_from_slice(&[0x21, 0xFF, 11]);
        g.extend_from_slice(b"NETSCAPE2.0");
        g.extend_from_slice(&[3, 1, 0, 0, 0]);
        g.extend_from_slice(&[0x21, 0xF9, 4, 0, 10, 0, 0, 0]);
        g.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0]);
        g.extend_from_slice(&[2, 2, 0x4C, 0x01, 0]);
        g.push(0x3B);
        g.extend_from_slice(b"trailing secrets");
        g
    }

    #[test]
    fn keeps_picture_and_loop_drops_the_rest() -> Result<(), GifError> {
        let out = strip_metadata(&sample())?;
        let mut expected = Vec::new();
        expected.extend_from_slice(b"GIF89a");
        expected.extend_from_slice(&[1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255]);
        expected.extend_from_slice(&[0x21, 0xFF, 11]);
        expected.extend_from_slice(b"NETSCAPE2.0");
        expected.extend_from_slice(&[3, 1, 0, 0, 0]);
        expected.extend_from_slice(&[0x21, 0xF9, 4, 0, 10, 0, 0, 0]);
        expected.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x4C, 0x01, 0, 0x3B]);
        assert_eq!(out, expected);
        Ok(())
    }

    #[test]
    fn refuses_broken_gifs() {
        let good = sample();
        assert_eq!(strip_metadata(b"GIF89"), Err(GifError("truncated")));
        assert_eq!(strip_metadata(b"GIF90a\x01\x00\x01\x00\x00\x00\x00"), Err(GifError("not a GIF header")));
        // Cut inside the image data.
        assert_eq!(strip_metadata(&good[..good.len() - 20]), Err(GifError("truncated")));
        // A stray byte where a block should start.
        let mut bad = good[..13 + 6].to_vec();
        bad.push(0x99);
        assert_eq!(strip_metadata(&bad), Err(GifError("unknown block")));
        // Header and palette only: no picture.
        assert_eq!(strip_metadata(&good[..19]), Err(GifError("no image")));
    }

    #[test]
    fn missing_trailer_is_added() -> Result<(), GifError> {
        let good = sample();
        let end = good.len() - b"trailing secrets".len() - 1;
        let out = strip_metadata(&good[..end])?;
        assert_eq!(out.last(), Some(&0x3B));
        assert_eq!(out, strip_metadata(&good)?);
        Ok(())
    }
}
