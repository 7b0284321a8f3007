export { Storage, Appender, Selection, evalRangeSamples } from './storage.js';
export type { StorageOptions, AppendResult, StorageStats, ReplayInfo, Steps, ExemplarStats, ExemplarAppendResult, StoredExemplar, SeriesExemplars, AgentTruncation } from './storage.js';
export type { LabelMatcher, MatchType } from './matchers.js';
export { formatMatcher, matcherFunction, matchesEmpty } from './matchers.js';
export { loadNative, platformTriple, nativeInfo } from './native.js';
export { withQueryLimits, reserveQueryMemory, reserveQuery, queryAbortOf, newCancelToken, cancelQuery, releaseCancelToken } from './query-limits.js';
export type { NativeQueryLimits, QueryAbort } from './query-limits.js';
export { WalWatcher, comparePositions, snappyCompress } from './wal-watcher.js';
export type { WalBatch, WalPosition, WalRead, WalWatcherOptions, WalWatcherStats, SeriesMetadata } from './wal-watcher.js';
