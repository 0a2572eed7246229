//! A soundness check of an OLE2 compound file (the container of `.xls`) before the
//! spreadsheet reader opens it. That reader sizes buffers from sector numbers, lengths and
//! chains as the file states them, so a damaged file could make it ask for terabytes (which
//! ends the process, uncatchably) or follow a looping chain forever. Every number it reads
//! is checked here against the file's real size, and every chain for loops.

/// Sector numbers at or above this are markers, not sectors.
const MARKERS: u32 = 0xFFFF_FFFA;
const DIFSECT: u32 = 0xFFFF_FFFC;
const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const SIGNATURE: [u8; 8] = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/// Whether `bytes` start like a compound file.
pub fn is_compound(bytes: &[u8]) -> bool {
    bytes.starts_with(&SIGNATURE)
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes(s.try_into().expect("four bytes")))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 8)
        .map(|s| u64::from_le_bytes(s.try_into().expect("eight bytes")))
}

/// Checks the structure the spreadsheet reader relies on; the error says what is wrong.
pub fn check(b: &[u8]) -> Result<(), String> {
    let short = || "the file is cut short".to_string();
    if b.len() < 512 || !is_compound(b) {
        return Err("not an OLE2 compound file".into());
    }
    let size: usize = match b[30] {
        9 => 512,
        12 => 4096,
        _ => return Err("bad sector size".into()),
    };
    // Sectors after the header (which takes the first sector's room).
    let n = b.len().saturating_sub(size).div_ceil(size);
    let sector = |id: u32| -> &[u8] {
        let start = (id as usize + 1).saturating_mul(size).min(b.len());
        &b[start..start.saturating_add(size).min(b.len())]
    };
    let ids = |s: &[u8]| -> Vec<u32> {
        s.chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("four bytes")))
            .collect()
    };
    let header_u32 = |at: usize| u32_at(b, at).ok_or_else(short);
    let (dir_len, fat_len, dir_start) = (header_u32(40)?, header_u32(44)?, header_u32(48)?);
    let (mini_fat_start, mini_fat_len, difat_start) =
        (header_u32(60)?, header_u32(64)?, header_u32(68)?);
    // The reader sizes its sector table by the 32-bit value at byte 62 (straddling two
    // fields); bound it as it is read.
    for (what, value) in [
        ("directory length", dir_len as usize),
        ("FAT length", fat_len as usize),
        ("mini FAT length", mini_fat_len as usize),
    ] {
        if value > n {
            return Err(format!("{what} {value} exceeds the file's {n} sectors"));
        }
    }
    if header_u32(62)? > 1 << 24 {
        return Err("bad DIFAT length".into());
    }
    let in_file = |id: u32| (id as usize) < n;
    // The DIFAT: 109 entries in the header, then a chain of sectors whose last entry
    // points to the next.
    let mut difat: Vec<u32> = ids(&b[76..512]);
    let mut next = difat_start;
    let mut steps = 0;
    while next < MARKERS {
        steps += 1;
        if !in_file(next) || steps > n {
            return Err("the DIFAT chain leaves the file or loops".into());
        }
        difat.extend(ids(sector(next)));
        next = difat.pop().unwrap_or(ENDOFCHAIN);
    }
    let mut fat: Vec<u32> = Vec::new();
    for &id in &difat {
        if id >= DIFSECT {
            continue;
        }
        if !in_file(id) {
            return Err(format!("FAT sector {id} is outside the file"));
        }
        fat.extend(ids(sector(id)));
    }
    // A chain of `table` from `start`: every link a real entry, no loops.
    let walk = |start: u32, table: &[u32], limit: usize| -> Result<Vec<u32>, String> {
        let mut chain = Vec::new();
        let mut id = start;
        while id != ENDOFCHAIN {
            if (id as usize) >= limit || (id as usize) >= table.len() {
                return Err(format!("a chain reaches sector {id}, outside the file"));
            }
            if chain.len() > limit {
                return Err("a sector chain loops".into());
            }
            chain.push(id);
            id = table[id as usize];
        }
        Ok(chain)
    };
    let dir_chain = walk(dir_start, &fat, n)?;
    let dir_bytes: Vec<u8> = dir_chain
        .iter()
        .flat_map(|&id| sector(id).to_vec())
        .collect();
    let entries: Vec<&[u8]> = dir_bytes.chunks(128).filter(|e| e.len() == 128).collect();
    let Some(root) = entries.first() else {
        return Err("no root directory".into());
    };
    let stream_len = |e: &[u8]| -> u64 {
        if size == 512 {
            u32_at(e, 120).map_or(0, u64::from)
        } else {
            u64_at(e, 120).unwrap_or(0)
        }
    };
    let root_len = stream_len(root);
    if root_len > b.len() as u64 {
        return Err("the root stream is longer than the file".into());
    }
    let mut mini_fat: Vec<u32> = Vec::new();
    if mini_fat_len > 0 {
        walk(u32_at(root, 116).unwrap_or(ENDOFCHAIN), &fat, n)?;
        for id in walk(mini_fat_start, &fat, n)? {
            mini_fat.extend(ids(sector(id)));
        }
    }
    let minis = (root_len as usize).div_ceil(64);
    for e in &entries[1..] {
        // Storage (1) and stream (2) entries; unused ones are never read.
        if !matches!(e[66], 1 | 2) {
            continue;
        }
        let len = stream_len(e);
        if len > b.len() as u64 {
            return Err("a stream is longer than the file".into());
        }
        let start = u32_at(e, 116).unwrap_or(ENDOFCHAIN);
        // The reader follows a stream's chain even when it is empty.
        if e[66] == 2 {
            if len < 4096 {
                walk(start, &mini_fat, minis)?;
            } else {
                walk(start, &fat, n)?;
            }
        }
    }
    Ok(())
}
