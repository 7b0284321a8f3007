//! WiFi devices over nl80211 (generic netlink), read as node_exporter 1.5's wifi collector reads
//! them through github.com/mdlayher/wifi: the family resolved by name, an interface dump, and per
//! interface the BSS it is in (a scan dump) and its stations (a station dump).
//!
//! "Not there" answers are `Ok(None)` where the Go package says `os.ErrNotExist`, so the caller
//! can skip them as node_exporter does; a missing nl80211 family is `Error::Os` with ENOENT.

use crate::netlink::{self, attribute, attributes_strict, string_value, u16_at, u32_value, u64_value, Socket, NLM_F_DUMP};
use crate::{Error, Result};

const NETLINK_GENERIC: i32 = 16;
const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;
const CTRL_ATTR_VERSION: u16 = 3;
/// struct genlmsghdr: command, version, reserved.
const GENL_HDRLEN: usize = 4;

const NL80211_CMD_GET_INTERFACE: u8 = 5;
const NL80211_CMD_GET_STATION: u8 = 17;
const NL80211_CMD_GET_SCAN: u8 = 32;
const ATTR_WIPHY: u16 = 1;
const ATTR_IFINDEX: u16 = 3;
const ATTR_IFNAME: u16 = 4;
const ATTR_IFTYPE: u16 = 5;
const ATTR_MAC: u16 = 6;
const ATTR_STA_INFO: u16 = 21;
const ATTR_WIPHY_FREQ: u16 = 38;
const ATTR_BSS: u16 = 47;
const BSS_BSSID: u16 = 1;
const BSS_INFORMATION_ELEMENTS: u16 = 6;
const BSS_STATUS: u16 = 9;
/// The information element that holds the SSID.
const IE_SSID: u8 = 0;
const STA_INACTIVE_TIME: u16 = 1;
const STA_RX_BYTES: u16 = 2;
const STA_TX_BYTES: u16 = 3;
const STA_SIGNAL: u16 = 7;
const STA_TX_BITRATE: u16 = 8;
const STA_RX_PACKETS: u16 = 9;
const STA_TX_PACKETS: u16 = 10;
const STA_TX_RETRIES: u16 = 11;
const STA_TX_FAILED: u16 = 12;
const STA_RX_BITRATE: u16 = 14;
const STA_CONNECTED_TIME: u16 = 16;
const STA_BEACON_LOSS: u16 = 18;
const STA_RX_BYTES64: u16 = 23;
const STA_TX_BYTES64: u16 = 24;
const RATE_BITRATE: u16 = 1;
const RATE_BITRATE32: u16 = 5;

/// One WiFi interface.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Interface {
    pub index: u32,
    /// Empty for interfaces without a network device (P2P devices).
    pub name: String,
    /// None when the kernel sent no address (the requests then do not name one either).
    pub mac: Option<Vec<u8>>,
    pub phy: u32,
    /// enum nl80211_iftype.
    pub iftype: u32,
    /// MHz, 0 when not operating.
    pub frequency: u32,
}

/// The BSS an interface is authenticated or associated with, or has joined.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bss {
    pub bssid: Vec<u8>,
    pub ssid: String,
    /// enum nl80211_bss_status: 0 authenticated, 1 associated, 2 IBSS joined.
    pub status: u32,
}

/// One station's counters (what node_exporter reports of it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Station {
    pub mac: Vec<u8>,
    pub connected_seconds: u32,
    pub inactive_ms: u32,
    pub received_bytes: u64,
    pub transmitted_bytes: u64,
    pub signal_dbm: i8,
    pub received_packets: u32,
    pub transmitted_packets: u32,
    pub transmit_retries: u32,
    pub transmit_failed: u32,
    pub beacon_loss: u32,
    /// Bits per second.
    pub receive_bitrate: u64,
    pub transmit_bitrate: u64,
}

/// A generic netlink message's payload past its header.
fn genl_attributes<'a>(payload: &'a [u8], what: &str) -> Result<Vec<(u16, &'a [u8])>> {
    if payload.len() < GENL_HDRLEN {
        return Err(Error::Malformed(format!("{what}: generic netlink message of {} bytes", payload.len())));
    }
    attributes_strict(&payload[GENL_HDRLEN..], what)
}

/// CTRL_CMD_NEWFAMILY's payload: the family's id and version.
pub fn parse_family(payload: &[u8]) -> Result<(u16, u8)> {
    let (mut id, mut version) = (None, 0u8);
    for (kind, v) in genl_attributes(payload, "family")? {
        match kind {
            CTRL_ATTR_FAMILY_ID if v.len() >= 2 => id = Some(u16_at(v, 0)),
            CTRL_ATTR_VERSION => version = u32_value(v, "family version")? as u8,
            _ => {}
        }
    }
    id.map(|id| (id, version)).ok_or_else(|| Error::Malformed("family answer without an id".into()))
}

