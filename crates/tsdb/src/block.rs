//! Persistent blocks in Prometheus's on-disk format: a ULID-named directory with `meta.json`,
//! `index` (format v2), `chunks/000001...` and `tombstones`. See `crates/tsdb/docs/block.md`.
//! Blocks we write are read by Prometheus and promtool; blocks they write are read by us.

use crate::encoding::{crc32c, put_be32, put_uvarint, put_varint, Decbuf};
use crate::error::{Error, Result};
use crate::fileutil::{json_str, new_ulid, Json, Mmap};
use crate::index::{intersect, merge, subtract, Postings};
use crate::labels::{LabelPairs, Labels};
use crate::matcher::Matcher;
use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

mod index_writer;
mod last_samples;
mod staged_file;

use index_writer::write_index;
use staged_file::StagedFile;

const INDEX_MAGIC: u32 = 0xBAAA_D700;
const CHUNKS_MAGIC: u32 = 0x85BD_40DD;
const TOMBSTONES_MAGIC: u32 = 0x0130_BA30;
const SEGMENT_MAX: u64 = 512 * 1024 * 1024;
const TOC_LEN: usize = 6 * 8 + 4;

#[derive(Clone, Debug, PartialEq)]
pub struct BlockMeta {
    pub ulid: String,
    pub min_time: i64,
    /// Exclusive.
    pub max_time: i64,
    pub num_samples: u64,
    pub num_series: u64,
    pub num_chunks: u64,
    pub level: u32,
    pub sources: Vec<String>,
}

impl BlockMeta {
    pub fn to_json(&self) -> String {
        let sources: Vec<String> = self.sources.iter().map(|s| json_str(s)).collect();
        format!(
            "{{\n\t\"ulid\": {},\n\t\"minTime\": {},\n\t\"maxTime\": {},\n\t\"stats\": {{\n\t\t\"numSamples\": {},\n\t\t\"numSeries\": {},\n\t\t\"numChunks\": {}\n\t}},\n\t\"compaction\": {{\n\t\t\"level\": {},\n\t\t\"sources\": [{}]\n\t}},\n\t\"version\": 1\n}}\n",
            json_str(&self.ulid), self.min_time, self.max_time, self.num_samples, self.num_series, self.num_chunks, self.level, sources.join(", ")
        )
    }

    pub fn from_json(s: &str) -> std::result::Result<BlockMeta, String> {
        let j = Json::parse(s)?;
        let num = |o: Option<&Json>, k: &str| o.and_then(|o| o.get(k)).and_then(Json::as_i64).unwrap_or(0);
        let ulid = j.get("ulid").and_then(Json::as_str).ok_or("meta.json has no ulid")?.to_string();
        let version = j.get("version").and_then(Json::as_i64).unwrap_or(0);
        if version != 1 {
            return Err(format!("unsupported meta.json version {version}"));
        }
        let stats = j.get("stats");
        let compaction = j.get("compaction");
        Ok(BlockMeta {
            ulid,
            min_time: j.get("minTime").and_then(Json::as_i64).ok_or("meta.json has no minTime")?,
            max_time: j.get("maxTime").and_then(Json::as_i64).ok_or("meta.json has no maxTime")?,
            num_samples: num(stats, "numSamples") as u64,
            num_series: num(stats, "numSeries") as u64,
            num_chunks: num(stats, "numChunks") as u64,
            level: num(compaction, "level").max(1) as u32,
            sources: compaction.and_then(|c| c.get("sources")).map(|s| s.as_array().iter().filter_map(|x| x.as_str().map(String::from)).collect()).unwrap_or_default(),
        })
    }
}

/// A chunk to write: its time range and XOR bytes.
pub struct ChunkOut {
    pub min_t: i64,
    pub max_t: i64,
    /// `chunkenc::ENCODING_XOR` or `ENCODING_XOR2`.
    pub encoding: u8,
    pub data: Vec<u8>,
}

