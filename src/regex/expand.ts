// Go's regexp.Expand for replacement templates ($1, ${1}, $name, ${name}, $$), as Prometheus's
// relabeling and label_replace() use it. Note Go's rule that `$1x` names the group `1x`.
export function expandTemplate(template: string, match: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    const rest = template.slice(i + 1);
    if (rest.startsWith('$')) {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    let len = 0;
    const braced = /^\{([a-zA-Z0-9_]+)\}/.exec(rest);
    const bare = /^[a-zA-Z0-9_]+/.exec(rest);
    if (braced) {
      name = braced[1];
      len = braced[0].length;
    } else if (bare) {
      name = bare[0];
      len = bare[0].length;
    }
    if (name === undefined) {
      out += '$';
      continue;
    }
    i += len;
    if (/^[0-9]+$/.test(name)) out += match[Number(name)] ?? '';
    else out += match.groups?.[name] ?? '';
  }
  return out;
}
