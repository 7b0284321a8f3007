// The system calls Node cannot make (adjtimex, ethtool ioctls, netlink dumps and nl80211, perf_event_open)
// come from the native addon (crates/sysinfo-linux through crates/tsdb-node). The addon is loaded
// on the first scrape of a collector that needs it, never at start: an exporter with only
// procfs/sysfs collectors enabled does not map it at all (its memory footprint matters).
import type { NativeAddon } from '../../storage/native.js';

export type HostCalls = Pick<NativeAddon, 'hostTimex' | 'hostEthtool' | 'hostRoutes' | 'hostTcpStates' | 'hostQdiscs' | 'hostWifiInterfaces' | 'hostWifiBss' | 'hostWifiStations' | 'NativePerfCounters'>;

let loading: Promise<HostCalls> | undefined;

/** The addon's host calls (loaded once; a failed load is retried at the next scrape). */
export function hostCalls(): Promise<HostCalls> {
  loading ??= import('../../storage/native.js').then((m) => m.loadNative()).catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
}

/** The errno name a host call threw with (`EPERM`), if any. */
export function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
