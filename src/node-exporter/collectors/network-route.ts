// network_route: the routing tables over rtnetlink (every family and table), unicast routes only,
// with node_exporter's labels; multipath routes give one series per next hop.
import type { Collector } from './collector.js';
import { hostCalls } from './host-calls.js';

const RTN_UNICAST = '1';

/** Routing protocols by number (include/uapi/linux/rtnetlink.h), named as node_exporter names them. */
const PROTOCOLS = new Map<string, string>([
  ['0', 'unspec'], ['1', 'redirect'], ['2', 'kernel'], ['3', 'boot'], ['4', 'static'], ['8', 'gated'], ['9', 'ra'], ['10', 'mrt'], ['11', 'zebra'], ['12', 'bird'],
  ['13', 'dnrouted'], ['14', 'xorp'], ['15', 'ntk'], ['16', 'dhcp'], ['17', 'mrouted'], ['42', 'babel'], ['186', 'bgp'], ['187', 'isis'], ['188', 'ospf'], ['189', 'rip'], ['192', 'eigrp'],
]);

/** The destination as Go prints a net.IPNet ("default" for a zero-length prefix). */
function destination(address: string, prefixLength: string): string {
  if (prefixLength === '0') return 'default';
  return address === '' ? '<nil>' : `${address}/${prefixLength}`;
}

export const networkRoute: Collector = {
  name: 'network_route',
  enabledByDefault: false,
  async collect(_h, out) {
    const host = await hostCalls();
    let table: string;
    try {
      table = host.hostRoutes();
    } catch (e) {
      throw new Error(`couldn't get routes: ${(e as Error).message}`);
    }
    const perDevice = new Map<string, number>();
    for (const line of table.split('\n')) {
      if (line === '') continue;
      const [, prefixLength, protocol, type, priority, device, dst, src, gw, weight] = line.split('\t') as string[];
      if (type !== RTN_UNICAST) continue;
      out.add('node_network_route_info', 'network routing table information', 'gauge', 1, {
        device: device!, src: src!, dest: destination(dst!, prefixLength!), gw: gw!, priority: priority!, proto: PROTOCOLS.get(protocol!) ?? 'unknown', weight: weight!,
      });
      perDevice.set(device!, (perDevice.get(device!) ?? 0) + 1);
    }
    for (const [device, n] of perDevice) out.add('node_network_routes', 'network routes by interface', 'gauge', n, { device });
  },
};
