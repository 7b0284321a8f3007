//! The routing tables over rtnetlink: RTM_GETROUTE dumped for every address family (as
//! node_exporter's network_route collector asks), with output interfaces named through an
//! RTM_GETLINK dump.

use crate::netlink::{self, attributes, u32_at};
use crate::{Error, Result};
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

const NETLINK_ROUTE: i32 = 0;
const RTM_NEWLINK: u16 = 16;
const RTM_GETLINK: u16 = 18;
const RTM_NEWROUTE: u16 = 24;
const RTM_GETROUTE: u16 = 26;
const IFLA_IFNAME: u16 = 3;
const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_PRIORITY: u16 = 6;
const RTA_PREFSRC: u16 = 7;
const RTA_MULTIPATH: u16 = 9;
const IFINFOMSG_LEN: usize = 16;
const RTMSG_LEN: usize = 12;
const RTNEXTHOP_LEN: usize = 8;

/// The route type of ordinary unicast routes (`RTN_UNICAST`).
pub const RTN_UNICAST: u8 = 1;

/// One next hop of a multipath route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextHop {
    pub ifindex: u32,
    /// `rtnh_hops`: the weight minus one.
    pub hops: u8,
    pub gateway: Vec<u8>,
}

/// One route as the kernel describes it; addresses are raw bytes (4 or 16, empty when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Route {
    pub family: u8,
    pub dst_len: u8,
    pub protocol: u8,
    pub route_type: u8,
    pub dst: Vec<u8>,
    /// RTA_PREFSRC: the preferred source address.
    pub src: Vec<u8>,
    pub gateway: Vec<u8>,
    pub oif: u32,
    pub priority: u32,
    pub multipath: Vec<NextHop>,
}

/// A route message's payload (struct rtmsg, then attributes).
pub fn parse_route(b: &[u8]) -> Result<Route> {
    if b.len() < RTMSG_LEN {
        return Err(Error::Malformed(format!("route message of {} bytes", b.len())));
    }
    let mut r = Route { family: b[0], dst_len: b[1], protocol: b[5], route_type: b[7], ..Route::default() };
    for (kind, v) in attributes(&b[RTMSG_LEN..]) {
        match kind {
            RTA_DST => r.dst = v.to_vec(),
            RTA_PREFSRC => r.src = v.to_vec(),
            RTA_GATEWAY => r.gateway = v.to_vec(),
            RTA_OIF if v.len() >= 4 => r.oif = u32_at(v, 0),
            RTA_PRIORITY if v.len() >= 4 => r.priority = u32_at(v, 0),
            RTA_MULTIPATH => r.multipath = parse_multipath(v)?,
            _ => {}
        }
    }
    Ok(r)
}

/// RTA_MULTIPATH: struct rtnexthop (length, flags, hops, ifindex) each followed by its attributes.
fn parse_multipath(mut b: &[u8]) -> Result<Vec<NextHop>> {
    let mut hops = Vec::new();
    while b.len() >= RTNEXTHOP_LEN {
        let len = netlink::u16_at(b, 0) as usize;
        if len < RTNEXTHOP_LEN || len > b.len() {
            return Err(Error::Malformed(format!("next hop of length {len} in {} bytes", b.len())));
        }
        let mut hop = NextHop { ifindex: u32_at(b, 4), hops: b[3], gateway: Vec::new() };
        for (kind, v) in attributes(&b[RTNEXTHOP_LEN..len]) {
            if kind == RTA_GATEWAY {
                hop.gateway = v.to_vec();
            }
        }
        hops.push(hop);
        b = &b[netlink::align4(len).min(b.len())..];
    }
    Ok(hops)
}

/// A link message's payload (struct ifinfomsg, then attributes): its index and name.
pub fn parse_link(b: &[u8]) -> Option<(u32, String)> {
    if b.len() < IFINFOMSG_LEN {
        return None;
    }
    let index = u32_at(b, 4);
    attributes(&b[IFINFOMSG_LEN..]).into_iter().find(|(k, _)| *k == IFLA_IFNAME).map(|(_, v)| {
        let end = v.iter().position(|&c| c == 0).unwrap_or(v.len());
        (index, String::from_utf8_lossy(&v[..end]).into_owned())
    })
}

