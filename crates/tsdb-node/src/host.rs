//! The node exporter's system-call collectors (crates/sysinfo-linux) for JavaScript: adjtimex,
//! ethtool, the route and qdisc dumps, nl80211, TCP socket states and perf counters. Each call answers with one
//! typed array or one small object of strings and typed arrays; the collectors in
//! src/node-exporter/collectors/ name and label the values.

use node_api::{Class, Env, JsError, JsResult, JsType, Value};
use sysinfo_linux::{errno_name, ethtool, perf, qdisc, route, sockdiag, timex, wifi, Error};

fn js_err(e: Error) -> JsError {
    JsError::with_code(error_code(&e), e.to_string())
}

/// `hostTimex()`: [clock state, offset, freq, maxerror, esterror, status, constant, precision,
/// tolerance, tick, ppsfreq, jitter, shift, stabil, jitcnt, calcnt, errcnt, stbcnt, tai], raw.
pub fn host_timex(env: &Env, _ci: &node_api::CallInfo) -> JsResult<Value> {
    let t = timex::read().map_err(js_err)?;
    let v = [
        t.clock_state as f64, t.offset as f64, t.freq as f64, t.maxerror as f64, t.esterror as f64, t.status as f64, t.constant as f64, t.precision as f64, t.tolerance as f64, t.tick as f64, t.ppsfreq as f64,
        t.jitter as f64, t.shift as f64, t.stabil as f64, t.jitcnt as f64, t.calcnt as f64, t.errcnt as f64, t.stbcnt as f64, t.tai as f64,
    ];
    env.typed(&v)
}

/// errno of a failed part (-1 when it failed otherwise) and its message.
fn outcome<T>(r: &Result<T, Error>) -> (i32, String) {
    match r {
        Ok(_) => (0, String::new()),
        Err(e) => (e.errno().unwrap_or(-1), e.to_string()),
    }
}

/// `hostEthtool(device)`: driver info, link settings and statistics of one interface, each of
/// which may fail on its own: `errors` holds their errnos (0: answered, -1: failed otherwise) and
/// `messages` the reasons, NUL-separated. `driver` is driver, version, firmware version, bus
/// info and expansion ROM version, NUL-separated; `link` is [supported, advertising, autoneg];
/// `statNames` (NUL-separated) and `statValues` line up.
pub fn host_ethtool(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let device = env.get_string(ci.arg(0)?, "device")?;
    let e = ethtool::Ethtool::new().map_err(js_err)?;
    let driver = e.driver_info(&device);
    let link = e.link_settings(&device);
    let stats = e.stats(&device);
    if let Err(err @ Error::Invalid(_)) = &driver {
        return Err(js_err(err.clone()));
    }
    let parts = [outcome(&driver), outcome(&link), outcome(&stats)];
    let o = env.object()?;
    env.set(o, "errors", env.typed(&parts.iter().map(|p| p.0).collect::<Vec<i32>>())?)?;
    env.set(o, "messages", env.string(&parts.iter().map(|p| p.1.as_str()).collect::<Vec<_>>().join("\0"))?)?;
    let d = driver.unwrap_or_default();
    env.set(o, "driver", env.string(&[d.driver, d.version, d.firmware_version, d.bus_info, d.expansion_rom_version].join("\0"))?)?;
    let l = link.unwrap_or_default();
    env.set(o, "link", env.typed(&[f64::from(l.supported), f64::from(l.advertising), f64::from(l.autoneg)])?)?;
    let stats = stats.unwrap_or_default();
    env.set(o, "statNames", env.string(&stats.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join("\0"))?)?;
    env.set(o, "statValues", env.typed(&stats.iter().map(|&(_, v)| v as f64).collect::<Vec<f64>>())?)?;
    Ok(o)
}

/// `hostRoutes()`: every route, one line each (one per next hop of a multipath route), fields
/// tab-separated: family, destination prefix length, protocol, route type, priority, output
/// device name ("" when unknown), destination, preferred source and gateway addresses (as Go
/// prints them), and the next hop's weight ("" for a single-path route). Interface names hold
/// neither tabs nor newlines (the kernel refuses whitespace in them).
pub fn host_routes(env: &Env, _ci: &node_api::CallInfo) -> JsResult<Value> {
    let links = route::links().map_err(js_err)?;
    let routes = route::routes().map_err(js_err)?;
    let name = |i: u32| links.get(&i).map(String::as_str).unwrap_or("");
    let mut out = String::new();
    for r in &routes {
        let head = format!("{}\t{}\t{}\t{}\t{}", r.family, r.dst_len, r.protocol, r.route_type, r.priority);
        let (dst, src) = (route::ip_string(&r.dst), route::ip_string(&r.src));
        if r.multipath.is_empty() {
            out.push_str(&format!("{head}\t{}\t{dst}\t{src}\t{}\t\n", name(r.oif), route::ip_string(&r.gateway)));
        }
        for h in &r.multipath {
            out.push_str(&format!("{head}\t{}\t{dst}\t{src}\t{}\t{}\n", name(h.ifindex), route::ip_string(&h.gateway), u32::from(h.hops) + 1));
        }
    }
    env.string(&out)
}