/// Writes a block from series sorted by labels (chunks of each sorted by time, non-overlapping).
/// The block appears atomically (written to a temporary directory, then renamed).
pub fn write_block<L: LabelPairs>(parent: &Path, min_time: i64, max_time: i64, level: u32, sources: Vec<String>, series: &[(L, Vec<ChunkOut>)], ulid: Option<String>) -> Result<BlockMeta> {
    let ulid = ulid.unwrap_or_else(|| new_ulid(now_ms()));
    let tmp = parent.join(format!("{ulid}.tmp-for-creation"));
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(tmp.join("chunks")).map_err(|e| Error::io(format!("create block directory {}", tmp.display()), e))?;
    let mut meta = BlockMeta { ulid: ulid.clone(), min_time, max_time, num_samples: 0, num_series: 0, num_chunks: 0, level, sources: if sources.is_empty() { vec![ulid.clone()] } else { sources } };

    // Chunks first: the index refers to their positions.
    let mut refs: Vec<u64> = Vec::with_capacity(series.iter().map(|(_, c)| c.len()).sum());
    {
        let segment = |seg: u32| -> Result<StagedFile> {
            let mut f = StagedFile::create(&tmp.join("chunks").join(format!("{:06}", seg + 1)))?;
            put_be32(&mut f.buf, CHUNKS_MAGIC);
            f.buf.extend_from_slice(&[1, 0, 0, 0]);
            Ok(f)
        };
        let mut seg = 0u32;
        let mut out = segment(seg)?;
        for (_, chunks) in series {
            for c in chunks {
                let need = c.data.len() as u64 + 15;
                if out.pos() + need > SEGMENT_MAX && out.pos() > 8 {
                    out.finish()?;
                    seg += 1;
                    out = segment(seg)?;
                }
                refs.push((seg as u64) << 32 | out.pos());
                put_uvarint(&mut out.buf, c.data.len() as u64);
                let start = out.buf.len();
                out.buf.push(c.encoding);
                out.buf.extend_from_slice(&c.data);
                let crc = crc32c(&out.buf[start..]);
                put_be32(&mut out.buf, crc);
                meta.num_chunks += 1;
                meta.num_samples += u16::from_be_bytes([c.data[0], c.data[1]]) as u64;
            }
            out.flush_if_full()?;
        }
        out.finish()?;
    }
    meta.num_series = series.len() as u64;
    let mut index = StagedFile::create(&tmp.join("index"))?;
    write_index(series, &refs, &mut index)?;
    index.finish()?;
    write_tombstones(&tmp.join("tombstones"), &[])?;
    write_file(&tmp.join("meta.json"), meta.to_json().as_bytes())?;
    let dir = parent.join(&ulid);
    fs::rename(&tmp, &dir).map_err(|e| Error::io(format!("rename block into place {}", dir.display()), e))?;
    crate::wal::sync_dir(parent);
    Ok(meta)
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn write_file(path: &Path, data: &[u8]) -> Result<()> {
    let mut f = fs::File::create(path).map_err(|e| Error::io(format!("create {}", path.display()), e))?;
    f.write_all(data).map_err(|e| Error::io(format!("write {}", path.display()), e))?;
    f.sync_all().map_err(|e| Error::io(format!("fsync {}", path.display()), e))
}

pub fn write_tombstones(path: &Path, stones: &[(u32, i64, i64)]) -> Result<()> {
    let mut b = Vec::new();
    put_be32(&mut b, TOMBSTONES_MAGIC);
    b.push(1);
    let start = b.len();
    for &(r, mint, maxt) in stones {
        put_uvarint(&mut b, r as u64);
        put_varint(&mut b, mint);
        put_varint(&mut b, maxt);
    }
    let crc = crc32c(&b[start..]);
    put_be32(&mut b, crc);
    let tmp = path.with_extension("tmp");
    write_file(&tmp, &b)?;
    fs::rename(&tmp, path).map_err(|e| Error::io(format!("rename {}", path.display()), e))
}

fn read_tombstones(path: &Path) -> Result<HashMap<u32, Vec<(i64, i64)>>> {
    let mut out: HashMap<u32, Vec<(i64, i64)>> = HashMap::new();
    let data = match fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::io(format!("read {}", path.display()), e)),
    };
    let bad = |why: &str| Error::Corrupt(format!("{}: {why}", path.display()));
    if data.len() < 9 || u32::from_be_bytes(data[0..4].try_into().unwrap()) != TOMBSTONES_MAGIC {
        return Err(bad("bad magic number"));
    }
    if data[4] != 1 {
        return Err(bad("unsupported version"));
    }
    let body = &data[5..data.len() - 4];
    if crc32c(body).to_be_bytes() != data[data.len() - 4..] {
        return Err(bad("checksum mismatch"));
    }
    let mut d = Decbuf::new(body);
    while d.remaining() > 0 {
        let r = d.uvarint().ok_or_else(|| bad("truncated tombstone"))?;
        let mint = d.varint().ok_or_else(|| bad("truncated tombstone"))?;
        let maxt = d.varint().ok_or_else(|| bad("truncated tombstone"))?;
        out.entry(r as u32).or_default().push((mint, maxt));
    }
    Ok(out)
}

