// On-call services: opsgenie_configs (Opsgenie's Alert API: create, close when resolved) and
// victorops_configs (Splunk On-Call's REST endpoint), with Alertmanager's payloads and default
// templates. Both identify a notification group by the SHA-256 of its group key, as Alertmanager does,
// so the service deduplicates repeats and matches the resolve to the alert.
import { NotifyError, type Integration, type TemplateData } from '../notify.js';
import type { HttpClientOptions } from '../../common/http-config/fetch.js';
import { checkStatus, groupHash, post, readSecret, truncate, type Secret } from './post.js';

export type { Secret } from './post.js';

type Render = (text: string, data: TemplateData) => string;

export const OPSGENIE_API_URL = 'https://api.opsgenie.com/';
export const VICTOROPS_API_URL = 'https://alert.victorops.com/integrations/generic/20131114/alert/';

export interface OpsgenieResponder {
  id?: string;
  name?: string;
  username?: string;
  type: string;
}

export interface OpsgenieOptions {
  apiKey: Secret;
  apiUrl: string;
  message: string;
  description: string;
  source: string;
  details: Record<string, string>;
  entity: string;
  responders: OpsgenieResponder[];
  actions: string;
  tags: string;
  note: string;
  priority: string;
  sendResolved: boolean;
  http: HttpClientOptions;
  timeoutMs: number;
}

export function opsgenieIntegration(o: OpsgenieOptions, index: number, render: Render): Integration {
  return {
    name: 'opsgenie',
    index,
    sendResolved: o.sendResolved,
    async notify(data, groupKey) {
      const r = (t: string): string => render(t, data);
      const alias = groupHash(groupKey);
      const base = o.apiUrl.endsWith('/') ? o.apiUrl : `${o.apiUrl}/`;
      const headers = { Authorization: `GenieKey ${await readSecret(o.apiKey)}` };
      let url: string;
      let body: Record<string, unknown>;
      if (data.Status === 'resolved') {
        url = `${base}v2/alerts/${alias}/close?identifierType=alias`;
        body = { source: r(o.source) };
      } else {
        url = `${base}v2/alerts`;
        const details: Record<string, string> = Object.create(null) as Record<string, string>;
        for (const [k, v] of Object.entries(o.details)) details[k] = r(v);
        const split = (t: string): string[] => r(t).split(',').map((x) => x.trim()).filter((x) => x !== '');
        body = {
          alias,
          message: truncate(r(o.message), 130),
          description: r(o.description),
          details,
          source: r(o.source),
          responders: o.responders.map((x) => Object.fromEntries(Object.entries({ id: x.id && r(x.id), name: x.name && r(x.name), username: x.username && r(x.username), type: r(x.type) }).filter(([, v]) => v !== undefined && v !== ''))),
          tags: split(o.tags),
          note: r(o.note),
          priority: r(o.priority),
          entity: r(o.entity),
          actions: split(o.actions),
        };
        for (const k of ['note', 'priority', 'entity']) if (body[k] === '') delete body[k];
      }
      checkStatus(await post(url, body, { headers, http: o.http, timeoutMs: o.timeoutMs }));
    },
  };
}

export interface VictoropsOptions {
  apiKey: Secret;
  apiUrl: string;
  routingKey: string;
  messageType: string;
  entityDisplayName: string;
  stateMessage: string;
  monitoringTool: string;
  customFields: Record<string, string>;
  sendResolved: boolean;
  http: HttpClientOptions;
  timeoutMs: number;
}

export function victoropsIntegration(o: VictoropsOptions, index: number, render: Render): Integration {
  return {
    name: 'victorops',
    index,
    sendResolved: o.sendResolved,
    async notify(data, groupKey) {
      const r = (t: string): string => render(t, data);
      const key = await readSecret(o.apiKey);
      const routingKey = r(o.routingKey);
      const base = o.apiUrl.endsWith('/') ? o.apiUrl : `${o.apiUrl}/`;
      const url = `${base}${encodeURIComponent(key)}/${encodeURIComponent(routingKey)}`;
      const body: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const [k, v] of Object.entries(o.customFields)) body[k] = r(v);
      Object.assign(body, {
        message_type: data.Status === 'resolved' ? 'RECOVERY' : r(o.messageType),
        entity_id: groupHash(groupKey),
        entity_display_name: r(o.entityDisplayName),
        state_message: truncate(r(o.stateMessage), 20480),
        monitoring_tool: r(o.monitoringTool),
      });
      const res = await post(url, body, { shownUrl: `${base}<secret>/${routingKey}`, http: o.http, timeoutMs: o.timeoutMs });
      checkStatus(res);
      let answer: { result?: string; message?: string } = {};
      try {
        answer = JSON.parse(res.text) as typeof answer;
      } catch {
        /* not JSON */
      }
      if (answer.result !== undefined && answer.result !== 'success') throw new NotifyError(`error response from VictorOps: ${answer.message ?? answer.result}`, false);
    },
  };
}
