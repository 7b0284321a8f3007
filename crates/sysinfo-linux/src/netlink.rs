//! Netlink exchanges: a dump (one request with NLM_F_DUMP, then every answer message until
//! NLMSG_DONE) or a plain request and its one answer. Shared by the rtnetlink route and qdisc
//! dumps, the sock_diag socket dump and nl80211 over generic netlink. The message walking and
//! attribute reading are plain byte parsing, kept apart from the socket so they are testable anywhere.

use crate::{Error, Result};

pub const NLMSG_HDRLEN: usize = 16;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
pub const NLM_F_REQUEST: u16 = 0x1;
pub const NLM_F_DUMP: u16 = 0x300;

pub fn align4(n: usize) -> usize {
    (n + 3) & !3
}

pub fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

pub fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A request: header (length, type, flags, sequence, port 0) and payload.
pub fn request(msg_type: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let len = NLMSG_HDRLEN + payload.len();
    let mut b = Vec::with_capacity(align4(len));
    b.extend_from_slice(&(len as u32).to_ne_bytes());
    b.extend_from_slice(&msg_type.to_ne_bytes());
    b.extend_from_slice(&flags.to_ne_bytes());
    b.extend_from_slice(&seq.to_ne_bytes());
    b.extend_from_slice(&0u32.to_ne_bytes());
    b.extend_from_slice(payload);
    b.resize(align4(len), 0);
    b
}

/// What one received datagram held.
#[derive(Debug, PartialEq, Eq)]
pub enum Batch {
    More,
    Done,
}

/// Walks the messages of one datagram, handing each data message (type, payload) to `each`.
/// NLMSG_ERROR with a non-zero error ends the exchange with that errno. A dump is `Done` at
/// NLMSG_DONE; a plain request (`dump` false) at its first answer (data, or an acknowledgement).
pub fn walk(buf: &[u8], seq: u32, dump: bool, op: &'static str, each: &mut dyn FnMut(u16, &[u8]) -> Result<()>) -> Result<Batch> {
    let mut answered = false;
    let mut at = 0;
    while at + NLMSG_HDRLEN <= buf.len() {
        let len = u32_at(buf, at) as usize;
        if len < NLMSG_HDRLEN || at + len > buf.len() {
            return Err(Error::Malformed(format!("{op}: netlink message of length {len} at {at} in {} bytes", buf.len())));
        }
        let msg_type = u16_at(buf, at + 4);
        let msg_seq = u32_at(buf, at + 8);
        let payload = &buf[at + NLMSG_HDRLEN..at + len];
        at += align4(len);
        if msg_seq != seq {
            // An answer to some earlier request on this socket: not ours.
            continue;
        }
        match msg_type {
            NLMSG_DONE => return Ok(Batch::Done),
            NLMSG_ERROR => {
                let code = if payload.len() >= 4 { u32_at(payload, 0) as i32 } else { 0 };
                if code == 0 {
                    answered = true;
                    continue;
                }
                return Err(Error::Os { op, errno: -code });
            }
            _ => {
                answered = true;
                each(msg_type, payload)?
            }
        }
    }
    Ok(if answered && !dump { Batch::Done } else { Batch::More })
}

/// One attribute (type, value), padded to 4 bytes, as a request carries it.
pub fn attribute(kind: u16, value: &[u8]) -> Vec<u8> {
    let mut b = ((4 + value.len()) as u16).to_ne_bytes().to_vec();
    b.extend(kind.to_ne_bytes());
    b.extend(value);
    b.resize(align4(b.len()), 0);
    b
}

/// The attributes of `b` as `attributes` splits them, but a length that does not fit is an error
/// rather than the end of the list (the Go netlink package node_exporter uses refuses those too).
pub fn attributes_strict<'a>(b: &'a [u8], what: &str) -> Result<Vec<(u16, &'a [u8])>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < b.len() {
        let len = if at + 4 <= b.len() { u16_at(b, at) as usize } else { 0 };
        if len < 4 || at + len > b.len() {
            return Err(Error::Malformed(format!("{what}: attribute of length {len} at {at} in {} bytes", b.len())));
        }
        out.push((u16_at(b, at + 2) & 0x3fff, &b[at + 4..at + len]));
        at += align4(len);
    }
    Ok(out)
}

