// An e-mail as the walkthrough's SMTP sink prints it: the headers as received (folded lines
// joined), then the text part decoded (quoted-printable, base64), and for an HTML part a one-line
// note with its size, so the user reads the mail the Alertmanager wrote without a mail client.

interface Part {
  headers: [string, string][];
  body: string;
}

function splitHeaders(raw: string): Part {
  const text = raw.replace(/\r\n/g, '\n');
  const end = text.indexOf('\n\n');
  const head = end === -1 ? text : text.slice(0, end);
  const body = end === -1 ? '' : text.slice(end + 2);
  const headers: [string, string][] = [];
  for (const line of head.split('\n')) {
    if (/^[ \t]/.test(line) && headers.length > 0) headers[headers.length - 1]![1] += ` ${line.trim()}`;
    else {
      const i = line.indexOf(':');
      if (i > 0) headers.push([line.slice(0, i), line.slice(i + 1).trim()]);
    }
  }
  return { headers, body };
}

function header(p: Part, name: string): string {
  return p.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1] ?? '';
}

/** A parameter of a header value: `boundary` of `multipart/alternative; boundary="x"`. */
function param(value: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))`, 'i').exec(value);
  return m === null ? undefined : (m[1] ?? m[2]);
}

export function decodeQuotedPrintable(s: string): string {
  const bytes: number[] = [];
  const text = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(p: Part): string {
  const encoding = header(p, 'Content-Transfer-Encoding').toLowerCase();
  if (encoding === 'base64') return Buffer.from(p.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(p.body);
  return p.body;
}

/** The leaf parts of a (possibly nested) multipart message, in order. */
function leafParts(p: Part): Part[] {
  const type = header(p, 'Content-Type');
  const boundary = /^multipart\//i.test(type) ? param(type, 'boundary') : undefined;
  if (boundary === undefined) return [p];
  const out: Part[] = [];
  const chunks = p.body.split(`--${boundary}`);
  // chunks[0] is the preamble; the part after the closing `--boundary--` starts with `--`.
  for (const chunk of chunks.slice(1)) {
    if (chunk.startsWith('--')) break;
    out.push(...leafParts(splitHeaders(chunk.replace(/^\r?\n/, ''))));
  }
  return out;
}

/** The message for printing: headers, a blank line, the text part(s), a note for each HTML part. */
export function mailAsText(raw: string): string {
  const message = splitHeaders(raw);
  const lines = message.headers.map(([k, v]) => `${k}: ${v}`);
  lines.push('');
  const parts = leafParts(message).map((part) => ({ type: (header(part, 'Content-Type') || 'text/plain').split(';')[0]!.trim().toLowerCase(), body: decodeBody(part) }));
  const hasText = parts.some((p) => p.type === 'text/plain');
  for (const { type, body } of parts) {
    if (type === 'text/plain') lines.push(body.replace(/\s+$/, ''));
    else if (type === 'text/html') lines.push(`[HTML part: ${Buffer.byteLength(body)} bytes, not shown${hasText ? '' : '; this mail has no text part (add `text:` to the email_config for one)'}]`);
    else lines.push(`[${type} part: ${Buffer.byteLength(body)} bytes, not shown]`);
  }
  return lines.join('\n');
}
