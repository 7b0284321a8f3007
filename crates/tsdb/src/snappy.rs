//! Snappy's block format (not the framing format): a decoder for the WAL records Prometheus writes
//! with `--storage.tsdb.wal-compression` (its default since 2.20). Written from Google's format
//! description (github.com/google/snappy, `format_description.txt`): a uvarint of the decoded
//! length, then elements whose tag byte's low two bits say what follows —
//! `00` a literal (length-1 in the upper six bits, or for 60..=63 in the next 1..=4 bytes,
//! little-endian), `01` a copy of 4..=11 bytes with an 11-bit offset (3 bits in the tag, 8 in the
//! next byte), `10` a copy of 1..=64 bytes with a 2-byte little-endian offset, `11` the same with a
//! 4-byte offset. A copy reads from already-decoded output and may overlap what it writes
//! (offset < length repeats a pattern). Our own WAL stays uncompressed; `encode` compresses remote write's request bodies.

/// The most one input byte can expand to: a 3-byte copy with a 2-byte offset yields 64 bytes.
/// A declared length above `input length × 22` cannot be produced, so it is refused before
/// anything is allocated for it.
const MAX_EXPANSION: usize = 22;

/// Decodes a Snappy block. `max_len` bounds the decoded length the header may declare (the
/// largest record the caller accepts); a longer claim, truncated data, a copy reaching before the
/// start, or output whose length differs from the header is an error saying where.
pub fn decode(input: &[u8], max_len: usize) -> Result<Vec<u8>, String> {
    let (declared, mut pos) = read_uvarint(input).ok_or("bad decoded-length header")?;
    let limit = max_len.min(input.len().saturating_mul(MAX_EXPANSION));
    if declared > limit as u64 {
        return Err(format!("declared decoded length {declared} exceeds the limit of {limit} bytes for {} bytes of input", input.len()));
    }
    let want = declared as usize;
    let mut out: Vec<u8> = Vec::with_capacity(want);
    while pos < input.len() {
        let tag = input[pos];
        let at = pos;
        pos += 1;
        let (len, offset) = match tag & 3 {
            0 => {
                let mut len = (tag >> 2) as usize;
                if len >= 60 {
                    let extra = len - 59;
                    let bytes = input.get(pos..pos + extra).ok_or_else(|| format!("literal length cut short at input offset {at}"))?;
                    len = bytes.iter().rev().fold(0usize, |acc, &b| (acc << 8) | b as usize);
                    pos += extra;
                }
                let len = len.checked_add(1).ok_or_else(|| format!("literal length overflows at input offset {at}"))?;
                let lit = input.get(pos..).and_then(|rest| rest.get(..len)).ok_or_else(|| format!("literal of {len} bytes cut short at input offset {at}"))?;
                if out.len() + len > want {
                    return Err(format!("literal at input offset {at} overruns the declared length {want}"));
                }
                out.extend_from_slice(lit);
                pos += len;
                continue;
            }
            1 => {
                let b = *input.get(pos).ok_or_else(|| format!("copy cut short at input offset {at}"))?;
                pos += 1;
                (4 + ((tag >> 2) & 7) as usize, (((tag >> 5) as usize) << 8) | b as usize)
            }
            2 => {
                let b = input.get(pos..pos + 2).ok_or_else(|| format!("copy cut short at input offset {at}"))?;
                pos += 2;
                (1 + (tag >> 2) as usize, u16::from_le_bytes([b[0], b[1]]) as usize)
            }
            _ => {
                let b = input.get(pos..pos + 4).ok_or_else(|| format!("copy cut short at input offset {at}"))?;
                pos += 4;
                (1 + (tag >> 2) as usize, u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            }
        };
        if offset == 0 || offset > out.len() {
            return Err(format!("copy at input offset {at} has offset {offset} with {} bytes decoded", out.len()));
        }
        if out.len() + len > want {
            return Err(format!("copy at input offset {at} overruns the declared length {want}"));
        }
        let from = out.len() - offset;
        if offset >= len {
            out.extend_from_within(from..from + len);
        } else {
            // Overlapping (offset < len): byte by byte, so the copy repeats the pattern it writes.
            for i in 0..len {
                let b = out[from + i];
                out.push(b);
            }
        }
    }
    if out.len() != want {
        return Err(format!("decoded {} bytes but the header declared {want}", out.len()));
    }
    Ok(out)
}

/// Snappy's block format with literals only: valid input for `decode`, without compression. Our
/// WAL is written uncompressed; tests use this to stand in for Prometheus's compressor.
pub fn encode_literals(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut n = data.len();
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    for chunk in data.chunks(65536) {
        out.push(61 << 2);
        out.extend_from_slice(&((chunk.len() - 1) as u16).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

/// Snappy's block format with compression (remote write's request bodies), over 64 KiB blocks
/// as the reference compressor works: a hash of the next four bytes finds the last position that
/// began with them, and a match of four bytes or more becomes a copy (extended eight bytes at a
/// time), the rest literals. Where nothing matches, the scan steps over more and more bytes
/// (one more every 32 misses), so incompressible data is crossed quickly; right after a copy the
/// next position is tried at once, so a run of matches costs no lookups in between. Offsets stay
/// below 64 KiB: every copy is a 2-byte-offset copy (or a 1-byte one when short and near).
/// Output any Snappy decoder reads, ours included.
pub fn encode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(max_encoded_len(data.len()));
    let mut n = data.len();
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    let mut table = vec![0u16; 1 << MAX_TABLE_BITS];
    for block in data.chunks(BLOCK_SIZE) {
        encode_block(block, &mut table, &mut out);
    }
    out
}

/// The reference's bound on a block's output: all literals, plus their tags.
fn max_encoded_len(n: usize) -> usize {
    32 + n + n / 6
}

const BLOCK_SIZE: usize = 1 << 16;
const MAX_TABLE_BITS: u32 = 14;
/// A block's last bytes are never the start of a match: the loads need room after them.
const INPUT_MARGIN: usize = 15;

fn load32(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(b[i..i + 4].try_into().unwrap())
}

fn load64(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i..i + 8].try_into().unwrap())
}

/// How many bytes from `a` and `b` (a < b) are equal, up to the end of `src`.
fn match_len(src: &[u8], mut a: usize, mut b: usize) -> usize {
    let start = b;
    while b + 8 <= src.len() {
        let diff = load64(src, a) ^ load64(src, b);
        if diff != 0 {
            return b - start + (diff.trailing_zeros() / 8) as usize;
        }
        a += 8;
        b += 8;
    }
    while b < src.len() && src[a] == src[b] {
        a += 1;
        b += 1;
    }
    b - start
}

fn encode_block(src: &[u8], table: &mut [u16], out: &mut Vec<u8>) {
    if src.len() < INPUT_MARGIN + 2 {
        emit_literal(out, src);
        return;
    }
    // A table no larger than the block: small requests do not clear 32 KiB each.
    let bits = (8..MAX_TABLE_BITS).find(|&b| 1usize << b >= src.len()).unwrap_or(MAX_TABLE_BITS);
    let table = &mut table[..1 << bits];
    table.fill(0);
    let hash = |x: u32| (x.wrapping_mul(0x1e35_a7bd) >> (32 - bits)) as usize;
    // An entry of 0 is position 0 or nothing: a wrong candidate fails the comparison either way,
    // and every candidate lies before the position it is tried at.
    let limit = src.len() - INPUT_MARGIN;
    let mut lit_start = 0usize;
    let mut s = 1usize;
    let mut next_hash = hash(load32(src, s));
    'blocks: loop {
        // Look for a match; 32 misses in a row make the step 2 bytes, 64 more 3, and so on.
        let mut skip = 32usize;
        let mut next_s = s;
        let mut cand;
        loop {
            s = next_s;
            let step = skip >> 5;
            next_s = s + step;
            skip += step;
            if next_s > limit {
                break 'blocks;
            }
            cand = table[next_hash] as usize;
            table[next_hash] = s as u16;
            next_hash = hash(load32(src, next_s));
            if load32(src, s) == load32(src, cand) {
                break;
            }
        }
        emit_literal(out, &src[lit_start..s]);
        // Copies back to back while the position after one starts another.
        loop {
            let len = 4 + match_len(src, cand + 4, s + 4);
            emit_copy(out, s - cand, len);
            s += len;
            lit_start = s;
            if s >= limit {
                break 'blocks;
            }
            // The position before (for later matches) and this one go into the table.
            let x = load64(src, s - 1);
            table[hash(x as u32)] = (s - 1) as u16;
            let h = hash((x >> 8) as u32);
            cand = table[h] as usize;
            table[h] = s as u16;
            if (x >> 8) as u32 != load32(src, cand) {
                next_hash = hash((x >> 16) as u32);
                s += 1;
                break;
            }
        }
    }
    emit_literal(out, &src[lit_start..]);
}

