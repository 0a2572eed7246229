//! Outer contours of a mask, as OpenCV's `findContours(mask, RETR_EXTERNAL,
//! CHAIN_APPROX_SIMPLE)` returns them (Suzuki & Abe 1985 border following).
//!
//! - Every non-zero pixel is foreground; the image is surrounded by a frame of zeros.
//! - The raster scan meets an outer border at a 0 → 1 step. In external mode it is followed
//!   only if the last border pixel met on the row (`lnbd`) does not lie inside an already
//!   traced component: traced pixels are marked 2, or −126 where the pixel to their right
//!   was examined and found empty (the right edge of a component), and only a −126 (or the
//!   frame) lets a new outer border start.
//! - Following starts by searching the neighbours of the start pixel clockwise from the left;
//!   then at each pixel the neighbours are searched counter-clockwise starting just past the
//!   direction we came from. A point is recorded whenever the direction of travel changes
//!   (the simple chain approximation); the walk ends on coming back to the start pixel heading
//!   for the first neighbour.
//! - Contours come out in reverse order of discovery (OpenCV links each new one in front).

/// Direction codes: 0 = right, then counter-clockwise (y grows downwards).
const DX: [isize; 8] = [1, 1, 0, -1, -1, -1, 0, 1];
const DY: [isize; 8] = [0, -1, -1, -1, 0, 1, 1, 1];

const RIGHT_EDGE: i8 = -126; // OpenCV: (nbd | -128) with nbd = 2
const TRACED: i8 = 2;

/// Outer contours of a `width` × `height` mask (row-major, non-zero = inside), each a list of
/// (x, y) points.
pub fn find_external(mask: &[u8], width: usize, height: usize) -> Vec<Vec<(i32, i32)>> {
    let pw = width + 2;
    let ph = height + 2;
    let mut img = vec![0i8; pw * ph];
    for y in 0..height {
        for x in 0..width {
            if mask[y * width + x] != 0 {
                img[(y + 1) * pw + x + 1] = 1;
            }
        }
    }
    let step = pw as isize;
    let deltas: [isize; 16] = std::array::from_fn(|i| DY[i % 8] * step + DX[i % 8]);
    let mut found: Vec<Vec<(i32, i32)>> = Vec::new();
    for y in 1..ph - 1 {
        let row = y * pw;
        let mut lnbd = 0usize; // x of the last border pixel met on this row (0: the frame)
        let mut prev: i8 = 0;
        let mut x = 1usize;
        while x < pw - 1 {
            let p = img[row + x];
            if p != prev {
                let is_outer_start = prev == 0 && p == 1;
                if is_outer_start {
                    // External mode: only when the last border met is a right edge (or none).
                    if img[row + lnbd] <= 0 {
                        let contour = follow(&mut img, row + x, &deltas, step, x, y);
                        found.push(contour);
                        // Scanning goes on from the next pixel, comparing with the start
                        // pixel as it is now marked.
                        prev = img[row + x];
                        x += 1;
                        continue;
                    }
                }
                // A step from a traced pixel into the background (a hole's edge): that
                // pixel is the last border met.
                if p == 0 && prev >= 1 && prev != 1 {
                    lnbd = x - 1;
                }
                prev = p;
                if p != 0 && p != 1 {
                    lnbd = x;
                }
            }
            x += 1;
        }
    }
    found.reverse();
    found
}

/// Follows one outer border from `start` (index into the framed image at (`x`, `y`)),
/// marking it, and returns its corner points in mask coordinates.
fn follow(
    img: &mut [i8],
    start: usize,
    deltas: &[isize; 16],
    _step: isize,
    x: usize,
    y: usize,
) -> Vec<(i32, i32)> {
    let at = |i: usize, d: isize| (i as isize + d) as usize;
    let mut pt = (x as i32 - 1, y as i32 - 1);
    let mut points = Vec::new();
    // Clockwise from the left for the first neighbour.
    let s_end0 = 4usize;
    let mut s = s_end0;
    let mut i1;
    loop {
        s = (s + 7) & 7;
        i1 = at(start, deltas[s]);
        if img[i1] != 0 || s == s_end0 {
            break;
        }
    }
    if s == s_end0 && img[i1] == 0 {
        // A single pixel.
        img[start] = RIGHT_EDGE;
        points.push(pt);
        return points;
    }
    let i0 = start;
    let mut i3 = i0;
    let mut prev_s = s ^ 4;
    loop {
        let s_end = s;
        let mut i4;
        loop {
            s += 1;
            i4 = at(i3, deltas[s]);
            if img[i4] != 0 || s >= 15 {
                break;
            }
        }
        s &= 7;
        // The pixel to the right was examined and empty: a right edge.
        if s.wrapping_sub(1) < s_end {
            img[i3] = RIGHT_EDGE;
        } else if img[i3] == 1 {
            img[i3] = TRACED;
        }
        if s != prev_s {
            points.push(pt);
            prev_s = s;
        }
        pt.0 += DX[s] as i32;
        pt.1 += DY[s] as i32;
        if i4 == i0 && i3 == i1 {
            break;
        }
        i3 = i4;
        s = (s + 4) & 7;
    }
    points
}

