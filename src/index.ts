// The package's programmatic API: the native TSDB for embedding in your own Node program.
export * from './storage/index.js';
export type { Labels } from './model/labels.js';
export * from './promql/index.js';