/// Chunk metadata from the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkMeta {
    pub min_t: i64,
    pub max_t: i64,
    pub r: u64,
}

struct IndexReader {
    data: Mmap,
    /// Offset of each symbol's uvarint length, by symbol index.
    symbols: Vec<u32>,
    /// name -> sorted (value, postings offset).
    postings: HashMap<String, Vec<(String, u64)>>,
}

impl IndexReader {
    fn open(path: &Path) -> Result<IndexReader> {
        let data = Mmap::open(path)?;
        let bad = |why: String| Error::Corrupt(format!("{}: {why}", path.display()));
        let b = data.bytes();
        if b.len() < 5 + TOC_LEN {
            return Err(bad("file too short".into()));
        }
        if u32::from_be_bytes(b[0..4].try_into().unwrap()) != INDEX_MAGIC {
            return Err(bad("bad magic number".into()));
        }
        if b[4] != 2 {
            return Err(bad(format!("unsupported index version {}", b[4])));
        }
        let toc_at = b.len() - TOC_LEN;
        let toc_bytes = &b[toc_at..toc_at + 48];
        if crc32c(toc_bytes).to_be_bytes() != b[toc_at + 48..] {
            return Err(bad("table of contents checksum mismatch".into()));
        }
        let toc: Vec<u64> = toc_bytes.chunks(8).map(|c| u64::from_be_bytes(c.try_into().unwrap())).collect();
        let sec = |off: u64, what: &str| -> Result<&[u8]> {
            let off = off as usize;
            let len = b.get(off..off + 4).map(|s| u32::from_be_bytes(s.try_into().unwrap()) as usize).ok_or_else(|| bad(format!("{what} out of bounds")))?;
            let body = b.get(off + 4..off + 4 + len).ok_or_else(|| bad(format!("{what} out of bounds")))?;
            let crc = b.get(off + 4 + len..off + 8 + len).ok_or_else(|| bad(format!("{what} out of bounds")))?;
            if crc32c(body).to_be_bytes() != crc {
                return Err(bad(format!("{what} checksum mismatch")));
            }
            Ok(body)
        };
        let mut symbols = Vec::new();
        if toc[0] != 0 {
            let body = sec(toc[0], "symbol table")?;
            let base = toc[0] as usize + 4;
            let mut d = Decbuf::new(body);
            let n = d.be32().ok_or_else(|| bad("symbol table truncated".into()))?;
            symbols.reserve(n as usize);
            for _ in 0..n {
                symbols.push((base + d.pos) as u32);
                let l = d.uvarint().ok_or_else(|| bad("symbol table truncated".into()))?;
                d.bytes(l as usize).ok_or_else(|| bad("symbol table truncated".into()))?;
            }
        }
        let mut postings: HashMap<String, Vec<(String, u64)>> = HashMap::new();
        if toc[5] != 0 {
            let body = sec(toc[5], "postings offset table")?;
            let mut d = Decbuf::new(body);
            let n = d.be32().ok_or_else(|| bad("postings offset table truncated".into()))?;
            for _ in 0..n {
                let keys = d.uvarint();
                let name = d.uvarint_str();
                let value = d.uvarint_str();
                let off = d.uvarint();
                match (keys, name, value, off) {
                    (Some(2), Some(n), Some(v), Some(o)) => postings.entry(n.to_string()).or_default().push((v.to_string(), o)),
                    _ => return Err(bad("postings offset table entry invalid".into())),
                }
            }
        }
        for list in postings.values_mut() {
            list.sort();
        }
        Ok(IndexReader { data, symbols, postings })
    }

