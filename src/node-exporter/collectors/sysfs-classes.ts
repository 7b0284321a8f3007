// Collectors over simple /sys/class directories: fibrechannel (fc_host), powersupplyclass
// (power_supply) and tapestats (scsi_tape).
import type { Collector } from './collector.js';
import { flagValue, parseNumber, regexpFlag, NoDataError } from './collector.js';

const FC_COUNTERS: [string, string, string][] = [
  ['error_frames', 'error_frames_total', 'Number of errors in frames'],
  ['invalid_crc_count', 'invalid_crc_total', 'Invalid Cyclic Redundancy Check count'],
  ['rx_frames', 'rx_frames_total', 'Number of frames received'],
  ['rx_words', 'rx_words_total', 'Number of words received by host port'],
  ['tx_frames', 'tx_frames_total', 'Number of frames transmitted by host port'],
  ['tx_words', 'tx_words_total', 'Number of words transmitted by host port'],
  ['seconds_since_last_reset', 'seconds_since_last_reset_total', 'Number of seconds since last host port reset'],
  ['invalid_tx_word_count', 'invalid_tx_words_total', 'Number of invalid words transmitted by host port'],
  ['link_failure_count', 'link_failure_total', 'Number of times the host port link has failed'],
  ['loss_of_sync_count', 'loss_of_sync_total', 'Number of failures on either bit or transmission word boundaries'],
  ['loss_of_signal_count', 'loss_of_signal_total', 'Number of times signal has been lost'],
  ['nos_count', 'nos_total', 'Number Not_Operational Primitive Sequence received by host port'],
  ['fcp_packet_aborts', 'fcp_packet_aborts_total', 'Number of aborted packets'],
];
const FC_INFO = ['speed', 'port_state', 'port_type', 'symbolic_name', 'node_name', 'port_id', 'port_name', 'fabric_name', 'dev_loss_tmo', 'supported_classes', 'supported_speeds'];

export const fibrechannel: Collector = {
  name: 'fibrechannel',
  enabledByDefault: true,
  async collect(h, out) {
    const base = h.sys('class', 'fc_host');
    const hosts = await h.list(base);
    if (hosts.length === 0) throw new NoDataError(`no Fibre Channel hosts under ${base}`);
    for (const host of hosts) {
      const dir = `${base}/${host}`;
      const info: Record<string, string> = { fc_host: host };
      for (const f of FC_INFO) {
        const v = (await h.readOptional(`${dir}/${f}`))?.trim();
        // node_exporter 1.5 leaves node_name out of the info and shows hex ids without their 0x.
        if (v !== undefined && f !== 'node_name') info[f] = v.replace(/^0x/, '');
      }
      out.add('node_fibrechannel_info', 'Non-numeric data from /sys/class/fc_host/<host>, value is always 1.', 'gauge', 1, info);
      for (const [file, suffix, help] of FC_COUNTERS) {
        const t = await h.readOptional(`${dir}/statistics/${file}`);
        if (t === undefined) continue;
        out.add(`node_fibrechannel_${suffix}`, help, 'counter', parseNumber(t, `${dir}/statistics/${file}`), { fc_host: host });
      }
    }
  },
};

/** power_supply file -> metric suffix and divisor (the kernel writes µV, µA, µW, µWh, tenths of °C). */
const POWER_VALUES: [string, string, number][] = [
  ['authentic', 'authentic', 1], ['calibrate', 'calibrate', 1], ['capacity', 'capacity', 1], ['capacity_alert_max', 'capacity_alert_max', 1],
  ['capacity_alert_min', 'capacity_alert_min', 1], ['cycle_count', 'cyclecount', 1], ['online', 'online', 1], ['present', 'present', 1],
  ['time_to_empty_now', 'time_to_empty_seconds', 1], ['time_to_full_now', 'time_to_full_seconds', 1],
  ['current_boot', 'current_boot', 1e6], ['current_max', 'current_max', 1e6], ['current_now', 'current_ampere', 1e6],
  ['energy_empty', 'energy_empty', 1e6], ['energy_empty_design', 'energy_empty_design', 1e6], ['energy_full', 'energy_full', 1e6],
  ['energy_full_design', 'energy_full_design', 1e6], ['energy_now', 'energy_watthour', 1e6],
  ['voltage_boot', 'voltage_boot', 1e6], ['voltage_max', 'voltage_max', 1e6], ['voltage_max_design', 'voltage_max_design', 1e6],
  ['voltage_min', 'voltage_min', 1e6], ['voltage_min_design', 'voltage_min_design', 1e6], ['voltage_now', 'voltage_volt', 1e6],
  ['voltage_ocv', 'voltage_ocv', 1e6], ['charge_control_limit', 'charge_control_limit', 1e6], ['charge_control_limit_max', 'charge_control_limit_max', 1e6],
  ['charge_counter', 'charge_counter', 1e6], ['charge_empty', 'charge_empty', 1e6], ['charge_empty_design', 'charge_empty_design', 1e6],
  ['charge_full', 'charge_full', 1e6], ['charge_full_design', 'charge_full_design', 1e6], ['charge_now', 'charge_ampere', 1e6],
  ['charge_term_current', 'charge_term_current', 1e6], ['constant_charge_current', 'constant_charge_current', 1e6],
  ['constant_charge_current_max', 'constant_charge_current_max', 1e6], ['constant_charge_voltage', 'constant_charge_voltage', 1e6],
  ['constant_charge_voltage_max', 'constant_charge_voltage_max', 1e6], ['precharge_current', 'precharge_current', 1e6],
  ['input_current_limit', 'input_current_limit', 1e6], ['power_now', 'power_watt', 1e6],
  ['temp', 'temp_celsius', 10], ['temp_alert_max', 'temp_alert_max_celsius', 10], ['temp_alert_min', 'temp_alert_min_celsius', 10],
  ['temp_ambient', 'temp_ambient_celsius', 10], ['temp_ambient_max', 'temp_ambient_max_celsius', 10], ['temp_ambient_min', 'temp_ambient_min_celsius', 10],
  ['temp_max', 'temp_max_celsius', 10], ['temp_min', 'temp_min_celsius', 10],
];
const POWER_INFO = ['capacity_level', 'charge_type', 'health', 'manufacturer', 'model_name', 'serial_number', 'status', 'technology', 'type', 'usb_type', 'scope'];

