// cpufreq: each CPU's frequency and its limits from /sys/devices/system/cpu/cpu*/cpufreq (kHz there).
import type { Collector } from './collector.js';
import { parseNumber } from './collector.js';

const FILES: [string, string, string][] = [
  ['cpuinfo_cur_freq', 'node_cpu_frequency_hertz', 'Current CPU thread frequency in hertz.'],
  ['cpuinfo_max_freq', 'node_cpu_frequency_max_hertz', 'Maximum CPU thread frequency in hertz.'],
  ['cpuinfo_min_freq', 'node_cpu_frequency_min_hertz', 'Minimum CPU thread frequency in hertz.'],
  ['scaling_cur_freq', 'node_cpu_scaling_frequency_hertz', 'Current scaled CPU thread frequency in hertz.'],
  ['scaling_max_freq', 'node_cpu_scaling_frequency_max_hertz', 'Maximum scaled CPU thread frequency in hertz.'],
  ['scaling_min_freq', 'node_cpu_scaling_frequency_min_hertz', 'Minimum scaled CPU thread frequency in hertz.'],
];

export const cpufreq: Collector = {
  name: 'cpufreq',
  enabledByDefault: true,
  async collect(h, out) {
    const base = h.sys('devices', 'system', 'cpu');
    for (const dir of (await h.list(base)).filter((d) => /^cpu\d+$/.test(d))) {
      const cpu = dir.slice(3);
      for (const [file, name, help] of FILES) {
        const t = await h.readOptional(`${base}/${dir}/cpufreq/${file}`);
        if (t !== undefined) out.add(name, help, 'gauge', parseNumber(t, `${dir}/cpufreq/${file}`) * 1000, { cpu });
      }
    }
  },
};
