// The label-set buffers exchanged with the native addon (little-endian). The plain one:
// u32 count; per set u16 n; per label u32 nameLen, name (UTF-8), u32 valueLen, value.
import { isAscii } from 'node:buffer';
import type { Labels } from '../model/labels.js';
// Decoded sets stay plain objects (callers compare and spread them); setLabel keeps `__proto__` a key.
import { setLabel } from '../model/labels.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The bytes decoded as text at once: V8 puts a longer string in its large-object space, in pages
 * mapped afresh for each one (a page fault per 4 KiB); shorter ones it makes in memory it reuses.
 */
const TEXT_CHUNK_BYTES = 64 << 10;

/** Where the label set starting at `pos` ends. */
function setEnd(view: DataView, pos: number): number {
  const n = view.getUint16(pos, true);
  pos += 2;
  for (let j = 0; j < 2 * n; j++) pos += 4 + view.getUint32(pos, true);
  return pos;
}

/**
 * Label sets into one buffer, written in place: encoding each name and value on its own made an
 * ArrayBuffer per string, four native allocations each; a large target's first scrape (100k
 * series, 1.2M strings) left ~150 MB of them, freed only at V8's next full collection and then
 * scattered as free holes between the head's series in glibc's heap (the server's resident
 * memory stayed ~140 MiB higher for good). Sets can be added a few at a time (Storage's
 * seriesRefsAsync lets the event loop turn between them).
 */
export class LabelSetWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 4;
  private count = 0;

  constructor(expectedSets: number) {
    this.buf = new Uint8Array(Math.max(256, 4 + expectedSets * 96));
    this.view = new DataView(this.buf.buffer);
  }

  add(set: Labels): void {
    this.reserve(2);
    const countAt = this.pos;
    this.pos += 2;
    let n = 0;
    for (const name of Object.keys(set)) {
      const value = set[name];
      if (value === undefined) continue;
      this.writeText(name);
      this.writeText(value);
      n++;
    }
    if (n > 0xffff) throw new RangeError('a label set has more than 65535 labels');
    this.view.setUint16(countAt, n, true);
    this.count++;
  }

  /** The buffer of the sets added so far. */
  finish(): Uint8Array {
    this.view.setUint32(0, this.count, true);
    return this.buf.subarray(0, this.pos);
  }

  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + bytes));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }

  /** A length field and the UTF-8 bytes of `s` (a UTF-16 unit takes at most 3 bytes). */
  private writeText(s: string): void {
    this.reserve(4 + 3 * s.length);
    const buf = this.buf;
    let p = this.pos + 4;
    let i = 0;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[p++] = c;
    }
    // The rest from the first non-ASCII unit (never the second half of a pair): lone surrogates
    // become U+FFFD, as TextEncoder.encode made them.
    if (i < s.length) p += encoder.encodeInto(s.slice(i), buf.subarray(p)).written;
    this.view.setUint32(this.pos, p - this.pos - 4, true);
    this.pos = p;
  }
}

export function encodeLabelSets(sets: readonly Labels[]): Uint8Array {
  const w = new LabelSetWriter(sets.length);
  for (const set of sets) w.add(set);
  return w.finish();
}

export function decodeLabelSets(buf: Uint8Array): Labels[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // Node's Buffer copies Latin-1 bytes into a string directly (TextDecoder takes several times longer).
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  const count = view.getUint32(pos, true);
  pos += 4;
  const out: Labels[] = new Array<Labels>(count);
  // The buffer is read a piece at a time. In a piece that is all ASCII (the common case; its
  // length fields too, which holds while names and values are shorter than 128 bytes) bytes are
  // characters: every name and value is a slice of the piece decoded once. Other pieces decode
  // each name and value as UTF-8.
  let text = '';
  let base = 0;
  let ascii = false;
  let pieceEnd = 0;
  for (let i = 0; i < count; i++) {
    const end = setEnd(view, pos);
    if (end > pieceEnd) {
      base = pos;
      pieceEnd = Math.max(end, Math.min(buf.length, pos + TEXT_CHUNK_BYTES));
      ascii = isAscii(buf.subarray(pos, pieceEnd));
      text = ascii ? bytes.toString('latin1', pos, pieceEnd) : '';
    }
    const n = view.getUint16(pos, true);
    pos += 2;
    const set: Labels = {};
    for (let j = 0; j < n; j++) {
      const nl = view.getUint32(pos, true);
      const name = ascii ? text.slice(pos + 4 - base, pos + 4 + nl - base) : decoder.decode(buf.subarray(pos + 4, pos + 4 + nl));
      pos += 4 + nl;
      const vl = view.getUint32(pos, true);
      setLabel(set, name, ascii ? text.slice(pos + 4 - base, pos + 4 + vl - base) : decoder.decode(buf.subarray(pos + 4, pos + 4 + vl)));
      pos += 4 + vl;
    }
    out[i] = set;
  }
  return out;
}

/**
 * A selection's label sets as the addon sends them (crates/tsdb-node/src/selection_labels.rs):
 * a table of strings, each once, then per set its (name, value) string ids. Each distinct
 * string becomes one JavaScript string, shared by every set that has it (a name such as
 * `instance` is then also the same key string in every object, which V8 looks up once).
 */
export function decodeInternedLabelSets(buf: Uint8Array): Labels[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const stringCount = view.getUint32(0, true);
  const textBytes = view.getUint32(4, true);
  let pos = 8;
  const textStart = pos + 4 * stringCount;
  const textEnd = textStart + textBytes;
  if (textEnd + 4 > buf.length) throw new RangeError('label table truncated');
  const strings: string[] = new Array<string>(stringCount);
  // As decodeLabelSets does: a piece of the text at a time, sliced when it is all ASCII.
  let at = textStart;
  let pieceStart = 0;
  let pieceEnd = 0;
  let piece = '';
  let ascii = false;
  for (let i = 0; i < stringCount; i++) {
    const end = at + view.getUint32(pos, true);
    pos += 4;
    if (end > textEnd) throw new RangeError('label table truncated');
    if (end > pieceEnd) {
      pieceStart = at;
      pieceEnd = Math.max(end, Math.min(textEnd, at + TEXT_CHUNK_BYTES));
      ascii = isAscii(buf.subarray(pieceStart, pieceEnd));
      piece = ascii ? bytes.toString('latin1', pieceStart, pieceEnd) : '';
    }
    strings[i] = ascii ? piece.slice(at - pieceStart, end - pieceStart) : decoder.decode(buf.subarray(at, end));
    at = end;
  }
  pos = textEnd;
  const count = view.getUint32(pos, true);
  pos += 4;
  const out: Labels[] = new Array<Labels>(count);
  for (let i = 0; i < count; i++) {
    const n = view.getUint16(pos, true);
    pos += 2;
    if (pos + 8 * n > buf.length) throw new RangeError('label table truncated');
    const set: Labels = {};
    for (let j = 0; j < n; j++) {
      const name = strings[view.getUint32(pos, true)];
      const value = strings[view.getUint32(pos + 4, true)];
      if (name === undefined || value === undefined) throw new RangeError('label table names a string it does not have');
      setLabel(set, name, value);
      pos += 8;
    }
    out[i] = set;
  }
  return out;
}