export const powersupplyclass: Collector = {
  name: 'powersupplyclass',
  enabledByDefault: true,
  flags: { 'collector.powersupply.ignored-supplies': regexpFlag('Regexp of power supplies to ignore for powersupplyclass collector.', '^$') },
  async collect(h, out, o) {
    const ignored = flagValue<RegExp>(o, 'collector.powersupply.ignored-supplies');
    const base = h.sys('class', 'power_supply');
    for (const supply of await h.list(base)) {
      if (ignored.test(supply)) continue;
      const dir = `${base}/${supply}`;
      const labels = { power_supply: supply };
      for (const [file, suffix, divisor] of POWER_VALUES) {
        const t = (await h.readOptional(`${dir}/${file}`))?.trim();
        if (t === undefined || !/^-?\d+$/.test(t)) continue;
        out.add(`node_power_supply_${suffix}`, `${suffix} value of /sys/class/power_supply/<power_supply>.`, 'gauge', Number(t) / divisor, labels);
      }
      const info: Record<string, string> = { power_supply: supply };
      for (const f of POWER_INFO) {
        // Invalid UTF-8 (a firmware's model name) becomes one U+FFFD per run, as Go's strings.ToValidUTF8 makes it.
        const t = (await h.readOptional(`${dir}/${f}`))?.replace(/\n$/, '').replace(/\uFFFD+/g, '\uFFFD');
        if (t !== undefined && t !== '') info[f] = t;
      }
      out.add('node_power_supply_info', 'info of /sys/class/power_supply/<power_supply>.', 'gauge', 1, info);
    }
  },
};

const TAPE_STATS: [string, string, string, 'counter' | 'gauge', number][] = [
  ['in_flight', 'io_now', 'The number of I/Os currently outstanding to this device.', 'gauge', 1],
  ['io_ns', 'io_time_seconds_total', 'The amount of time spent waiting for all I/O to complete (including read and write). This includes tape movement commands such as seeking between file or set marks and implicit tape movement such as when rewind on close tape devices are used.', 'counter', 1e9],
  ['other_cnt', 'io_others_total', 'The number of I/Os issued to the tape drive other than read or write commands. The time taken to complete these commands uses the following calculation io_time_seconds_total-read_time_seconds_total-write_time_seconds_total', 'counter', 1],
  ['read_byte_cnt', 'read_bytes_total', 'The number of bytes read from the tape drive.', 'counter', 1],
  ['read_cnt', 'reads_completed_total', 'The number of read requests issued to the tape drive.', 'counter', 1],
  ['read_ns', 'read_time_seconds_total', 'The amount of time spent waiting for read requests to complete.', 'counter', 1e9],
  ['resid_cnt', 'residual_total', 'The number of times during a read or write we found the residual amount to be non-zero. This should mean that a program is issuing a read larger thean the block size on tape. For write not all data made it to tape.', 'counter', 1],
  ['write_byte_cnt', 'written_bytes_total', 'The number of bytes written to the tape drive.', 'counter', 1],
  ['write_cnt', 'writes_completed_total', 'The number of write requests issued to the tape drive.', 'counter', 1],
  ['write_ns', 'write_time_seconds_total', 'The amount of time spent waiting for write requests to complete.', 'counter', 1e9],
];

export const tapestats: Collector = {
  name: 'tapestats',
  enabledByDefault: true,
  flags: { 'collector.tapestats.ignored-devices': regexpFlag('Regexp of devices to ignore for tapestats.', '^$') },
  async collect(h, out, o) {
    const ignored = flagValue<RegExp>(o, 'collector.tapestats.ignored-devices');
    const base = h.sys('class', 'scsi_tape');
    // st0 is the drive; nst0 (no rewind) and the a/l/m mode variants are the same drive again.
    for (const device of (await h.list(base)).filter((d) => /^st\d+$/.test(d))) {
      if (ignored.test(device)) continue;
      for (const [file, suffix, help, type, divisor] of TAPE_STATS) {
        const path = `${base}/${device}/stats/${file}`;
        out.add(`node_tape_${suffix}`, help, type, parseNumber(await h.read(path), path) / divisor, { device });
      }
    }
  },
};
