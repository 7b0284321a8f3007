// Structured logging in the style of the upstream Go tools (go-kit log): one line per event,
// `ts=... caller=... level=info msg="..." key=value`, or JSON with `--log.format=json`.
// Users grep Prometheus's logs by these keys, so we keep the same shape.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'logfmt' | 'json';

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export type LogValue = string | number | boolean | null | undefined | Error;
export type LogFields = Record<string, LogValue>;

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go; stderr by default, as the upstream tools log. */
  write?: (line: string) => void;
  /** Fixed fields on every line, e.g. `{ component: 'tsdb' }`. */
  fields?: LogFields;
}

export function isLogLevel(s: string): s is LogLevel {
  return s in LEVEL_ORDER;
}

export class Logger {
  private readonly level: LogLevel;
  private readonly format: LogFormat;
  private readonly write: (line: string) => void;
  private readonly fields: LogFields;

  constructor(options: LoggerOptions = {}) {
    this.level = options.level ?? 'info';
    this.format = options.format ?? 'logfmt';
    this.write = options.write ?? ((line) => process.stderr.write(line + '\n'));
    this.fields = options.fields ?? {};
  }

  /** A logger that adds `fields` to every line (e.g. `logger.with({ component: 'scrape manager' })`). */
  with(fields: LogFields): Logger {
    return new Logger({ level: this.level, format: this.format, write: this.write, fields: { ...this.fields, ...fields } });
  }

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }

  enabled(level: LogLevel): boolean {
    return LEVEL_ORDER[level] >= LEVEL_ORDER[this.level];
  }

  private log(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (!this.enabled(level)) return;
    const all: LogFields = { ts: new Date().toISOString(), ...this.fields, level, msg, ...fields };
    this.write(this.format === 'json' ? formatJson(all) : formatLogfmt(all));
  }
}

function valueText(v: LogValue): string {
  if (v instanceof Error) return v.message;
  if (v === null || v === undefined) return 'null';
  return String(v);
}

export function formatLogfmt(fields: LogFields): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const s = valueText(v);
    parts.push(`${k}=${/^[^\s"=\\]+$/.test(s) ? s : JSON.stringify(s)}`);
  }
  return parts.join(' ');
}

function formatJson(fields: LogFields): string {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    out[k] = v instanceof Error ? v.message : v;
  }
  return JSON.stringify(out);
}
