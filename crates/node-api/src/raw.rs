//! The Node-API C functions we use, declared by hand (crates.io's napi-sys is out of reach).
//! Signatures follow `node_api.h` / `js_native_api.h` (Node-API version 8, Node >= 12.22).
//! The symbols are resolved when Node loads the addon: on Linux they stay undefined in the addon
//! and the loader finds them in the process; macOS needs `-undefined dynamic_lookup` for the same
//! (crates/tsdb-node/build.rs); Windows binds every import to a named DLL at link time, so there
//! they are imported from `node.exe` itself, without an import library (`raw-dylib`).
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_void};

#[repr(C)]
pub struct napi_env__ {
    _p: [u8; 0],
}
#[repr(C)]
pub struct napi_value__ {
    _p: [u8; 0],
}
#[repr(C)]
pub struct napi_callback_info__ {
    _p: [u8; 0],
}
#[repr(C)]
pub struct napi_ref__ {
    _p: [u8; 0],
}
#[repr(C)]
pub struct napi_deferred__ {
    _p: [u8; 0],
}
#[repr(C)]
pub struct napi_async_work__ {
    _p: [u8; 0],
}

pub type napi_env = *mut napi_env__;
pub type napi_value = *mut napi_value__;
pub type napi_callback_info = *mut napi_callback_info__;
pub type napi_ref = *mut napi_ref__;
pub type napi_deferred = *mut napi_deferred__;
pub type napi_async_work = *mut napi_async_work__;
pub type napi_status = i32;

pub const NAPI_OK: napi_status = 0;
pub const NAPI_STRING_EXPECTED: napi_status = 3;
pub const NAPI_NUMBER_EXPECTED: napi_status = 6;
pub const NAPI_PENDING_EXCEPTION: napi_status = 10;

pub type napi_callback = Option<unsafe extern "C" fn(env: napi_env, info: napi_callback_info) -> napi_value>;
pub type napi_finalize = Option<unsafe extern "C" fn(env: napi_env, data: *mut c_void, hint: *mut c_void)>;
pub type napi_async_execute_callback = Option<unsafe extern "C" fn(env: napi_env, data: *mut c_void)>;
pub type napi_async_complete_callback = Option<unsafe extern "C" fn(env: napi_env, status: napi_status, data: *mut c_void)>;

// napi_valuetype
pub const NAPI_UNDEFINED: i32 = 0;
pub const NAPI_NULL: i32 = 1;
pub const NAPI_BOOLEAN: i32 = 2;
pub const NAPI_NUMBER: i32 = 3;
pub const NAPI_STRING: i32 = 4;
pub const NAPI_OBJECT: i32 = 6;
pub const NAPI_EXTERNAL: i32 = 8;

// napi_typedarray_type
pub const NAPI_UINT8_ARRAY: i32 = 1;
pub const NAPI_INT32_ARRAY: i32 = 5;
pub const NAPI_UINT32_ARRAY: i32 = 6;
pub const NAPI_FLOAT64_ARRAY: i32 = 8;

// napi_property_attributes
pub const NAPI_DEFAULT: i32 = 0;

#[repr(C)]
pub struct napi_property_descriptor {
    pub utf8name: *const c_char,
    pub name: napi_value,
    pub method: napi_callback,
    pub getter: napi_callback,
    pub setter: napi_callback,
    pub value: napi_value,
    pub attributes: i32,
    pub data: *mut c_void,
}

