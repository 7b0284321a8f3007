//! Writing a block's `index` file (format v2; `crates/tsdb/docs/block.md`) from series sorted
//! by labels and the chunk references the chunk writer gave them.
//!
//! A head cut writes a million series at once, so a label occurrence costs at most one string
//! hash, and none when it equals the previous series' label at the same position (sorted series
//! mostly do): each name and value is numbered on first sight, the distinct strings are sorted
//! once, and from then on a label is a pair of numbers. Because symbols are numbered in string
//! order, sorting postings lists by (name number, value number) sorts them as (name, value)
//! strings, which is the order the format asks for. The lists' series ids are gathered in one
//! buffer. An ordered set and map of strings searched once per label occurrence, with a vector
//! per list, cost most of the block write at 1M series.

use super::staged_file::StagedFile;
use super::{ChunkOut, INDEX_MAGIC};
use crate::error::Result;
use crate::encoding::{crc32c, put_be32, put_be64, put_uvarint, put_varint};
use crate::labels::LabelPairs;
use crate::int_hash::U64Map;
use std::collections::HashMap;

const INDEX_VERSION: u8 = 2;

/// Postings lists numbered in first-seen order, found by (name, value) symbol numbers. Most
/// values go with one name only (an instance, a series id), so a list is first looked for in a
/// vector indexed by the value's number, filled in the order values are first seen, and only a
/// value that goes with several names uses the hash map: one random probe of a million-entry
/// map per label cost as much as the rest of the index.
#[derive(Default)]
struct Lists {
    /// Each list's (name, value) symbol numbers.
    pairs: Vec<(u32, u32)>,
    /// By value number: the name number and list of the first list seen with that value.
    by_value: Vec<Option<(u32, u32)>>,
    /// Lists whose value went with another name first, by (name << 32 | value).
    others: U64Map<u32>,
}

impl Lists {
    fn of(&mut self, (name, value): (u32, u32)) -> u32 {
        let v = value as usize;
        if v >= self.by_value.len() {
            self.by_value.resize(v + 1, None);
        }
        match self.by_value[v] {
            Some((n, list)) if n == name => list,
            Some(_) => {
                let next = self.pairs.len() as u32;
                let list = *self.others.entry(u64::from(name) << 32 | u64::from(value)).or_insert(next);
                if list == next {
                    self.pairs.push((name, value));
                }
                list
            }
            None => {
                let list = self.pairs.len() as u32;
                self.by_value[v] = Some((name, list));
                self.pairs.push((name, value));
                list
            }
        }
    }
}

/// The symbol table and the postings lists' membership, from one pass over the label sets.
struct Symbols<'a> {
    /// Every distinct label name and value, sorted.
    sorted: Vec<&'a str>,
    /// (name, value) indexes into `sorted` of every label of every series, series after series.
    pairs: Vec<(u32, u32)>,
    /// The postings list of each label in `pairs`, numbered in first-seen order.
    list_of: Vec<u32>,
    /// Each postings list's (name, value) indexes into `sorted`.
    lists: Vec<(u32, u32)>,
}

