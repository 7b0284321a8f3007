// Small collectors over single tables and directories: slabinfo, thermal_zone, rapl, cgroups,
// bonding, buddyinfo, nvme, dmi.
import { join } from 'node:path';
import type { Collector } from './collector.js';
import { flagValue, parseNumber, regexpFlag, NoDataError } from './collector.js';

export const slabinfo: Collector = {
  name: 'slabinfo',
  enabledByDefault: false,
  flags: {
    'collector.slabinfo.slabs-include': regexpFlag('Regexp of slabs to include in slabinfo collector.', '.*'),
    'collector.slabinfo.slabs-exclude': regexpFlag('Regexp of slabs to exclude in slabinfo collector.', ''),
  },
  async collect(h, out, o) {
    const include = flagValue<RegExp>(o, 'collector.slabinfo.slabs-include');
    const exclude = flagValue<RegExp>(o, 'collector.slabinfo.slabs-exclude');
    const excludeSet = exclude.source !== '(?:)';
    for (const line of (await h.read(h.proc('slabinfo'))).split('\n').slice(2)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 6) continue;
      const slab = f[0]!;
      if (!include.test(slab) || (excludeSet && exclude.test(slab))) continue;
      const n = (i: number): number => parseNumber(f[i]!, `slabinfo ${slab}`);
      const labels = { slab };
      out.add('node_slabinfo_active_objects', 'The number of objects that are currently active (i.e., in use).', 'gauge', n(1), labels);
      out.add('node_slabinfo_objects', 'The total number of allocated objects (i.e., objects that are both in use and not in use).', 'gauge', n(2), labels);
      out.add('node_slabinfo_object_size_bytes', 'The size of objects in this slab, in bytes.', 'gauge', n(3), labels);
      out.add('node_slabinfo_objects_per_slab', 'The number of objects stored in each slab.', 'gauge', n(4), labels);
      out.add('node_slabinfo_pages_per_slab', 'The number of pages allocated for each slab.', 'gauge', n(5), labels);
    }
  },
};

export const thermalZone: Collector = {
  name: 'thermal_zone',
  enabledByDefault: true,
  async collect(h, out) {
    const base = h.sys('class', 'thermal');
    for (const entry of await h.list(base)) {
      const dir = `${base}/${entry}`;
      const zone = /^thermal_zone(\d+)$/.exec(entry);
      if (zone) {
        const type = (await h.read(`${dir}/type`)).trim();
        out.add('node_thermal_zone_temp', 'Zone temperature in Celsius', 'gauge', parseNumber(await h.read(`${dir}/temp`), `${dir}/temp`) / 1000, { type, zone: zone[1]! });
        continue;
      }
      const cooling = /^cooling_device(\d+)$/.exec(entry);
      if (cooling) {
        const labels = { name: cooling[1]!, type: (await h.read(`${dir}/type`)).trim() };
        out.add('node_cooling_device_cur_state', 'Current throttle state of the cooling device', 'gauge', parseNumber(await h.read(`${dir}/cur_state`), `${dir}/cur_state`), labels);
        out.add('node_cooling_device_max_state', 'Maximum throttle state of the cooling device', 'gauge', parseNumber(await h.read(`${dir}/max_state`), `${dir}/max_state`), labels);
      }
    }
  },
};

export const rapl: Collector = {
  name: 'rapl',
  enabledByDefault: true,
  async collect(h, out) {
    const base = h.sys('class', 'powercap');
    const zones = (await h.list(base)).filter((z) => z.startsWith('intel-rapl:'));
    if (zones.length === 0) throw new NoDataError(`no RAPL zones under ${base}`);
    for (const zone of zones) {
      const dir = join(base, zone);
      const name = (await h.read(`${dir}/name`)).trim().replace(/-\d+$/, '');
      const energy = parseNumber(await h.read(`${dir}/energy_uj`), `${dir}/energy_uj`);
      const index = zone.split(':').pop()!;
      out.add(`node_rapl_${name}_joules_total`, `Current RAPL ${name} value in joules`, 'counter', energy / 1e6, { index, path: dir });
    }
  },
};

export const cgroups: Collector = {
  name: 'cgroups',
  enabledByDefault: false,
  async collect(h, out) {
    for (const line of (await h.read(h.proc('cgroups'))).split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      const [subsys, , count, enabled] = line.trim().split(/\s+/);
      if (subsys === undefined || count === undefined || enabled === undefined) throw new Error(`cgroups: truncated line ${JSON.stringify(line)}`);
      out.add('node_cgroups_cgroups', 'Current cgroup number of the subsystem.', 'gauge', parseNumber(count, `cgroups ${subsys}`), { subsys_name: subsys });
      out.add('node_cgroups_enabled', 'Current cgroup number of the subsystem.', 'gauge', parseNumber(enabled, `cgroups ${subsys}`), { subsys_name: subsys });
    }
  },
};

