// diskstats: per block device I/O from /proc/diskstats (sectors of 512 bytes, times in ms), and
// node_disk_info from the udev database where there is one.
import type { HostFiles } from '../context.js';
import type { Collector } from './collector.js';

const SECTOR_BYTES = 512;

/** udev properties of ATA disks -> metric and help. */
const ATA_PROPERTIES: [string, string, string][] = [
  ['ID_ATA_WRITE_CACHE', 'node_disk_ata_write_cache', 'ATA disk has a write cache.'],
  ['ID_ATA_WRITE_CACHE_ENABLED', 'node_disk_ata_write_cache_enabled', 'ATA disk has its write cache enabled.'],
  ['ID_ATA_ROTATION_RATE_RPM', 'node_disk_ata_rotation_rate_rpm', 'ATA disk rotation rate in RPMs (0 for SSDs).'],
];

/** Fields node_disk_info takes from udev's record of the device. */
async function udevProperties(h: HostFiles, major: string, minor: string): Promise<Record<string, string>> {
  const text = await h.readOptional(h.udev(`b${major}:${minor}`));
  const props: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const line of (text ?? '').split('\n')) {
    const m = /^E:([^=]+)=(.*)$/.exec(line);
    if (m) props[m[1]!] = m[2]!;
  }
  return props;
}

export const diskstats: Collector = {
  name: 'diskstats',
  enabledByDefault: true,
  async collect(h, out, o) {
    const rows = (await h.read(h.proc('diskstats'))).split('\n').map((l) => l.trim().split(/\s+/)).filter((p) => p.length >= 14);
    await Promise.all(rows.map(async (p) => {
      const [major, minor, device] = p as [string, string, string];
      if (o.diskstatsDeviceExclude.test(device)) return;
      const v = p.slice(3).map(Number);
      const l = { device };
      const udev = await udevProperties(h, major, minor);
      out.add('node_disk_info', 'Info of /sys/block/<block_device>.', 'gauge', 1, {
        device, major, minor, path: udev['ID_PATH'] ?? '', wwn: udev['ID_WWN'] ?? '', model: udev['ID_MODEL'] ?? '', serial: udev['ID_SERIAL_SHORT'] ?? '', revision: udev['ID_REVISION'] ?? '',
      });
      if (udev['ID_FS_TYPE'] !== undefined && udev['ID_FS_TYPE'] !== '') {
        out.add('node_disk_filesystem_info', 'Info about disk filesystem.', 'gauge', 1, {
          device, type: udev['ID_FS_TYPE'], usage: udev['ID_FS_USAGE'] ?? '', uuid: udev['ID_FS_UUID'] ?? '', version: udev['ID_FS_VERSION'] ?? '',
        });
      }
      if (udev['DM_NAME'] !== undefined) {
        out.add('node_disk_device_mapper_info', 'Info about disk device mapper.', 'gauge', 1, {
          device, lv_layer: udev['DM_LV_LAYER'] ?? '', lv_name: udev['DM_LV_NAME'] ?? '', name: udev['DM_NAME'], uuid: udev['DM_UUID'] ?? '', vg_name: udev['DM_VG_NAME'] ?? '',
        });
      }
      if (udev['ID_ATA'] === '1') {
        for (const [key, name, help] of ATA_PROPERTIES) {
          const v = udev[key];
          if (v !== undefined && v !== '' && !Number.isNaN(Number(v))) out.add(name, help, 'gauge', Number(v), l);
        }
      }
      out.add('node_disk_reads_completed_total', 'The total number of reads completed successfully.', 'counter', v[0]!, l);
      out.add('node_disk_reads_merged_total', 'The total number of reads merged.', 'counter', v[1]!, l);
      out.add('node_disk_read_bytes_total', 'The total number of bytes read successfully.', 'counter', v[2]! * SECTOR_BYTES, l);
      out.add('node_disk_read_time_seconds_total', 'The total number of seconds spent by all reads.', 'counter', v[3]! * 0.001, l);
      out.add('node_disk_writes_completed_total', 'The total number of writes completed successfully.', 'counter', v[4]!, l);
      out.add('node_disk_writes_merged_total', 'The number of writes merged.', 'counter', v[5]!, l);
      out.add('node_disk_written_bytes_total', 'The total number of bytes written successfully.', 'counter', v[6]! * SECTOR_BYTES, l);
      out.add('node_disk_write_time_seconds_total', 'This is the total number of seconds spent by all writes.', 'counter', v[7]! * 0.001, l);
      out.add('node_disk_io_now', 'The number of I/Os currently in progress.', 'gauge', v[8]!, l);
      out.add('node_disk_io_time_seconds_total', 'Total seconds spent doing I/Os.', 'counter', v[9]! * 0.001, l);
      out.add('node_disk_io_time_weighted_seconds_total', 'The weighted # of seconds spent doing I/Os.', 'counter', v[10]! * 0.001, l);
      // Kernels since 4.18 add discard counters, since 5.5 flush counters.
      if (v.length >= 15) {
        out.add('node_disk_discards_completed_total', 'The total number of discards completed successfully.', 'counter', v[11]!, l);
        out.add('node_disk_discards_merged_total', 'The total number of discards merged.', 'counter', v[12]!, l);
        out.add('node_disk_discarded_sectors_total', 'The total number of sectors discarded successfully.', 'counter', v[13]!, l);
        out.add('node_disk_discard_time_seconds_total', 'This is the total number of seconds spent by all discards.', 'counter', v[14]! * 0.001, l);
      }
      if (v.length >= 17) {
        out.add('node_disk_flush_requests_total', 'The total number of flush requests completed successfully', 'counter', v[15]!, l);
        out.add('node_disk_flush_requests_time_seconds_total', 'This is the total number of seconds spent by all flush requests.', 'counter', v[16]! * 0.001, l);
      }
    }));
  },
};
