//! A small safe layer over Node-API: values, strings, typed arrays, objects, classes with wrapped
//! native state, errors thrown as JS exceptions, and async work on Node's thread pool.
//!
//! Callbacks are plain Rust functions `fn(&Env, &CallInfo) -> JsResult<Value>`; a trampoline
//! catches errors and panics and turns them into JavaScript exceptions, so no Rust failure can
//! take the Node process down.

pub mod raw;

use raw::*;
use std::ffi::{c_void, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

/// An error to be thrown in JavaScript: `new Error(message)` with an optional `code`.
#[derive(Debug, Clone)]
pub struct JsError {
    pub message: String,
    pub code: Option<&'static str>,
}

impl JsError {
    pub fn new(message: impl Into<String>) -> JsError {
        JsError { message: message.into(), code: None }
    }
    pub fn with_code(code: &'static str, message: impl Into<String>) -> JsError {
        JsError { message: message.into(), code: Some(code) }
    }
    pub fn type_error(message: impl Into<String>) -> JsError {
        JsError::with_code("ERR_INVALID_ARG_TYPE", message)
    }
}

pub type JsResult<T> = Result<T, JsError>;

fn check(status: napi_status, what: &str) -> JsResult<()> {
    if status == NAPI_OK {
        Ok(())
    } else {
        Err(JsError::new(format!("Node-API call {what} failed (status {status})")))
    }
}

/// A JavaScript value, valid during the current callback.
#[derive(Clone, Copy, Debug)]
pub struct Value(napi_value);

impl Value {
    pub fn raw(self) -> napi_value {
        self.0
    }
}

/// The JavaScript type of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsType {
    Undefined,
    Null,
    Boolean,
    Number,
    String,
    Object,
    External,
    Other,
}

/// Typed arrays up to this size are copied into a V8-owned buffer rather than handed over (see
/// `Env::typed_vec`).
const COPY_TYPED_MAX_BYTES: usize = 16 * 1024;

/// `Env::get_string` reads strings shorter than this in one call.
const SMALL_STRING_BYTES: usize = 256;

/// The environment of the current call.
#[derive(Clone, Copy)]
pub struct Env(napi_env);

/// The arguments and receiver of a call.
pub struct CallInfo {
    pub this: Value,
    pub args: Vec<Value>,
}

impl CallInfo {
    pub fn arg(&self, i: usize) -> JsResult<Value> {
        self.args.get(i).copied().ok_or_else(|| JsError::type_error(format!("argument {} is missing", i + 1)))
    }
}

/// A native function callable from JavaScript.
pub type Callback = fn(&Env, &CallInfo) -> JsResult<Value>;

/// Implemented by native types wrapped in JavaScript objects. `TAG` tells our classes apart so a
/// method called with a foreign `this` fails cleanly instead of misreading memory.
pub trait Class: 'static {
    const TAG: u64;
}

#[repr(C)]
struct Tagged<T> {
    tag: u64,
    value: T,
}

unsafe extern "C" fn finalize_tagged<T: Class>(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: data was produced by Box::into_raw in Env::wrap for this T.
    drop(unsafe { Box::from_raw(data as *mut Tagged<T>) });
}

/// The `T` in a `Tagged<T>` we boxed (a wrapped object's data or an External's), or None when
/// the tag says it holds another class.
fn tagged_value<'a, T: Class>(p: *mut c_void) -> Option<&'a T> {
    // Every wrapped object and External of ours starts with the tag word (repr(C) Tagged<T>).
    // SAFETY: p points to a Tagged<_> we created; the tag is its first field.
    let tag = unsafe { *(p as *const u64) };
    // SAFETY: the tag proves the type; the JS value keeps the data alive during the call.
    (tag == T::TAG).then(|| unsafe { &(*(p as *const Tagged<T>)).value })
}

unsafe extern "C" fn trampoline(env: napi_env, info: napi_callback_info) -> napi_value {
    let e = Env(env);
    let result = catch_unwind(AssertUnwindSafe(|| -> JsResult<Value> {
        let mut argc: usize = 16;
        let mut argv = [ptr::null_mut(); 16];
        let mut this = ptr::null_mut();
        let mut data = ptr::null_mut();
        // SAFETY: buffers sized as declared in argc.
        check(unsafe { napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), &mut this, &mut data) }, "napi_get_cb_info")?;
        // SAFETY: data is the Callback fn pointer stored when the function was created.
        let f: Callback = unsafe { std::mem::transmute::<*mut c_void, Callback>(data) };
        let ci = CallInfo { this: Value(this), args: argv[..argc.min(16)].iter().map(|&v| Value(v)).collect() };
        f(&e, &ci)
    }));
    match result {
        Ok(Ok(v)) => v.0,
        Ok(Err(err)) => {
            e.throw(&err);
            ptr::null_mut()
        }
        Err(panic) => {
            let msg = panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_else(|| "unknown panic".into());
            e.throw(&JsError::with_code("ERR_NATIVE_PANIC", format!("internal error in the native addon: {msg}")));
            ptr::null_mut()
        }
    }
}