/// `hostQdiscs()`: every queueing discipline. `names` holds each one's device ("" when unknown)
/// and kind, NUL-separated (device, kind, device, kind, ...); `values` nine numbers each: parent,
/// handle, bytes, packets, drops, requeues, overlimits, queue length, backlog.
pub fn host_qdiscs(env: &Env, _ci: &node_api::CallInfo) -> JsResult<Value> {
    let all = qdisc::qdiscs().map_err(js_err)?;
    let mut names = Vec::with_capacity(all.len() * 2);
    let mut values = Vec::with_capacity(all.len() * 9);
    for (device, q) in &all {
        names.extend([device.as_str(), q.kind.as_str()]);
        values.extend([q.parent, q.handle].map(f64::from));
        values.push(q.bytes as f64);
        values.extend([q.packets, q.drops, q.requeues, q.overlimits, q.qlen, q.backlog].map(f64::from));
    }
    let o = env.object()?;
    env.set(o, "names", env.string(&names.join("\0"))?)?;
    env.set(o, "values", env.typed_vec(values)?)?;
    Ok(o)
}

/// The code of an error as JavaScript sees it: the errno name of a failed system call.
fn error_code(e: &Error) -> &'static str {
    match e {
        Error::Os { errno, .. } => errno_name(*errno),
        Error::Invalid(_) => "ERR_INVALID_ARG_VALUE",
        Error::Malformed(_) => "EMALFORMED",
        Error::Unsupported(_) => "ERR_UNSUPPORTED_PLATFORM",
    }
}

