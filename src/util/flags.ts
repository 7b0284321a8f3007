// Command-line flags in the style of the upstream tools (kingpin): `--name=value` or `--name value`,
// booleans as `--name` / `--no-name`, repeatable flags, `--help` and `--version`, and errors such as
// `prometheus: error: unknown long flag '--foo', try --help`. Users move their systemd units and
// scripts from Prometheus to Promethium, so the spelling must be the same.

export interface FlagSpec<T> {
  help: string;
  /** Shown in --help; undefined for flags without a default. */
  defaultText?: string;
  /** The value when the flag is not given. */
  default: T;
  /** Takes a value (false for booleans). */
  takesValue: boolean;
  /** May be given several times; values accumulate. */
  repeatable: boolean;
  /** Placeholder in --help, e.g. `<path>`. */
  placeholder?: string;
  /** Turns the text given on the command line into the value; throws with a reason on bad input. */
  parse(text: string, previous: T): T;
  hidden?: boolean;
}

export const flag = {
  string(help: string, def: string, placeholder?: string): FlagSpec<string> {
    return { help, default: def, defaultText: def === '' ? undefined : JSON.stringify(def), takesValue: true, repeatable: false, placeholder, parse: (s) => s };
  },
  optionalString(help: string, placeholder?: string): FlagSpec<string | undefined> {
    return { help, default: undefined, takesValue: true, repeatable: false, placeholder, parse: (s) => s };
  },
  bool(help: string, def = false): FlagSpec<boolean> {
    return { help, default: def, takesValue: false, repeatable: false, parse: (s) => s === 'true' };
  },
  strings(help: string, placeholder?: string): FlagSpec<string[]> {
    return { help, default: [], takesValue: true, repeatable: true, placeholder, parse: (s, prev) => [...prev, s] };
  },
  /** A flag whose text is converted by `parse` (durations, sizes, enums). */
  custom<T>(help: string, def: T, defaultText: string | undefined, parse: (s: string) => T, placeholder?: string): FlagSpec<T> {
    return { help, default: def, defaultText, takesValue: true, repeatable: false, placeholder, parse: (s) => parse(s) };
  },
  enumeration<E extends string>(help: string, def: E, values: readonly E[]): FlagSpec<E> {
    return {
      help: `${help} One of: [${values.join(', ')}]`,
      default: def,
      defaultText: def,
      takesValue: true,
      repeatable: false,
      parse: (s) => {
        if (!(values as readonly string[]).includes(s)) throw new Error(`enum value must be one of ${values.join(',')}, got '${s}'`);
        return s as E;
      },
    };
  },
};

export type FlagSpecs = Record<string, FlagSpec<unknown>>;
export type FlagValues<S extends FlagSpecs> = { [K in keyof S]: S[K] extends FlagSpec<infer T> ? T : never };

export interface CommandInfo {
  /** The program name in messages, e.g. `prometheus` or `promethium server`. */
  name: string;
  description: string;
  version: string;
}

export type ParseResult<S extends FlagSpecs> =
  | { kind: 'ok'; values: FlagValues<S>; /** flags given explicitly */ given: Set<string>; args: string[] }
  /** --help, --version or an error: print `output` to the given stream and exit with `code`. */
  | { kind: 'exit'; code: number; output: string; stream: 'stdout' | 'stderr' };

export function parseFlags<S extends FlagSpecs>(info: CommandInfo, specs: S, argv: string[], options: { allowArgs?: boolean } = {}): ParseResult<S> {
  const values: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(specs)) values[k] = s.default;
  const given = new Set<string>();
  const args: string[] = [];
  const fail = (msg: string): ParseResult<S> => ({ kind: 'exit', code: 1, output: `${info.name}: error: ${msg}, try --help`, stream: 'stderr' });

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h' || a === '--help-long') {
      return { kind: 'exit', code: 0, output: helpText(info, specs), stream: 'stdout' };
    }
    if (a === '--version') return { kind: 'exit', code: 0, output: info.version, stream: 'stdout' };
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      if (options.allowArgs === true) {
        args.push(a);
        continue;
      }
      return fail(`unexpected ${a}`);
    }
    const eq = a.indexOf('=');
    let name = eq === -1 ? a.slice(2) : a.slice(2, eq);
    let inline: string | undefined = eq === -1 ? undefined : a.slice(eq + 1);
    let spec = specs[name];
    let negated = false;
    if (spec === undefined && name.startsWith('no-') && specs[name.slice(3)]?.takesValue === false) {
      name = name.slice(3);
      spec = specs[name];
      negated = true;
    }
    if (spec === undefined) return fail(`unknown long flag '--${name}'`);
    let text: string;
    if (!spec.takesValue) {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') return fail(`invalid boolean value '${inline}' for flag '--${name}'`);
      text = negated ? 'false' : inline ?? 'true';
    } else {
      if (inline === undefined) {
        if (i + 1 >= argv.length) return fail(`expected argument for flag '--${name}'`);
        inline = argv[++i]!;
      }
      text = inline;
    }
    if (given.has(name) && !spec.repeatable) return fail(`flag '${name}' cannot be repeated`);
    try {
      values[name] = spec.parse(text, values[name]);
    } catch (e) {
      return fail(`invalid value "${text}" for flag '--${name}': ${(e as Error).message}`);
    }
    given.add(name);
  }
  return { kind: 'ok', values: values as FlagValues<S>, given, args };
}

export function helpText(info: CommandInfo, specs: FlagSpecs): string {
  const rows: [string, string][] = [['-h, --help', 'Show context-sensitive help.']];
  for (const [name, s] of Object.entries(specs)) {
    if (s.hidden === true) continue;
    let left = s.takesValue ? `    --${name}=${s.placeholder ?? (s.defaultText !== undefined ? s.defaultText : `<${name.split('.').pop()}>`)}` : `    --[no-]${name}`;
    if (s.repeatable) left += ' ...';
    rows.push([left, s.help]);
  }
  rows.push(['    --version', 'Show application version.']);
  const width = Math.min(50, Math.max(...rows.map(([l]) => l.length)) + 2);
  const lines = [`usage: ${info.name} [<flags>]`, '', info.description, '', 'Flags:'];
  for (const [l, r] of rows) {
    lines.push(l.length + 2 > width ? `  ${l}\n  ${' '.repeat(width)}${r}` : `  ${l.padEnd(width)}${r}`);
  }
  return lines.join('\n');
}

/** Prints an `exit` result to its stream and returns the exit code. */
export function reportExit(r: { output: string; stream: 'stdout' | 'stderr'; code: number }): number {
  (r.stream === 'stdout' ? process.stdout : process.stderr).write(r.output + '\n');
  return r.code;
}