// `+verbatim`: the name is the file name (else `.dll` is appended). An addon built this way needs a
// host executable named node.exe, which is what Node's Windows installer and zip provide.
#[cfg_attr(windows, link(name = "node.exe", kind = "raw-dylib", modifiers = "+verbatim"))]
extern "C" {
    pub fn napi_get_undefined(env: napi_env, result: *mut napi_value) -> napi_status;
    pub fn napi_get_null(env: napi_env, result: *mut napi_value) -> napi_status;
    pub fn napi_get_boolean(env: napi_env, value: bool, result: *mut napi_value) -> napi_status;
    pub fn napi_create_double(env: napi_env, value: f64, result: *mut napi_value) -> napi_status;
    pub fn napi_create_uint32(env: napi_env, value: u32, result: *mut napi_value) -> napi_status;
    pub fn napi_create_string_utf8(env: napi_env, s: *const c_char, length: usize, result: *mut napi_value) -> napi_status;
    pub fn napi_create_object(env: napi_env, result: *mut napi_value) -> napi_status;
    pub fn napi_create_array_with_length(env: napi_env, length: usize, result: *mut napi_value) -> napi_status;
    pub fn napi_create_error(env: napi_env, code: napi_value, msg: napi_value, result: *mut napi_value) -> napi_status;
    pub fn napi_create_external(env: napi_env, data: *mut c_void, finalize_cb: napi_finalize, finalize_hint: *mut c_void, result: *mut napi_value) -> napi_status;
    pub fn napi_create_arraybuffer(env: napi_env, byte_length: usize, data: *mut *mut c_void, result: *mut napi_value) -> napi_status;
    pub fn napi_create_external_arraybuffer(env: napi_env, external_data: *mut c_void, byte_length: usize, finalize_cb: napi_finalize, finalize_hint: *mut c_void, result: *mut napi_value) -> napi_status;
    pub fn napi_create_typedarray(env: napi_env, kind: i32, length: usize, arraybuffer: napi_value, byte_offset: usize, result: *mut napi_value) -> napi_status;
    pub fn napi_create_function(env: napi_env, utf8name: *const c_char, length: usize, cb: napi_callback, data: *mut c_void, result: *mut napi_value) -> napi_status;
    pub fn napi_create_promise(env: napi_env, deferred: *mut napi_deferred, promise: *mut napi_value) -> napi_status;
    pub fn napi_resolve_deferred(env: napi_env, deferred: napi_deferred, resolution: napi_value) -> napi_status;
    pub fn napi_reject_deferred(env: napi_env, deferred: napi_deferred, rejection: napi_value) -> napi_status;

    pub fn napi_typeof(env: napi_env, value: napi_value, result: *mut i32) -> napi_status;
    pub fn napi_is_array(env: napi_env, value: napi_value, result: *mut bool) -> napi_status;
    pub fn napi_is_typedarray(env: napi_env, value: napi_value, result: *mut bool) -> napi_status;
    pub fn napi_get_value_double(env: napi_env, value: napi_value, result: *mut f64) -> napi_status;
    pub fn napi_get_value_uint32(env: napi_env, value: napi_value, result: *mut u32) -> napi_status;
    pub fn napi_get_value_bool(env: napi_env, value: napi_value, result: *mut bool) -> napi_status;
    pub fn napi_get_value_string_utf8(env: napi_env, value: napi_value, buf: *mut c_char, bufsize: usize, result: *mut usize) -> napi_status;
    pub fn napi_get_value_external(env: napi_env, value: napi_value, result: *mut *mut c_void) -> napi_status;
    pub fn napi_get_typedarray_info(env: napi_env, typedarray: napi_value, kind: *mut i32, length: *mut usize, data: *mut *mut c_void, arraybuffer: *mut napi_value, byte_offset: *mut usize) -> napi_status;
    pub fn napi_get_array_length(env: napi_env, value: napi_value, result: *mut u32) -> napi_status;
    pub fn napi_get_element(env: napi_env, object: napi_value, index: u32, result: *mut napi_value) -> napi_status;
    pub fn napi_set_element(env: napi_env, object: napi_value, index: u32, value: napi_value) -> napi_status;
    pub fn napi_get_named_property(env: napi_env, object: napi_value, utf8name: *const c_char, result: *mut napi_value) -> napi_status;
    pub fn napi_set_named_property(env: napi_env, object: napi_value, utf8name: *const c_char, value: napi_value) -> napi_status;

    pub fn napi_get_cb_info(env: napi_env, cbinfo: napi_callback_info, argc: *mut usize, argv: *mut napi_value, this_arg: *mut napi_value, data: *mut *mut c_void) -> napi_status;
    pub fn napi_define_class(env: napi_env, utf8name: *const c_char, length: usize, constructor: napi_callback, data: *mut c_void, property_count: usize, properties: *const napi_property_descriptor, result: *mut napi_value) -> napi_status;
    pub fn napi_new_instance(env: napi_env, constructor: napi_value, argc: usize, argv: *const napi_value, result: *mut napi_value) -> napi_status;
    pub fn napi_wrap(env: napi_env, js_object: napi_value, native_object: *mut c_void, finalize_cb: napi_finalize, finalize_hint: *mut c_void, result: *mut napi_ref) -> napi_status;
    pub fn napi_unwrap(env: napi_env, js_object: napi_value, result: *mut *mut c_void) -> napi_status;

    pub fn napi_create_reference(env: napi_env, value: napi_value, initial_refcount: u32, result: *mut napi_ref) -> napi_status;
    pub fn napi_get_reference_value(env: napi_env, r: napi_ref, result: *mut napi_value) -> napi_status;
    pub fn napi_delete_reference(env: napi_env, r: napi_ref) -> napi_status;
    pub fn napi_set_instance_data(env: napi_env, data: *mut c_void, finalize_cb: napi_finalize, finalize_hint: *mut c_void) -> napi_status;
    pub fn napi_get_instance_data(env: napi_env, data: *mut *mut c_void) -> napi_status;

    pub fn napi_throw(env: napi_env, error: napi_value) -> napi_status;
    pub fn napi_is_exception_pending(env: napi_env, result: *mut bool) -> napi_status;

    pub fn napi_create_async_work(env: napi_env, async_resource: napi_value, async_resource_name: napi_value, execute: napi_async_execute_callback, complete: napi_async_complete_callback, data: *mut c_void, result: *mut napi_async_work) -> napi_status;
    pub fn napi_queue_async_work(env: napi_env, work: napi_async_work) -> napi_status;
    pub fn napi_delete_async_work(env: napi_env, work: napi_async_work) -> napi_status;
}