/// NL80211_CMD_NEW_INTERFACE's payload.
pub fn parse_interface(payload: &[u8]) -> Result<Interface> {
    let mut ifi = Interface::default();
    for (kind, v) in genl_attributes(payload, "interface")? {
        match kind {
            ATTR_IFINDEX => ifi.index = u32_value(v, "interface index")?,
            ATTR_IFNAME => ifi.name = string_value(v),
            ATTR_MAC => ifi.mac = Some(v.to_vec()),
            ATTR_WIPHY => ifi.phy = u32_value(v, "interface phy")?,
            ATTR_IFTYPE => ifi.iftype = u32_value(v, "interface type")?,
            ATTR_WIPHY_FREQ => ifi.frequency = u32_value(v, "interface frequency")?,
            _ => {}
        }
    }
    Ok(ifi)
}

/// The scan dump's messages: the first BSS that has a status (the one the interface is in).
pub fn parse_bss<'a>(payloads: impl IntoIterator<Item = &'a [u8]>) -> Result<Option<Bss>> {
    for payload in payloads {
        for (kind, v) in genl_attributes(payload, "scan")? {
            if kind != ATTR_BSS {
                continue;
            }
            let nested = attributes_strict(v, "BSS")?;
            if !nested.iter().any(|(k, _)| *k == BSS_STATUS) {
                continue;
            }
            let mut bss = Bss::default();
            for (k, v) in nested {
                match k {
                    BSS_BSSID => bss.bssid = v.to_vec(),
                    BSS_STATUS => bss.status = u32_value(v, "BSS status")?,
                    BSS_INFORMATION_ELEMENTS => {
                        if let Some(ssid) = information_elements(v)?.into_iter().rfind(|(id, _)| *id == IE_SSID) {
                            bss.ssid = go_utf8(ssid.1);
                        }
                    }
                    _ => {}
                }
            }
            return Ok(Some(bss));
        }
    }
    Ok(None)
}

/// Information elements: (id, length, data) triples to the end; one running past it is an error.
fn information_elements(mut b: &[u8]) -> Result<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        if b.len() < 2 || b.len() - 2 < b[1] as usize {
            return Err(Error::Malformed("invalid information element".into()));
        }
        let len = b[1] as usize;
        out.push((b[0], &b[2..2 + len]));
        b = &b[2 + len..];
    }
    Ok(out)
}

/// Bytes as Go decodes them rune by rune: every byte that does not start a valid sequence
/// becomes one U+FFFD (Rust's lossy decoding would fold some runs of them into one).
pub fn go_utf8(mut b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    loop {
        match std::str::from_utf8(b) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let good = e.valid_up_to();
                out.push_str(std::str::from_utf8(&b[..good]).unwrap_or_default());
                out.push('\u{fffd}');
                b = &b[good + 1..];
            }
        }
    }
}

/// One station dump message; None when it holds no station information.
pub fn parse_station(payload: &[u8]) -> Result<Option<Station>> {
    let mut mac = Vec::new();
    for (kind, v) in genl_attributes(payload, "station")? {
        match kind {
            ATTR_MAC => mac = v.to_vec(),
            ATTR_STA_INFO => {
                let mut s = Station { mac, ..Station::default() };
                read_station_info(v, &mut s)?;
                return Ok(Some(s));
            }
            _ => {}
        }
    }
    Ok(None)
}

fn read_station_info(v: &[u8], s: &mut Station) -> Result<()> {
    for (kind, v) in attributes_strict(v, "station info")? {
        match kind {
            STA_CONNECTED_TIME => s.connected_seconds = u32_value(v, "connected time")?,
            STA_INACTIVE_TIME => s.inactive_ms = u32_value(v, "inactive time")?,
            STA_RX_BYTES64 => s.received_bytes = u64_value(v, "rx bytes")?,
            STA_TX_BYTES64 => s.transmitted_bytes = u64_value(v, "tx bytes")?,
            STA_SIGNAL => s.signal_dbm = *v.first().ok_or_else(|| Error::Malformed("empty signal".into()))? as i8,
            STA_RX_PACKETS => s.received_packets = u32_value(v, "rx packets")?,
            STA_TX_PACKETS => s.transmitted_packets = u32_value(v, "tx packets")?,
            STA_TX_RETRIES => s.transmit_retries = u32_value(v, "tx retries")?,
            STA_TX_FAILED => s.transmit_failed = u32_value(v, "tx failed")?,
            STA_BEACON_LOSS => s.beacon_loss = u32_value(v, "beacon loss")?,
            STA_RX_BITRATE => s.receive_bitrate = bitrate(v)?,
            STA_TX_BITRATE => s.transmit_bitrate = bitrate(v)?,
            // The 32-bit byte counters only count while no 64-bit one (earlier, or zero) has.
            STA_RX_BYTES if s.received_bytes == 0 => s.received_bytes = u64::from(u32_value(v, "rx bytes")?),
            STA_TX_BYTES if s.transmitted_bytes == 0 => s.transmitted_bytes = u64::from(u32_value(v, "tx bytes")?),
            _ => {}
        }
    }
    Ok(())
}