/// A fixed-size value of an attribute, or why it cannot be read.
pub fn value<const N: usize>(v: &[u8], what: &str) -> Result<[u8; N]> {
    v.get(..N).and_then(|s| s.try_into().ok()).ok_or_else(|| Error::Malformed(format!("{what}: {} bytes where {N} were expected", v.len())))
}

pub fn u32_value(v: &[u8], what: &str) -> Result<u32> {
    value::<4>(v, what).map(u32::from_ne_bytes)
}

pub fn u64_value(v: &[u8], what: &str) -> Result<u64> {
    value::<8>(v, what).map(u64::from_ne_bytes)
}

/// A string attribute: up to its first NUL.
pub fn string_value(v: &[u8]) -> String {
    let end = v.iter().position(|&c| c == 0).unwrap_or(v.len());
    String::from_utf8_lossy(&v[..end]).into_owned()
}

/// The attributes (type without its flag bits, value) in `b`, as rtnetlink and sock_diag lay them out.
pub fn attributes(b: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 4 <= b.len() {
        let len = u16_at(b, at) as usize;
        if len < 4 || at + len > b.len() {
            break;
        }
        out.push((u16_at(b, at + 2) & 0x3fff, &b[at + 4..at + len]));
        at += align4(len);
    }
    out
}

/// A netlink socket of one protocol, for one request after another.
pub struct Socket {
    #[cfg(target_os = "linux")]
    fd: crate::sys::Fd,
    seq: u32,
    buf: Vec<u8>,
}

impl Socket {
    #[cfg(target_os = "linux")]
    pub fn open(protocol: i32, op: &'static str) -> Result<Socket> {
        use crate::sys;
        // Dump answers come in datagrams of up to a page or so each; 64 KiB holds any of them.
        Ok(Socket { fd: sys::Fd::socket(sys::AF_NETLINK, sys::SOCK_RAW, protocol, op)?, seq: 0, buf: vec![0u8; 64 * 1024] })
    }

    #[cfg(not(target_os = "linux"))]
    pub fn open(_protocol: i32, op: &'static str) -> Result<Socket> {
        Err(Error::Unsupported(op))
    }