/// `hostWifiInterfaces()`: nl80211's interfaces. When nl80211 cannot be opened (no such family:
/// no WiFi driver) `openError` holds the code and `openMessage` the reason, and nothing else is
/// asked; otherwise `names` holds the interface names NUL-separated, `values` four numbers each
/// (index, type, frequency in MHz, address length, -1 when the kernel sent none) and `macs` the
/// addresses one after another. A failed interface dump throws.
pub fn host_wifi_interfaces(env: &Env, _ci: &node_api::CallInfo) -> JsResult<Value> {
    let o = env.object()?;
    let (interfaces, open_error) = match wifi::Nl80211::open() {
        Ok(mut nl) => (nl.interfaces().map_err(js_err)?, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    env.set(o, "openError", env.string(open_error.as_ref().map(error_code).unwrap_or(""))?)?;
    env.set(o, "openMessage", env.string(&open_error.map(|e| e.to_string()).unwrap_or_default())?)?;
    let mut values = Vec::with_capacity(interfaces.len() * 4);
    let mut macs: Vec<u8> = Vec::new();
    for ifi in &interfaces {
        values.extend([ifi.index, ifi.iftype, ifi.frequency].map(f64::from));
        values.push(ifi.mac.as_ref().map_or(-1.0, |m| m.len() as f64));
        macs.extend(ifi.mac.iter().flatten());
    }
    env.set(o, "names", env.string(&interfaces.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join("\0"))?)?;
    env.set(o, "values", env.typed_vec(values)?)?;
    env.set(o, "macs", env.typed_vec(macs)?)?;
    Ok(o)
}

/// The interface index and optional address (a Uint8Array, or null) that name a WiFi interface.
fn wifi_interface_args(env: &Env, ci: &node_api::CallInfo) -> JsResult<(u32, Option<Vec<u8>>)> {
    let index = env.get_u32(ci.arg(0)?, "index")?;
    let mac = ci.arg(1)?;
    let mac = match env.type_of(mac)? {
        JsType::Null | JsType::Undefined => None,
        _ => Some(env.get_typed::<u8>(mac, "mac")?.to_vec()),
    };
    Ok((index, mac))
}

/// `hostWifiBss(index, mac)`: the BSS the interface is in, `{ bssid, ssid, status }` (bssid as
/// Go prints a hardware address), or null when it is in none.
pub fn host_wifi_bss(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let (index, mac) = wifi_interface_args(env, ci)?;
    let bss = wifi::Nl80211::open().and_then(|mut nl| nl.bss(index, mac.as_deref())).map_err(js_err)?;
    let Some(bss) = bss else { return env.null() };
    let o = env.object()?;
    env.set(o, "bssid", env.string(&wifi::mac_string(&bss.bssid))?)?;
    env.set(o, "ssid", env.string(&bss.ssid)?)?;
    env.set(o, "status", env.uint32(bss.status)?)?;
    Ok(o)
}

/// `hostWifiStations(index, mac)`: the interface's stations, or null when there are none: `macs`
/// their addresses NUL-separated (as Go prints them), `values` ten numbers each: seconds
/// connected, seconds inactive, receive and transmit bits per second, bytes received and
/// transmitted, signal in dBm, transmit retries, transmit failures, beacon losses.
pub fn host_wifi_stations(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let (index, mac) = wifi_interface_args(env, ci)?;
    let stations = wifi::Nl80211::open().and_then(|mut nl| nl.stations(index, mac.as_deref())).map_err(js_err)?;
    let Some(stations) = stations else { return env.null() };
    let mut values = Vec::with_capacity(stations.len() * 10);
    for s in &stations {
        values.extend([f64::from(s.connected_seconds), f64::from(s.inactive_ms) / 1000.0, s.receive_bitrate as f64, s.transmit_bitrate as f64, s.received_bytes as f64, s.transmitted_bytes as f64]);
        values.extend([f64::from(s.signal_dbm), f64::from(s.transmit_retries), f64::from(s.transmit_failed), f64::from(s.beacon_loss)]);
    }
    let o = env.object()?;
    env.set(o, "macs", env.string(&stations.iter().map(|s| wifi::mac_string(&s.mac)).collect::<Vec<_>>().join("\0"))?)?;
    env.set(o, "values", env.typed_vec(values)?)?;
    Ok(o)
}

/// `hostTcpStates(family)`: sockets per state byte (256 entries), then the receive and send
/// queues summed, then how many sockets there were.
pub fn host_tcp_states(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let family = env.get_u32(ci.arg(0)?, "family")?;
    let family = u8::try_from(family).map_err(|_| JsError::with_code("ERR_INVALID_ARG_VALUE", format!("address family {family} out of range")))?;
    let s = sockdiag::tcp_states(family).map_err(js_err)?;
    let mut v: Vec<f64> = s.by_state.iter().map(|&n| n as f64).collect();
    v.extend([s.rx_queued as f64, s.tx_queued as f64, s.sockets as f64]);
    env.typed_vec(v)
}

struct PerfHandle(perf::Counters);
impl Class for PerfHandle {
    const TAG: u64 = 0x5052_4d54_5045_5246;
}

/// `new NativePerfCounters(cpus: Int32Array, events: Float64Array, tracepoints: Float64Array)`:
/// `events` holds (type, config) pairs, `tracepoints` tracepoint ids; opens and enables them.
pub fn perf_new(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let cpus = env.get_typed::<i32>(ci.arg(0)?, "cpus")?;
    let pairs = env.get_typed::<f64>(ci.arg(1)?, "events")?;
    let tracepoints: Vec<u64> = env.get_typed::<f64>(ci.arg(2)?, "tracepoints")?.iter().map(|&x| x as u64).collect();
    if pairs.len() % 2 != 0 {
        return Err(JsError::with_code("ERR_INVALID_ARG_VALUE", "events must hold (type, config) pairs"));
    }
    let events: Vec<perf::Event> = pairs.chunks(2).map(|p| perf::Event { kind: p[0] as u32, config: p[1] as u64 }).collect();
    let counters = perf::Counters::open(cpus, &events, &tracepoints).map_err(js_err)?;
    env.wrap(ci.this, PerfHandle(counters))?;
    env.undefined()
}

/// `openErrors()`: errno per (cpu, event) that could not be opened, 0 for the open ones.
pub fn perf_open_errors(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    env.typed(env.unwrap::<PerfHandle>(ci.this)?.0.open_errors())
}

/// `read()`: cpus x events counts (NaN where not open), then cpus x tracepoints.
pub fn perf_read(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let values = env.unwrap::<PerfHandle>(ci.this)?.0.read().map_err(js_err)?;
    env.typed_vec(values)
}
