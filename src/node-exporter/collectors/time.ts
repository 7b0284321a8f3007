// time: the clock, the time zone and the kernel's clock sources.
import type { Collector } from './collector.js';
import { localZoneName } from './time-zone.js';

export const time: Collector = {
  name: 'time',
  enabledByDefault: true,
  async collect(h, out) {
    const now = new Date();
    out.add('node_time_seconds', 'System time in seconds since epoch (1970).', 'gauge', now.getTime() / 1000);
    out.add('node_time_zone_offset_seconds', 'System time zone offset in seconds.', 'gauge', -now.getTimezoneOffset() * 60, { time_zone: localZoneName(now) });
    const base = h.sys('devices', 'system', 'clocksource');
    for (const dir of await h.list(base)) {
      const m = /^clocksource(\d+)$/.exec(dir);
      if (!m) continue;
      const device = m[1]!;
      const available = await h.readOptional(`${base}/${dir}/available_clocksource`);
      for (const cs of (available ?? '').trim().split(/\s+/).filter((s) => s !== '')) {
        out.add('node_time_clocksource_available_info', "Available clocksources read from '/sys/devices/system/clocksource'.", 'gauge', 1, { clocksource: cs, device });
      }
      const current = (await h.readOptional(`${base}/${dir}/current_clocksource`))?.trim();
      if (current) out.add('node_time_clocksource_current_info', "Current clocksource read from '/sys/devices/system/clocksource'.", 'gauge', 1, { clocksource: current, device });
    }
  },
};
