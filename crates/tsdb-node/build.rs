//! Link settings of the addon per target. The Node-API functions are provided by the `node`
//! process that loads the addon, so they are undefined when the addon is linked: GNU ld accepts
//! that for a shared library by default, Apple's ld64 only when told to look them up at load time.
//! (Windows imports them from node.exe instead: see crates/node-api/src/raw.rs.)
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("macos") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-undefined,dynamic_lookup");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
