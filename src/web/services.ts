// What the HTTP layer needs from the rest of the server. Each API plugin uses one part; the server
// (src/server) provides the implementation. Keeping this narrow lets the web layer be tested with
// small fakes and keeps data flowing one way (web -> engine -> storage).
import type { Logger } from '../util/logger.js';
import type { ServerMetrics } from '../server/metrics.js';

export interface RuntimeInfo {
  startTime: string;
  CWD: string;
  reloadConfigSuccess: boolean;
  lastConfigTime: string;
  corruptionCount: number;
  goroutineCount: number;
  GOMAXPROCS: number;
  GOMEMLIMIT: number;
  GOGC: string;
  GODEBUG: string;
  storageRetention: string;
}

export interface LifecycleService {
  /** `--web.enable-lifecycle`: whether /-/reload and /-/quit are allowed. */
  enabled: boolean;
  /** Reloads the configuration; throws with the reason when the new one is refused. */
  reload(): Promise<void>;
  quit(): void;
  isReady(): boolean;
}

export interface StatusService {
  flags(): Record<string, string>;
  configYaml(): string;
  runtimeInfo(): RuntimeInfo;
}

export interface WebServices {
  logger: Logger;
  metrics: ServerMetrics;
  lifecycle: LifecycleService;
  status: StatusService;
}
