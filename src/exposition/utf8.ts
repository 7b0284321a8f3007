// Invalid UTF-8 in a scraped body. Prometheus reads bodies as bytes and refuses invalid UTF-8 in
// label values ("invalid UTF-8 label value") and HELP texts ("help text is not a valid utf8
// string"); elsewhere in a sample or metadata line such bytes are a syntax error. Only an ordinary
// comment of the text format may hold them (OpenMetrics has no ordinary comments). Our parsers get
// the body decoded (invalid bytes become U+FFFD), so the check is made on the bytes first.
import { isUtf8 } from 'node:buffer';
import { ExpositionError } from './lexer.js';

const HASH = 0x23;
const SPACE = 0x20;
const TAB = 0x09;

function isBlank(b: number | undefined): boolean {
  return b === SPACE || b === TAB;
}

/** Whether a text-format line is an ordinary comment: `#` not followed by blanks and HELP/TYPE and a blank. */
function isPlainComment(line: Uint8Array): boolean {
  let i = 0;
  while (isBlank(line[i])) i++;
  if (line[i] !== HASH) return false;
  i++;
  if (!isBlank(line[i])) return true;
  while (isBlank(line[i])) i++;
  const kw = String.fromCharCode(...line.subarray(i, i + 4));
  return !((kw === 'HELP' || kw === 'TYPE') && isBlank(line[i + 4]));
}

/** Throws an ExpositionError for the first line whose invalid UTF-8 Prometheus would refuse. */
export function checkUtf8(body: Uint8Array, openMetrics: boolean): void {
  if (isUtf8(body)) return;
  let start = 0;
  for (let line = 1; ; line++) {
    const nl = body.indexOf(0x0a, start);
    const bytes = body.subarray(start, nl === -1 ? body.length : nl);
    if (!isUtf8(bytes) && (openMetrics || !isPlainComment(bytes))) throw new ExpositionError(line, 'invalid UTF-8 (Prometheus refuses it in label values and HELP texts)');
    if (nl === -1) return;
    start = nl + 1;
  }
}
