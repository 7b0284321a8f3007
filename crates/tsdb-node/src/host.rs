//! The node exporter's system-call collectors (crates/sysinfo-linux) for JavaScript: adjtimex,
//! ethtool, the route dump, TCP socket states and perf counters. Each call answers with one
//! typed array or one small object of strings and typed arrays; the collectors in
//! src/node-exporter/collectors/ name and label the values.

use node_api::{Class, Env, JsError, JsResult, Value};
use sysinfo_linux::{errno_name, ethtool, perf, route, sockdiag, timex, Error};

fn js_err(e: Error) -> JsError {
    match &e {
        Error::Os { errno, .. } => JsError::with_code(errno_name(*errno), e.to_string()),
        Error::Invalid(_) => JsError::with_code("ERR_INVALID_ARG_VALUE", e.to_string()),
        Error::Malformed(_) => JsError::with_code("EMALFORMED", e.to_string()),
        Error::Unsupported(_) => JsError::with_code("ERR_UNSUPPORTED_PLATFORM", e.to_string()),
    }
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