export const bonding: Collector = {
  name: 'bonding',
  enabledByDefault: true,
  async collect(h, out) {
    const mastersText = await h.readOptional(h.sys('class', 'net', 'bonding_masters'));
    if (mastersText === undefined) throw new NoDataError('no bonding_masters: the bonding driver is not loaded');
    const masters = mastersText.trim().split(/\s+/).filter((m) => m !== '');
    for (const master of masters) {
      const slaves = ((await h.readOptional(h.sys('class', 'net', master, 'bonding', 'slaves'))) ?? '').trim().split(/\s+/).filter((s) => s !== '');
      let active = 0;
      for (const slave of slaves) {
        const mii = (await h.readOptional(h.sys('class', 'net', master, `lower_${slave}`, 'bonding_slave', 'mii_status')))
          ?? (await h.readOptional(h.sys('class', 'net', master, `slave_${slave}`, 'bonding_slave', 'mii_status')));
        if (mii?.trim() === 'up') active++;
      }
      out.add('node_bonding_slaves', 'Number of configured slaves per bonding interface.', 'gauge', slaves.length, { master });
      out.add('node_bonding_active', 'Number of active slaves per bonding interface.', 'gauge', active, { master });
    }
  },
};

export const buddyinfo: Collector = {
  name: 'buddyinfo',
  enabledByDefault: false,
  async collect(h, out) {
    for (const line of (await h.read(h.proc('buddyinfo'))).split('\n')) {
      const m = /^Node (\d+), zone\s+(\S+)\s+(.*)$/.exec(line.trim());
      if (!m) continue;
      m[3]!.trim().split(/\s+/).forEach((v, size) => {
        out.add('node_buddyinfo_blocks', 'Count of free blocks according to size.', 'gauge', parseNumber(v, `buddyinfo ${m[2]}`), { node: m[1]!, size: String(size), zone: m[2]! });
      });
    }
  },
};

export const nvme: Collector = {
  name: 'nvme',
  enabledByDefault: true,
  async collect(h, out) {
    const base = h.sys('class', 'nvme');
    for (const device of await h.list(base)) {
      const text = async (f: string): Promise<string> => (await h.read(`${base}/${device}/${f}`)).trim();
      out.add('node_nvme_info', 'Non-numeric data from /sys/class/nvme/<device>, value is always 1.', 'gauge', 1, {
        device, firmware_revision: await text('firmware_rev'), model: await text('model'), serial: await text('serial'), state: await text('state'),
      });
    }
  },
};

const DMI_FIELDS: [string, string][] = [
  ['bios_date', 'bios_date'], ['bios_release', 'bios_release'], ['bios_vendor', 'bios_vendor'], ['bios_version', 'bios_version'],
  ['board_asset_tag', 'board_asset_tag'], ['board_name', 'board_name'], ['board_serial', 'board_serial'], ['board_vendor', 'board_vendor'],
  ['board_version', 'board_version'], ['chassis_asset_tag', 'chassis_asset_tag'], ['chassis_serial', 'chassis_serial'], ['chassis_vendor', 'chassis_vendor'],
  ['chassis_version', 'chassis_version'], ['product_family', 'product_family'], ['product_name', 'product_name'], ['product_serial', 'product_serial'],
  ['product_sku', 'product_sku'], ['product_uuid', 'product_uuid'], ['product_version', 'product_version'], ['sys_vendor', 'system_vendor'],
];

export const dmi: Collector = {
  name: 'dmi',
  enabledByDefault: true,
  async collect(h, out) {
    const base = h.sys('class', 'dmi', 'id');
    const labels: Record<string, string> = {};
    let any = false;
    for (const [file, label] of DMI_FIELDS) {
      // Most DMI files are root-only; an unreadable one is left out, as node_exporter leaves it out.
      const t = await h.readOptional(`${base}/${file}`);
      if (t === undefined) continue;
      any = true;
      labels[label] = t.replace(/\n$/, '').replace(/\uFFFD+/g, '\uFFFD');
    }
    if (!any) throw new NoDataError(`no DMI data under ${base}`);
    out.add('node_dmi_info', "A metric with a constant '1' value labeled by bios_date, bios_release, bios_vendor, bios_version, board_asset_tag, board_name, board_serial, board_vendor, board_version, chassis_asset_tag, chassis_serial, chassis_vendor, chassis_version, product_family, product_name, product_serial, product_sku, product_uuid, product_version, system_vendor if provided by DMI.", 'gauge', 1, labels);
  },
};
