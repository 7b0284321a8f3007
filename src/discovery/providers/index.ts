// The `<name>_sd_configs` mechanisms that discover targets, each a refresh function made from its
// validated settings. DISCOVERING_MECHANISMS (mechanisms.ts) lists the same names for the config
// loader, which warns about the others; a test keeps the two in step.
import type { GenericSdConfig } from '../../config/index.js';
import type { Refresh } from '../refresh.js';
import { consulRefresh } from './consul.js';

export const PROVIDERS: Record<string, (c: GenericSdConfig) => Refresh> = {
  consul: consulRefresh,
};