fn emit_literal(out: &mut Vec<u8>, lit: &[u8]) {
    if lit.is_empty() {
        return;
    }
    let n = lit.len() - 1;
    if n < 60 {
        out.push((n as u8) << 2);
    } else if n < 1 << 8 {
        out.extend_from_slice(&[60 << 2, n as u8]);
    } else {
        out.extend_from_slice(&[61 << 2, n as u8, (n >> 8) as u8]);
    }
    out.extend_from_slice(lit);
}

fn emit_copy(out: &mut Vec<u8>, offset: usize, mut len: usize) {
    // Long matches as 64-byte copies, keeping at least 4 for the last one.
    while len >= 68 {
        out.extend_from_slice(&[(63 << 2) | 2, offset as u8, (offset >> 8) as u8]);
        len -= 64;
    }
    if len > 64 {
        out.extend_from_slice(&[(59 << 2) | 2, offset as u8, (offset >> 8) as u8]);
        len -= 60;
    }
    if len < 12 && offset < 2048 {
        out.extend_from_slice(&[(((offset >> 8) as u8) << 5) | (((len - 4) as u8) << 2) | 1, offset as u8]);
    } else {
        out.extend_from_slice(&[(((len - 1) as u8) << 2) | 2, offset as u8, (offset >> 8) as u8]);
    }
}