fn cstring(s: &str) -> JsResult<CString> {
    CString::new(s).map_err(|_| JsError::new(format!("name {s:?} contains a NUL byte")))
}

/// Element types of typed arrays we exchange.
pub trait TypedElement: Copy {
    const KIND: i32;
    const NAME: &'static str;
}
impl TypedElement for u8 {
    const KIND: i32 = NAPI_UINT8_ARRAY;
    const NAME: &'static str = "Uint8Array";
}
impl TypedElement for i32 {
    const KIND: i32 = NAPI_INT32_ARRAY;
    const NAME: &'static str = "Int32Array";
}
impl TypedElement for u32 {
    const KIND: i32 = NAPI_UINT32_ARRAY;
    const NAME: &'static str = "Uint32Array";
}
impl TypedElement for f64 {
    const KIND: i32 = NAPI_FLOAT64_ARRAY;
    const NAME: &'static str = "Float64Array";
}

impl Env {
    pub fn from_raw(env: napi_env) -> Env {
        Env(env)
    }

    pub fn raw(&self) -> napi_env {
        self.0
    }

    /// Throws `err` unless an exception is already pending.
    pub fn throw(&self, err: &JsError) {
        let mut pending = false;
        // SAFETY: valid env; out-pointer to a local.
        unsafe { napi_is_exception_pending(self.0, &mut pending) };
        if pending {
            return;
        }
        if let Ok(e) = self.error(err) {
            // SAFETY: e is a value created in this env.
            unsafe { napi_throw(self.0, e.0) };
        }
    }

    pub fn error(&self, err: &JsError) -> JsResult<Value> {
        let msg = self.string(&err.message)?;
        let code = match err.code {
            Some(c) => self.string(c)?.0,
            None => ptr::null_mut(),
        };
        let mut out = ptr::null_mut();
        // SAFETY: values from this env; out-pointer to a local.
        check(unsafe { napi_create_error(self.0, code, msg.0, &mut out) }, "napi_create_error")?;
        Ok(Value(out))
    }

