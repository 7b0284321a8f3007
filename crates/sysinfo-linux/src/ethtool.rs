//! The SIOCETHTOOL ioctls node_exporter's ethtool collector makes: driver information
//! (ETHTOOL_GDRVINFO), the legacy link settings (ETHTOOL_GSET: supported and advertised link-mode
//! bits, autonegotiation) and the driver's statistics (ETHTOOL_GSSET_INFO for their number,
//! ETHTOOL_GSTRINGS for their names, ETHTOOL_GSTATS for their values).

use crate::{Error, Result};

/// What `ethtool -i` shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriverInfo {
    pub driver: String,
    pub version: String,
    pub firmware_version: String,
    pub bus_info: String,
    pub expansion_rom_version: String,
}

/// The legacy `struct ethtool_cmd` fields node_exporter reads: link-mode bit sets (bit numbers as
/// in `enum ethtool_link_mode_bit_indices`, the first 32) and whether autonegotiation is on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkSettings {
    pub supported: u32,
    pub advertising: u32,
    pub autoneg: u8,
}

/// Statistics the driver refuses to list above this many (as the ethtool library node_exporter
/// uses refuses them): a guard against a driver reporting nonsense.
pub const MAX_STATS: usize = 32768;
const ETH_GSTRING_LEN: usize = 32;
const IFNAMSIZ: usize = 16;

