// supervisord (disabled by default): its processes from the XML-RPC call
// supervisor.getAllProcessInfo, over HTTP or a unix socket (`unix:///run/supervisor.sock`), with
// node_exporter 1.5's names: state, exit status, up, and the start time of running processes.
import { request as httpRequest } from 'node:http';
import type { XmlRpcValue } from './xmlrpc.js';
import type { Collector } from './collector.js';
import { flagValue } from './collector.js';
import { flag } from '../../util/flags.js';

/** As upstream's XML-RPC client waits. */
const TIMEOUT_MS = 10_000;
/** A reply larger than this is not a process list. */
const MAX_REPLY_BYTES = 16 * 1024 * 1024;
/** STARTING, RUNNING and STOPPING: the states in which the process exists (supervisord's process states). */
const RUNNING_STATES = new Set([10, 20, 40]);

const REQUEST = '<?xml version="1.0"?><methodCall><methodName>supervisor.getAllProcessInfo</methodName><params></params></methodCall>';

/** POSTs the call to `url` (http, https, or unix://<socket path>) and returns the reply's body. */
async function post(url: string): Promise<string> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new Error(`not a URL: ${JSON.stringify(url)}`);
  }
  const unix = target.protocol === 'unix:';
  if (!unix && target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error(`unsupported protocol scheme ${JSON.stringify(target.protocol.slice(0, -1))}`);
  // TLS is loaded only for an https URL: the exporter's memory goal counts every module.
  const request = target.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
  const body = Buffer.from(REQUEST);
  const headers = { 'Content-Type': 'text/xml', 'Content-Length': body.length };
  return new Promise((resolve, reject) => {
    const onResponse = (res: import('node:http').IncomingMessage): void => {
      if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 299) {
        res.resume();
        reject(new Error(`HTTP status ${res.statusCode}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_REPLY_BYTES) {
          req.destroy(new Error(`reply larger than ${MAX_REPLY_BYTES} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    };
    const options = { method: 'POST', headers, timeout: TIMEOUT_MS };
    // As upstream: a unix socket is spoken to as http://unix/RPC2.
    const req = unix
      ? httpRequest({ ...options, socketPath: target.pathname, path: '/RPC2' }, onResponse)
      : request(target, options, onResponse);
    req.on('timeout', () => req.destroy(new Error(`no reply in ${TIMEOUT_MS / 1000}s`)));
    req.on('error', reject);
    req.end(body);
  });
}

interface ProcessInfo {
  name: string;
  group: string;
  start: number;
  state: number;
  exitStatus: number;
  pid: number;
  stateName: string;
}

function processInfo(p: XmlRpcValue, i: number): ProcessInfo {
  if (!(p instanceof Map)) throw new Error(`process ${i} is not a struct`);
  const field = <T extends 'string' | 'number'>(key: string, type: T, def: T extends 'string' ? string : number): T extends 'string' ? string : number => {
    const v = p.get(key);
    if (v === undefined) return def;
    if (typeof v !== type) throw new Error(`process ${i}: ${key} is not ${type === 'string' ? 'a string' : 'an int'}`);
    return v as T extends 'string' ? string : number;
  };
  return {
    name: field('name', 'string', ''),
    group: field('group', 'string', ''),
    start: field('start', 'number', 0),
    state: field('state', 'number', 0),
    exitStatus: field('exitstatus', 'number', 0),
    pid: field('pid', 'number', 0),
    stateName: field('statename', 'string', ''),
  };
}

export const supervisord: Collector = {
  name: 'supervisord',
  enabledByDefault: false,
  flags: {
    'collector.supervisord.url': flag.string('XML RPC endpoint.', process.env['SUPERVISORD_URL'] ?? 'http://localhost:9001/RPC2'),
  },
  async collect(h, out, o) {
    let processes: XmlRpcValue;
    try {
      const body = await post(flagValue<string>(o, 'collector.supervisord.url'));
      // The XML parser is loaded with the first scrape that needs it, not with the exporter.
      const { decodeMethodResponse } = await import('./xmlrpc.js');
      processes = decodeMethodResponse(body);
    } catch (e) {
      throw new Error(`unable to call supervisord: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!Array.isArray(processes)) throw new Error('unable to call supervisord: getAllProcessInfo did not return an array');
    processes.forEach((p, i) => {
      const info = processInfo(p, i);
      const labels = { name: info.name, group: info.group };
      out.add('node_supervisord_state', 'Process State', 'gauge', info.state, labels);
      out.add('node_supervisord_exit_status', 'Process Exit Status', 'gauge', info.exitStatus, labels);
      const running = RUNNING_STATES.has(info.state);
      out.add('node_supervisord_up', 'Process Up', 'gauge', running ? 1 : 0, labels);
      // Upstream types the start time a counter.
      if (running) out.add('node_supervisord_start_time_seconds', 'Process start time', 'counter', info.start, labels);
      h.log?.('debug', 'process info', { group: info.group, name: info.name, state: info.stateName, pid: info.pid });
    });
  },
};
