// timex: the kernel clock's discipline state from adjtimex(2) (read only), in node_exporter's units.
import type { Collector } from './collector.js';
import { NoDataError } from './collector.js';
import { errorCode, hostCalls } from './host-calls.js';

/** adjtimex's return value when the clock is not synchronized. */
const TIME_ERROR = 5;
/** status bit: offset and jitter are in nanoseconds rather than microseconds. */
const STA_NANO = 0x2000;
/** Frequencies are ppm with a 16-bit fraction (adjtimex(2), NOTES). */
const PPM16FRAC = 1e6 * 65536;

export const timex: Collector = {
  name: 'timex',
  enabledByDefault: true,
  async collect(_h, out) {
    const host = await hostCalls();
    let t: Float64Array;
    try {
      t = host.hostTimex();
    } catch (e) {
      const code = errorCode(e);
      // A seccomp policy or missing capability: node_exporter treats it as "no data".
      if (code === 'EPERM' || code === 'EACCES') throw new NoDataError(`Not collecting timex metrics: ${(e as Error).message}`);
      throw new Error(`failed to retrieve adjtimex stats: ${(e as Error).message}`);
    }
    const [state, offset, freq, maxerror, esterror, status, constant, , , tick, ppsfreq, jitter, shift, stabil, jitcnt, calcnt, errcnt, stbcnt, tai] = t as unknown as number[];
    const divisor = (status! & STA_NANO) !== 0 ? 1e9 : 1e6;
    const g = (name: string, help: string, v: number): void => out.add(`node_timex_${name}`, help, 'gauge', v);
    const c = (name: string, help: string, v: number): void => out.add(`node_timex_${name}`, help, 'counter', v);
    g('sync_status', 'Is clock synchronized to a reliable server (1 = yes, 0 = no).', state === TIME_ERROR ? 0 : 1);
    g('offset_seconds', 'Time offset in between local system and reference clock.', offset! / divisor);
    g('frequency_adjustment_ratio', 'Local clock frequency adjustment.', 1 + freq! / PPM16FRAC);
    g('maxerror_seconds', 'Maximum error in seconds.', maxerror! / 1e6);
    g('estimated_error_seconds', 'Estimated error in seconds.', esterror! / 1e6);
    g('status', 'Value of the status array bits.', status!);
    g('loop_time_constant', 'Phase-locked loop time constant.', constant!);
    g('tick_seconds', 'Seconds between clock ticks.', tick! / 1e6);
    g('pps_frequency_hertz', 'Pulse per second frequency.', ppsfreq! / PPM16FRAC);
    g('pps_jitter_seconds', 'Pulse per second jitter.', jitter! / divisor);
    g('pps_shift_seconds', 'Pulse per second interval duration.', shift!);
    g('pps_stability_hertz', 'Pulse per second stability, average of recent frequency changes.', stabil! / PPM16FRAC);
    c('pps_jitter_total', 'Pulse per second count of jitter limit exceeded events.', jitcnt!);
    c('pps_calibration_total', 'Pulse per second count of calibration intervals.', calcnt!);
    c('pps_error_total', 'Pulse per second count of calibration errors.', errcnt!);
    c('pps_stability_exceeded_total', 'Pulse per second count of stability limit exceeded events.', stbcnt!);
    g('tai_offset_seconds', 'International Atomic Time (TAI) offset.', tai!);
  },
};
