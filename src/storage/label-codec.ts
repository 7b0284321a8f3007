// The label-set buffer exchanged with the native addon (little-endian):
// u32 count; per set u16 n; per label u32 nameLen, name (UTF-8), u32 valueLen, value.
import type { Labels } from '../model/labels.js';
// Decoded sets stay plain objects (callers compare and spread them); setLabel keeps `__proto__` a key.
import { setLabel } from '../model/labels.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const latin1 = new TextDecoder('latin1');

function isAscii(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i]! > 0x7f) return false;
  return true;
}

function decodeAscii(view: DataView, whole: string): Labels[] {
  let pos = 0;
  const count = view.getUint32(pos, true);
  pos += 4;
  const out: Labels[] = new Array<Labels>(count);
  for (let i = 0; i < count; i++) {
    const n = view.getUint16(pos, true);
    pos += 2;
    const set: Labels = {};
    for (let j = 0; j < n; j++) {
      const nl = view.getUint32(pos, true);
      const name = whole.slice(pos + 4, pos + 4 + nl);
      pos += 4 + nl;
      const vl = view.getUint32(pos, true);
      setLabel(set, name, whole.slice(pos + 4, pos + 4 + vl));
      pos += 4 + vl;
    }
    out[i] = set;
  }
  return out;
}

export function encodeLabelSets(sets: readonly Labels[]): Uint8Array {
  const encoded: Uint8Array[][] = [];
  let size = 4;
  for (const set of sets) {
    const parts: Uint8Array[] = [];
    for (const name of Object.keys(set)) {
      const value = set[name];
      if (value === undefined) continue;
      parts.push(encoder.encode(name), encoder.encode(value));
    }
    if (parts.length / 2 > 0xffff) throw new RangeError('a label set has more than 65535 labels');
    size += 2;
    for (const p of parts) size += 4 + p.length;
    encoded.push(parts);
  }
  const buf = new Uint8Array(size);
  const view = new DataView(buf.buffer);
  let pos = 0;
  view.setUint32(pos, sets.length, true);
  pos += 4;
  for (const parts of encoded) {
    view.setUint16(pos, parts.length / 2, true);
    pos += 2;
    for (const p of parts) {
      view.setUint32(pos, p.length, true);
      pos += 4;
      buf.set(p, pos);
      pos += p.length;
    }
  }
  return buf;
}

export function decodeLabelSets(buf: Uint8Array): Labels[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // Fast path: decode the whole buffer once; when it is all ASCII (the common case), byte
  // offsets are character offsets and every name and value is a slice of that one string.
  const whole = latin1.decode(buf);
  if (isAscii(buf)) return decodeAscii(view, whole);
  let pos = 0;
  const count = view.getUint32(pos, true);
  pos += 4;
  const out: Labels[] = new Array<Labels>(count);
  for (let i = 0; i < count; i++) {
    const n = view.getUint16(pos, true);
    pos += 2;
    const set: Labels = {};
    for (let j = 0; j < n; j++) {
      const nl = view.getUint32(pos, true);
      const name = decoder.decode(buf.subarray(pos + 4, pos + 4 + nl));
      pos += 4 + nl;
      const vl = view.getUint32(pos, true);
      setLabel(set, name, decoder.decode(buf.subarray(pos + 4, pos + 4 + vl)));
      pos += 4 + vl;
    }
    out[i] = set;
  }
  return out;
}
