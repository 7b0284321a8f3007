// What the AWS mechanisms (ec2, lightsail) share: credentials found as the AWS SDK finds them —
// the config's access_key/secret_key, then AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN),
// then a profile of the shared credentials file, then the instance's role from the metadata
// service (IMDSv2) — optionally exchanged for a role_arn's through STS; the region from the
// config or the metadata service; and SigV4-signed requests (the aws4 package).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import aws4 from 'aws4';
import { XMLParser } from 'fast-xml-parser';
import type { Labels } from '../../model/labels.js';
import { rfc3339, sanitizeLabelName, valueAt } from '../util.js';
import { ApiClient } from '../refresh.js';

export interface AwsSettings {
  region: string;
  endpoint: string;
  access_key: string;
  secret_key: string;
  profile: string;
  role_arn: string;
  external_id: string;
  refresh_interval: number;
  port: number;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** ms since the epoch; temporary credentials are fetched again before then. */
  expires?: number;
}

export const xml = new XMLParser({ parseTagValue: false, isArray: (name) => name === 'item' || name === 'member' });

const IMDS = 'http://169.254.169.254';

/** IMDSv2: a session token, then the path. */
async function imds(path: string, signal: AbortSignal): Promise<string> {
  const t = AbortSignal.any([signal, AbortSignal.timeout(2000)]);
  const token = await fetch(`${IMDS}/latest/api/token`, { method: 'PUT', headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '300' }, signal: t });
  if (!token.ok) throw new Error(`instance metadata service answered ${token.status}`);
  const res = await fetch(`${IMDS}${path}`, { headers: { 'X-aws-ec2-metadata-token': await token.text() }, signal: t });
  if (!res.ok) throw new Error(`instance metadata service answered ${res.status} for ${path}`);
  return res.text();
}

/** A profile's keys from the shared credentials file (INI). */
export function profileCredentials(profile: string, file = process.env.AWS_SHARED_CREDENTIALS_FILE ?? join(homedir(), '.aws', 'credentials')): Credentials | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let section = '';
  const values: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const head = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (head) section = head[1]!;
    else if (section === profile) {
      const kv = /^([^=#;]+?)\s*=\s*(.*)$/.exec(line);
      if (kv) values[kv[1]!] = kv[2]!;
    }
  }
  if (!values.aws_access_key_id || !values.aws_secret_access_key) return undefined;
  return { accessKeyId: values.aws_access_key_id, secretAccessKey: values.aws_secret_access_key, ...(values.aws_session_token ? { sessionToken: values.aws_session_token } : {}) };
}

/** The base credentials (before any role_arn), in the SDK's order. */
async function baseCredentials(s: AwsSettings, signal: AbortSignal): Promise<Credentials> {
  if (s.access_key !== '' && s.secret_key !== '') return { accessKeyId: s.access_key, secretAccessKey: s.secret_key };
  const env = process.env;
  if (s.profile === '' && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
  const fromProfile = profileCredentials(s.profile !== '' ? s.profile : (env.AWS_PROFILE ?? 'default'));
  if (fromProfile !== undefined) return fromProfile;
  try {
    const role = (await imds('/latest/meta-data/iam/security-credentials/', signal)).split('\n')[0]!.trim();
    const doc = JSON.parse(await imds(`/latest/meta-data/iam/security-credentials/${role}`, signal)) as { AccessKeyId: string; SecretAccessKey: string; Token: string; Expiration: string };
    return { accessKeyId: doc.AccessKeyId, secretAccessKey: doc.SecretAccessKey, sessionToken: doc.Token, expires: Date.parse(doc.Expiration) };
  } catch (e) {
    throw new Error(`no AWS credentials: set access_key and secret_key, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile in the shared credentials file, or run on an instance with a role (metadata service: ${(e as Error).message})`);
  }
}

/** Credentials for a mechanism's settings, kept until they are about to expire. */
export class AwsCredentials {
  private cached: Credentials | undefined;

  constructor(
    private readonly s: AwsSettings,
    private readonly api: ApiClient,
    private readonly region: () => string,
  ) {}

  async get(signal: AbortSignal): Promise<Credentials> {
    if (this.cached !== undefined && (this.cached.expires === undefined || this.cached.expires - Date.now() > 5 * 60_000)) return this.cached;
    const base = await baseCredentials(this.s, signal);
    this.cached = this.s.role_arn === '' ? base : await this.assumeRole(base, signal);
    return this.cached;
  }

  /** STS AssumeRole with the base credentials. */
  private async assumeRole(base: Credentials, signal: AbortSignal): Promise<Credentials> {
    const q = new URLSearchParams({ Action: 'AssumeRole', Version: '2011-06-15', RoleArn: this.s.role_arn, RoleSessionName: `promethium-${Date.now()}` });
    if (this.s.external_id !== '') q.set('ExternalId', this.s.external_id);
    const host = `sts.${this.region()}.amazonaws.com`;
    const signed = aws4.sign({ host, path: `/?${q.toString()}`, method: 'GET', service: 'sts', region: this.region(), headers: {} }, base);
    const body = await this.api.text(`https://${host}/?${q.toString()}`, signal, 'text/xml', signedHeaders(signed.headers));
    const doc = xml.parse(body) as { AssumeRoleResponse?: { AssumeRoleResult?: { Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string; Expiration?: string } } } };
    const c = doc.AssumeRoleResponse?.AssumeRoleResult?.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`sts AssumeRole ${this.s.role_arn}: no credentials in the answer`);
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}), ...(c.Expiration ? { expires: Date.parse(c.Expiration) } : {}) };
  }
}

