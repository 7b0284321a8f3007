// The SMTP sink prints an e-mail as received: headers, the text part decoded, a note for the HTML
// part. The messages are composed by nodemailer (what our Alertmanager sends with), so the MIME
// shapes (multipart/alternative, quoted-printable, base64) are the real ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { decodeQuotedPrintable, mailAsText } from '../../src/walkthrough/mail-text.js';

function compose(mail: Record<string, unknown>): Promise<string> {
  return new Promise((resolve, reject) => new MailComposer(mail).compile().build((err, msg) => (err ? reject(err) : resolve(msg.toString('utf8')))));
}

test('a text + HTML alert mail: all headers, the text part decoded, a note for the HTML part', async () => {
  const text = '[FIRING:1] InstanceDown (localhost:9100 node)\nSummary: Instance localhost:9100 down — über 1 minute\n' + 'x'.repeat(120);
  const raw = await compose({ from: 'alertmanager@example.org', to: 'team@example.org', subject: '[FIRING:1] InstanceDown (localhost:9100 node)', text, html: '<html><body><b>InstanceDown</b></body></html>', headers: { 'X-Custom': 'walkthrough' } });
  const out = mailAsText(raw);
  assert.match(out, /^From: alertmanager@example\.org$/m);
  assert.match(out, /^To: team@example\.org$/m);
  assert.match(out, /^Subject: \[FIRING:1\] InstanceDown \(localhost:9100 node\)$/m);
  assert.match(out, /^X-Custom: walkthrough$/m);
  assert.match(out, /^Content-Type: multipart\/alternative/m);
  // The text part, decoded (non-ASCII and long lines come quoted-printable), whole.
  assert.ok(out.includes(text), out);
  assert.match(out, /\[HTML part: \d+ bytes, not shown\]/);
  assert.doesNotMatch(out, /<b>InstanceDown<\/b>/);
  assert.doesNotMatch(out, /=\r?\n|=C3=BC/);
});

test('base64 text, an HTML-only mail, folded headers', async () => {
  const b64 = await compose({ from: 'a@x', to: 'b@x', subject: 'base64', text: 'résumé ✓ '.repeat(20), textEncoding: 'base64' });
  assert.ok(mailAsText(b64).includes('résumé ✓ '.repeat(20).trimEnd()));
  const htmlOnly = mailAsText(await compose({ from: 'a@x', to: 'b@x', subject: 'only html', html: '<p>hi</p>' }));
  assert.match(htmlOnly, /Subject: only html/);
  assert.match(htmlOnly, /\[HTML part: \d+ bytes, not shown; this mail has no text part/);
  const folded = mailAsText('Subject: a very\r\n  long subject\r\nFrom: x@y\r\n\r\nbody line\r\n');
  assert.match(folded, /^Subject: a very long subject$/m);
  assert.match(folded, /\n\nbody line$/);
  assert.equal(decodeQuotedPrintable('caf=C3=A9 soft=\r\nbreak =3D'), 'café softbreak =');
});

test("the walkthrough's alert e-mail as the sink prints it: subject, the text part with the alert, a note for the HTML", { timeout: 60_000 }, async (t) => {
  const { readFileSync } = await import('node:fs');
  const { startAlertmanager } = await import('../helpers/alertmanager.js');
  const { startSmtpSink } = await import('../../src/walkthrough/smtp-sink.js');
  const mails: string[] = [];
  const sink = await startSmtpSink('127.0.0.1', 0, (m) => mails.push(mailAsText(m.raw)));
  t.after(() => sink.close());
  const config = readFileSync(new URL('../../examples/walkthrough/alertmanager.yml', import.meta.url), 'utf8').replace("'localhost:2525'", `'127.0.0.1:${sink.port}'`).replace('group_wait: 10s', 'group_wait: 0s');
  const am = await startAlertmanager(t, config);
  const alert = { labels: { alertname: 'InstanceDown', instance: 'localhost:9100', job: 'node', severity: 'page' }, annotations: { summary: 'Instance localhost:9100 down', description: 'localhost:9100 of job node has been down for more than 1 minute.' } };
  assert.equal((await fetch(`${am}/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify([alert]) })).status, 200);
  for (let i = 0; i < 200 && mails.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  const out = mails[0] ?? '';
  assert.match(out, /^Subject: \[FIRING:1\] InstanceDown/m);
  assert.match(out, /^To: team@example\.org$/m);
  assert.match(out, /^\[FIRING\] InstanceDown on localhost:9100 \(job node\)$/m);
  assert.match(out, /^Instance localhost:9100 down$/m);
  assert.match(out, /\[HTML part: \d+ bytes, not shown\]/);
});