    fn symbol(&self, i: u64) -> Result<&str> {
        let off = *self.symbols.get(i as usize).ok_or_else(|| Error::Corrupt(format!("symbol {i} out of range")))? as usize;
        let mut d = Decbuf::new(&self.data.bytes()[off..]);
        d.uvarint_str().ok_or_else(|| Error::Corrupt(format!("symbol {i} unreadable")))
    }

    fn postings_at(&self, off: u64) -> Result<Postings> {
        let b = self.data.bytes();
        let off = off as usize;
        let bad = || Error::Corrupt(format!("postings list at {off} out of bounds"));
        let len = b.get(off..off + 4).map(|s| u32::from_be_bytes(s.try_into().unwrap()) as usize).ok_or_else(bad)?;
        let body = b.get(off + 4..off + 4 + len).ok_or_else(bad)?;
        let n = u32::from_be_bytes(body.get(0..4).ok_or_else(bad)?.try_into().unwrap()) as usize;
        let ids = body.get(4..4 + 4 * n).ok_or_else(bad)?;
        Ok(ids.chunks_exact(4).map(|c| u32::from_be_bytes(c.try_into().unwrap())).collect())
    }

    fn postings(&self, name: &str, value: &str) -> Result<Postings> {
        match self.postings.get(name).and_then(|vs| vs.binary_search_by(|(v, _)| v.as_str().cmp(value)).ok().map(|i| vs[i].1)) {
            Some(off) => self.postings_at(off),
            None => Ok(Vec::new()),
        }
    }

    fn all(&self) -> Result<Postings> {
        self.postings("", "")
    }

    fn values(&self, name: &str) -> &[(String, u64)] {
        self.postings.get(name).map(|v| v.as_slice()).unwrap_or(&[])
    }

    fn matching(&self, m: &Matcher) -> Result<Postings> {
        let values = self.values(m.name());
        if m.matches_empty() {
            let mut excluded = Vec::new();
            for (v, off) in values {
                if !m.matches(v) {
                    excluded.push(self.postings_at(*off)?);
                }
            }
            let refs: Vec<&[u32]> = excluded.iter().map(|l| l.as_slice()).collect();
            Ok(subtract(&self.all()?, &merge(&refs)))
        } else {
            let mut lists = Vec::new();
            for (v, off) in values {
                if m.matches(v) {
                    lists.push(self.postings_at(*off)?);
                }
            }
            let refs: Vec<&[u32]> = lists.iter().map(|l| l.as_slice()).collect();
            Ok(if refs.len() == 1 { lists.pop().unwrap() } else { merge(&refs) })
        }
    }

    fn select(&self, matchers: &[Matcher]) -> Result<Postings> {
        let mut result: Option<Postings> = None;
        let (narrowing, widening): (Vec<&Matcher>, Vec<&Matcher>) = matchers.iter().partition(|m| !m.matches_empty());
        for m in narrowing.into_iter().chain(widening) {
            let set = self.matching(m)?;
            let r = match result {
                None => set,
                Some(r) => intersect(&r, &set),
            };
            if r.is_empty() {
                return Ok(r);
            }
            result = Some(r);
        }
        match result {
            Some(r) => Ok(r),
            None => self.all(),
        }
    }

    /// A series entry: labels and chunk metas.
    fn series(&self, id: u32) -> Result<(Labels, Vec<ChunkMeta>)> {
        let (mut pairs, mut chunks) = (Vec::new(), Vec::new());
        self.series_symbols(id, &mut pairs, &mut chunks)?;
        let mut labels = Vec::with_capacity(pairs.len());
        for (n, v) in pairs {
            labels.push((self.symbol(u64::from(n))?.to_string(), self.symbol(u64::from(v))?.to_string()));
        }
        // Labels in the index are sorted; rebuild through from_pairs to be safe with foreign data.
        Ok((Labels::from_pairs(labels), chunks))
    }

