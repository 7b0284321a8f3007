//! `encodeMatrixJson`: a range query's dense result as the HTTP API's JSON (crates/api-json), in
//! one call: the rows' metric objects come as one string (JSON texts joined by newlines, which
//! JSON.stringify never leaves raw inside one), the values and presence mask as typed arrays.

use node_api::{Env, JsError, JsResult, Value};

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
    let rows: Vec<&str> = if metrics.is_empty() { Vec::new() } else { metrics.split('\n').collect() };
    let m = api_json::DenseMatrix { metrics: rows, values, present, steps, start_ms, step_ms };
    let bytes = api_json::encode_matrix(&prefix, &m, order, &suffix).map_err(|e| JsError::with_code("ERR_INVALID_ARG_VALUE", e.0))?;
    // A copy into a JavaScript-owned buffer, so a query worker can transfer it to the main thread.
    env.typed(&bytes)
}
