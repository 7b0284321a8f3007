// sns_configs: Amazon SNS's Publish action (to a topic, a target ARN or a phone number), signed with
// AWS Signature Version 4 by the aws4 package, with Alertmanager's sns.default.* templates.
import aws4 from 'aws4';
import { NotifyError, type Integration, type TemplateData } from '../notify.js';
import type { HttpClientOptions } from '../../common/http-config/fetch.js';
import { httpFetch, httpHeaders } from '../../common/http-config/fetch.js';
import { truncate } from './post.js';
import type { YamlFile } from '../../config/yaml-reader.js';
import { labelMap, notifierCommon, scalarString } from '../config/fields.js';
import type { ReceiverConfigReader } from '../config/receiver-context.js';

type Render = (text: string, data: TemplateData) => string;

export interface SnsOptions {
  /** Empty: https://sns.<region>.amazonaws.com/. */
  apiUrl: string;
  region: string;
  /** Static credentials; otherwise AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN). */
  accessKey?: string;
  secretKey?: string;
  topicArn: string;
  targetArn: string;
  phoneNumber: string;
  subject: string;
  message: string;
  attributes: Record<string, string>;
  sendResolved: boolean;
  http: HttpClientOptions;
  timeoutMs: number;
}

/** The region of an ARN (arn:aws:sns:<region>:...), or of an sns.<region>.amazonaws.com URL. */
export function regionFrom(arnOrUrl: string): string | undefined {
  return /^arn:[^:]+:sns:([^:]+):/.exec(arnOrUrl)?.[1] ?? /sns[.-]([a-z0-9-]+)\.amazonaws\.com/.exec(arnOrUrl)?.[1];
}

export function snsPublishForm(o: SnsOptions, data: TemplateData, render: Render): Record<string, string> {
  const r = (t: string): string => render(t, data);
  const form: Record<string, string> = { Action: 'Publish', Version: '2010-03-31' };
  if (o.topicArn !== '') form.TopicArn = r(o.topicArn);
  else if (o.targetArn !== '') form.TargetArn = r(o.targetArn);
  else form.PhoneNumber = r(o.phoneNumber);
  // SMS has no subject and a short limit; other endpoints take up to 256 KB.
  form.Message = truncate(r(o.message), o.phoneNumber !== '' && o.topicArn === '' && o.targetArn === '' ? 1600 : 256 * 1024);
  if (o.phoneNumber === '' || o.topicArn !== '' || o.targetArn !== '') form.Subject = truncate(r(o.subject), 100);
  Object.keys(o.attributes)
    .sort()
    .forEach((k, i) => {
      form[`MessageAttributes.entry.${i + 1}.Name`] = k;
      form[`MessageAttributes.entry.${i + 1}.Value.DataType`] = 'String';
      form[`MessageAttributes.entry.${i + 1}.Value.StringValue`] = r(o.attributes[k]!);
    });
  if (form.TopicArn?.endsWith('.fifo')) {
    form.MessageGroupId = data.GroupLabels['alertname'] ?? 'alertmanager';
    form.MessageDeduplicationId = `${data.Status}-${Date.now()}`;
  }
  return form;
}

