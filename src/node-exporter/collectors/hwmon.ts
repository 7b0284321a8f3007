// hwmon: hardware sensors under /sys/class/hwmon (temperatures, fans, voltages, power, ...). Each
// chip gets a stable name from its device path (hwmonN numbering changes between boots), each
// sensor file `<type><n>_<element>` becomes node_hwmon_<type>[_<element>]_<unit> as node_exporter
// names it, in base units (the kernel writes milli- and micro-units).
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { HostFiles } from '../context.js';
import type { FamilySet } from '../metrics.js';
import type { Collector } from './collector.js';

const SENSOR_FILE = /^([^0-9]+)([0-9]*)(?:_(.+))?$/;
const GO_FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function cleanName(s: string): string {
  return s.replace(/[^a-zA-Z0-9:_]/g, '_').toLowerCase().replace(/^_+|_+$/g, '');
}

function resolved(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** A chip name that survives reboots: bus and device of its device link, else its name file, else hwmonN. */
async function chipName(h: HostFiles, dir: string): Promise<string> {
  const device = resolved(join(dir, 'device'));
  if (device !== undefined) {
    const devName = cleanName(basename(device));
    const devType = cleanName(basename(dirname(device)));
    if (devType !== '' && devName !== '') return `${devType}_${devName}`;
    if (devName !== '') return devName;
  }
  const name = await h.readOptional(join(dir, 'name'));
  if (name !== undefined && name !== '') {
    const clean = cleanName(name);
    if (clean !== '') return clean;
  }
  return cleanName(basename(resolved(dir) ?? dir));
}

/** Sensor -> element -> raw text, from the files of one directory. */
async function sensorFiles(h: HostFiles, dir: string, into: Map<string, Map<string, string>>): Promise<void> {
  for (const file of await h.list(dir)) {
    const m = SENSOR_FILE.exec(file);
    if (!m) continue;
    const path = join(dir, file);
    try {
      if (statSync(path).isDirectory()) continue;
    } catch {
      continue;
    }
    const text = await h.readOptional(path);
    if (text === undefined) continue;
    const sensor = `${m[1]}${m[2] === '' ? '0' : Number(m[2])}`;
    let data = into.get(sensor);
    if (!data) into.set(sensor, (data = new Map()));
    data.set(m[3] ?? '', text.replace(/^\n+|\n+$/g, ''));
  }
}

function emitSensor(out: FamilySet, chip: string, sensor: string, data: Map<string, string>): void {
  const type = SENSOR_FILE.exec(sensor)![1]!;
  const labels = { chip, sensor };
  const label = data.get('label');
  if (label !== undefined) out.add('node_hwmon_sensor_label', 'Label for given chip and sensor', 'gauge', 1, { chip, label, sensor });
  if (type === 'beep_enable') {
    out.add('node_hwmon_beep_enabled', 'Hardware beep enabled', 'gauge', data.get('') === '1' ? 1 : 0, labels);
    return;
  }
  if (type === 'vrm') {
    const v = data.get('') ?? '';
    if (GO_FLOAT.test(v)) out.add('node_hwmon_voltage_regulator_version', 'Hardware voltage regulator', 'gauge', Number(v), labels);
    return;
  }
  for (const [element, text] of data) {
    if (element === 'label' || !GO_FLOAT.test(text)) continue;
    const v = Number(text);
    let name = `node_hwmon_${type}`;
    if (element === 'input') {
      if (data.has('')) name += '_input';
    } else if (element !== '') {
      name += `_${element}`;
    }
    if (element === 'fault' || element === 'alarm') out.add(name, `Hardware sensor ${element} status (${type})`, 'gauge', v, labels);
    else if (element === 'beep') out.add(`${name}_enabled`, 'Hardware monitor sensor has beeping enabled', 'gauge', v, labels);
    else if (type === 'in' || type === 'cpu') out.add(`${name}_volts`, `Hardware monitor for voltage (${element})`, 'gauge', v * 0.001, labels);
    else if (type === 'temp' && element !== 'type') out.add(`${name}_celsius`, `Hardware monitor for temperature (${element === '' ? 'input' : element})`, 'gauge', v * 0.001, labels);
    else if (type === 'curr') out.add(`${name}_amps`, `Hardware monitor for current (${element})`, 'gauge', v * 0.001, labels);
    else if (type === 'energy') out.add(`${name}_joule_total`, `Hardware monitor for joules used so far (${element})`, 'counter', v / 1e6, labels);
    else if (type === 'power' && element === 'accuracy') out.add(name, 'Hardware monitor power meter accuracy, as a ratio', 'gauge', v / 1e6, labels);
    else if (type === 'power' && /^average_interval(_min|_max)?$/.test(element)) out.add(`${name}_seconds`, `Hardware monitor power usage update interval (${element})`, 'gauge', v * 0.001, labels);
    else if (type === 'power') out.add(`${name}_watt`, `Hardware monitor for power usage in watts (${element})`, 'gauge', v / 1e6, labels);
    else if (type === 'humidity') out.add(name, `Hardware monitor for humidity in percent (${element})`, 'gauge', v / 1000, labels);
    else if (type === 'fan' && ['input', 'min', 'max', 'target'].includes(element)) out.add(`${name}_rpm`, `Hardware monitor for fan revolutions per minute (${element})`, 'gauge', v, labels);
    else out.add(name, `Hardware monitor ${type} element ${element}`, 'gauge', v, labels);
  }
}

export const hwmon: Collector = {
  name: 'hwmon',
  enabledByDefault: true,
  async collect(h, out) {
    const base = h.sys('class', 'hwmon');
    for (const entry of await h.list(base)) {
      const dir = join(base, entry);
      const chip = await chipName(h, dir);
      const data = new Map<string, Map<string, string>>();
      await sensorFiles(h, dir, data);
      // Older drivers keep their sensor files on the device, not on the hwmon node.
      let deviceIsDir = false;
      try {
        deviceIsDir = statSync(join(dir, 'device')).isDirectory();
      } catch {
        /* no device */
      }
      if (deviceIsDir) await sensorFiles(h, join(dir, 'device'), data);
      const humanName = await h.readOptional(join(dir, 'name'));
      if (humanName !== undefined) out.add('node_hwmon_chip_names', 'Annotation metric for human-readable chip names', 'gauge', 1, { chip, chip_name: cleanName(humanName) });
      for (const [sensor, d] of data) emitSensor(out, chip, sensor, d);
    }
  },
};

