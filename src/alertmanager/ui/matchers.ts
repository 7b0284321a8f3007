// Matchers typed by the user: `alertname="InstanceDown", job=~"node|db"` (braces, quotes optional),
// as amtool and Alertmanager's UI take them.
import type { Matcher } from './api.js';

export function parseMatchersInput(input: string): Matcher[] {
  let s = input.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
  const out: Matcher[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`bad matcher at ${i + 1}: ${why}`);
  };
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === ',') i++;
    if (i >= s.length) break;
    const nm = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(s.slice(i));
    if (!nm) fail('a label name is expected');
    const name = nm![0];
    i += name.length;
    while (s[i] === ' ') i++;
    const op = /^(=~|!~|!=|=)/.exec(s.slice(i));
    if (!op) fail(`an operator (=, !=, =~, !~) is expected after ${name}`);
    i += op![0].length;
    while (s[i] === ' ') i++;
    let value = '';
    if (s[i] === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        value += s[i];
        i++;
      }
      if (s[i] !== '"') fail('unterminated quoted value');
      i++;
    } else {
      const m = /^[^,]*/.exec(s.slice(i))!;
      value = m[0].trim();
      i += m[0].length;
    }
    out.push({ name, value, isRegex: op![0].includes('~'), isEqual: !op![0].startsWith('!') });
  }
  if (out.length === 0) throw new Error('at least one matcher is needed');
  return out;
}

export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.isEqual ? '' : '!'}${m.isRegex ? '~' : '='}${JSON.stringify(m.value)}`;
}