    pub fn undefined(&self) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        // SAFETY: out-pointer to a local.
        check(unsafe { napi_get_undefined(self.0, &mut v) }, "napi_get_undefined")?;
        Ok(Value(v))
    }

    pub fn null(&self) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        // SAFETY: out-pointer to a local.
        check(unsafe { napi_get_null(self.0, &mut v) }, "napi_get_null")?;
        Ok(Value(v))
    }

    pub fn boolean(&self, b: bool) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        // SAFETY: out-pointer to a local.
        check(unsafe { napi_get_boolean(self.0, b, &mut v) }, "napi_get_boolean")?;
        Ok(Value(v))
    }

    pub fn double(&self, x: f64) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        // SAFETY: out-pointer to a local.
        check(unsafe { napi_create_double(self.0, x, &mut v) }, "napi_create_double")?;
        Ok(Value(v))
    }

    pub fn uint32(&self, x: u32) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        // SAFETY: out-pointer to a local.
        check(unsafe { napi_create_uint32(self.0, x, &mut v) }, "napi_create_uint32")?;
        Ok(Value(v))
    }

    pub fn string(&self, s: &str) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        // SAFETY: pointer and length describe s.
        check(unsafe { napi_create_string_utf8(self.0, s.as_ptr() as *const _, s.len(), &mut v) }, "napi_create_string_utf8")?;
        Ok(Value(v))
    }

    pub fn object(&self) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        // SAFETY: out-pointer to a local.
        check(unsafe { napi_create_object(self.0, &mut v) }, "napi_create_object")?;
        Ok(Value(v))
    }

    pub fn array(&self, items: &[Value]) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        // SAFETY: out-pointer to a local.
        check(unsafe { napi_create_array_with_length(self.0, items.len(), &mut v) }, "napi_create_array_with_length")?;
        for (i, item) in items.iter().enumerate() {
            // SAFETY: values from this env.
            check(unsafe { napi_set_element(self.0, v, i as u32, item.0) }, "napi_set_element")?;
        }
        Ok(Value(v))
    }

    pub fn string_array<S: AsRef<str>>(&self, items: &[S]) -> JsResult<Value> {
        let vals: Vec<Value> = items.iter().map(|s| self.string(s.as_ref())).collect::<JsResult<_>>()?;
        self.array(&vals)
    }

    pub fn set(&self, obj: Value, key: &str, value: Value) -> JsResult<()> {
        let k = cstring(key)?;
        // SAFETY: values from this env; k is NUL-terminated.
        check(unsafe { napi_set_named_property(self.0, obj.0, k.as_ptr(), value.0) }, "napi_set_named_property")
    }

    /// A property, or None when it is absent or undefined (one lookup: an absent property reads
    /// as undefined).
    pub fn get(&self, obj: Value, key: &str) -> JsResult<Option<Value>> {
        let k = cstring(key)?;
        let mut v = ptr::null_mut();
        // SAFETY: values from this env; k is NUL-terminated.
        check(unsafe { napi_get_named_property(self.0, obj.0, k.as_ptr(), &mut v) }, "napi_get_named_property")?;
        let v = Value(v);
        Ok(if self.type_of(v)? == JsType::Undefined { None } else { Some(v) })
    }

    pub fn type_of(&self, v: Value) -> JsResult<JsType> {
        let mut t = 0;
        // SAFETY: out-pointer to a local.
        check(unsafe { napi_typeof(self.0, v.0, &mut t) }, "napi_typeof")?;
        Ok(match t {
            NAPI_UNDEFINED => JsType::Undefined,
            NAPI_NULL => JsType::Null,
            NAPI_BOOLEAN => JsType::Boolean,
            NAPI_NUMBER => JsType::Number,
            NAPI_STRING => JsType::String,
            NAPI_OBJECT => JsType::Object,
            NAPI_EXTERNAL => JsType::External,
            _ => JsType::Other,
        })
    }

    fn expect(&self, v: Value, t: JsType, what: &str) -> JsResult<()> {
        let got = self.type_of(v)?;
        if got == t {
            Ok(())
        } else {
            Err(JsError::type_error(format!("{what} must be a {t:?}, got {got:?}").to_lowercase()))
        }
    }

    pub fn get_f64(&self, v: Value, what: &str) -> JsResult<f64> {
        let mut x = 0.0;
        // SAFETY: out-pointer to a local. A value of another type is refused by Node-API itself,
        // so the type is only asked for to say what came instead.
        let status = unsafe { napi_get_value_double(self.0, v.0, &mut x) };
        if status == NAPI_NUMBER_EXPECTED {
            self.expect(v, JsType::Number, what)?;
        }
        check(status, "napi_get_value_double")?;
        Ok(x)
    }

    /// A number that must be an integer (e.g. a millisecond timestamp).
    pub fn get_i64(&self, v: Value, what: &str) -> JsResult<i64> {
        let x = self.get_f64(v, what)?;
        if x.fract() != 0.0 || !x.is_finite() || x.abs() > 9.007_199_254_740_991e15 {
            return Err(JsError::type_error(format!("{what} must be an integer, got {x}")));
        }
        Ok(x as i64)
    }

    pub fn get_u32(&self, v: Value, what: &str) -> JsResult<u32> {
        let x = self.get_i64(v, what)?;
        u32::try_from(x).map_err(|_| JsError::type_error(format!("{what} must be between 0 and 2^32-1, got {x}")))
    }

    pub fn get_bool(&self, v: Value, what: &str) -> JsResult<bool> {
        self.expect(v, JsType::Boolean, what)?;
        let mut b = false;
        // SAFETY: out-pointer to a local.
        check(unsafe { napi_get_value_bool(self.0, v.0, &mut b) }, "napi_get_value_bool")?;
        Ok(b)
    }

    pub fn get_string(&self, v: Value, what: &str) -> JsResult<String> {
        // Most strings (label names and values, matcher types) fit a small buffer: one call
        // instead of asking for the length first. Node writes whole characters only, so a cut
        // string filled the buffer to within a character's 4 bytes: then it is read again whole.
        let mut small = [0u8; SMALL_STRING_BYTES];
        let mut written = 0usize;
        // SAFETY: `small` has room for its length, the NUL included.
        let status = unsafe { napi_get_value_string_utf8(self.0, v.0, small.as_mut_ptr() as *mut _, small.len(), &mut written) };
        if status == NAPI_STRING_EXPECTED {
            self.expect(v, JsType::String, what)?;
        }
        check(status, "napi_get_value_string_utf8")?;
        if written + 4 < SMALL_STRING_BYTES {
            return String::from_utf8(small[..written].to_vec()).map_err(|_| JsError::new("string is not valid UTF-8"));
        }
        let mut len = 0usize;
        // SAFETY: a null buffer asks for the length only.
        check(unsafe { napi_get_value_string_utf8(self.0, v.0, ptr::null_mut(), 0, &mut len) }, "napi_get_value_string_utf8")?;
        let mut buf = vec![0u8; len + 1];
        let mut written = 0usize;
        // SAFETY: buf has room for len bytes and the NUL.
        check(unsafe { napi_get_value_string_utf8(self.0, v.0, buf.as_mut_ptr() as *mut _, buf.len(), &mut written) }, "napi_get_value_string_utf8")?;
        buf.truncate(written);
        String::from_utf8(buf).map_err(|_| JsError::new("string is not valid UTF-8"))
    }

    pub fn is_array(&self, v: Value) -> JsResult<bool> {
        let mut b = false;
        // SAFETY: out-pointer to a local.
        check(unsafe { napi_is_array(self.0, v.0, &mut b) }, "napi_is_array")?;
        Ok(b)
    }

    /// The elements of a JS array.
    pub fn get_array(&self, v: Value, what: &str) -> JsResult<Vec<Value>> {
        if !self.is_array(v)? {
            return Err(JsError::type_error(format!("{what} must be an array")));
        }
        let mut n = 0u32;
        // SAFETY: out-pointer to a local.
        check(unsafe { napi_get_array_length(self.0, v.0, &mut n) }, "napi_get_array_length")?;
        (0..n)
            .map(|i| {
                let mut e = ptr::null_mut();
                // SAFETY: index within the length.
                check(unsafe { napi_get_element(self.0, v.0, i, &mut e) }, "napi_get_element")?;
                Ok(Value(e))
            })
            .collect()
    }

    /// Borrows the contents of a typed array of the expected element type. The slice is valid
    /// during the current call (the array is kept alive by the caller's arguments).
    pub fn get_typed<'a, T: TypedElement>(&self, v: Value, what: &str) -> JsResult<&'a [T]> {
        let mut is = false;
        // SAFETY: out-pointer to a local.
        check(unsafe { napi_is_typedarray(self.0, v.0, &mut is) }, "napi_is_typedarray")?;
        if !is {
            return Err(JsError::type_error(format!("{what} must be a {}", T::NAME)));
        }
        let (mut kind, mut len, mut data, mut ab, mut off) = (0, 0usize, ptr::null_mut(), ptr::null_mut(), 0usize);
        // SAFETY: out-pointers to locals.
        check(unsafe { napi_get_typedarray_info(self.0, v.0, &mut kind, &mut len, &mut data, &mut ab, &mut off) }, "napi_get_typedarray_info")?;
        if kind != T::KIND {
            return Err(JsError::type_error(format!("{what} must be a {}", T::NAME)));
        }
        if len == 0 {
            return Ok(&[]);
        }
        // SAFETY: Node reports data/len for this typed array; element type checked above, and
        // typed arrays are aligned to their element size.
        Ok(unsafe { std::slice::from_raw_parts(data as *const T, len) })
    }

    /// The bytes of a Uint8Array, writable. The caller must not hold another slice of the same
    /// memory while writing (a buffer passed twice in one call).
    pub fn get_bytes_mut<'a>(&self, v: Value, what: &str) -> JsResult<&'a mut [u8]> {
        let bytes = self.get_typed::<u8>(v, what)?;
        // SAFETY: a typed array's memory is JavaScript-owned and writable; Node keeps it alive
        // for the duration of the call, and nothing else reads it while the call runs.
        Ok(unsafe { std::slice::from_raw_parts_mut(bytes.as_ptr() as *mut u8, bytes.len()) })
    }

    /// A Uint8Array over the first `len` bytes of `v`'s memory (a Uint8Array): a view, not a copy.
    pub fn bytes_prefix(&self, v: Value, len: usize) -> JsResult<Value> {
        let (mut kind, mut have, mut data, mut ab, mut off) = (0, 0usize, ptr::null_mut(), ptr::null_mut(), 0usize);
        // SAFETY: out-pointers to locals.
        check(unsafe { napi_get_typedarray_info(self.0, v.0, &mut kind, &mut have, &mut data, &mut ab, &mut off) }, "napi_get_typedarray_info")?;
        if kind != u8::KIND || len > have {
            return Err(JsError::new("bytes_prefix: not a Uint8Array of that length"));
        }
        let mut out = ptr::null_mut();
        // SAFETY: the range [off, off + len) lies within the array buffer (checked above).
        check(unsafe { napi_create_typedarray(self.0, u8::KIND, len, ab, off, &mut out) }, "napi_create_typedarray")?;
        Ok(Value(out))
    }

    /// A new Uint8Array of `len` bytes copied from `bytes`, over an array buffer of `capacity`
    /// bytes (at least `len`): room for a later, slightly larger answer in the same memory.
    pub fn bytes_with_capacity(&self, bytes: &[u8], capacity: usize) -> JsResult<Value> {
        let capacity = capacity.max(bytes.len());
        let mut data = ptr::null_mut();
        let mut ab = ptr::null_mut();
        // SAFETY: out-pointers to locals.
        check(unsafe { napi_create_arraybuffer(self.0, capacity, &mut data, &mut ab) }, "napi_create_arraybuffer")?;
        if !bytes.is_empty() {
            // SAFETY: the buffer has `capacity` >= bytes.len() bytes; regions do not overlap.
            unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), data as *mut u8, bytes.len()) };
        }
        let mut v = ptr::null_mut();
        // SAFETY: ab was just created with room for bytes.len() bytes.
        check(unsafe { napi_create_typedarray(self.0, u8::KIND, bytes.len(), ab, 0, &mut v) }, "napi_create_typedarray")?;
        Ok(Value(v))
    }

    /// A new typed array holding a copy of `items`.
    pub fn typed<T: TypedElement>(&self, items: &[T]) -> JsResult<Value> {
        let bytes = std::mem::size_of_val(items);
        let mut data = ptr::null_mut();
        let mut ab = ptr::null_mut();
        // SAFETY: out-pointers to locals.
        check(unsafe { napi_create_arraybuffer(self.0, bytes, &mut data, &mut ab) }, "napi_create_arraybuffer")?;
        if bytes > 0 {
            // SAFETY: the buffer has `bytes` bytes; regions do not overlap.
            unsafe { ptr::copy_nonoverlapping(items.as_ptr() as *const u8, data as *mut u8, bytes) };
        }
        let mut v = ptr::null_mut();
        // SAFETY: ab was just created with room for items.len() elements.
        check(unsafe { napi_create_typedarray(self.0, T::KIND, items.len(), ab, 0, &mut v) }, "napi_create_typedarray")?;
        Ok(Value(v))
    }

    /// A typed array over `items` without copying them: the JavaScript array buffer owns the
    /// vector (freed when it is collected). Large results (a query's steps x series matrices)
    /// then exist once, not twice. Falls back to a copy where external buffers are not allowed.
    /// Small ones are copied: an external buffer costs a weak handle and a finalizer, more than
    /// copying a few kilobytes (measured: an instant selection's result over ten series took
    /// 11 us with external buffers, 6.5 us copied).
    pub fn typed_vec<T: TypedElement>(&self, items: Vec<T>) -> JsResult<Value> {
        if std::mem::size_of_val(items.as_slice()) <= COPY_TYPED_MAX_BYTES {
            return self.typed(&items);
        }
        unsafe extern "C" fn free_vec<T>(_env: napi_env, _data: *mut c_void, hint: *mut c_void) {
            // SAFETY: `hint` is the Box<Vec<T>> leaked by typed_vec, finalized once by Node.
            drop(unsafe { Box::from_raw(hint as *mut Vec<T>) });
        }
        let len = items.len();
        let bytes = std::mem::size_of_val(items.as_slice());
        let mut boxed = Box::new(items);
        let data = boxed.as_mut_ptr() as *mut c_void;
        let hint = Box::into_raw(boxed);
        let mut ab = ptr::null_mut();
        // SAFETY: `data` points at `bytes` bytes owned by the boxed vector, which lives until the finalizer.
        let status = unsafe { napi_create_external_arraybuffer(self.0, data, bytes, Some(free_vec::<T>), hint as *mut c_void, &mut ab) };
        if status != NAPI_OK {
            // SAFETY: Node did not take the vector: it is ours to reclaim.
            let items = unsafe { Box::from_raw(hint) };
            return self.typed(&items);
        }
        let mut v = ptr::null_mut();
        // SAFETY: ab holds exactly len elements of T, suitably aligned (a Vec<T>'s buffer).
        check(unsafe { napi_create_typedarray(self.0, T::KIND, len, ab, 0, &mut v) }, "napi_create_typedarray")?;
        Ok(Value(v))
    }

    pub fn function(&self, name: &str, f: Callback) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        // SAFETY: the fn pointer is passed as data and read back by the trampoline.
        check(unsafe { napi_create_function(self.0, name.as_ptr() as *const _, name.len(), Some(trampoline), f as *mut c_void, &mut v) }, "napi_create_function")?;
        Ok(Value(v))
    }

    /// Defines a class whose constructor and methods are native callbacks.
    pub fn define_class(&self, name: &str, constructor: Callback, methods: &[(&str, Callback)]) -> JsResult<Value> {
        let names: Vec<CString> = methods.iter().map(|(n, _)| cstring(n)).collect::<JsResult<_>>()?;
        let props: Vec<napi_property_descriptor> = methods
            .iter()
            .zip(&names)
            .map(|((_, f), n)| napi_property_descriptor { utf8name: n.as_ptr(), name: ptr::null_mut(), method: Some(trampoline), getter: None, setter: None, value: ptr::null_mut(), attributes: NAPI_DEFAULT, data: *f as *mut c_void })
            .collect();
        let mut v = ptr::null_mut();
        // SAFETY: descriptors and names live until the call returns (Node copies them).
        check(unsafe { napi_define_class(self.0, name.as_ptr() as *const _, name.len(), Some(trampoline), constructor as *mut c_void, props.len(), props.as_ptr(), &mut v) }, "napi_define_class")?;
        Ok(Value(v))
    }

    pub fn new_instance(&self, constructor: Value, args: &[Value]) -> JsResult<Value> {
        let argv: Vec<napi_value> = args.iter().map(|a| a.0).collect();
        let mut v = ptr::null_mut();
        // SAFETY: argv lives until the call returns.
        check(unsafe { napi_new_instance(self.0, constructor.0, argv.len(), argv.as_ptr(), &mut v) }, "napi_new_instance")?;
        Ok(Value(v))
    }

    /// Attaches native state to a JS object; it is dropped when the object is collected.
    pub fn wrap<T: Class>(&self, obj: Value, value: T) -> JsResult<()> {
        let raw = Box::into_raw(Box::new(Tagged { tag: T::TAG, value }));
        // SAFETY: raw is a valid Box pointer; finalize_tagged::<T> frees it exactly once.
        let status = unsafe { napi_wrap(self.0, obj.0, raw as *mut c_void, Some(finalize_tagged::<T>), ptr::null_mut(), ptr::null_mut()) };
        if status != NAPI_OK {
            // SAFETY: not handed to Node; reclaim it.
            drop(unsafe { Box::from_raw(raw) });
            return check(status, "napi_wrap");
        }
        Ok(())
    }

    /// The native state of an object wrapped with `wrap::<T>`.
    pub fn unwrap<'a, T: Class>(&self, obj: Value) -> JsResult<&'a T> {
        let mut p = ptr::null_mut();
        // SAFETY: out-pointer to a local.
        let status = unsafe { napi_unwrap(self.0, obj.0, &mut p) };
        if status != NAPI_OK || p.is_null() {
            return Err(JsError::type_error("method called on an object that is not a native instance"));
        }
        tagged_value(p).ok_or_else(|| JsError::type_error("method called on a native instance of another class"))
    }

    /// An External that owns `value`: Node drops it (finalizer) when the External is collected.
    /// It carries the class tag, so `get_external::<T>` reads it back type-checked; no raw
    /// pointer crosses into the caller's code.
    pub fn external<T: Class>(&self, value: T) -> JsResult<Value> {
        let raw = Box::into_raw(Box::new(Tagged { tag: T::TAG, value }));
        let mut v = ptr::null_mut();
        // SAFETY: raw is a valid Box pointer; finalize_tagged::<T> frees it exactly once.
        let status = unsafe { napi_create_external(self.0, raw as *mut c_void, Some(finalize_tagged::<T>), ptr::null_mut(), &mut v) };
        if status != NAPI_OK {
            // SAFETY: not handed to Node; reclaim it.
            drop(unsafe { Box::from_raw(raw) });
            check(status, "napi_create_external")?;
        }
        Ok(Value(v))
    }

    /// The value of an External made by `external::<T>`, borrowed for the current call (the
    /// argument keeps the External alive until the call returns).
    pub fn get_external<'a, T: Class>(&self, v: Value) -> JsResult<&'a T> {
        self.expect(v, JsType::External, "argument")?;
        let mut p = ptr::null_mut();
        // SAFETY: out-pointer to a local.
        check(unsafe { napi_get_value_external(self.0, v.0, &mut p) }, "napi_get_value_external")?;
        if p.is_null() {
            return Err(JsError::type_error("argument is not a native value of this addon"));
        }
        tagged_value(p).ok_or_else(|| JsError::type_error("argument is a native value of another class"))
    }

    /// Keeps a value alive beyond the current call (e.g. a class constructor).
    pub fn persist(&self, v: Value) -> JsResult<Persistent> {
        let mut r = ptr::null_mut();
        // SAFETY: out-pointer to a local.
        check(unsafe { napi_create_reference(self.0, v.0, 1, &mut r) }, "napi_create_reference")?;
        Ok(Persistent(r))
    }

    pub fn get_persistent(&self, p: &Persistent) -> JsResult<Value> {
        let mut v = ptr::null_mut();
        // SAFETY: p holds a live reference with refcount 1.
        check(unsafe { napi_get_reference_value(self.0, p.0, &mut v) }, "napi_get_reference_value")?;
        Ok(Value(v))
    }

    /// Per-module-instance data (one per Node environment / worker thread).
    pub fn set_instance_data<T: 'static>(&self, data: T) -> JsResult<()> {
        unsafe extern "C" fn fin<T>(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
            // SAFETY: produced by Box::into_raw below.
            drop(unsafe { Box::from_raw(data as *mut T) });
        }
        let raw = Box::into_raw(Box::new(data));
        // SAFETY: fin::<T> frees raw exactly once when the environment is torn down.
        check(unsafe { napi_set_instance_data(self.0, raw as *mut c_void, Some(fin::<T>), ptr::null_mut()) }, "napi_set_instance_data")
    }

    pub fn instance_data<'a, T: 'static>(&self) -> JsResult<&'a T> {
        let mut p = ptr::null_mut();
        // SAFETY: out-pointer to a local.
        check(unsafe { napi_get_instance_data(self.0, &mut p) }, "napi_get_instance_data")?;
        if p.is_null() {
            return Err(JsError::new("module instance data is missing"));
        }
        // SAFETY: set by set_instance_data::<T> in this module's init.
        Ok(unsafe { &*(p as *const T) })
    }

    /// Runs `work` on Node's thread pool and settles the returned promise with `done`'s value
    /// (or rejects it with its error) back on the JS thread.
    pub fn spawn<R: Send + 'static>(&self, name: &str, work: impl FnOnce() -> JsResult<R> + Send + 'static, done: fn(&Env, R) -> JsResult<Value>) -> JsResult<Value> {
        self.spawn_keeping(name, ptr::null_mut(), Box::new(work), done)
    }

    /// Like `spawn`, with the bytes of `lent` (a Uint8Array) handed to `work` as they are, not
    /// copied: copying a scrape body of several MB on the JS thread took ~6 ms of its time. The
    /// array is kept alive until the job completes. The caller's side of the bargain: JavaScript
    /// neither writes to the array nor transfers its buffer until the returned promise settles
    /// (the API that lends it says so).
    pub fn spawn_lending<R: Send + 'static>(&self, name: &str, lent: Value, what: &str, work: impl FnOnce(&[u8]) -> JsResult<R> + Send + 'static, done: fn(&Env, R) -> JsResult<Value>) -> JsResult<Value> {
        /// The lent bytes, moved to the pool thread.
        struct Lent(*const u8, usize);
        // SAFETY: the memory is JavaScript's, kept alive by the reference below until the job
        // completes, and not written meanwhile (spawn_lending's contract); reading it from
        // another thread is then sound.
        unsafe impl Send for Lent {}
        impl Lent {
            fn bytes(&self) -> &[u8] {
                // SAFETY: see above; an empty array may have no memory at all.
                if self.1 == 0 { &[] } else { unsafe { std::slice::from_raw_parts(self.0, self.1) } }
            }
        }
        let bytes = self.get_typed::<u8>(lent, what)?;
        let shared = Lent(bytes.as_ptr(), bytes.len());
        let mut keep = ptr::null_mut();
        // SAFETY: out-pointer to a local; the reference is deleted in complete (or below).
        check(unsafe { napi_create_reference(self.0, lent.0, 1, &mut keep) }, "napi_create_reference")?;
        let work = move || work(shared.bytes());
        self.spawn_keeping(name, keep, Box::new(work), done)
    }

    /// `spawn`, deleting the reference `keep` (when not null) once the job completes.
    fn spawn_keeping<R: Send + 'static>(&self, name: &str, keep: napi_ref, work: Box<dyn FnOnce() -> JsResult<R> + Send>, done: fn(&Env, R) -> JsResult<Value>) -> JsResult<Value> {
        struct Job<R> {
            work: Option<Box<dyn FnOnce() -> JsResult<R> + Send>>,
            result: Option<JsResult<R>>,
            done: fn(&Env, R) -> JsResult<Value>,
            deferred: napi_deferred,
            handle: napi_async_work,
            keep: napi_ref,
        }
        /// Lets go of what the job kept alive.
        fn release(env: napi_env, keep: napi_ref) {
            if !keep.is_null() {
                // SAFETY: keep was created by spawn_lending for this job and is deleted once.
                unsafe { napi_delete_reference(env, keep) };
            }
        }
        unsafe extern "C" fn execute<R>(_env: napi_env, data: *mut c_void) {
            // SAFETY: data is the Job<R> we boxed; only this thread touches it until complete.
            let job = unsafe { &mut *(data as *mut Job<R>) };
            if let Some(w) = job.work.take() {
                job.result = Some(catch_unwind(AssertUnwindSafe(w)).unwrap_or_else(|_| Err(JsError::with_code("ERR_NATIVE_PANIC", "internal error in a native background job"))));
            }
        }
        unsafe extern "C" fn complete<R>(env: napi_env, status: napi_status, data: *mut c_void) {
            // SAFETY: reclaim the Job<R> boxed in spawn; it is freed here exactly once.
            let job = unsafe { Box::from_raw(data as *mut Job<R>) };
            release(env, job.keep);
            let e = Env(env);
            let outcome = match job.result {
                Some(Ok(r)) if status == NAPI_OK => catch_unwind(AssertUnwindSafe(|| (job.done)(&e, r))).unwrap_or_else(|_| Err(JsError::new("internal error completing a native job"))),
                Some(Err(err)) => Err(err),
                _ => Err(JsError::new("the native job was cancelled")),
            };
            // SAFETY: deferred and handle were created in spawn for this job.
            unsafe {
                match outcome {
                    Ok(v) => napi_resolve_deferred(env, job.deferred, v.0),
                    Err(err) => match e.error(&err) {
                        Ok(ev) => napi_reject_deferred(env, job.deferred, ev.0),
                        Err(_) => NAPI_OK,
                    },
                };
                napi_delete_async_work(env, job.handle);
            }
        }
        let mut deferred = ptr::null_mut();
        let mut promise = ptr::null_mut();
        // SAFETY: out-pointers to locals.
        let made = check(unsafe { napi_create_promise(self.0, &mut deferred, &mut promise) }, "napi_create_promise").and_then(|_| self.string(name));
        let name_v = match made {
            Ok(v) => v,
            Err(e) => {
                release(self.0, keep);
                return Err(e);
            }
        };
        let job = Box::into_raw(Box::new(Job::<R> { work: Some(work), result: None, done, deferred, handle: ptr::null_mut(), keep }));
        let mut handle = ptr::null_mut();
        // SAFETY: job stays alive until complete::<R> frees it.
        let status = unsafe { napi_create_async_work(self.0, ptr::null_mut(), name_v.0, Some(execute::<R>), Some(complete::<R>), job as *mut c_void, &mut handle) };
        if status != NAPI_OK {
            // SAFETY: never queued; reclaim.
            let job = unsafe { Box::from_raw(job) };
            release(self.0, job.keep);
            return check(status, "napi_create_async_work").map(|_| Value(promise));
        }
        // SAFETY: job is live; handle set before queueing so complete can delete it.
        unsafe { (*job).handle = handle };
        // SAFETY: handle was just created.
        check(unsafe { napi_queue_async_work(self.0, handle) }, "napi_queue_async_work")?;
        Ok(Value(promise))
    }
}

/// A strong reference to a JS value across calls.
pub struct Persistent(napi_ref);

/// Declares the addon's entry point: `register!(init)` where `init(&Env, exports) -> JsResult<()>`.
#[macro_export]
macro_rules! register {
    ($init:path) => {
        #[no_mangle]
        pub unsafe extern "C" fn napi_register_module_v1(env: $crate::raw::napi_env, exports: $crate::raw::napi_value) -> $crate::raw::napi_value {
            let e = $crate::Env::from_raw(env);
            let ex = $crate::Value::from_raw(exports);
            match std::panic::catch_unwind(|| $init(&e, ex)) {
                Ok(Ok(())) => exports,
                Ok(Err(err)) => {
                    e.throw(&err);
                    std::ptr::null_mut()
                }
                Err(_) => {
                    e.throw(&$crate::JsError::new("the native addon panicked while loading"));
                    std::ptr::null_mut()
                }
            }
        }
    };
}

impl Value {
    pub fn from_raw(v: napi_value) -> Value {
        Value(v)
    }
}
