// A local SMTP server that accepts every message and hands it to a callback, so the walkthrough's
// alert e-mails can be seen without a real mail server (the Alertmanager's smarthost points here).
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The raw RFC 5322 message (headers and body). */
  raw: string;
  subject: string;
}

export interface SmtpSink {
  port: number;
  close(): Promise<void>;
}

function header(raw: string, name: string): string {
  const m = new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(raw);
  return m === null ? '' : m[1]!.replace(/\r?\n[ \t]+/g, ' ').trim();
}

export async function startSmtpSink(host: string, port: number, onMail: (m: ReceivedMail) => void): Promise<SmtpSink> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        onMail({ from, to: session.envelope.rcptTo.map((r) => r.address), raw, subject: header(raw, 'Subject') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.server.address() as AddressInfo;
  return {
    port: addr.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
