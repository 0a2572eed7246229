//! The duration of an MP4 / QuickTime file from its movie header (`moov/mvhd`), read
//! without decoding anything: the Video pane counts frames from it as Label Studio's
//! player does (`ceil(duration × framerate)`).

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Boxes visited at most: a broken file must not keep a worker busy.
const MAX_BOXES: usize = 4096;

/// One box header (the reader is left at its body): its type and where it ends.
fn next_box<R: Read + Seek>(f: &mut R, end: u64) -> Option<([u8; 4], u64)> {
    let start = f.stream_position().ok()?;
    if start + 8 > end {
        return None;
    }
    let mut h = [0u8; 8];
    f.read_exact(&mut h).ok()?;
    let size = u64::from(u32::from_be_bytes([h[0], h[1], h[2], h[3]]));
    let kind = [h[4], h[5], h[6], h[7]];
    let (body, total) = match size {
        0 => (start + 8, end - start),
        1 => {
            let mut l = [0u8; 8];
            f.read_exact(&mut l).ok()?;
            (start + 16, u64::from_be_bytes(l))
        }
        n => (start + 8, n),
    };
    let box_end = start.checked_add(total)?;
    (total >= body - start && box_end <= end).then_some((kind, box_end))
}

/// The duration in seconds, from any reader over an ISO media file of `len` bytes.
pub fn duration_of<R: Read + Seek>(f: &mut R, len: u64) -> Option<f64> {
    let mut end = len;
    let mut seen = 0;
    loop {
        seen += 1;
        if seen > MAX_BOXES {
            return None;
        }
        let (kind, box_end) = next_box(f, end)?;
        match &kind {
            // Into the movie box: its children follow.
            b"moov" => end = box_end,
            b"mvhd" => {
                let mut v = [0u8; 4];
                f.read_exact(&mut v).ok()?;
                let (timescale, duration) = if v[0] == 1 {
                    let mut b = [0u8; 28];
                    f.read_exact(&mut b).ok()?;
                    (
                        u32::from_be_bytes([b[16], b[17], b[18], b[19]]),
                        u64::from_be_bytes([
                            b[20], b[21], b[22], b[23], b[24], b[25], b[26], b[27],
                        ]),
                    )
                } else {
                    let mut b = [0u8; 16];
                    f.read_exact(&mut b).ok()?;
                    (
                        u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
                        u64::from(u32::from_be_bytes([b[12], b[13], b[14], b[15]])),
                    )
                };
                let d = duration as f64 / f64::from(timescale);
                return (timescale > 0 && d.is_finite() && d > 0.0).then_some(d);
            }
            _ => {
                f.seek(SeekFrom::Start(box_end)).ok()?;
            }
        }
    }
}

/// The duration of an MP4, M4V or MOV file, when its header says it.
pub fn duration(path: &Path) -> Option<f64> {
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    duration_of(&mut f, len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        v
    }

    fn mvhd_v0(timescale: u32, duration: u32) -> Vec<u8> {
        let mut b = vec![0u8; 4 + 8];
        b.extend_from_slice(&timescale.to_be_bytes());
        b.extend_from_slice(&duration.to_be_bytes());
        b.extend_from_slice(&[0u8; 80]);
        bx(b"mvhd", &b)
    }

    #[test]
    fn reads_the_movie_header_after_other_boxes() {
        let mut file = bx(b"ftyp", b"isomiso2");
        file.extend(bx(b"free", &[0u8; 20]));
        let mut moov = bx(b"udta", &[1, 2, 3]);
        moov.extend(mvhd_v0(1000, 5425));
        file.extend(bx(b"moov", &moov));
        let n = file.len() as u64;
        assert_eq!(duration_of(&mut Cursor::new(file), n), Some(5.425));
    }

    #[test]
    fn a_version_one_header_has_wide_fields() {
        let mut b = vec![1u8, 0, 0, 0];
        b.extend_from_slice(&[0u8; 16]);
        b.extend_from_slice(&600u32.to_be_bytes());
        b.extend_from_slice(&(600u64 * 90).to_be_bytes());
        let file = bx(b"moov", &bx(b"mvhd", &b));
        let n = file.len() as u64;
        assert_eq!(duration_of(&mut Cursor::new(file), n), Some(90.0));
    }

    #[test]
    fn junk_gives_nothing_and_never_loops() {
        for junk in [
            vec![],
            b"RIFF....WAVE".to_vec(),
            vec![0u8; 64],
            vec![0xff; 64],
            bx(b"moov", &bx(b"mvhd", &[0u8; 4])),
            // A zero timescale.
            bx(b"moov", &mvhd_v0(0, 10)),
        ] {
            let n = junk.len() as u64;
            assert_eq!(duration_of(&mut Cursor::new(junk), n), None);
        }
    }
}
