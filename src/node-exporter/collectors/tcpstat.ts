// tcpstat: TCP sockets by state, and their queues summed, over netlink sock_diag (IPv4, and IPv6
// when the kernel has it), as node_exporter counts them.
import { existsSync } from 'node:fs';
import type { Collector } from './collector.js';
import { hostCalls } from './host-calls.js';

/** The kernel's TCP states by number (include/net/tcp_states.h), named as node_exporter names them. */
const STATES = ['', 'established', 'syn_sent', 'syn_recv', 'fin_wait1', 'fin_wait2', 'time_wait', 'close', 'close_wait', 'last_ack', 'listen', 'closing'];
const AF_INET = 2;
const AF_INET6 = 10;
/** hostTcpStates' layout: 256 per-state counts, then rx queued, tx queued, sockets. */
const RX = 256;
const TX = 257;
const SOCKETS = 258;

export const tcpstat: Collector = {
  name: 'tcpstat',
  enabledByDefault: false,
  async collect(h, out) {
    const host = await hostCalls();
    const read = (family: number, what: string): Float64Array => {
      try {
        return host.hostTcpStates(family);
      } catch (e) {
        throw new Error(`couldn't get ${what}: ${(e as Error).message}`);
      }
    };
    const dumps = [read(AF_INET, 'tcpstats')];
    // As node_exporter: IPv6 sockets only where the kernel has IPv6 (procfs lists tcp6).
    if (existsSync(h.proc('net', 'tcp6'))) dumps.push(read(AF_INET6, 'tcp6stats'));
    const counts = new Map<string, number>();
    const add = (state: string, n: number): void => {
      counts.set(state, (counts.get(state) ?? 0) + n);
    };
    for (const d of dumps) {
      // The queue sums exist (possibly 0) as soon as there is one socket.
      if (d[SOCKETS]! === 0) continue;
      add('rx_queued_bytes', d[RX]!);
      add('tx_queued_bytes', d[TX]!);
      for (let s = 0; s < RX; s++) if (d[s]! > 0) add(STATES[s] || 'unknown', d[s]!);
    }
    for (const [state, n] of counts) out.add('node_tcp_connection_states', 'Number of connection states.', 'gauge', n, { state });
  },
};
