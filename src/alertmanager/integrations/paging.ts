// Paging services: pagerduty_configs (Events API v2 with a routing key, or v1 with a service key)
// and pushover_configs (Pushover's messages API), with Alertmanager's payloads and default templates.
import { NotifyError, type Integration, type TemplateData } from '../notify.js';
import type { HttpClientOptions } from '../../common/http-config/fetch.js';
import { checkStatus, groupHash, post, readSecret, truncate, type Secret } from './post.js';
import type { YamlFile } from '../../config/yaml-reader.js';
import { labelMap, notifierCommon, readHttpConfig, scalarString } from '../config/fields.js';
import type { ReceiverConfigReader } from '../config/receiver-context.js';

type Render = (text: string, data: TemplateData) => string;

export const PAGERDUTY_URL = 'https://events.pagerduty.com/v2/enqueue';
export const PAGERDUTY_V1_URL = 'https://events.pagerduty.com/generic/2010-04-15/create_event.json';
export const PUSHOVER_URL = 'https://api.pushover.net/1/messages.json';

export interface PagerdutyOptions {
  /** Events API v2 routing key, or a v1 service key. */
  routingKey?: Secret;
  serviceKey?: Secret;
  url: string;
  client: string;
  clientUrl: string;
  description: string;
  details: Record<string, string>;
  images: { src: string; alt: string; href: string }[];
  links: { href: string; text: string }[];
  source: string;
  severity: string;
  class: string;
  component: string;
  group: string;
  sendResolved: boolean;
  http: HttpClientOptions;
  timeoutMs: number;
}

export const PAGERDUTY_DEFAULT_DETAILS: Record<string, string> = {
  firing: '{{ template "pagerduty.default.instances" .Alerts.Firing }}',
  resolved: '{{ template "pagerduty.default.instances" .Alerts.Resolved }}',
  num_firing: '{{ .Alerts.Firing | len }}',
  num_resolved: '{{ .Alerts.Resolved | len }}',
};

export function pagerdutyIntegration(o: PagerdutyOptions, index: number, render: Render): Integration {
  return {
    name: 'pagerduty',
    index,
    sendResolved: o.sendResolved,
    async notify(data, groupKey) {
      const r = (t: string): string => render(t, data);
      const details: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const [k, v] of Object.entries(o.details)) details[k] = r(v);
      const resolved = data.Status === 'resolved';
      const dedup = groupHash(groupKey);
      let res;
      if (o.serviceKey !== undefined) {
        const body = { service_key: await readSecret(o.serviceKey), event_type: resolved ? 'resolve' : 'trigger', incident_key: dedup, description: truncate(r(o.description), 1024), details, client: r(o.client), client_url: r(o.clientUrl) };
        res = await post(o.url === PAGERDUTY_URL ? PAGERDUTY_V1_URL : o.url, body, { http: o.http, timeoutMs: o.timeoutMs });
      } else {
        const payload: Record<string, unknown> = { summary: truncate(r(o.description), 1024), source: r(o.source), severity: r(o.severity), custom_details: details };
        for (const [k, v] of [['class', o.class], ['component', o.component], ['group', o.group]] as const) if (v !== '') payload[k] = r(v);
        const body: Record<string, unknown> = {
          routing_key: await readSecret(o.routingKey!),
          event_action: resolved ? 'resolve' : 'trigger',
          dedup_key: dedup,
          client: r(o.client),
          client_url: r(o.clientUrl),
          payload,
        };
        if (o.images.length > 0) body.images = o.images.map((i) => ({ src: r(i.src), alt: r(i.alt), href: r(i.href) }));
        if (o.links.length > 0) body.links = o.links.map((l) => ({ href: r(l.href), text: r(l.text) }));
        res = await post(o.url, body, { http: o.http, timeoutMs: o.timeoutMs });
      }
      if (res.status === 400) throw new NotifyError(`PagerDuty refused the event (400): ${res.text.slice(0, 200)}`, false);
      checkStatus(res);
    },
  };
}

export interface PushoverOptions {
  userKey: Secret;
  token: Secret;
  title: string;
  message: string;
  url: string;
  urlTitle: string;
  device: string;
  sound: string;
  priority: string;
  retrySeconds: number;
  expireSeconds: number;
  ttlSeconds: number;
  html: boolean;
  apiUrl: string;
  sendResolved: boolean;
  http: HttpClientOptions;
  timeoutMs: number;
}

export function pushoverIntegration(o: PushoverOptions, index: number, render: Render): Integration {
  return {
    name: 'pushover',
    index,
    sendResolved: o.sendResolved,
    async notify(data) {
      const r = (t: string): string => render(t, data);
      const form: Record<string, string> = {
        token: await readSecret(o.token),
        user: await readSecret(o.userKey),
        title: truncate(r(o.title), 250),
        message: truncate(r(o.message), 1024) || '(no details)',
        url: truncate(r(o.url), 512),
        priority: r(o.priority),
        retry: String(o.retrySeconds),
        expire: String(o.expireSeconds),
      };
      if (o.urlTitle !== '') form.url_title = r(o.urlTitle);
      if (o.device !== '') form.device = r(o.device);
      if (o.sound !== '') form.sound = r(o.sound);
      if (o.html) form.html = '1';
      if (o.ttlSeconds > 0) form.ttl = String(o.ttlSeconds);
      const res = await post(o.apiUrl, form, { form: true, http: o.http, timeoutMs: o.timeoutMs });
      checkStatus(res);
    },
  };
}

