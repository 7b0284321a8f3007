// email_configs: renders the configured templates (Alertmanager's defaults unless overridden) and
// sends one message through the smarthost with nodemailer — plain SMTP, STARTTLS when required, or
// implicit TLS on port 465 — with HTML and text parts.
import nodemailer from 'nodemailer';
import { readFileSync } from 'node:fs';
import { NotifyError, type Integration, type TemplateData } from '../notify.js';
import type { YamlFile } from '../../config/yaml-reader.js';
import { labelMap, readTlsConfig, scalarString } from '../config/fields.js';
import type { ReceiverConfigReader } from '../config/receiver-context.js';

export interface EmailOptions {
  to: string;
  from: string;
  /** `host:port`. */
  smarthost: string;
  hello: string;
  authUsername?: string;
  authPassword?: string;
  /** Read when a message is sent (the loader never opens it, as Alertmanager's does not). */
  authPasswordFile?: string;
  requireTls: boolean;
  tls?: { ca?: string; cert?: string; key?: string; serverName?: string; insecureSkipVerify?: boolean };
  /** Header templates; `Subject`, `To` and `From` included (Alertmanager fills defaults). */
  headers: Record<string, string>;
  html?: string;
  text?: string;
  sendResolved: boolean;
  timeoutMs: number;
}

/** Executes a template text against notification data (the Go text/template engine). */
export type RenderFn = (templateText: string, data: TemplateData) => string;

function splitHostPort(hostport: string): { host: string; port: number } {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(hostport);
  if (m === null) throw new NotifyError(`invalid smarthost "${hostport}": address must be host:port`, false);
  return { host: m[1]!, port: Number(m[2]) };
}

export function emailIntegration(o: EmailOptions, index: number, render: RenderFn): Integration {
  return {
    name: 'email',
    index,
    sendResolved: o.sendResolved,
    async notify(data) {
      let headers: Record<string, string>;
      let html: string | undefined;
      let text: string | undefined;
      try {
        headers = Object.fromEntries(Object.entries(o.headers).map(([k, v]) => [k, render(v, data)]));
        html = o.html !== undefined && o.html !== '' ? render(o.html, data) : undefined;
        text = o.text !== undefined && o.text !== '' ? render(o.text, data) : undefined;
      } catch (e) {
        throw new NotifyError(`execute template: ${(e as Error).message}`, false);
      }
      const { host, port } = splitHostPort(o.smarthost);
      const transport = nodemailer.createTransport({
        host,
        port,
        // Port 465 speaks TLS from the first byte; elsewhere STARTTLS only when required, as
        // Alertmanager does (it never upgrades opportunistically).
        secure: port === 465,
        requireTLS: o.requireTls && port !== 465,
        ignoreTLS: !o.requireTls && port !== 465,
        name: o.hello,
        auth: o.authUsername !== undefined && o.authUsername !== '' ? { user: o.authUsername, pass: o.authPasswordFile ? readFileSync(o.authPasswordFile, 'utf8').trim() : (o.authPassword ?? '') } : undefined,
        tls: {
          ca: o.tls?.ca,
          cert: o.tls?.cert,
          key: o.tls?.key,
          servername: o.tls?.serverName,
          rejectUnauthorized: o.tls?.insecureSkipVerify !== true,
        },
        connectionTimeout: o.timeoutMs,
        greetingTimeout: o.timeoutMs,
        socketTimeout: o.timeoutMs,
      });
      const { Subject: subject, To: to, From: from, ...extra } = headers;
      try {
        await transport.sendMail({
          from: from ?? o.from,
          to: to ?? o.to,
          subject: subject ?? '',
          html,
          text,
          headers: extra,
        });
      } catch (e) {
        const err = e as Error & { responseCode?: number };
        // Permanent SMTP failures (5xx) will not pass on a retry; connection problems might.
        const permanent = typeof err.responseCode === 'number' && err.responseCode >= 500;
        throw new NotifyError(`send email: ${err.message}`, !permanent);
      } finally {
        transport.close();
      }
    },
  };
}

/** email_configs: each entry checked and read as Alertmanager reads it. */
export const emailConfigReader: ReceiverConfigReader = {
  key: 'email_configs',
  typeName: 'config.EmailConfig',
  fields: ['to', 'from', 'smarthost', 'hello', 'auth_username', 'auth_password', 'auth_password_file', 'auth_secret', 'auth_secret_file', 'auth_identity', 'require_tls', 'tls_config', 'headers', 'html', 'text', 'send_resolved', 'threading'],
  missing: 'missing email config',
  read(ctx, ec, em, _str, i) {
    const y: YamlFile = ctx.y; // typed, so that y.fail narrows
    const { global, renderTemplate, checkSmarthost, globalSection: gm } = ctx;
    const to = scalarString(y, em.get('to'), 'to');
    if (to === '') y.fail(ec, 'missing to address in email config');
    const from = scalarString(y, em.get('from'), 'from') || global.smtpFrom;
    const host = scalarString(y, em.get('smarthost'), 'smarthost') || global.smtpSmarthost;
    checkSmarthost(host, em.get('smarthost'));
    if (host === '') y.fail(ec, 'no global SMTP smarthost set');
    if (from === '') y.fail(ec, 'no global SMTP from set');
    const headers: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [k, v] of Object.entries(labelMap(y, em.get('headers'), 'headers'))) {
      // Go's canonical MIME header key; two spellings of one header are refused.
      const canonical = k.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join('-');
      if (Object.hasOwn(headers, canonical)) y.fail(em.get('headers'), `duplicate header ${JSON.stringify(canonical)} in email config`);
      headers[canonical] = v;
    }
    headers['Subject'] ??= '{{ template "email.default.subject" . }}';
    headers['To'] ??= to;
    headers['From'] ??= from;
    // Receiver credentials override the global ones field by field; files are read when sending.
    const ownPassword = scalarString(y, em.get('auth_password'), 'auth_password');
    const ownFile = scalarString(y, em.get('auth_password_file'), 'auth_password_file');
    if (ownPassword !== '' && ownFile !== '') y.fail(ec, 'at most one of auth_password & auth_password_file must be configured');
    const passwordFile = ownPassword !== '' ? '' : ownFile || (global.smtpAuthPassword !== '' ? '' : global.smtpAuthPasswordFile);
    const password = ownPassword || (ownFile !== '' ? '' : global.smtpAuthPassword);
    return emailIntegration(
      {
        to,
        from,
        smarthost: host,
        hello: scalarString(y, em.get('hello'), 'hello') || global.smtpHello,
        authUsername: scalarString(y, em.get('auth_username'), 'auth_username') || global.smtpAuthUsername || undefined,
        authPassword: password || undefined,
        authPasswordFile: passwordFile || undefined,
        requireTls: y.bool(em.get('require_tls'), 'require_tls', global.smtpRequireTls),
        headers,
        html: em.has('html') ? scalarString(y, em.get('html'), 'html') : '{{ template "email.default.html" . }}',
        // Alertmanager sends only the HTML part unless `text` is configured.
        text: em.has('text') ? scalarString(y, em.get('text'), 'text') : '',
        sendResolved: y.bool(em.get('send_resolved'), 'send_resolved', false),
        tls: readTlsConfig(y, em.get('tls_config') ?? gm.get('smtp_tls_config')),
        timeoutMs: 30_000,
      },
      i,
      renderTemplate,
    );
  },
};