/** The configured region, or the instance's from the metadata service. */
export async function resolveRegion(s: AwsSettings, signal: AbortSignal, what: string): Promise<string> {
  if (s.region !== '') return s.region;
  try {
    return (await imds('/latest/meta-data/placement/region', signal)).trim();
  } catch (e) {
    throw new Error(`${what} SD configuration requires a region (not set, and the instance metadata service did not tell: ${(e as Error).message})`);
  }
}

/** aws4's signed headers as plain strings. */
export function signedHeaders(h: Record<string, string | number | string[] | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) if (v !== undefined && k.toLowerCase() !== 'host' && k.toLowerCase() !== 'content-length') out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}

/** A signed POST to an AWS endpoint; the answer's body. */
export async function awsPost(api: ApiClient, creds: Credentials, o: { endpoint: string; service: string; region: string; body: string; headers: Record<string, string> }, signal: AbortSignal): Promise<string> {
  const url = new URL(o.endpoint);
  const signed = aws4.sign({ host: url.host, path: url.pathname + url.search, method: 'POST', service: o.service, region: o.region, body: o.body, headers: { ...o.headers } }, creds);
  return (await api.request('POST', url, signal, { accept: '*/*', headers: signedHeaders(signed.headers), body: o.body })).body;
}

/** A signed GET to an AWS REST endpoint; the answer's body. */
export async function awsGet(api: ApiClient, creds: Credentials, o: { url: URL; service: string; region: string }, signal: AbortSignal): Promise<string> {
  const signed = aws4.sign({ host: o.url.host, path: o.url.pathname + o.url.search, method: 'GET', service: o.service, region: o.region, headers: {} }, creds);
  return (await api.request('GET', o.url, signal, { headers: signedHeaders(signed.headers) })).body;
}

/**
 * One AWS service as a mechanism reaches it: the region (configured, or the instance's), the
 * credentials chain, the endpoint (configured, or `https://<prefix>.<region>.amazonaws.com/`)
 * and SigV4-signed calls in the three protocols the mechanisms meet.
 */
export class AwsService {
  region = '';
  readonly api: ApiClient;
  private readonly creds: AwsCredentials;

  constructor(
    private readonly s: AwsSettings,
    http: ConstructorParameters<typeof ApiClient>[0],
    /** For the error when no region can be found (`EC2`, `ECS`, ...). */
    private readonly what: string,
  ) {
    this.api = new ApiClient(http, Math.max(s.refresh_interval, 10_000));
    this.creds = new AwsCredentials(s, this.api, () => this.region);
  }

  /** Resolves the region once; call at the start of each refresh. */
  async ready(signal: AbortSignal): Promise<void> {
    this.region ||= await resolveRegion(this.s, signal, this.what);
  }

  endpoint(prefix: string, configured = this.s.endpoint): string {
    return configured !== '' ? configured : `https://${prefix}.${this.region}.amazonaws.com/`;
  }

  /** A query-API call (form-encoded Action and Version); the XML answer parsed. */
  async query(endpoint: string, service: string, params: Record<string, string>, signal: AbortSignal, parser: XMLParser = xml): Promise<Record<string, unknown>> {
    const body = new URLSearchParams(params).toString();
    return parser.parse(await awsPost(this.api, await this.creds.get(signal), { endpoint, service, region: this.region, body, headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' } }, signal)) as Record<string, unknown>;
  }

  /** A JSON-protocol call (`X-Amz-Target`); the JSON answer. */
  async json<T>(endpoint: string, service: string, target: string, doc: unknown, signal: AbortSignal): Promise<T> {
    return JSON.parse(await awsPost(this.api, await this.creds.get(signal), { endpoint, service, region: this.region, body: JSON.stringify(doc), headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': target } }, signal)) as T;
  }

  /** A REST GET; the JSON answer. */
  async getJson<T>(url: URL, service: string, signal: AbortSignal): Promise<T> {
    return JSON.parse(await awsGet(this.api, await this.creds.get(signal), { url, service, region: this.region }, signal)) as T;
  }
}

// What the XML-answering mechanisms (RDS, ElastiCache) share: lists whatever their members are
// called, and labels from a table of fields.

type XmlDoc = Record<string, unknown>;

/** [label name after the prefix, API field (dotted when nested), kind: string, bool, int or time]. */
export type AwsField = [string, string, 's' | 'b' | 'i' | 't'];

/** The items of an XML list element, whatever its members are called (`member`, `Tag`, ...). */
export function xmlItems(list: unknown): XmlDoc[] {
  if (list === null || typeof list !== 'object') return [];
  const values = Object.values(list as XmlDoc);
  if (values.length !== 1) return [];
  const v = values[0];
  return (Array.isArray(v) ? v : [v]).filter((x): x is XmlDoc => x !== null && typeof x === 'object');
}

/** Like `xmlItems`, for lists of plain strings. */
export function xmlStrings(list: unknown): string[] {
  if (list === null || typeof list !== 'object') return [];
  const v = Object.values(list as XmlDoc)[0];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String);
}

/** A label per field present (times as RFC 3339 to the second, the rest as the API writes them). */
export function addFields(l: Labels, o: XmlDoc, fields: AwsField[], prefix: string): void {
  for (const [name, path, kind] of fields) {
    const v = valueAt(o, path);
    if (v === undefined || v === null || typeof v === 'object') continue;
    l[prefix + name] = kind === 't' ? rfc3339(String(v)) : String(v);
  }
}

/** A label per `{Key, Value}` tag. */
export function addTags(l: Labels, tags: XmlDoc[], prefix: string): void {
  for (const t of tags) if (t.Key !== undefined && t.Value !== undefined) l[prefix + sanitizeLabelName(String(t.Key))] = String(t.Value);
}