/// The text of a fixed-size, NUL-padded kernel string.
fn c_text(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// Splits ETHTOOL_GSTRINGS' answer into names, dropping empty ones (as node_exporter's library does).
pub fn stat_names(data: &[u8], count: usize) -> Vec<Option<String>> {
    (0..count)
        .map(|i| {
            let b = data.get(i * ETH_GSTRING_LEN..(i + 1) * ETH_GSTRING_LEN).unwrap_or(&[]);
            let s = c_text(b);
            (!s.is_empty()).then_some(s)
        })
        .collect()
}

fn check_name(device: &str) -> Result<[u8; IFNAMSIZ]> {
    if device.is_empty() || device.len() >= IFNAMSIZ || device.as_bytes().contains(&0) {
        return Err(Error::Invalid(format!("{device:?} is not a network interface name (1 to {} bytes, no NUL)", IFNAMSIZ - 1)));
    }
    let mut name = [0u8; IFNAMSIZ];
    name[..device.len()].copy_from_slice(device.as_bytes());
    Ok(name)
}

#[cfg(target_os = "linux")]
pub use linux::Ethtool;

#[cfg(target_os = "linux")]
mod linux {
    use super::*;
    use crate::sys::{self, Fd};
    use std::ffi::c_void;

    const SIOCETHTOOL: std::os::raw::c_ulong = 0x8946;
    const ETHTOOL_GSET: u32 = 0x1;
    const ETHTOOL_GDRVINFO: u32 = 0x3;
    const ETHTOOL_GSTRINGS: u32 = 0x1b;
    const ETHTOOL_GSTATS: u32 = 0x1d;
    const ETHTOOL_GSSET_INFO: u32 = 0x37;
    const ETH_SS_STATS: u32 = 1;

    #[repr(C)]
    struct IfReq {
        name: [u8; IFNAMSIZ],
        data: *mut c_void,
        /// The rest of the kernel's 40-byte `struct ifreq` union.
        pad: [u8; 16],
    }

    #[repr(C)]
    struct DrvInfo {
        cmd: u32,
        driver: [u8; 32],
        version: [u8; 32],
        fw_version: [u8; 32],
        bus_info: [u8; 32],
        erom_version: [u8; 32],
        reserved2: [u8; 12],
        n_priv_flags: u32,
        n_stats: u32,
        testinfo_len: u32,
        eedump_len: u32,
        regdump_len: u32,
    }

    /// `struct ethtool_sset_info` asking for one string set.
    #[repr(C)]
    struct SsetInfo {
        cmd: u32,
        reserved: u32,
        sset_mask: u64,
        data: u32,
    }

    #[repr(C)]
    struct Cmd {
        cmd: u32,
        supported: u32,
        advertising: u32,
        speed: u16,
        duplex: u8,
        port: u8,
        phy_address: u8,
        transceiver: u8,
        autoneg: u8,
        mdio_support: u8,
        maxtxpkt: u32,
        maxrxpkt: u32,
        speed_hi: u16,
        eth_tp_mdix: u8,
        eth_tp_mdix_ctrl: u8,
        lp_advertising: u32,
        reserved: [u32; 2],
    }

    /// An AF_INET datagram socket to address ethtool ioctls through.
    pub struct Ethtool {
        fd: Fd,
    }

    impl Ethtool {
        pub fn new() -> Result<Ethtool> {
            Ok(Ethtool { fd: Fd::socket(sys::AF_INET, sys::SOCK_DGRAM, 0, "socket(AF_INET)")? })
        }

        /// SIOCETHTOOL on `device` with `data`, a command struct starting with its `cmd` word.
        fn ioctl(&self, device: &str, data: *mut c_void, op: &'static str) -> Result<()> {
            let mut req = IfReq { name: check_name(device)?, data, pad: [0; 16] };
            // SAFETY: req is a valid ifreq whose data points to a command buffer the caller sized
            // for the command; the kernel writes only within it.
            let r = unsafe { sys::ioctl(self.fd.0, SIOCETHTOOL, &mut req as *mut IfReq) };
            if r < 0 {
                return Err(sys::os_error(op));
            }
            Ok(())
        }

        fn raw_driver_info(&self, device: &str) -> Result<DrvInfo> {
            // SAFETY: DrvInfo is plain bytes and integers; zero is valid.
            let mut d: DrvInfo = unsafe { std::mem::zeroed() };
            d.cmd = ETHTOOL_GDRVINFO;
            self.ioctl(device, &mut d as *mut DrvInfo as *mut c_void, "ETHTOOL_GDRVINFO")?;
            Ok(d)
        }

        pub fn driver_info(&self, device: &str) -> Result<DriverInfo> {
            let d = self.raw_driver_info(device)?;
            Ok(DriverInfo {
                driver: c_text(&d.driver),
                version: c_text(&d.version),
                firmware_version: c_text(&d.fw_version),
                bus_info: c_text(&d.bus_info),
                expansion_rom_version: c_text(&d.erom_version),
            })
        }

        pub fn link_settings(&self, device: &str) -> Result<LinkSettings> {
            // SAFETY: Cmd is plain integers; zero is valid.
            let mut c: Cmd = unsafe { std::mem::zeroed() };
            c.cmd = ETHTOOL_GSET;
            self.ioctl(device, &mut c as *mut Cmd as *mut c_void, "ETHTOOL_GSET")?;
            Ok(LinkSettings { supported: c.supported, advertising: c.advertising, autoneg: c.autoneg })
        }

        /// How many statistics the driver has: ETHTOOL_GSSET_INFO, or GDRVINFO's n_stats on
        /// kernels and drivers without it.
        fn stats_count(&self, device: &str) -> Result<usize> {
            let mut info = SsetInfo { cmd: ETHTOOL_GSSET_INFO, reserved: 0, sset_mask: 1 << ETH_SS_STATS, data: 0 };
            match self.ioctl(device, &mut info as *mut SsetInfo as *mut c_void, "ETHTOOL_GSSET_INFO") {
                // The kernel clears the mask bit of a set it does not have.
                Ok(()) => Ok(if info.sset_mask & (1 << ETH_SS_STATS) != 0 { info.data as usize } else { 0 }),
                Err(e) if e.errno() == Some(crate::EOPNOTSUPP) => Ok(self.raw_driver_info(device)?.n_stats as usize),
                Err(e) => Err(e),
            }
        }

        /// The driver's statistics by name, in the driver's order (names the driver leaves
        /// empty are skipped). Drivers without statistics fail with EOPNOTSUPP.
        pub fn stats(&self, device: &str) -> Result<Vec<(String, u64)>> {
            let n = self.stats_count(device)?;
            if n > MAX_STATS {
                return Err(Error::Malformed(format!("{device}: {n} ethtool statistics, more than the {MAX_STATS} read")));
            }
            if n == 0 {
                return Ok(Vec::new());
            }
            // struct ethtool_gstrings: cmd, string_set, len, then len * ETH_GSTRING_LEN bytes.
            let mut strings = vec![0u32; 3 + n * ETH_GSTRING_LEN / 4];
            strings[0] = ETHTOOL_GSTRINGS;
            strings[1] = ETH_SS_STATS;
            strings[2] = n as u32;
            self.ioctl(device, strings.as_mut_ptr() as *mut c_void, "ETHTOOL_GSTRINGS")?;
            // struct ethtool_stats: cmd, n_stats, then n_stats u64 (8-byte aligned after the header).
            let mut stats = vec![0u64; 1 + n];
            // SAFETY: the first u64 is the header's two u32 words, written in native order.
            unsafe {
                let header = stats.as_mut_ptr() as *mut u32;
                *header = ETHTOOL_GSTATS;
                *header.add(1) = n as u32;
            }
            self.ioctl(device, stats.as_mut_ptr() as *mut c_void, "ETHTOOL_GSTATS")?;
            // The kernel may report fewer strings than asked (a driver changing its mind).
            let got = (strings[2] as usize).min(n);
            // SAFETY: strings is a Vec<u32> of 3 + n*8 elements; viewing its bytes is fine.
            let bytes = unsafe { std::slice::from_raw_parts(strings.as_ptr().add(3) as *const u8, n * ETH_GSTRING_LEN) };
            Ok(stat_names(bytes, got).into_iter().zip(stats[1..].iter()).filter_map(|(name, &v)| name.map(|s| (s, v))).collect())
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub struct Ethtool;

#[cfg(not(target_os = "linux"))]
impl Ethtool {
    pub fn new() -> Result<Ethtool> {
        Err(Error::Unsupported("ethtool"))
    }
    pub fn driver_info(&self, _device: &str) -> Result<DriverInfo> {
        Err(Error::Unsupported("ethtool"))
    }
    pub fn link_settings(&self, _device: &str) -> Result<LinkSettings> {
        Err(Error::Unsupported("ethtool"))
    }
    pub fn stats(&self, _device: &str) -> Result<Vec<(String, u64)>> {
        Err(Error::Unsupported("ethtool"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_names_are_cut_at_their_nul_and_empty_ones_dropped() {
        let mut data = vec![0u8; 3 * ETH_GSTRING_LEN];
        data[..8].copy_from_slice(b"rx_bytes");
        data[2 * ETH_GSTRING_LEN..2 * ETH_GSTRING_LEN + 3].copy_from_slice(b"tx_");
        assert_eq!(stat_names(&data, 3), vec![Some("rx_bytes".to_string()), None, Some("tx_".to_string())]);
    }

    #[test]
    fn device_names_must_fit_ifnamsiz() {
        assert!(check_name("eth0").is_ok());
        assert!(matches!(check_name(""), Err(Error::Invalid(_))));
        assert!(matches!(check_name("a-name-far-too-long"), Err(Error::Invalid(_))));
        assert!(matches!(check_name("et\0h"), Err(Error::Invalid(_))));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn loopback_has_no_ethtool_driver_statistics_but_answers_clearly() {
        let e = Ethtool::new().expect("socket");
        // lo supports GDRVINFO on most kernels but has no statistics: either way an Ok or an errno.
        match e.stats("lo") {
            Ok(s) => assert!(s.is_empty()),
            Err(err) => assert!(err.errno().is_some(), "{err}"),
        }
        let missing = e.driver_info("nosuchdev0").unwrap_err();
        assert_eq!(missing.errno(), Some(19), "{missing}");
    }
}
