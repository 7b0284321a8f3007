//! Queueing disciplines over rtnetlink: one RTM_GETQDISC dump, read as node_exporter 1.5's qdisc
//! collector reads it (through github.com/ema/qdisc): the kind, the basic and queue statistics of
//! TCA_STATS2 and the older TCA_STATS, whichever the kernel sends last winning field by field.

use crate::netlink::{self, attributes_strict, string_value, u32_at, u32_value, u64_value};
use crate::route;
use crate::{Error, Result};

const NETLINK_ROUTE: i32 = 0;
const RTM_NEWQDISC: u16 = 36;
const RTM_GETQDISC: u16 = 38;
/// struct tcmsg: family, padding, ifindex, handle, parent, info.
const TCMSG_LEN: usize = 20;
const TCA_KIND: u16 = 1;
const TCA_STATS: u16 = 3;
const TCA_STATS2: u16 = 7;
const TCA_STATS_BASIC: u16 = 1;
const TCA_STATS_QUEUE: u16 = 3;
/// struct tc_stats: bytes (u64), then packets, drops, overlimits, bps, pps, qlen, backlog (u32).
const TC_STATS_LEN: usize = 36;

/// The parent of a root qdisc (`TC_H_ROOT`).
pub const TC_H_ROOT: u32 = u32::MAX;

/// One queueing discipline and its counters, as the kernel reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Qdisc {
    pub ifindex: u32,
    pub handle: u32,
    /// `TC_H_ROOT` for the root qdisc of a device.
    pub parent: u32,
    pub kind: String,
    pub bytes: u64,
    pub packets: u32,
    pub drops: u32,
    /// Only TCA_STATS2 carries requeues.
    pub requeues: u32,
    pub overlimits: u32,
    pub qlen: u32,
    pub backlog: u32,
}

/// A qdisc message's payload (struct tcmsg, then attributes).
pub fn parse_qdisc(b: &[u8]) -> Result<Qdisc> {
    if b.len() < TCMSG_LEN {
        return Err(Error::Malformed(format!("qdisc message of {} bytes", b.len())));
    }
    let mut q = Qdisc { ifindex: u32_at(b, 4), handle: u32_at(b, 8), parent: u32_at(b, 12), ..Qdisc::default() };
    // Attributes in the kernel's order: it sends TCA_STATS2 and then, for old readers, TCA_STATS
    // with the same numbers; each overwrites what an earlier one set, as ema/qdisc does.
    for (kind, v) in attributes_strict(&b[TCMSG_LEN..], "qdisc attributes")? {
        match kind {
            TCA_KIND => q.kind = string_value(v),
            TCA_STATS2 => read_stats2(v, &mut q)?,
            TCA_STATS => read_legacy_stats(v, &mut q)?,
            _ => {}
        }
    }
    Ok(q)
}

/// TCA_STATS2: nested gnet_stats_basic (bytes, packets) and gnet_stats_queue (qlen, backlog,
/// drops, requeues, overlimits). A part that is absent leaves its fields at zero.
fn read_stats2(v: &[u8], q: &mut Qdisc) -> Result<()> {
    let (mut basic, mut queue): (Option<&[u8]>, Option<&[u8]>) = (None, None);
    for (kind, part) in attributes_strict(v, "TCA_STATS2")? {
        match kind {
            TCA_STATS_BASIC => basic = Some(part),
            TCA_STATS_QUEUE => queue = Some(part),
            _ => {}
        }
    }
    let (bytes, packets) = match basic {
        Some(p) => (u64_value(p, "TCA_STATS_BASIC")?, u32_value(p.get(8..).unwrap_or_default(), "TCA_STATS_BASIC packets")?),
        None => (0, 0),
    };
    let mut fields = [0u32; 5];
    if let Some(p) = queue {
        if p.len() < 20 {
            return Err(Error::Malformed(format!("TCA_STATS_QUEUE of {} bytes", p.len())));
        }
        for (i, f) in fields.iter_mut().enumerate() {
            *f = u32_at(p, i * 4);
        }
    }
    let [qlen, backlog, drops, requeues, overlimits] = fields;
    *q = Qdisc { bytes, packets, qlen, backlog, drops, requeues, overlimits, ..std::mem::take(q) };
    Ok(())
}

/// TCA_STATS: struct tc_stats, which has no requeues (those keep what TCA_STATS2 said).
fn read_legacy_stats(v: &[u8], q: &mut Qdisc) -> Result<()> {
    if v.len() < TC_STATS_LEN {
        return Err(Error::Malformed(format!("TCA_STATS of {} bytes", v.len())));
    }
    q.bytes = u64_value(v, "TCA_STATS")?;
    q.packets = u32_at(v, 8);
    q.drops = u32_at(v, 12);
    q.overlimits = u32_at(v, 16);
    q.qlen = u32_at(v, 28);
    q.backlog = u32_at(v, 32);
    Ok(())
}