    /// A series entry as its labels' symbol numbers (name, value), in index order, and its
    /// chunk metas, into the buffers (cleared first): no string is copied.
    fn series_symbols(&self, id: u32, pairs: &mut Vec<(u32, u32)>, chunks: &mut Vec<ChunkMeta>) -> Result<()> {
        pairs.clear();
        chunks.clear();
        let off = id as usize * 16;
        let b = self.data.bytes();
        let bad = |why: &str| Error::Corrupt(format!("series {id}: {why}"));
        let mut d = Decbuf::new(b.get(off..).ok_or_else(|| bad("out of bounds"))?);
        let len = d.uvarint().ok_or_else(|| bad("truncated"))? as usize;
        let body = d.bytes(len).ok_or_else(|| bad("truncated"))?;
        let crc = d.be32().ok_or_else(|| bad("truncated"))?;
        if crc32c(body) != crc {
            return Err(bad("checksum mismatch"));
        }
        let mut d = Decbuf::new(body);
        let n = d.uvarint().ok_or_else(|| bad("truncated"))?;
        let symbol_number = |x: Option<u64>| x.and_then(|x| u32::try_from(x).ok()).filter(|&x| (x as usize) < self.symbols.len()).ok_or_else(|| bad("truncated or unknown symbol"));
        for _ in 0..n {
            let name = symbol_number(d.uvarint())?;
            let value = symbol_number(d.uvarint())?;
            pairs.push((name, value));
        }
        let nc = d.uvarint().ok_or_else(|| bad("truncated"))?;
        let (mut prev_max, mut prev_ref) = (0i64, 0i64);
        for i in 0..nc {
            let (min_t, max_t, r) = if i == 0 {
                let min_t = d.varint().ok_or_else(|| bad("truncated"))?;
                let max_t = min_t + d.uvarint().ok_or_else(|| bad("truncated"))? as i64;
                (min_t, max_t, d.uvarint().ok_or_else(|| bad("truncated"))? as i64)
            } else {
                let min_t = prev_max + d.uvarint().ok_or_else(|| bad("truncated"))? as i64;
                let max_t = min_t + d.uvarint().ok_or_else(|| bad("truncated"))? as i64;
                (min_t, max_t, prev_ref + d.varint().ok_or_else(|| bad("truncated"))?)
            };
            chunks.push(ChunkMeta { min_t, max_t, r: r as u64 });
            prev_max = max_t;
            prev_ref = r;
        }
        Ok(())
    }
}

/// An open block.
pub struct Block {
    pub dir: PathBuf,
    pub meta: BlockMeta,
    index: IndexReader,
    segments: Vec<Mmap>,
    pub tombstones: HashMap<u32, Vec<(i64, i64)>>,
    pub size_bytes: u64,
    last_samples: last_samples::LastSamples,
}

/// A series of a block that matched a selection.
pub struct BlockSeries {
    pub id: u32,
    pub labels: Labels,
    pub chunks: Vec<ChunkMeta>,
}

