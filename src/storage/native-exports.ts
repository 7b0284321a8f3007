// The names the TypeScript declaration of the addon (native.ts) promises, as values a test can
// compare with what the built addon really exports (__test__/storage/native-declaration.test.ts).
// Each list is tied to its interface by `satisfies`: a member added to or removed from an interface
// without the same change here fails tsc, and the test fails when the addon and these lists differ.
import type { NativeAddon, NativeDb, NativePerfCounters, NativeScrapeCache, NativeSelection, NativeWalWatcher } from './native.js';

export type NativeExportKind = 'class' | 'function' | 'string' | 'number';

/** What kind of value each member of the interface is: a class, a plain function, a string or a number. */
type KindOf<T> = T extends string ? 'string' : T extends number ? 'number' : T extends abstract new (...args: never[]) => unknown ? 'class' : 'function';

/** Every export of the addon with its kind. */
export const NATIVE_EXPORTS = {
  NativeDb: 'class',
  NativeScrapeCache: 'class',
  NativeSelection: 'class',
  NativeWalWatcher: 'class',
  NativePerfCounters: 'class',
  hostTimex: 'function',
  hostEthtool: 'function',
  hostRoutes: 'function',
  hostTcpStates: 'function',
  hostQdiscs: 'function',
  hostWifiInterfaces: 'function',
  hostWifiBss: 'function',
  hostWifiStations: 'function',
  snappyCompress: 'function',
  memoryTrimRequests: 'function',
  releaseFreeMemory: 'function',
  threadCpuMs: 'function',
  DROPPED_REF: 'number',
  encodeMatrixJson: 'function',
  evalRangeSamples: 'function',
  instantSmoothedSamples: 'function',
  nativeVersion: 'string',
  remoteReadDecode: 'function',
  remoteReadDecodeResponse: 'function',
  remoteReadDecodeChunked: 'function',
  remoteReadEncodeSamples: 'function',
  remoteReadEncodeChunks: 'function',
  newCancelToken: 'function',
  cancelQuery: 'function',
  releaseCancelToken: 'function',
  beginQuery: 'function',
  reserveQuery: 'function',
  endQuery: 'function',
} as const satisfies { [K in keyof NativeAddon]: KindOf<NativeAddon[K]> };

/** The prototype methods of each exported class. */
export const NATIVE_CLASS_METHODS = {
  NativeDb: {
    seriesRefs: true,
    seriesRefsAsync: true,
    append: true,
    appendAsync: true,
    select: true,
    labelNames: true,
    labelValues: true,
    compact: true,
    deleteSeries: true,
    cleanTombstones: true,
    snapshot: true,
    stats: true,
    statsAsync: true,
    replayInfo: true,
    startTime: true,
    close: true,
    appendExemplars: true,
    selectExemplars: true,
    setMaxExemplars: true,
    setRetention: true,
    setXor2Chunks: true,
    exemplarStats: true,
    exemplarStatsAsync: true,
    setWalRetentionFloor: true,
    truncateAgentWal: true,
    appendHistograms: true,
    id: true,
    remoteWrite: true,
    holdWritesForTest: true,
    releaseWritesForTest: true,
  } satisfies Record<keyof NativeDb, true>,
  NativeScrapeCache: {
    scan: true,
    finish: true,
    appendReport: true,
    fail: true,
    size: true,
    clear: true,
  } satisfies Record<keyof NativeScrapeCache, true>,
  NativeSelection: {
    length: true,
    labels: true,
    release: true,
    samples: true,
    instant: true,
    instantWithStartTimestamps: true,
    evalRange: true,
    evalRangeWithStartTimestamps: true,
    histogramSamples: true,
    instantHistograms: true,
  } satisfies Record<keyof NativeSelection, true>,
  NativeWalWatcher: {
    open: true,
    read: true,
    resolve: true,
    position: true,
    heldStart: true,
    heldSamples: true,
    setShards: true,
    setProtocol: true,
    skipTo: true,
    stats: true,
  } satisfies Record<keyof NativeWalWatcher, true>,
  NativePerfCounters: {
    openErrors: true,
    read: true,
  } satisfies Record<keyof NativePerfCounters, true>,
} as const satisfies { [K in keyof NativeAddon as KindOf<NativeAddon[K]> extends 'class' ? K : never]: object };