/// Every qdisc of every device, with its device's name ("" when the device is gone by the time
/// the names are read).
pub fn qdiscs() -> Result<Vec<(String, Qdisc)>> {
    let mut out = Vec::new();
    netlink::dump(NETLINK_ROUTE, RTM_GETQDISC, &[0u8; TCMSG_LEN], "rtnetlink qdisc dump", &mut |t, p| {
        if t == RTM_NEWQDISC {
            out.push(parse_qdisc(p)?);
        }
        Ok(())
    })?;
    let names = route::links()?;
    Ok(out.into_iter().map(|q| (names.get(&q.ifindex).cloned().unwrap_or_default(), q)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::attribute;

    fn tcmsg(ifindex: u32, handle: u32, parent: u32) -> Vec<u8> {
        let mut b = vec![0u8; 4];
        for x in [ifindex, handle, parent, 1] {
            b.extend(x.to_ne_bytes());
        }
        b
    }

    fn words(first: u64, rest: &[u32]) -> Vec<u8> {
        let mut b = first.to_ne_bytes().to_vec();
        for x in rest {
            b.extend(x.to_ne_bytes());
        }
        b
    }

    /// What a 5.x kernel sends for pfifo_fast: kind, options, TCA_STATS2, then TCA_STATS.
    fn pfifo_fast_message() -> Vec<u8> {
        let mut b = tcmsg(4, 0, TC_H_ROOT);
        b.extend(attribute(TCA_KIND, b"pfifo_fast\0"));
        b.extend(attribute(2, &[0; 20]));
        let mut stats2 = attribute(TCA_STATS_BASIC, &words(581_191, &[6016, 0]));
        stats2.extend(attribute(2, &[0; 16]));
        stats2.extend(attribute(TCA_STATS_QUEUE, &words(0, &[3, 7, 1, 2]).split_off(4)));
        b.extend(attribute(TCA_STATS2, &stats2));
        b.extend(attribute(TCA_STATS, &words(581_191, &[6016, 7, 2, 0, 0, 0, 3])));
        b
    }

    #[test]
    fn reads_kind_and_counters_of_a_root_qdisc() {
        let q = parse_qdisc(&pfifo_fast_message()).unwrap();
        assert_eq!(
            q,
            Qdisc { ifindex: 4, handle: 0, parent: TC_H_ROOT, kind: "pfifo_fast".into(), bytes: 581_191, packets: 6016, drops: 7, requeues: 1, overlimits: 2, qlen: 0, backlog: 3 }
        );
    }

    #[test]
    fn the_later_legacy_stats_win_except_for_requeues() {
        let mut b = tcmsg(1, 0x10000, 0x10001);
        b.extend(attribute(TCA_KIND, b"fq_codel\0"));
        let mut stats2 = attribute(TCA_STATS_BASIC, &words(100, &[10, 0]));
        stats2.extend(attribute(TCA_STATS_QUEUE, &[5u32, 50, 1, 4, 2].iter().flat_map(|x| x.to_ne_bytes()).collect::<Vec<u8>>()));
        b.extend(attribute(TCA_STATS2, &stats2));
        b.extend(attribute(TCA_STATS, &words(200, &[20, 9, 8, 0, 0, 6, 60])));
        let q = parse_qdisc(&b).unwrap();
        assert_eq!((q.bytes, q.packets, q.drops, q.overlimits, q.qlen, q.backlog, q.requeues), (200, 20, 9, 8, 6, 60, 4));
        assert_eq!((q.handle, q.parent), (0x10000, 0x10001));
    }

    #[test]
    fn short_messages_and_stats_are_malformed_not_a_panic() {
        assert!(matches!(parse_qdisc(&[0; 12]), Err(Error::Malformed(_))));
        let mut b = tcmsg(1, 0, TC_H_ROOT);
        b.extend(attribute(TCA_STATS, &[0; 20]));
        assert!(matches!(parse_qdisc(&b), Err(Error::Malformed(_))));
        let mut b = tcmsg(1, 0, TC_H_ROOT);
        b.extend(attribute(TCA_STATS2, &attribute(TCA_STATS_QUEUE, &[0; 8])));
        assert!(matches!(parse_qdisc(&b), Err(Error::Malformed(_))));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_machine_has_a_root_qdisc_on_loopback() {
        let all = qdiscs().expect("qdisc dump");
        assert!(all.iter().any(|(name, q)| name == "lo" && q.parent == TC_H_ROOT && !q.kind.is_empty()), "{all:?}");
    }
}
