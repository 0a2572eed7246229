//! What the audio and page-image exporters need beside [`crate::media`]: the converter's
//! download names and WAV durations.

/// The last path segment of a URL's path, still percent-encoded (`os.path.basename` of
/// `urlparse(url).path`).
pub fn url_basename(url: &str) -> String {
    let no_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    let path = no_scheme
        .find('/')
        .map_or("", |i| &no_scheme[i..])
        .split(['?', '#'])
        .next()
        .unwrap_or("");
    path.rsplit('/').next().unwrap_or("").to_string()
}

/// Frames / rate of a WAV file (Python's `wave`: `getnframes() / getframerate()`).
pub fn wav_duration(bytes: &[u8]) -> Result<f64, String> {
    let bad = |m: &str| Err(format!("not a WAV file: {m}"));
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return bad("no RIFF/WAVE header");
    }
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let u32_at =
        |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let mut pos = 12;
    let mut format: Option<(u16, u32, u16)> = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32_at(pos + 4) as usize;
        let body = pos + 8;
        if id == b"fmt " {
            if body + 16 > bytes.len() {
                return bad("short fmt chunk");
            }
            let channels = u16_at(body + 2);
            let rate = u32_at(body + 4);
            let bits = u16_at(body + 14);
            format = Some((channels, rate, bits));
        } else if id == b"data" {
            let Some((channels, rate, bits)) = format else {
                return bad("data chunk before fmt chunk");
            };
            let width = (bits as usize).div_ceil(8);
            let frame = channels as usize * width;
            if frame == 0 || rate == 0 {
                return bad("no channels, sample width or rate");
            }
            return Ok((size / frame) as f64 / rate as f64);
        }
        pos = body + size + (size & 1);
    }
    bad("no data chunk")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_basenames_stay_encoded() {
        assert_eq!(url_basename("http://h/p/x%20y.wav?q=1"), "x%20y.wav");
        assert_eq!(url_basename("https://h"), "");
    }

    #[test]
    fn wav_duration_reads_the_header() {
        let mut w = Vec::new();
        w.extend_from_slice(b"RIFF\0\0\0\0WAVEfmt ");
        w.extend_from_slice(&16u32.to_le_bytes());
        w.extend_from_slice(&1u16.to_le_bytes()); // PCM
        w.extend_from_slice(&2u16.to_le_bytes()); // channels
        w.extend_from_slice(&8000u32.to_le_bytes());
        w.extend_from_slice(&32000u32.to_le_bytes());
        w.extend_from_slice(&4u16.to_le_bytes());
        w.extend_from_slice(&16u16.to_le_bytes());
        w.extend_from_slice(b"LIST");
        w.extend_from_slice(&3u32.to_le_bytes());
        w.extend_from_slice(b"abc\0");
        w.extend_from_slice(b"data");
        w.extend_from_slice(&8000u32.to_le_bytes());
        assert_eq!(wav_duration(&w), Ok(0.25));
        // IEEE float samples (format 3): Python's `wave` refuses them, the header still tells.
        w[20] = 3;
        assert_eq!(wav_duration(&w), Ok(0.25));
        assert!(wav_duration(b"ID3 not a wav").is_err());
    }
}