/// A uvarint of at most 5 bytes (Snappy's lengths are 32-bit), and where the data starts.
fn read_uvarint(input: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, &b) in input.iter().enumerate().take(5) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return (v <= u64::from(u32::MAX)).then_some((v, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{decode, encode, max_encoded_len};

    use crate::test_rng::xorshift;

    fn round_trip(input: &[u8]) -> Vec<u8> {
        let c = encode(input);
        assert!(c.len() <= max_encoded_len(input.len()), "{} bytes for {} of input", c.len(), input.len());
        assert_eq!(decode(&c, 1 << 26).unwrap(), input, "length {}", input.len());
        c
    }

    #[test]
    fn every_short_length_and_block_edge_round_trips() {
        let mut next = xorshift(7);
        let pattern: Vec<u8> = (0..200_000).map(|i| if i % 40 < 20 { b'a' + (i % 7) as u8 } else { next() as u8 }).collect();
        for n in (0..70).chain([65_535, 65_536, 65_537, 131_072, 131_090, 200_000]) {
            round_trip(&pattern[..n]);
            round_trip(&vec![b'z'; n]);
        }
    }

    #[test]
    fn incompressible_data_stays_within_the_bound_and_random_mixes_round_trip() {
        let mut next = xorshift(0x5eed);
        let noise: Vec<u8> = (0..1 << 20).map(|_| next() as u8).collect();
        let c = round_trip(&noise);
        assert!(c.len() < noise.len() + noise.len() / 100, "noise grows by at most a tag per literal run: {}", c.len());
        // Random lengths of noise, runs and repeats of earlier stretches, near and far.
        for _ in 0..200 {
            let mut input = Vec::new();
            while input.len() < (next() % 150_000) as usize {
                match next() % 3 {
                    0 => input.extend((0..next() % 300).map(|_| next() as u8)),
                    1 => input.extend(std::iter::repeat_n(next() as u8, (next() % 500) as usize)),
                    _ if !input.is_empty() => {
                        let from = (next() as usize) % input.len();
                        let len = ((next() % 400) as usize).min(input.len() - from);
                        input.extend_from_within(from..from + len);
                    }
                    _ => {}
                }
            }
            round_trip(&input);
        }
    }

    #[test]
    fn long_runs_and_repeated_records_compress_well() {
        assert!(round_trip(&vec![0u8; 1 << 20]).len() < (1 << 20) / 20, "a run becomes 64-byte copies");
        assert!(round_trip(&b"ab".repeat(100_000)).len() < 10_000);
        // Remote-write-like: label sets that repeat with a few bytes changed in between.
        let body: Vec<u8> = (0..3000).flat_map(|i| format!("\n\x0a__name__\x12synthetic_requests_total\x0a\x04path\x12/api/v{}/item{}\x09{}", i % 7, i % 100, i * 37).into_bytes()).collect();
        let c = round_trip(&body);
        assert!(c.len() * 4 < body.len(), "{} of {}", c.len(), body.len());
    }

    #[test]
    fn compressor_round_trips_and_compresses_repetition() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut inputs: Vec<Vec<u8>> = vec![vec![], b"a".to_vec(), b"abcabcabcabcabcabcabcabc".to_vec(), vec![0u8; 200_000]];
        let text: Vec<u8> = (0..5000).flat_map(|i| format!("http_requests_total{{job=\"api\",instance=\"10.0.0.{}:9100\"}} {i}\n", i % 7).into_bytes()).collect();
        inputs.push(text.clone());
        inputs.push((0..150_000).map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        }).collect());
        for input in &inputs {
            let c = encode(input);
            assert_eq!(decode(&c, 1 << 24).unwrap(), *input, "length {}", input.len());
        }
        assert!(encode(&text).len() * 5 < text.len(), "repetitive text compresses");
        assert!(encode(&inputs[3]).len() < 10_000);
    }

    const MAX: usize = 1 << 20;

    #[test]
    fn literals_short_and_with_length_bytes() {
        // Header 5, literal tag (5-1)<<2.
        assert_eq!(decode(&[5, 4 << 2, b'h', b'e', b'l', b'l', b'o'], MAX).unwrap(), b"hello");
        // 300-byte literal: tag 61<<2 (2 length bytes follow), length-1 = 299 = 0x012b little-endian.
        let body: Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
        let mut input = vec![0xac, 0x02, 61 << 2, 0x2b, 0x01];
        input.extend_from_slice(&body);
        assert_eq!(decode(&input, MAX).unwrap(), body);
        // 60-byte literal with one length byte (tag 60<<2, length-1 = 59).
        let mut input = vec![60, 60 << 2, 59];
        input.extend_from_slice(&[7u8; 60]);
        assert_eq!(decode(&input, MAX).unwrap(), vec![7u8; 60]);
        // Empty block.
        assert_eq!(decode(&[0], MAX).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn copies_with_one_two_and_four_byte_offsets() {
        // "abcd" then copy-1 of 4 bytes (length-4 = 0 in the tag) at offset 4 → "abcdabcd".
        assert_eq!(decode(&[8, 3 << 2, b'a', b'b', b'c', b'd', 1, 4], MAX).unwrap(), b"abcdabcd");
        // Copy-1 with the high offset bits in the tag: offset 256+4 = 260, length 4+2 = 6.
        let lit: Vec<u8> = (0..=255u8).chain(*b"wxyz").collect(); // 260 bytes
        let mut input = vec![0x8a, 0x02, 61 << 2, 0x03, 0x01];
        input.extend_from_slice(&lit);
        input.extend_from_slice(&[(1 << 5) | (2 << 2) | 1, 4]);
        let mut want = lit.clone();
        want.extend_from_slice(&[0, 1, 2, 3, 4, 5]);
        assert_eq!(decode(&input, MAX).unwrap(), want);
        // Copy-2: "xyz" then copy of 3 bytes at offset 3 (tag (3-1)<<2 | 2, offset 3 LE).
        assert_eq!(decode(&[6, 2 << 2, b'x', b'y', b'z', (2 << 2) | 2, 3, 0], MAX).unwrap(), b"xyzxyz");
        // Copy-4: "xyz" then copy of 2 bytes at offset 2.
        assert_eq!(decode(&[5, 2 << 2, b'x', b'y', b'z', (1 << 2) | 3, 2, 0, 0, 0], MAX).unwrap(), b"xyzyz");
    }

    #[test]
    fn overlapping_copies_repeat_the_pattern() {
        // "a" then copy-1 of 10 bytes at offset 1 → eleven 'a's.
        assert_eq!(decode(&[11, 0, b'a', (6 << 2) | 1, 1], MAX).unwrap(), vec![b'a'; 11]);
        // "ab" then copy-2 of 64 bytes at offset 2 → "ab" × 33.
        assert_eq!(decode(&[66, 1 << 2, b'a', b'b', (63 << 2) | 2, 2, 0], MAX).unwrap(), b"ab".repeat(33));
    }

    #[test]
    fn malformed_input_is_an_error_never_a_panic() {
        let bad: &[&[u8]] = &[
            &[],                                  // no header
            &[0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // header longer than 5 bytes
            &[0xff, 0xff, 0xff, 0xff, 0x1f],      // header above u32
            &[5, 4 << 2, b'h', b'i'],             // literal cut short
            &[5, 61 << 2, 1],                     // literal length bytes cut short
            &[3, 0, b'a', (2 << 2) | 2, 0, 0],    // copy with offset 0
            &[3, 0, b'a', (1 << 2) | 2, 2, 0],    // copy reaching before the start
            &[3, 0, b'a', 1],                     // copy-1 cut short
            &[3, 0, b'a', 2, 1],                  // copy-2 cut short
            &[3, 0, b'a', 3, 1, 0, 0],            // copy-4 cut short
            &[2, 0, b'a'],                        // shorter than declared
            &[1, 1 << 2, b'a', b'b'],             // literal longer than declared
            &[2, 0, b'a', (6 << 2) | 1, 1],       // copy longer than declared
        ];
        for input in bad {
            assert!(decode(input, MAX).is_err(), "{input:?} decoded");
        }
        // Truncations of a valid block never panic.
        let good = [66, 1 << 2, b'a', b'b', (63 << 2) | 2, 2, 0];
        for n in 0..good.len() {
            assert!(decode(&good[..n], MAX).is_err());
        }
    }

    #[test]
    fn random_and_mutated_inputs_never_panic() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        let good: Vec<u8> = vec![69, 1 << 2, b'a', b'b', (63 << 2) | 2, 2, 0, 2 << 2, b'x', b'y', b'z'];
        assert_eq!(decode(&good, 1 << 16).unwrap().len(), 69);
        for round in 0..50_000 {
            let input: Vec<u8> = if round % 2 == 0 {
                (0..next() % 48).map(|_| next() as u8).collect()
            } else {
                let mut m = good.clone();
                let i = next() as usize % m.len();
                m[i] = next() as u8;
                m
            };
            if let Ok(out) = decode(&input, 1 << 16) {
                assert!(out.len() <= input.len() * 22);
            }
        }
    }

    #[test]
    fn declared_length_is_bounded_before_allocating() {
        // 4 GiB - 1 claimed by a 6-byte input: refused by the expansion bound, nothing allocated.
        let err = decode(&[0xff, 0xff, 0xff, 0xff, 0x0f, 0], usize::MAX).unwrap_err();
        assert!(err.contains("exceeds the limit"), "{err}");
        // And by the caller's record limit.
        let mut input = vec![0xe8, 0x07, (63 << 2) | 2];
        input.extend_from_slice(&[1, 0]);
        assert!(decode(&input, 100).unwrap_err().contains("exceeds the limit of 100"));
    }
}
