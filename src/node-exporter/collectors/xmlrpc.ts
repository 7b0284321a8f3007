// XML-RPC replies (the methodResponse document) decoded to values: structs as Maps, so member
// names sent by the server never become object keys. Loaded only by the supervisord collector.
import { XMLParser } from 'fast-xml-parser';

export type XmlRpcValue = string | number | boolean | null | XmlRpcValue[] | Map<string, XmlRpcValue>;

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: true, parseTagValue: false, trimValues: false, processEntities: true });

function elements(nodes: unknown): [string, XmlNode[]][] {
  if (!Array.isArray(nodes)) return [];
  const out: [string, XmlNode[]][] = [];
  for (const n of nodes as XmlNode[]) {
    for (const [k, v] of Object.entries(n)) if (k !== '#text' && k !== ':@' && k !== '?xml') out.push([k, v as XmlNode[]]);
  }
  return out;
}

function text(nodes: unknown): string {
  if (!Array.isArray(nodes)) return '';
  return (nodes as XmlNode[]).map((n) => (typeof n['#text'] === 'string' || typeof n['#text'] === 'number' ? String(n['#text']) : '')).join('');
}

function child(nodes: XmlNode[], name: string, where: string): XmlNode[] {
  const found = elements(nodes).find(([k]) => k === name);
  if (found === undefined) throw new Error(`invalid response: missing ${name} in ${where}`);
  return found[1];
}

/** The contents of one <value> element. */
function decodeValue(nodes: XmlNode[]): XmlRpcValue {
  const [typed] = elements(nodes);
  if (typed === undefined) return text(nodes);
  const [type, body] = typed;
  switch (type) {
    case 'string':
    case 'dateTime.iso8601':
    case 'base64':
      return text(body);
    case 'int': case 'i1': case 'i2': case 'i4': case 'i8': {
      const t = text(body).trim();
      if (!/^[+-]?\d+$/.test(t)) throw new Error(`invalid response: <${type}>${t.slice(0, 40)}</${type}> is not an integer`);
      return Number(t);
    }
    case 'double': {
      const v = Number(text(body).trim());
      if (Number.isNaN(v)) throw new Error('invalid response: a <double> that is not a number');
      return v;
    }
    case 'boolean': {
      const t = text(body).trim();
      if (t !== '0' && t !== '1' && t !== 'true' && t !== 'false') throw new Error('invalid boolean value');
      return t === '1' || t === 'true';
    }
    case 'nil':
      return null;
    case 'array':
      return elements(child(body, 'data', '<array>')).filter(([k]) => k === 'value').map(([, v]) => decodeValue(v));
    case 'struct': {
      // A Map: member names come from the server and never become object keys.
      const st = new Map<string, XmlRpcValue>();
      for (const [k, member] of elements(body)) {
        if (k !== 'member') continue;
        st.set(text(child(member, 'name', '<member>')), decodeValue(child(member, 'value', '<member>')));
      }
      return st;
    }
    default:
      throw new Error(`invalid response: unknown value type <${type}>`);
  }
}

/** The value an XML-RPC methodResponse carries; a fault is an error with its string. */
export function decodeMethodResponse(xml: string): XmlRpcValue {
  const doc = parser.parse(xml) as XmlNode[];
  const response = child(doc, 'methodResponse', 'the document');
  const fault = elements(response).find(([k]) => k === 'fault');
  if (fault !== undefined) {
    const v = decodeValue(child(fault[1], 'value', '<fault>'));
    const msg = v instanceof Map ? v.get('faultString') : undefined;
    throw new Error(`fault: ${typeof msg === 'string' ? msg : 'no faultString'}`);
  }
  return decodeValue(child(child(child(response, 'params', '<methodResponse>'), 'param', '<params>'), 'value', '<param>'));
}