    /// Sends one request (`flags` besides NLM_F_REQUEST: NLM_F_DUMP for a dump) and hands every
    /// answer message to `each`: for a dump until NLMSG_DONE, otherwise the first answer only.
    #[cfg(target_os = "linux")]
    pub fn exchange(&mut self, msg_type: u16, flags: u16, payload: &[u8], op: &'static str, each: &mut dyn FnMut(u16, &[u8]) -> Result<()>) -> Result<()> {
        use crate::sys;
        use std::ffi::c_void;
        self.seq = self.seq.wrapping_add(1);
        let req = request(msg_type, NLM_F_REQUEST | flags, self.seq, payload);
        // SAFETY: req is a valid buffer of req.len() bytes; an unbound netlink socket sends to the kernel.
        if unsafe { sys::send(self.fd.0, req.as_ptr() as *const c_void, req.len(), 0) } < 0 {
            return Err(sys::os_error(op));
        }
        let dump = flags & NLM_F_DUMP != 0;
        loop {
            // SAFETY: buf is writable for its whole length.
            let n = unsafe { sys::recv(self.fd.0, self.buf.as_mut_ptr() as *mut c_void, self.buf.len(), 0) };
            if n < 0 {
                if sys::errno() == sys::EINTR {
                    continue;
                }
                return Err(sys::os_error(op));
            }
            if n == 0 {
                return Err(Error::Malformed(format!("{op}: the kernel closed the exchange early")));
            }
            if walk(&self.buf[..n as usize], self.seq, dump, op, each)? == Batch::Done {
                return Ok(());
            }
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub fn exchange(&mut self, _msg_type: u16, _flags: u16, _payload: &[u8], op: &'static str, _each: &mut dyn FnMut(u16, &[u8]) -> Result<()>) -> Result<()> {
        Err(Error::Unsupported(op))
    }
}

/// Sends one dump request on a fresh socket of `protocol` and hands every answer to `each`.
pub fn dump(protocol: i32, msg_type: u16, payload: &[u8], op: &'static str, each: &mut dyn FnMut(u16, &[u8]) -> Result<()>) -> Result<()> {
    Socket::open(protocol, op)?.exchange(msg_type, NLM_F_DUMP, payload, op, each)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(msg_type: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
        request(msg_type, 0, seq, payload)
    }

    #[test]
    fn walks_messages_until_done_and_skips_other_sequences() {
        let mut buf = message(24, 1, &[1, 2, 3]);
        buf.extend(message(24, 9, &[9]));
        buf.extend(message(24, 1, &[4, 5, 6, 7]));
        buf.extend(message(NLMSG_DONE, 1, &[0, 0, 0, 0]));
        let mut seen = Vec::new();
        let r = walk(&buf, 1, true, "test", &mut |t, p| {
            seen.push((t, p.to_vec()));
            Ok(())
        });
        assert_eq!(r, Ok(Batch::Done));
        assert_eq!(seen, vec![(24, vec![1, 2, 3]), (24, vec![4, 5, 6, 7])]);
    }

    #[test]
    fn an_error_message_ends_the_dump_with_its_errno() {
        let buf = message(NLMSG_ERROR, 1, &(-13i32).to_ne_bytes());
        assert_eq!(walk(&buf, 1, true, "dump", &mut |_, _| Ok(())), Err(Error::Os { op: "dump", errno: 13 }));
    }

    #[test]
    fn a_truncated_message_is_malformed_not_a_panic() {
        let mut buf = message(24, 1, &[1, 2, 3, 4]);
        buf[0] = 200;
        assert!(matches!(walk(&buf, 1, true, "dump", &mut |_, _| Ok(())), Err(Error::Malformed(_))));
    }

    #[test]
    fn a_plain_request_is_done_at_its_first_answer_or_acknowledgement() {
        let data = message(16, 4, &[1, 2, 3, 4]);
        let mut seen = 0;
        assert_eq!(walk(&data, 4, false, "get", &mut |_, _| { seen += 1; Ok(()) }), Ok(Batch::Done));
        assert_eq!(seen, 1);
        assert_eq!(walk(&data, 4, true, "get", &mut |_, _| Ok(())), Ok(Batch::More));
        let ack = message(NLMSG_ERROR, 4, &0i32.to_ne_bytes());
        assert_eq!(walk(&ack, 4, false, "get", &mut |_, _| Ok(())), Ok(Batch::Done));
        assert_eq!(walk(&message(16, 3, &[]), 4, false, "get", &mut |_, _| Ok(())), Ok(Batch::More));
    }

    #[test]
    fn strict_attributes_refuse_a_length_past_the_end() {
        let mut b = attribute(1, &[9, 9]);
        assert_eq!(attributes_strict(&b, "t"), Ok(vec![(1, &[9, 9][..])]));
        b.extend([12, 0, 2, 0]);
        assert!(matches!(attributes_strict(&b, "t"), Err(Error::Malformed(_))));
        assert!(matches!(attributes_strict(&[1, 0], "t"), Err(Error::Malformed(_))));
        assert!(matches!(u32_value(&[1, 2], "t"), Err(Error::Malformed(_))));
        assert_eq!(string_value(b"pfifo_fast\0"), "pfifo_fast");
    }

    #[test]
    fn attributes_are_split_and_their_flag_bits_dropped() {
        let mut b = vec![6, 0, 1, 0x80, 0xaa, 0xbb, 0, 0];
        b.extend([8, 0, 3, 0, 1, 2, 3, 4]);
        assert_eq!(attributes(&b), vec![(1, &[0xaa, 0xbb][..]), (3, &[1, 2, 3, 4][..])]);
    }
}
