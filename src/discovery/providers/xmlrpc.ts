// A small XML-RPC client (what Uyuni's API speaks): method calls with strings, numbers, booleans
// and arrays; answers decoded into plain values, faults raised as errors.
import { XMLParser } from 'fast-xml-parser';
import type { ApiClient } from '../refresh.js';

export type RpcValue = string | number | boolean | RpcValue[] | { [k: string]: RpcValue };

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function encode(v: RpcValue): string {
  if (typeof v === 'string') return `<value><string>${escapeXml(v)}</string></value>`;
  if (typeof v === 'boolean') return `<value><boolean>${v ? 1 : 0}</boolean></value>`;
  if (typeof v === 'number') return Number.isInteger(v) ? `<value><int>${v}</int></value>` : `<value><double>${v}</double></value>`;
  if (Array.isArray(v)) return `<value><array><data>${v.map(encode).join('')}</data></array></value>`;
  return `<value><struct>${Object.entries(v).map(([k, x]) => `<member><name>${escapeXml(k)}</name>${encode(x)}</member>`).join('')}</struct></value>`;
}

export function encodeCall(method: string, params: RpcValue[]): string {
  return `<?xml version="1.0"?><methodCall><methodName>${escapeXml(method)}</methodName><params>${params.map((p) => `<param>${encode(p)}</param>`).join('')}</params></methodCall>`;
}

const parser = new XMLParser({ parseTagValue: false, isArray: (name) => name === 'value' || name === 'member' || name === 'param' });

type XmlNode = Record<string, unknown>;

function decode(v: XmlNode | string): RpcValue {
  if (typeof v === 'string') return v; // <value>text</value> is a string
  if ('string' in v) return String(v.string ?? '');
  if ('int' in v || 'i4' in v || 'i8' in v) return Number(v.int ?? v.i4 ?? v.i8);
  if ('double' in v) return Number(v.double);
  if ('boolean' in v) return String(v.boolean) === '1';
  if ('array' in v) {
    // <array><data/></array> parses to '' (no values).
    const data = typeof v.array === 'object' && v.array !== null ? (v.array as XmlNode).data : undefined;
    const values = typeof data === 'object' && data !== null ? ((data as XmlNode).value as (XmlNode | string)[] | undefined) : undefined;
    return (values ?? []).map(decode);
  }
  if ('struct' in v) {
    const out: Record<string, RpcValue> = {};
    const members = typeof v.struct === 'object' && v.struct !== null ? ((v.struct as XmlNode).member as XmlNode[] | undefined) : undefined;
    for (const m of members ?? []) out[String(m.name)] = decode(((m.value as (XmlNode | string)[] | undefined) ?? [''])[0]!);
    return out;
  }
  if ('dateTime.iso8601' in v) return String(v['dateTime.iso8601']);
  return '';
}

/** Decodes a methodResponse; throws the fault's string. */
export function decodeResponse(xml: string): RpcValue {
  const doc = parser.parse(xml) as { methodResponse?: { params?: { param?: { value?: (XmlNode | string)[] }[] }; fault?: { value?: (XmlNode | string)[] } } };
  const r = doc.methodResponse;
  if (r === undefined) throw new Error('XML-RPC: not a methodResponse');
  if (r.fault !== undefined) {
    const f = decode(r.fault.value?.[0] ?? '') as { faultString?: RpcValue; faultCode?: RpcValue };
    throw new Error(`XML-RPC fault ${String(f.faultCode ?? '')}: ${String(f.faultString ?? '')}`);
  }
  return decode(r.params?.param?.[0]?.value?.[0] ?? '');
}

export async function rpcCall(api: ApiClient, url: string, method: string, params: RpcValue[], signal: AbortSignal): Promise<RpcValue> {
  const res = await api.request('POST', url, signal, { accept: 'text/xml', headers: { 'Content-Type': 'text/xml' }, body: encodeCall(method, params) });
  return decodeResponse(res.body);
}