/// `cv2.boundingRect` of integer points: (x, y, w, h) with inclusive extents.
pub fn bounding_rect(points: &[(i32, i32)]) -> (i64, i64, i64, i64) {
    if points.is_empty() {
        return (0, 0, 0, 0);
    }
    let minx = points.iter().map(|p| p.0).min().unwrap_or(0) as i64;
    let maxx = points.iter().map(|p| p.0).max().unwrap_or(0) as i64;
    let miny = points.iter().map(|p| p.1).min().unwrap_or(0) as i64;
    let maxy = points.iter().map(|p| p.1).max().unwrap_or(0) as i64;
    (minx, miny, maxx - minx + 1, maxy - miny + 1)
}

/// `cv2.contourArea`: the polygon's area (shoelace), not the pixel count.
pub fn contour_area(points: &[(i32, i32)]) -> f64 {
    let n = points.len();
    if n == 0 {
        return 0.0;
    }
    let mut a = 0.0f64;
    let mut prev = points[n - 1];
    for &p in points {
        a += f64::from(prev.0 as f32) * f64::from(p.1 as f32)
            - f64::from(prev.1 as f32) * f64::from(p.0 as f32);
        prev = p;
    }
    (a * 0.5).abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(rows: &[&str]) -> (Vec<u8>, usize, usize) {
        let h = rows.len();
        let w = rows[0].len();
        let m = rows
            .iter()
            .flat_map(|r| r.bytes().map(|b| u8::from(b == b'#')))
            .collect();
        (m, w, h)
    }

    #[test]
    fn rectangle_corners() {
        let (m, w, h) = mask(&["......", ".####.", ".####.", "......"]);
        let c = find_external(&m, w, h);
        assert_eq!(c, vec![vec![(1, 1), (1, 2), (4, 2), (4, 1)]]);
        assert_eq!(bounding_rect(&c[0]), (1, 1, 4, 2));
        assert_eq!(contour_area(&c[0]), 3.0);
    }

    #[test]
    fn single_pixel_and_order() {
        let (m, w, h) = mask(&["#....", ".....", "...##"]);
        let c = find_external(&m, w, h);
        // Reverse order of discovery: the lower component first.
        assert_eq!(c.len(), 2);
        assert_eq!(c[1], vec![(0, 0)]);
        assert_eq!(c[0], vec![(3, 2), (4, 2)]);
    }

    #[test]
    fn holes_and_islands_inside_are_not_outer() {
        let (m, w, h) = mask(&["#######", "#.....#", "#.###.#", "#.....#", "#######"]);
        let c = find_external(&m, w, h);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0], vec![(0, 0), (0, 4), (6, 4), (6, 0)]);
    }
}

#[cfg(test)]
mod opencv_reference {
    use super::*;
    use serde_json::Value;

    /// Contours, bounding boxes and areas that OpenCV 4.12 computed for 240 masks
    /// (tests/fixtures/make_image_fixtures.py).
    #[test]
    fn matches_opencv_on_reference_masks() {
        let text = include_str!("../../tests/fixtures/image_fixtures.json");
        let v: Value = serde_json::from_str(text).unwrap();
        let masks = v["masks"].as_array().unwrap();
        assert!(masks.len() > 200);
        for (i, m) in masks.iter().enumerate() {
            let rows: Vec<&str> = m["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap())
                .collect();
            let (h, w) = (rows.len(), rows[0].len());
            let mask: Vec<u8> = rows
                .iter()
                .flat_map(|r| r.bytes().map(|b| if b == b'#' { 255 } else { 0 }))
                .collect();
            let got = find_external(&mask, w, h);
            let want = m["contours"].as_array().unwrap();
            assert_eq!(got.len(), want.len(), "mask {i}: number of contours");
            for (j, (g, c)) in got.iter().zip(want).enumerate() {
                let pts: Vec<(i32, i32)> = c["points"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| (p[0].as_i64().unwrap() as i32, p[1].as_i64().unwrap() as i32))
                    .collect();
                assert_eq!(g, &pts, "mask {i} contour {j}");
                let b = bounding_rect(g);
                let wb: Vec<i64> = c["bbox"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_i64().unwrap())
                    .collect();
                assert_eq!(vec![b.0, b.1, b.2, b.3], wb, "mask {i} contour {j} bbox");
                assert_eq!(
                    contour_area(g),
                    c["area"].as_f64().unwrap(),
                    "mask {i} contour {j} area"
                );
            }
        }
    }
}