/** pagerduty_configs: each entry checked and read as Alertmanager reads it. */
export const pagerdutyConfigReader: ReceiverConfigReader = {
  key: 'pagerduty_configs',
  typeName: 'config.PagerdutyConfig',
  fields: ['send_resolved', 'http_config', 'routing_key', 'routing_key_file', 'service_key', 'service_key_file', 'url', 'client', 'client_url', 'description', 'details', 'images', 'links', 'source', 'severity', 'class', 'component', 'group', 'timeout'],
  missing: 'missing pagerduty config',
  read(ctx, pc, pm, str, i) {
    const y: YamlFile = ctx.y; // typed, so that y.fail narrows
    const { global, renderTemplate } = ctx;
    if (str('routing_key') !== '' && str('routing_key_file') !== '') y.fail(pc, 'at most one of routing_key & routing_key_file must be configured');
    if (str('service_key') !== '' && str('service_key_file') !== '') y.fail(pc, 'at most one of service_key & service_key_file must be configured');
    const routing = str('routing_key') !== '' ? { value: str('routing_key') } : str('routing_key_file') !== '' ? { file: str('routing_key_file') } : undefined;
    const service = str('service_key') !== '' ? { value: str('service_key') } : str('service_key_file') !== '' ? { file: str('service_key_file') } : undefined;
    if (routing === undefined && service === undefined) y.fail(pc, 'missing service or routing key in PagerDuty config');
    const client = str('client', '{{ template "pagerduty.default.client" . }}');
    return pagerdutyIntegration(
      {
        routingKey: routing,
        serviceKey: routing === undefined ? service : undefined,
        url: str('url') || global.pagerdutyUrl,
        client,
        clientUrl: str('client_url', '{{ template "pagerduty.default.clientURL" . }}'),
        description: str('description', '{{ template "pagerduty.default.description" .}}'),
        details: pm.has('details') ? { ...PAGERDUTY_DEFAULT_DETAILS, ...labelMap(y, pm.get('details'), 'details') } : PAGERDUTY_DEFAULT_DETAILS,
        images: y.seq(pm.get('images'), 'images').map((n) => {
          const im = y.map(n, 'config.PagerdutyImage', ['src', 'alt', 'href']);
          return { src: scalarString(y, im.get('src'), 'src'), alt: scalarString(y, im.get('alt'), 'alt'), href: scalarString(y, im.get('href'), 'href') };
        }),
        links: y.seq(pm.get('links'), 'links').map((n) => {
          const lm = y.map(n, 'config.PagerdutyLink', ['href', 'text']);
          return { href: scalarString(y, lm.get('href'), 'href'), text: scalarString(y, lm.get('text'), 'text') };
        }),
        source: str('source', client),
        severity: str('severity', 'error'),
        class: str('class'),
        component: str('component'),
        group: str('group'),
        sendResolved: y.bool(pm.get('send_resolved'), 'send_resolved', true),
        http: readHttpConfig(y, pm.get('http_config')),
        timeoutMs: y.duration(pm.get('timeout'), 'timeout', 30_000),
      },
      i,
      renderTemplate,
    );
  },
};

/** pushover_configs: each entry checked and read as Alertmanager reads it. */
export const pushoverConfigReader: ReceiverConfigReader = {
  key: 'pushover_configs',
  typeName: 'config.PushoverConfig',
  fields: ['send_resolved', 'http_config', 'user_key', 'user_key_file', 'token', 'token_file', 'title', 'message', 'url', 'url_title', 'device', 'sound', 'priority', 'retry', 'expire', 'ttl', 'html', 'monospace'],
  missing: 'missing pushover config',
  read(ctx, pc, pm, str, i) {
    const y: YamlFile = ctx.y; // typed, so that y.fail narrows
    const { renderTemplate } = ctx;
    if (str('user_key') === '' && str('user_key_file') === '') y.fail(pc, 'one of user_key or user_key_file must be configured');
    if (str('user_key') !== '' && str('user_key_file') !== '') y.fail(pc, 'at most one of user_key & user_key_file must be configured');
    if (str('token') === '' && str('token_file') === '') y.fail(pc, 'one of token or token_file must be configured');
    if (str('token') !== '' && str('token_file') !== '') y.fail(pc, 'at most one of token & token_file must be configured');
    if (y.bool(pm.get('monospace'), 'monospace', false)) y.fail(pm.get('monospace'), 'monospace: Pushover monospace messages are not supported by Promethium');
    return pushoverIntegration(
      {
        userKey: str('user_key') !== '' ? { value: str('user_key') } : { file: str('user_key_file') },
        token: str('token') !== '' ? { value: str('token') } : { file: str('token_file') },
        title: str('title', '{{ template "pushover.default.title" . }}'),
        message: str('message', '{{ template "pushover.default.message" . }}'),
        url: str('url', '{{ template "pushover.default.url" . }}'),
        urlTitle: str('url_title'),
        device: str('device'),
        sound: str('sound'),
        priority: str('priority', '{{ if eq .Status "firing" }}2{{ else }}0{{ end }}'),
        retrySeconds: y.duration(pm.get('retry'), 'retry', 60_000) / 1000,
        expireSeconds: y.duration(pm.get('expire'), 'expire', 3600_000) / 1000,
        ttlSeconds: y.duration(pm.get('ttl'), 'ttl', 0) / 1000,
        html: y.bool(pm.get('html'), 'html', false),
        apiUrl: PUSHOVER_URL,
        ...notifierCommon(y, pm, true),
      },
      i,
      renderTemplate,
    );
  },
};
