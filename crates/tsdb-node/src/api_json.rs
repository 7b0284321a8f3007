//! `encodeMatrixJson`: a range query's dense result as the HTTP API's JSON (crates/api-json), in
//! one call: the rows' metric objects come as one string (JSON texts joined by newlines, which
//! JSON.stringify never leaves raw inside one), the values and presence mask as typed arrays.
//!
//! Memory already mapped is reused: the text is built in this thread's scratch buffer (kept
//! between calls up to `KEEP_SCRATCH_BYTES`) and copied into `into`, a Uint8Array the caller
//! passes back from an earlier answer, when it is large enough. A fresh buffer per answer costs a
//! page fault per 4 KiB written, twice (the scratch and the JavaScript copy); on a virtual
//! machine that was more than formatting the numbers.

use std::cell::RefCell;

use node_api::{Env, JsError, JsResult, JsType, Value};

/// The scratch buffer a thread keeps after an answer; larger ones are given back.
const KEEP_SCRATCH_BYTES: usize = 32 << 20;

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

pub fn encode_matrix_json(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let prefix = env.get_string(ci.arg(0)?, "prefix")?;
    let metrics = env.get_string(ci.arg(1)?, "metrics")?;
    let values = env.get_typed::<f64>(ci.arg(2)?, "values")?;
    let present = env.get_typed::<u8>(ci.arg(3)?, "present")?;
    let order = env.get_typed::<u32>(ci.arg(4)?, "order")?;
    let steps = env.get_u32(ci.arg(5)?, "steps")? as usize;
    let start_ms = env.get_i64(ci.arg(6)?, "startMs")?;
    let step_ms = env.get_i64(ci.arg(7)?, "stepMs")?;
    let suffix = env.get_string(ci.arg(8)?, "suffix")?;
    let into = match ci.args.get(9) {
        Some(&v) if !matches!(env.type_of(v)?, JsType::Undefined | JsType::Null) => Some(v),
        _ => None,
    };
    let rows: Vec<&str> = if metrics.is_empty() { Vec::new() } else { metrics.split('\n').collect() };
    let m = api_json::DenseMatrix { metrics: rows, values, present, steps, start_ms, step_ms };
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        let encoded = api_json::encode_matrix_into(&mut scratch, &prefix, &m, order, &suffix).map_err(|e| JsError::with_code("ERR_INVALID_ARG_VALUE", e.0));
        let answer = encoded.and_then(|()| copy_out(env, &scratch, into));
        if scratch.capacity() > KEEP_SCRATCH_BYTES {
            *scratch = Vec::new();
        }
        answer
    })
}

/// The answer as a JavaScript Uint8Array: in `into`'s memory when it fits (a view of its first
/// bytes), else a new buffer with an eighth to spare, so that a similar answer fits it next time.
pub(crate) fn copy_out(env: &Env, bytes: &[u8], into: Option<Value>) -> JsResult<Value> {
    if let Some(into) = into {
        let target = env.get_bytes_mut(into, "into")?;
        if target.len() >= bytes.len() {
            target[..bytes.len()].copy_from_slice(bytes);
            return env.bytes_prefix(into, bytes.len());
        }
    }
    env.bytes_with_capacity(bytes, bytes.len() + bytes.len() / 8)
}
