// email_configs: renders the configured templates (Alertmanager's defaults unless overridden) and
// sends one message through the smarthost with nodemailer — plain SMTP, STARTTLS when required, or
// implicit TLS on port 465 — with HTML and text parts.
import nodemailer from 'nodemailer';
import { readFileSync } from 'node:fs';
import { NotifyError, type Integration, type TemplateData } from '../notify.js';

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
