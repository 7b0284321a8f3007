// sysctl: chosen /proc/sys values (--collector.sysctl.include), numeric ones as node_sysctl_<name>
// (one sample per field, or one family per field when the flag names them: `fs.file-nr:total,current,max`),
// string ones as node_sysctl_info (--collector.sysctl.include-info).
import type { Collector } from './collector.js';
import { flagValue, parseNumber } from './collector.js';
import { flag } from '../../util/flags.js';

function split(spec: string): { name: string; fields: string[] } {
  const [name, fields] = spec.split(':');
  return { name: name!, fields: fields === undefined ? [] : fields.split(',') };
}

function metricName(name: string): string {
  return `node_sysctl_${name.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

export const sysctl: Collector = {
  name: 'sysctl',
  enabledByDefault: false,
  flags: {
    'collector.sysctl.include': flag.strings('Select sysctls to include. Can be given several times; `name:field1,field2` names the fields of a multi-value sysctl.'),
    'collector.sysctl.include-info': flag.strings('Select sysctls to include as info metric. Can be given several times.'),
  },
  async collect(h, out, o) {
    for (const spec of flagValue<string[]>(o, 'collector.sysctl.include')) {
      const { name, fields } = split(spec);
      const path = h.proc('sys', ...name.split('.'));
      const values = (await h.read(path)).trim().split(/\s+/).map((v) => parseNumber(v, path));
      const help = `sysctl ${name}`;
      if (values.length === 1 && fields.length === 0) {
        out.add(metricName(name), help, 'untyped', values[0]!);
      } else if (fields.length > 0) {
        if (fields.length !== values.length) throw new Error(`sysctl ${name}: ${fields.length} field names for ${values.length} values`);
        fields.forEach((f, i) => out.add(`${metricName(name)}_${f}`, `${help}, field ${i}`, 'untyped', values[i]!));
      } else {
        values.forEach((v, i) => out.add(metricName(name), help, 'untyped', v, { index: String(i) }));
      }
    }
    for (const name of flagValue<string[]>(o, 'collector.sysctl.include-info')) {
      const path = h.proc('sys', ...name.split('.'));
      (await h.read(path)).trim().split(/\s+/).forEach((value, i) => out.add('node_sysctl_info', 'sysctl info', 'gauge', 1, { index: String(i), name, value }));
    }
  },
};
