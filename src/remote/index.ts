// Remote write: queues that tail the WAL and send to remote storage (see remote-storage.ts).
export { RemoteStorage } from './remote-storage.js';
export type { RemoteStorageOptions, RemoteWriteStorage } from './remote-storage.js';
export type { QueueStatus } from './queue-manager.js';
export { parseMaxBacklog } from './backlog.js';
export type { MaxBacklog } from './backlog.js';