impl<'a> Symbols<'a> {
    fn collect<L: LabelPairs>(series: &'a [(L, Vec<ChunkOut>)]) -> Symbols<'a> {
        // Sized for one new string per series: growing rehashes every string seen so far.
        let mut first_seen: HashMap<&'a str, u32> = HashMap::with_capacity(series.len());
        let mut strings: Vec<&'a str> = Vec::new();
        let mut number = |s: &'a str| {
            *first_seen.entry(s).or_insert_with(|| {
                strings.push(s);
                (strings.len() - 1) as u32
            })
        };
        let mut lists = Lists::default();
        let label_count = series.iter().map(|(l, _)| l.pair_count()).sum();
        let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(label_count);
        let mut list_of: Vec<u32> = Vec::with_capacity(label_count);
        // Sorted series share most labels with the one before them (the metric name, the job,
        // the instance), so a label equal to the previous series' at the same position takes
        // its numbers and its list without hashing.
        let mut prev: Vec<(&'a str, &'a str)> = Vec::new();
        let mut here: Vec<(&'a str, &'a str)> = Vec::new();
        let mut prev_at = 0;
        for (labels, _) in series {
            let at = pairs.len();
            here.clear();
            for (i, (name, value)) in labels.pairs().enumerate() {
                let same = prev.get(i).map(|&(n, v)| (n == name, v == value));
                let (pair, list) = match same {
                    Some((true, true)) => (pairs[prev_at + i], list_of[prev_at + i]),
                    _ => {
                        let pair = match same {
                            Some((true, _)) => (pairs[prev_at + i].0, number(value)),
                            _ => (number(name), number(value)),
                        };
                        (pair, lists.of(pair))
                    }
                };
                pairs.push(pair);
                list_of.push(list);
                here.push((name, value));
            }
            std::mem::swap(&mut prev, &mut here);
            prev_at = at;
        }
        drop(first_seen);
        let mut lists = lists.pairs;
        // Renumber from first-seen order to string order.
        let mut order: Vec<u32> = (0..strings.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| strings[a as usize].cmp(strings[b as usize]));
        let mut rank = vec![0u32; strings.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i as usize] = r as u32;
        }
        for p in pairs.iter_mut().chain(lists.iter_mut()) {
            *p = (rank[p.0 as usize], rank[p.1 as usize]);
        }
        let sorted = order.iter().map(|&i| strings[i as usize]).collect();
        Symbols { sorted, pairs, list_of, lists }
    }

    /// Every postings list's series ids, all in one buffer: list i is `ids[starts[i]..starts[i + 1]]`.
    /// `series_ids` are the series' ids in series order, so each list comes out ascending.
    fn postings(&self, series_ids: &[u32], label_counts: impl Iterator<Item = usize>) -> (Vec<u32>, Vec<usize>) {
        let mut starts = vec![0usize; self.lists.len() + 1];
        for &l in &self.list_of {
            starts[l as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let mut ids = vec![0u32; self.list_of.len()];
        let mut k = 0;
        for (&id, n) in series_ids.iter().zip(label_counts) {
            for &l in &self.list_of[k..k + n] {
                ids[next[l as usize]] = id;
                next[l as usize] += 1;
            }
            k += n;
        }
        (ids, starts)
    }
}

/// Writes the index file. `refs` holds every chunk's reference, series after series, in the
/// order of `series` and of each series' chunks.
pub(super) fn write_index<L: LabelPairs>(series: &[(L, Vec<ChunkOut>)], refs: &[u64], out: &mut StagedFile) -> Result<()> {
    let symbols = Symbols::collect(series);
    put_be32(&mut out.buf, INDEX_MAGIC);
    out.buf.push(INDEX_VERSION);
    let mut toc = [0u64; 6];

    toc[0] = out.pos();
    section(&mut out.buf, |b| {
        put_be32(b, symbols.sorted.len() as u32);
        for s in &symbols.sorted {
            put_uvarint(b, s.len() as u64);
            b.extend_from_slice(s.as_bytes());
        }
    });
    out.flush_if_full()?;

    // Series, each 16-byte aligned; the id is offset / 16.
    let mut all: Vec<u32> = Vec::with_capacity(series.len());
    out.pad_to(16);
    toc[1] = out.pos();
    let mut body = Vec::new();
    let (mut pairs, mut refs) = (symbols.pairs.as_slice(), refs);
    for (labels, chunks) in series {
        out.pad_to(16);
        let id = (out.pos() / 16) as u32;
        body.clear();
        let (mine, rest) = pairs.split_at(labels.pair_count());
        pairs = rest;
        put_uvarint(&mut body, mine.len() as u64);
        for &(name, value) in mine {
            put_uvarint(&mut body, u64::from(name));
            put_uvarint(&mut body, u64::from(value));
        }
        let (rs, rest) = refs.split_at(chunks.len());
        refs = rest;
        put_uvarint(&mut body, chunks.len() as u64);
        let (mut prev_max, mut prev_ref) = (0i64, 0u64);
        for (i, (c, &r)) in chunks.iter().zip(rs).enumerate() {
            if i == 0 {
                put_varint(&mut body, c.min_t);
                put_uvarint(&mut body, (c.max_t - c.min_t) as u64);
                put_uvarint(&mut body, r);
            } else {
                put_uvarint(&mut body, (c.min_t - prev_max) as u64);
                put_uvarint(&mut body, (c.max_t - c.min_t) as u64);
                put_varint(&mut body, r as i64 - prev_ref as i64);
            }
            prev_max = c.max_t;
            prev_ref = r;
        }
        put_uvarint(&mut out.buf, body.len() as u64);
        out.buf.extend_from_slice(&body);
        put_be32(&mut out.buf, crc32c(&body));
        all.push(id);
        out.flush_if_full()?;
    }
    let (ids, starts) = symbols.postings(&all, series.iter().map(|(l, _)| l.pair_count()));
    let list = |i: usize| &ids[starts[i]..starts[i + 1]];
    // Lists in (name, value) order: the symbols are numbered in string order.
    let mut order: Vec<usize> = (0..symbols.lists.len()).collect();
    order.sort_unstable_by_key(|&i| symbols.lists[i]);
    let name_of = |i: usize| symbols.sorted[symbols.lists[i].0 as usize];
    let value_of = |i: usize| symbols.sorted[symbols.lists[i].1 as usize];

    // Label indices (one per name, listing its values' symbols) and their offset table.
    out.pad_to(4);
    toc[2] = out.pos();
    let mut label_offsets: Vec<(&str, u64)> = Vec::new();
    for same_name in order.chunk_by(|&a, &b| symbols.lists[a].0 == symbols.lists[b].0) {
        out.pad_to(4);
        label_offsets.push((name_of(same_name[0]), out.pos()));
        section(&mut out.buf, |b| {
            put_be32(b, 1);
            put_be32(b, same_name.len() as u32);
            for &i in same_name {
                put_be32(b, symbols.lists[i].1);
            }
        });
        out.flush_if_full()?;
    }
    toc[3] = out.pos();
    section(&mut out.buf, |b| {
        put_be32(b, label_offsets.len() as u32);
        for (name, off) in &label_offsets {
            put_uvarint(b, 1);
            put_uvarint(b, name.len() as u64);
            b.extend_from_slice(name.as_bytes());
            put_uvarint(b, *off);
        }
    });
    out.flush_if_full()?;

    // Postings: the all-series list under the empty pair first, then every pair in order.
    out.pad_to(4);
    toc[4] = out.pos();
    let mut offsets: Vec<(&str, &str, u64)> = Vec::with_capacity(order.len() + 1);
    offsets.push(("", "", write_list(out, &all)?));
    for &i in &order {
        offsets.push((name_of(i), value_of(i), write_list(out, list(i))?));
    }
    toc[5] = out.pos();
    section(&mut out.buf, |b| {
        put_be32(b, offsets.len() as u32);
        for (n, v, o) in &offsets {
            put_uvarint(b, 2);
            put_uvarint(b, n.len() as u64);
            b.extend_from_slice(n.as_bytes());
            put_uvarint(b, v.len() as u64);
            b.extend_from_slice(v.as_bytes());
            put_uvarint(b, *o);
        }
    });
    let toc_start = out.buf.len();
    for t in toc {
        put_be64(&mut out.buf, t);
    }
    let crc = crc32c(&out.buf[toc_start..]);
    put_be32(&mut out.buf, crc);
    Ok(())
}

/// Writes one postings list, 4-byte aligned; returns where it starts.
fn write_list(out: &mut StagedFile, ids: &[u32]) -> Result<u64> {
    out.pad_to(4);
    let at = out.pos();
    section(&mut out.buf, |b| {
        put_be32(b, ids.len() as u32);
        for &id in ids {
            put_be32(b, id);
        }
    });
    out.flush_if_full()?;
    Ok(at)
}

/// Appends `len <4b>` + body + CRC32 where the body is produced by `f`.
fn section(out: &mut Vec<u8>, f: impl FnOnce(&mut Vec<u8>)) {
    let len_at = out.len();
    out.extend_from_slice(&[0; 4]);
    f(out);
    let body = &out[len_at + 4..];
    let (len, crc) = (body.len() as u32, crc32c(body));
    out[len_at..len_at + 4].copy_from_slice(&len.to_be_bytes());
    put_be32(out, crc);
}