/// A rate info's bitrate in bits per second: the 32-bit value, else the 16-bit one (100 kbit/s units).
fn bitrate(v: &[u8]) -> Result<u64> {
    let mut rate = 0u64;
    for (kind, v) in attributes_strict(v, "rate info")? {
        match kind {
            RATE_BITRATE32 => rate = u64::from(u32_value(v, "bitrate")?),
            RATE_BITRATE if rate == 0 => rate = u64::from(netlink::value::<2>(v, "bitrate").map(u16::from_ne_bytes)?),
            _ => {}
        }
    }
    Ok(rate * 100_000)
}

/// A hardware address as Go prints it: lower-case hex bytes joined by colons.
pub fn mac_string(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(":")
}

/// A generic netlink request: header (command, version) and attributes.
fn genl_request(command: u8, version: u8, attributes: &[Vec<u8>]) -> Vec<u8> {
    let mut b = vec![command, version, 0, 0];
    for a in attributes {
        b.extend(a);
    }
    b
}

/// A generic netlink socket with nl80211 resolved.
pub struct Nl80211 {
    socket: Socket,
    family: u16,
    version: u8,
}

impl Nl80211 {
    /// Opens the socket and looks nl80211 up; a kernel without it (no WiFi driver loaded) answers ENOENT.
    pub fn open() -> Result<Nl80211> {
        let mut socket = Socket::open(NETLINK_GENERIC, "generic netlink socket")?;
        let req = genl_request(CTRL_CMD_GETFAMILY, 1, &[attribute(CTRL_ATTR_FAMILY_NAME, b"nl80211\0")]);
        let mut family = None;
        socket.exchange(GENL_ID_CTRL, 0, &req, "nl80211 family lookup", &mut |_, p| {
            family = Some(parse_family(p)?);
            Ok(())
        })?;
        let (family, version) = family.ok_or_else(|| Error::Malformed("nl80211 family lookup: no answer".into()))?;
        Ok(Nl80211 { socket, family, version })
    }

    fn dump(&mut self, command: u8, attributes: &[Vec<u8>], op: &'static str, each: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()> {
        let req = genl_request(command, self.version, attributes);
        let family = self.family;
        self.socket.exchange(family, NLM_F_DUMP, &req, op, &mut |t, p| if t == family { each(p) } else { Ok(()) })
    }

    pub fn interfaces(&mut self) -> Result<Vec<Interface>> {
        let mut out = Vec::new();
        self.dump(NL80211_CMD_GET_INTERFACE, &[], "nl80211 interface dump", &mut |p| {
            out.push(parse_interface(p)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The interface index, and its address when it has one: what names it in a request.
    fn naming(index: u32, mac: Option<&[u8]>) -> Vec<Vec<u8>> {
        let mut a = vec![attribute(ATTR_IFINDEX, &index.to_ne_bytes())];
        if let Some(mac) = mac {
            a.push(attribute(ATTR_MAC, mac));
        }
        a
    }

    /// The BSS the interface is in; None when it is in none.
    pub fn bss(&mut self, index: u32, mac: Option<&[u8]>) -> Result<Option<Bss>> {
        let mut messages = Vec::new();
        self.dump(NL80211_CMD_GET_SCAN, &Self::naming(index, mac), "nl80211 scan dump", &mut |p| {
            messages.push(p.to_vec());
            Ok(())
        })?;
        parse_bss(messages.iter().map(Vec::as_slice))
    }

    /// The interface's stations; None when there are none, or one message lacks station information.
    pub fn stations(&mut self, index: u32, mac: Option<&[u8]>) -> Result<Option<Vec<Station>>> {
        let mut out = Vec::new();
        let mut incomplete = false;
        self.dump(NL80211_CMD_GET_STATION, &Self::naming(index, mac), "nl80211 station dump", &mut |p| {
            match parse_station(p)? {
                Some(s) => out.push(s),
                None => incomplete = true,
            }
            Ok(())
        })?;
        Ok(if out.is_empty() || incomplete { None } else { Some(out) })
    }
}

#[cfg(test)]
#[path = "wifi_tests.rs"]
mod tests;