impl Block {
    pub fn open(dir: &Path) -> Result<Block> {
        let meta_path = dir.join("meta.json");
        let text = fs::read_to_string(&meta_path).map_err(|e| Error::io(format!("read {}", meta_path.display()), e))?;
        let meta = BlockMeta::from_json(&text).map_err(|e| Error::Corrupt(format!("{}: {e}", meta_path.display())))?;
        let index = IndexReader::open(&dir.join("index"))?;
        let mut names: Vec<PathBuf> = fs::read_dir(dir.join("chunks")).map_err(|e| Error::io(format!("list {}/chunks", dir.display()), e))?.flatten().map(|e| e.path()).filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().bytes().all(|b| b.is_ascii_digit()))).collect();
        names.sort();
        let mut segments = Vec::with_capacity(names.len());
        for p in &names {
            let m = Mmap::open(p)?;
            let b = m.bytes();
            if b.len() < 8 || u32::from_be_bytes(b[0..4].try_into().unwrap()) != CHUNKS_MAGIC {
                return Err(Error::Corrupt(format!("{}: bad chunks file header", p.display())));
            }
            segments.push(m);
        }
        let tombstones = read_tombstones(&dir.join("tombstones"))?;
        let size_bytes = crate::wal::dir_size(dir);
        Ok(Block { dir: dir.to_path_buf(), meta, index, segments, tombstones, size_bytes, last_samples: Default::default() })
    }

    /// A chunk's encoding and bytes.
    pub fn chunk(&self, r: u64) -> Result<(u8, &[u8])> {
        let (seg, off) = ((r >> 32) as usize, (r & 0xffff_ffff) as usize);
        let bad = |why: &str| Error::Corrupt(format!("block {} chunk {r:#x}: {why}", self.meta.ulid));
        let b = self.segments.get(seg).ok_or_else(|| bad("no such chunks file"))?.bytes();
        let mut d = Decbuf::new(b.get(off..).ok_or_else(|| bad("offset out of bounds"))?);
        let len = d.uvarint().ok_or_else(|| bad("truncated"))? as usize;
        let enc = d.byte().ok_or_else(|| bad("truncated"))?;
        if !crate::chunkenc::is_supported(enc) {
            return Err(bad(&format!("chunk encoding {enc} is not supported (only XOR, XOR2 and native-histogram chunks)")));
        }
        Ok((enc, d.bytes(len).ok_or_else(|| bad("truncated"))?))
    }

    /// The last (timestamp, value) of the float (XOR) chunk at `r`, remembered after the first
    /// read; None for a chunk of another encoding.
    pub fn last_float_sample(&self, r: u64) -> Result<Option<(i64, f64)>> {
        let (encoding, data) = self.chunk(r)?;
        self.last_samples.get(r, encoding, data)
    }

    /// Series matching the matchers with chunks overlapping `[mint, maxt]`, sorted by labels.
    pub fn select(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Result<Vec<BlockSeries>> {
        let ids = self.index.select(matchers)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let (labels, mut chunks) = self.index.series(id)?;
            chunks.retain(|c| c.max_t >= mint && c.min_t <= maxt);
            if !chunks.is_empty() {
                out.push(BlockSeries { id, labels, chunks });
            }
        }
        Ok(out)
    }

    /// Series matching the matchers with chunks overlapping `[mint, maxt]`, in index order
    /// (sorted by labels), each given to `f` as its id, its labels' symbol numbers (see
    /// `symbol`) in index order, and those chunks: nothing is allocated per series.
    pub fn for_each_selected(&self, matchers: &[Matcher], mint: i64, maxt: i64, mut f: impl FnMut(u32, &[(u32, u32)], &[ChunkMeta]) -> Result<()>) -> Result<()> {
        let (mut pairs, mut chunks) = (Vec::new(), Vec::new());
        for id in self.index.select(matchers)? {
            self.index.series_symbols(id, &mut pairs, &mut chunks)?;
            chunks.retain(|c| c.max_t >= mint && c.min_t <= maxt);
            if !chunks.is_empty() {
                f(id, &pairs, &chunks)?;
            }
        }
        Ok(())
    }

    /// The text of a symbol number `for_each_selected` gave.
    pub fn symbol(&self, number: u32) -> Result<&str> {
        self.index.symbol(u64::from(number))
    }

    pub fn label_names(&self) -> Vec<String> {
        self.index.postings.keys().filter(|k| !k.is_empty()).cloned().collect()
    }

    pub fn label_values(&self, name: &str) -> Vec<String> {
        if name.is_empty() {
            return Vec::new();
        }
        self.index.values(name).iter().map(|(v, _)| v.clone()).collect()
    }

    /// Series ids matching the matchers (no time filter).
    pub fn select_ids(&self, matchers: &[Matcher]) -> Result<Postings> {
        self.index.select(matchers)
    }

    /// Every series of the block with its chunk metas, in index order (sorted by labels).
    pub fn all_series(&self) -> Result<Vec<BlockSeries>> {
        let ids = self.index.all()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let (labels, chunks) = self.index.series(id)?;
            out.push(BlockSeries { id, labels, chunks });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunkenc::{ChunkIterator, XorAppender, ENCODING_XOR};

    fn chunk(samples: &[(i64, f64)]) -> ChunkOut {
        let mut a = XorAppender::new();
        for &(t, v) in samples {
            a.append(t, v);
        }
        ChunkOut { min_t: a.min_time(), max_t: a.max_time(), encoding: ENCODING_XOR, data: a.bytes().to_vec() }
    }

    #[test]
    fn written_blocks_read_back() {
        let dir = std::env::temp_dir().join(format!("promethium-block-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let mut series: Vec<(Labels, Vec<ChunkOut>)> = (0..50)
            .map(|i| {
                let l = Labels::from_pairs([("__name__", if i % 2 == 0 { "a" } else { "b" }), ("i", &i.to_string()), ("job", "j")]);
                (l, vec![chunk(&[(0, i as f64), (1000, 1.0)]), chunk(&[(2000, 2.0)])])
            })
            .collect();
        series.sort_by(|a, b| a.0.cmp(&b.0));
        let meta = write_block(&dir, 0, 2001, 1, vec![], &series, None).unwrap();
        let b = Block::open(&dir.join(&meta.ulid)).unwrap();
        assert_eq!(b.meta, meta);
        assert_eq!((meta.num_series, meta.num_chunks, meta.num_samples), (50, 100, 150));
        let sel = b.select(&[Matcher::Equal { name: "__name__".into(), value: "a".into() }], 1500, 3000).unwrap();
        assert_eq!(sel.len(), 25);
        assert_eq!(sel[0].chunks.len(), 1);
        let (enc, data) = b.chunk(sel[0].chunks[0].r).unwrap();
        assert_eq!(ChunkIterator::new(enc, data).collect::<Vec<_>>(), vec![(0, 2000, 2.0)]);
        let mut names = b.label_names();
        names.sort();
        assert_eq!(names, vec!["__name__", "i", "job"]);
        assert_eq!(b.select(&[Matcher::NotEqual { name: "job".into(), value: "j".into() }], 0, 3000).unwrap().len(), 0);
        assert_eq!(b.select(&[Matcher::Equal { name: "missing".into(), value: "".into() }, Matcher::In { name: "i".into(), values: vec!["1".into(), "2".into()] }], 0, 3000).unwrap().len(), 2);
    }

    /// Index and chunk files of several megabytes go to disk in pieces: every series reads back
    /// whole, with label sets that share a prefix, differ by one value, or gain a label between
    /// two the neighbour has (which the symbol numbering's reuse of the neighbour must not mix up).
    #[test]
    fn blocks_written_in_pieces_read_back() {
        let dir = std::env::temp_dir().join(format!("promethium-block-pieces-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let labels = |i: usize| {
            let mut pairs = vec![("__name__", format!("m{}", i % 3)), ("id", i.to_string()), ("job", "j".to_string())];
            if i.is_multiple_of(7) {
                pairs.push(("extra", format!("e{}", i % 5)));
            }
            Labels::from_pairs(pairs)
        };
        let mut series: Vec<(Labels, Vec<ChunkOut>)> = (0..60_000).map(|i| (labels(i), vec![chunk(&[(0, i as f64)]), chunk(&[(1000, -(i as f64))])])).collect();
        series.sort_by(|a, b| a.0.cmp(&b.0));
        let meta = write_block(&dir, 0, 1001, 1, vec![], &series, None).unwrap();
        let block_dir = dir.join(&meta.ulid);
        assert!(fs::metadata(block_dir.join("index")).unwrap().len() > 2 << 20);
        assert!(fs::metadata(block_dir.join("chunks/000001")).unwrap().len() > 2 << 20);
        let b = Block::open(&block_dir).unwrap();
        let read = b.all_series().unwrap();
        assert_eq!(read.len(), series.len());
        for (got, (want, _)) in read.iter().zip(&series) {
            assert_eq!(&got.labels, want);
            let i: f64 = want.get("id").unwrap().parse().unwrap();
            let mut samples: Vec<(i64, f64)> = Vec::new();
            for c in &got.chunks {
                let (enc, data) = b.chunk(c.r).unwrap();
                samples.extend(ChunkIterator::new(enc, data).map(|(_, t, v)| (t, v)));
            }
            assert_eq!(samples, vec![(0, i), (1000, -i)]);
        }
        let extra = b.select(&[Matcher::Equal { name: "extra".into(), value: "e0".into() }], 0, 2000).unwrap();
        assert_eq!(extra.len(), (0..60_000usize).filter(|i| i.is_multiple_of(35)).count());
        let _ = fs::remove_dir_all(&dir);
    }
}
