//! nl80211 answers laid out as the kernel lays them out (genlmsghdr, then attributes, nested ones
//! without NLA_F_NESTED as nl80211 sends them), parsed as mdlayher/wifi parses them.

use super::*;

fn genl(command: u8, attributes: &[Vec<u8>]) -> Vec<u8> {
    genl_request(command, 1, attributes)
}

fn u32a(kind: u16, x: u32) -> Vec<u8> {
    attribute(kind, &x.to_ne_bytes())
}

fn u64a(kind: u16, x: u64) -> Vec<u8> {
    attribute(kind, &x.to_ne_bytes())
}

fn nested(kind: u16, parts: &[Vec<u8>]) -> Vec<u8> {
    attribute(kind, &parts.concat())
}

#[test]
fn a_family_answer_gives_id_and_version() {
    let msg = genl(1, &[attribute(CTRL_ATTR_FAMILY_NAME, b"nl80211\0"), attribute(CTRL_ATTR_FAMILY_ID, &0x1cu16.to_ne_bytes()), u32a(CTRL_ATTR_VERSION, 1)]);
    assert_eq!(parse_family(&msg), Ok((0x1c, 1)));
    assert!(matches!(parse_family(&genl(1, &[])), Err(Error::Malformed(_))));
}

#[test]
fn an_interface_message_gives_name_index_type_frequency_and_address() {
    let msg = genl(7, &[
        u32a(ATTR_IFINDEX, 3),
        attribute(ATTR_IFNAME, b"wlan0\0"),
        u32a(ATTR_WIPHY, 0),
        u32a(ATTR_IFTYPE, 2),
        u64a(153, 1),
        attribute(ATTR_MAC, &[0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]),
        u32a(ATTR_WIPHY_FREQ, 2412),
    ]);
    let ifi = parse_interface(&msg).unwrap();
    assert_eq!(ifi, Interface { index: 3, name: "wlan0".into(), mac: Some(vec![0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]), phy: 0, iftype: 2, frequency: 2412 });
    assert_eq!(mac_string(ifi.mac.as_deref().unwrap()), "aa:bb:cc:dd:ee:ff");
    // A P2P device: no name, no frequency, no address.
    let p2p = parse_interface(&genl(7, &[u32a(ATTR_IFINDEX, 0), u32a(ATTR_IFTYPE, 10)])).unwrap();
    assert_eq!((p2p.name.as_str(), p2p.frequency, p2p.mac), ("", 0, None));
}

#[test]
fn the_bss_is_the_first_with_a_status_and_its_ssid_comes_from_the_information_elements() {
    let other = genl(34, &[u32a(ATTR_IFINDEX, 3), nested(ATTR_BSS, &[attribute(BSS_BSSID, &[1, 2, 3, 4, 5, 6]), u32a(2, 2437)])]);
    // Information elements: SSID "Example", then supported rates.
    let ies = [vec![IE_SSID, 7], b"Example".to_vec(), vec![1, 2, 0x82, 0x84]].concat();
    let mine = genl(34, &[
        u32a(ATTR_IFINDEX, 3),
        nested(ATTR_BSS, &[attribute(BSS_BSSID, &[0x00, 0x11, 0x22, 0x33, 0x44, 0x55]), u32a(2, 2412), attribute(BSS_INFORMATION_ELEMENTS, &ies), u32a(BSS_STATUS, 1)]),
    ]);
    let bss = parse_bss([other.as_slice(), mine.as_slice()]).unwrap().unwrap();
    assert_eq!(bss, Bss { bssid: vec![0x00, 0x11, 0x22, 0x33, 0x44, 0x55], ssid: "Example".into(), status: 1 });
    assert_eq!(parse_bss([other.as_slice()]), Ok(None));
    let truncated = genl(34, &[nested(ATTR_BSS, &[attribute(BSS_INFORMATION_ELEMENTS, &[IE_SSID, 9, b'x']), u32a(BSS_STATUS, 0)])]);
    assert!(matches!(parse_bss([truncated.as_slice()]), Err(Error::Malformed(_))));
}

#[test]
fn ssids_decode_invalid_bytes_one_replacement_each_as_go_does() {
    assert_eq!(go_utf8("café".as_bytes()), "café");
    assert_eq!(go_utf8(&[b'a', 0xe2, 0x82, b'b']), "a\u{fffd}\u{fffd}b");
    assert_eq!(go_utf8(&[0xff]), "\u{fffd}");
}

fn station_info(parts: &[Vec<u8>]) -> Vec<u8> {
    genl(19, &[u32a(ATTR_IFINDEX, 3), attribute(ATTR_MAC, &[0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]), u32a(46, 1), nested(ATTR_STA_INFO, parts)])
}

#[test]
fn a_station_message_gives_its_counters_in_base_units() {
    let msg = station_info(&[
        u32a(STA_INACTIVE_TIME, 400),
        u32a(STA_RX_BYTES, 7),
        u64a(STA_RX_BYTES64, 1 << 33),
        u64a(STA_TX_BYTES64, 0),
        u32a(STA_TX_BYTES, 9),
        u32a(STA_RX_PACKETS, 100),
        u32a(STA_TX_PACKETS, 200),
        u32a(STA_TX_RETRIES, 10),
        u32a(STA_TX_FAILED, 2),
        attribute(STA_SIGNAL, &[(-52i8) as u8]),
        nested(STA_TX_BITRATE, &[attribute(RATE_BITRATE, &1640u16.to_ne_bytes()), u32a(RATE_BITRATE32, 1640)]),
        nested(STA_RX_BITRATE, &[attribute(RATE_BITRATE, &1280u16.to_ne_bytes())]),
        u32a(STA_CONNECTED_TIME, 30),
        u32a(STA_BEACON_LOSS, 1),
    ]);
    let s = parse_station(&msg).unwrap().unwrap();
    assert_eq!(
        s,
        Station {
            mac: vec![0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff],
            connected_seconds: 30,
            inactive_ms: 400,
            received_bytes: 1 << 33,
            // The 64-bit counter before it said 0, so the 32-bit one counts.
            transmitted_bytes: 9,
            signal_dbm: -52,
            received_packets: 100,
            transmitted_packets: 200,
            transmit_retries: 10,
            transmit_failed: 2,
            beacon_loss: 1,
            receive_bitrate: 128_000_000,
            transmit_bitrate: 164_000_000,
        }
    );
}

#[test]
fn a_station_message_without_station_info_is_none_and_bad_lengths_are_malformed() {
    let bare = genl(19, &[u32a(ATTR_IFINDEX, 3), attribute(ATTR_MAC, &[1, 2, 3, 4, 5, 6])]);
    assert_eq!(parse_station(&bare), Ok(None));
    assert!(matches!(parse_station(&station_info(&[attribute(STA_INACTIVE_TIME, &[1])])), Err(Error::Malformed(_))));
    assert!(matches!(parse_station(&station_info(&[attribute(STA_SIGNAL, &[])])), Err(Error::Malformed(_))));
    assert!(matches!(parse_station(&[1, 2]), Err(Error::Malformed(_))));
}

/// This machine may or may not have WiFi: either nl80211 is missing (ENOENT) or its interface
/// dump answers; it never fails otherwise.
#[cfg(target_os = "linux")]
#[test]
fn the_live_lookup_finds_nl80211_or_reports_it_missing() {
    match Nl80211::open() {
        Ok(mut nl) => {
            nl.interfaces().expect("interface dump");
        }
        Err(e) => assert!(matches!(e.errno(), Some(2) | Some(1) | Some(13)), "{e}"),
    }
}