/// An address as Go's `net.IP.String()` prints it: dotted IPv4 (IPv4-mapped IPv6 too),
/// RFC 5952 IPv6, empty for no address, `?` and hex digits for other lengths.
pub fn ip_string(b: &[u8]) -> String {
    match b.len() {
        0 => String::new(),
        4 => Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        16 => {
            let mut o = [0u8; 16];
            o.copy_from_slice(b);
            let v6 = Ipv6Addr::from(o);
            match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => v6.to_string(),
            }
        }
        _ => format!("?{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
    }
}

/// Every network interface's index and name.
pub fn links() -> Result<HashMap<u32, String>> {
    let mut out = HashMap::new();
    netlink::dump(NETLINK_ROUTE, RTM_GETLINK, &[0u8; IFINFOMSG_LEN], "rtnetlink link dump", &mut |t, p| {
        if t == RTM_NEWLINK {
            if let Some((i, name)) = parse_link(p) {
                out.insert(i, name);
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// Every route of every table and family.
pub fn routes() -> Result<Vec<Route>> {
    let mut out = Vec::new();
    netlink::dump(NETLINK_ROUTE, RTM_GETROUTE, &[0u8; RTMSG_LEN], "rtnetlink route dump", &mut |t, p| {
        if t == RTM_NEWROUTE {
            out.push(parse_route(p)?);
        }
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(kind: u16, v: &[u8]) -> Vec<u8> {
        let mut b = ((4 + v.len()) as u16).to_ne_bytes().to_vec();
        b.extend(kind.to_ne_bytes());
        b.extend(v);
        b.resize(netlink::align4(b.len()), 0);
        b
    }

    #[test]
    fn parses_a_route_with_its_attributes() {
        let mut b = vec![2, 24, 0, 0, 254, 4, 0, 1, 0, 0, 0, 0];
        b.extend(attr(RTA_DST, &[10, 0, 0, 0]));
        b.extend(attr(RTA_PREFSRC, &[10, 0, 0, 5]));
        b.extend(attr(RTA_OIF, &7u32.to_ne_bytes()));
        b.extend(attr(RTA_PRIORITY, &100u32.to_ne_bytes()));
        let r = parse_route(&b).unwrap();
        assert_eq!((r.family, r.dst_len, r.protocol, r.route_type, r.oif, r.priority), (2, 24, 4, 1, 7, 100));
        assert_eq!((ip_string(&r.dst), ip_string(&r.src), ip_string(&r.gateway)), ("10.0.0.0".into(), "10.0.0.5".into(), String::new()));
    }

    #[test]
    fn parses_multipath_next_hops() {
        let mut hop1 = vec![0, 0, 0, 2];
        hop1.extend(3u32.to_ne_bytes());
        hop1.extend(attr(RTA_GATEWAY, &[192, 168, 0, 1]));
        let l = hop1.len() as u16;
        hop1[..2].copy_from_slice(&l.to_ne_bytes());
        let mut hop2 = vec![8, 0, 0, 0];
        hop2.extend(4u32.to_ne_bytes());
        let mut b = vec![2, 0, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0];
        b.extend(attr(RTA_MULTIPATH, &[hop1, hop2].concat()));
        let r = parse_route(&b).unwrap();
        assert_eq!(r.multipath, vec![NextHop { ifindex: 3, hops: 2, gateway: vec![192, 168, 0, 1] }, NextHop { ifindex: 4, hops: 0, gateway: vec![] }]);
    }

    #[test]
    fn addresses_print_as_go_prints_them() {
        let v6: Ipv6Addr = "fe80::1:0:0:2".parse().unwrap();
        assert_eq!(ip_string(&v6.octets()), "fe80::1:0:0:2");
        let mapped: Ipv6Addr = "::ffff:1.2.3.4".parse().unwrap();
        assert_eq!(ip_string(&mapped.octets()), "1.2.3.4");
        assert_eq!(ip_string(&[0; 16]), "::");
        assert_eq!(ip_string(&[1, 2]), "?0102");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_machine_has_a_loopback_link_and_a_local_route() {
        let links = links().expect("link dump");
        assert!(links.values().any(|n| n == "lo"), "{links:?}");
        let routes = routes().expect("route dump");
        assert!(!routes.is_empty());
    }
}
