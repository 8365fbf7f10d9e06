//! On a bare-metal target, the linker gets `cortex-m-rt`'s script and this crate's `memory.x`.
fn main() {
    println!("cargo:rerun-if-changed=memory.x");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
        std::fs::copy("memory.x", out.join("memory.x")).expect("memory.x is readable");
        println!("cargo:rustc-link-search={}", out.display());
        println!("cargo:rustc-link-arg=-Tlink.x");
    }
}
