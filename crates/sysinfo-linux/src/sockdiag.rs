//! TCP sockets by state over NETLINK_SOCK_DIAG (inet_diag), as node_exporter's tcpstat collector
//! counts them: one SOCK_DIAG_BY_FAMILY dump per address family, every state asked for.

use crate::netlink::{self, u32_at};
use crate::{Error, Result};

const NETLINK_SOCK_DIAG: i32 = 4;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const IPPROTO_TCP: u8 = 6;
/// TCPF_ALL as node_exporter asks: states 0 to 11.
const ALL_STATES: u32 = 0xfff;
/// INET_DIAG_INFO's bit in idiag_ext (node_exporter asks for it; the counts do not need it).
const EXT_INFO: u8 = 1 << (2 - 1);
const INET_DIAG_MSG_LEN: usize = 72;
const INET_DIAG_REQ_V2_LEN: usize = 56;

pub const AF_INET: u8 = 2;
pub const AF_INET6: u8 = 10;

/// Sockets per state byte (`TCP_ESTABLISHED` = 1 ...) and the queues summed over all of them.
#[derive(Debug, Clone, PartialEq)]
pub struct TcpStates {
    pub by_state: [u64; 256],
    /// idiag_rqueue summed: bytes received and not read (for listeners: the accept backlog).
    pub rx_queued: u64,
    /// idiag_wqueue summed: bytes not yet acknowledged (for listeners: the backlog limit).
    pub tx_queued: u64,
    /// How many sockets were counted.
    pub sockets: u64,
}

impl Default for TcpStates {
    fn default() -> Self {
        TcpStates { by_state: [0; 256], rx_queued: 0, tx_queued: 0, sockets: 0 }
    }
}

/// struct inet_diag_req_v2 for a dump of every TCP socket of `family`.
pub fn request(family: u8) -> [u8; INET_DIAG_REQ_V2_LEN] {
    let mut b = [0u8; INET_DIAG_REQ_V2_LEN];
    b[0] = family;
    b[1] = IPPROTO_TCP;
    b[2] = EXT_INFO;
    b[4..8].copy_from_slice(&ALL_STATES.to_ne_bytes());
    b
}

/// Counts one struct inet_diag_msg (state at byte 1, rqueue and wqueue after the socket id).
pub fn count(states: &mut TcpStates, msg: &[u8]) -> Result<()> {
    if msg.len() < INET_DIAG_MSG_LEN {
        return Err(Error::Malformed(format!("inet_diag message of {} bytes", msg.len())));
    }
    states.by_state[msg[1] as usize] += 1;
    states.rx_queued += u64::from(u32_at(msg, 56));
    states.tx_queued += u64::from(u32_at(msg, 60));
    states.sockets += 1;
    Ok(())
}

/// Every TCP socket of `family` (AF_INET or AF_INET6) in this network namespace, counted.
pub fn tcp_states(family: u8) -> Result<TcpStates> {
    if family != AF_INET && family != AF_INET6 {
        return Err(Error::Invalid(format!("address family {family} is neither AF_INET nor AF_INET6")));
    }
    let mut states = TcpStates::default();
    netlink::dump(NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, &request(family), "sock_diag dump", &mut |t, p| {
        if t == SOCK_DIAG_BY_FAMILY {
            count(&mut states, p)?;
        }
        Ok(())
    })?;
    Ok(states)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_states_and_sums_queues() {
        let mut s = TcpStates::default();
        let mut msg = [0u8; INET_DIAG_MSG_LEN];
        msg[1] = 1;
        msg[56..60].copy_from_slice(&5u32.to_ne_bytes());
        msg[60..64].copy_from_slice(&7u32.to_ne_bytes());
        count(&mut s, &msg).unwrap();
        msg[1] = 10;
        count(&mut s, &msg).unwrap();
        assert_eq!((s.by_state[1], s.by_state[10], s.rx_queued, s.tx_queued, s.sockets), (1, 1, 10, 14, 2));
        assert!(matches!(count(&mut s, &msg[..10]), Err(Error::Malformed(_))));
    }

    #[test]
    fn the_request_asks_for_tcp_in_every_state() {
        let r = request(AF_INET6);
        assert_eq!((r[0], r[1], r[2], u32_at(&r, 4)), (10, 6, 2, 0xfff));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn sees_a_listening_socket_of_this_process() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let s = tcp_states(AF_INET).expect("sock_diag");
        assert!(s.by_state[10] >= 1, "no listener among {} sockets", s.sockets);
        drop(l);
        assert!(tcp_states(3).is_err());
    }
}