export function snsIntegration(o: SnsOptions, index: number, render: Render): Integration {
  return {
    name: 'sns',
    index,
    sendResolved: o.sendResolved,
    async notify(data) {
      const accessKeyId = o.accessKey ?? process.env['AWS_ACCESS_KEY_ID'];
      const secretAccessKey = o.secretKey ?? process.env['AWS_SECRET_ACCESS_KEY'];
      if (!accessKeyId || !secretAccessKey) throw new NotifyError('sns: no AWS credentials (sigv4.access_key/secret_key or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)', false);
      const url = new URL(o.apiUrl !== '' ? o.apiUrl : `https://sns.${o.region}.amazonaws.com/`);
      const body = new URLSearchParams(snsPublishForm(o, data, render)).toString();
      const signed = aws4.sign(
        { host: url.host, path: url.pathname || '/', method: 'POST', service: 'sns', region: o.region, body, headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' } },
        { accessKeyId, secretAccessKey, sessionToken: o.accessKey === undefined ? process.env['AWS_SESSION_TOKEN'] : undefined },
      );
      // fetch sets Host and Content-Length itself, to the values that were signed.
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(signed.headers ?? {})) if (!/^(host|content-length)$/i.test(k)) headers[k] = String(v);
      let res: Response;
      try {
        res = await httpFetch(url.href, { method: 'POST', headers: { ...(await httpHeaders(o.http)), ...headers }, body, signal: AbortSignal.timeout(o.timeoutMs) }, o.http);
      } catch (e) {
        throw new NotifyError(`Post "${url.href}": ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`, true);
      }
      const text = await res.text().catch(() => '');
      if (!res.ok) {
        const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? text.slice(0, 200);
        throw new NotifyError(`sns: ${res.status}: ${message}`, res.status >= 500 || res.status === 429);
      }
    },
  };
}

/** sns_configs: each entry checked and read as Alertmanager reads it. */
export const snsConfigReader: ReceiverConfigReader = {
  key: 'sns_configs',
  typeName: 'config.SNSConfig',
  fields: ['send_resolved', 'http_config', 'api_url', 'sigv4', 'topic_arn', 'phone_number', 'target_arn', 'subject', 'message', 'attributes'],
  missing: 'missing sns config',
  read(ctx, nc, nm, str, i) {
    const y: YamlFile = ctx.y; // typed, so that y.fail narrows
    const { renderTemplate } = ctx;
    const targets = [str('topic_arn'), str('target_arn'), str('phone_number')].filter((x) => x !== '');
    if (targets.length === 0) y.fail(nc, 'must provide either a Target ARN, Topic ARN, or Phone Number for SNS config');
    if (targets.length > 1) y.fail(nc, 'must provide only one of a Target ARN, Topic ARN, or Phone Number for SNS config');
    let region = '';
    let accessKey: string | undefined;
    let secretKey: string | undefined;
    if (nm.has('sigv4')) {
      const sv = y.map(nm.get('sigv4')!, 'sigv4.SigV4Config', ['region', 'access_key', 'secret_key', 'profile', 'role_arn', 'use_fips_sts_endpoint']);
      for (const k of ['profile', 'role_arn']) if (sv.has(k)) y.fail(sv.get(k), `sigv4.${k}: shared profiles and assumed roles are not supported by Promethium; give access_key and secret_key, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`);
      region = scalarString(y, sv.get('region'), 'region');
      accessKey = scalarString(y, sv.get('access_key'), 'access_key') || undefined;
      secretKey = scalarString(y, sv.get('secret_key'), 'secret_key') || undefined;
      if ((accessKey === undefined) !== (secretKey === undefined)) y.fail(nm.get('sigv4'), 'must provide an AWS SigV4 Access key and Secret Key if either is provided');
    }
    region ||= process.env['AWS_REGION'] ?? regionFrom(str('api_url')) ?? regionFrom(str('topic_arn') || str('target_arn')) ?? '';
    if (region === '') y.fail(nc, 'sns: no AWS region: set sigv4.region, an sns.<region>.amazonaws.com api_url, or AWS_REGION');
    return snsIntegration(
      {
        apiUrl: str('api_url'),
        region,
        accessKey,
        secretKey,
        topicArn: str('topic_arn'),
        targetArn: str('target_arn'),
        phoneNumber: str('phone_number'),
        subject: str('subject', '{{ template "sns.default.subject" . }}'),
        message: str('message', '{{ template "sns.default.message" . }}'),
        attributes: labelMap(y, nm.get('attributes'), 'attributes'),
        ...notifierCommon(y, nm, true),
      },
      i,
      renderTemplate,
    );
  },
};
