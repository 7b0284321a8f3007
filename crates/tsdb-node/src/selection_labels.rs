//! A selection's label sets as they cross to JavaScript: every string of the selection's label
//! table once, then each set as (name, value) string ids, so that JavaScript makes one string
//! per distinct text rather than two per label per series (src/storage/label-codec.ts reads it).
//!
//! Layout (little-endian): u32 string count, u32 text bytes, a u32 byte length per string, the
//! strings' UTF-8 text back to back, u32 set count, then per set a u16 label count and a
//! (u32 name id, u32 value id) per label.

use crate::{api_json, selection_of};
use node_api::{Env, JsError, JsResult, Value};
use tsdb::db::LabelTable;

pub(crate) fn encode_label_table(t: &LabelTable) -> JsResult<Vec<u8>> {
    let too_big = || JsError::with_code("ERR_QUERY_MEMORY", "the selection's labels do not fit in one buffer of 4 GiB");
    let strings = t.string_count();
    let text: usize = (0..strings).map(|i| t.string(i as u32).len()).sum();
    let pairs: usize = (0..t.len()).map(|i| t.pairs(i).len()).sum();
    let size = 12 + 4 * strings + text + 2 * t.len() + 8 * pairs;
    let mut b = Vec::with_capacity(size);
    let u32_of = |x: usize| u32::try_from(x).map_err(|_| too_big());
    b.extend_from_slice(&u32_of(strings)?.to_le_bytes());
    b.extend_from_slice(&u32_of(text)?.to_le_bytes());
    for i in 0..strings {
        b.extend_from_slice(&(t.string(i as u32).len() as u32).to_le_bytes());
    }
    for i in 0..strings {
        b.extend_from_slice(t.string(i as u32).as_bytes());
    }
    b.extend_from_slice(&u32_of(t.len())?.to_le_bytes());
    for i in 0..t.len() {
        let set = t.pairs(i);
        let n = u16::try_from(set.len()).map_err(|_| JsError::with_code("ERR_INVALID_STATE", "a label set has more than 65535 labels"))?;
        b.extend_from_slice(&n.to_le_bytes());
        for &(name, value) in set {
            b.extend_from_slice(&name.to_le_bytes());
            b.extend_from_slice(&value.to_le_bytes());
        }
    }
    debug_assert_eq!(b.len(), size);
    Ok(b)
}

/// `labels(into?)`: the label-set buffer, in `into` (a Uint8Array from an earlier call, so the
/// bytes land in memory already mapped) when it fits: then a view of its first bytes.
pub(crate) fn sel_labels(env: &Env, ci: &node_api::CallInfo) -> JsResult<Value> {
    let s = selection_of(env, ci.this)?;
    let into = match ci.args.first() {
        Some(&v) if !matches!(env.type_of(v)?, node_api::JsType::Undefined | node_api::JsType::Null) => Some(v),
        _ => None,
    };
    api_json::copy_out(env, &encode_label_table(s.label_table())?, into)
}
