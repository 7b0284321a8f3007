// What each integration's config reader (integrations/<name>.ts) gets from parseAlertmanagerConfig:
// the file, the global settings it falls back on, the template renderer, and the shape of a
// `<name>_configs` reader in config.ts's table of receivers.
import type { Node, YamlFile } from '../../config/yaml-reader.js';
import type { Integration, TemplateData } from '../notify.js';
import type { Secret } from '../integrations/post.js';

/** alertmanager.yml's global section with Alertmanager's defaults applied. */
export interface GlobalSettings {
  resolveTimeoutMs: number;
  smtpFrom: string;
  smtpHello: string;
  smtpSmarthost: string;
  smtpAuthUsername: string;
  smtpAuthPassword: string;
  smtpAuthPasswordFile: string;
  smtpRequireTls: boolean;
  slackApiUrl: string;
  slackApiUrlFile: string;
  slackAppToken: string;
  slackAppTokenFile: string;
  slackAppUrl: string;
  telegramApiUrl: string;
  telegramBotToken: string;
  telegramBotTokenFile: string;
  opsgenieApiKey: string;
  opsgenieApiKeyFile: string;
  opsgenieApiUrl: string;
  victoropsApiKey: string;
  victoropsApiKeyFile: string;
  victoropsApiUrl: string;
  pagerdutyUrl: string;
  mattermostWebhookUrl: string;
  mattermostWebhookUrlFile: string;
  rocketchatApiUrl: string;
  rocketchatToken: string;
  rocketchatTokenFile: string;
  rocketchatTokenId: string;
  rocketchatTokenIdFile: string;
  wechatApiUrl: string;
  wechatApiSecret: string;
  wechatApiSecretFile: string;
  wechatApiCorpId: string;
}

export interface ReceiverContext {
  y: YamlFile;
  global: GlobalSettings;
  /** The global section's own keys (smtp_tls_config is taken as it is written). */
  globalSection: Map<string, Node>;
  renderTemplate: (text: string, data: TemplateData) => string;
  /** Refuses an SMTP smarthost without a port. */
  checkSmarthost(host: string, n: Node | undefined): void;
}

/** A string setting of one config entry (`dflt` when the key is absent). */
export type ConfigString = (key: string, dflt?: string) => string;

/** The reader of one `<name>_configs` list: its keys, and each entry made into an integration. */
export interface ReceiverConfigReader {
  key: string;
  /** Go type name for unknown-key errors. */
  typeName: string;
  fields: readonly string[];
  /** The error for a null entry (undefined: a null entry is read as empty). */
  missing: string | undefined;
  read(ctx: ReceiverContext, entry: Node, m: Map<string, Node>, str: ConfigString, index: number): Integration;
}

/** A receiver's key (inline or file) or else the global one (inline, then file). */
export function keyOf(own: string, ownFile: string, globalKey: string, globalFile: string): Secret | undefined {
  return own !== '' ? { value: own } : ownFile !== '' ? { file: ownFile } : globalKey !== '' ? { value: globalKey } : globalFile !== '' ? { file: globalFile } : undefined;
}

/** An unsigned setting (Go uint64): a negative value is refused as yaml refuses it upstream. */
export function nonNegative(y: YamlFile, n: Node | undefined, what: string): number {
  const v = y.int(n, what, 0);
  if (v < 0) y.fail(n, `cannot unmarshal !!int \`${v}\` into uint64 (${what})`);
  return v;
}
