//! Records the compiler's version for the report's header.

use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    if let Ok(output) = Command::new(rustc).arg("--version").output() {
        let version = String::from_utf8_lossy(&output.stdout);
        println!("cargo:rustc-env=BENCH_RUSTC_VERSION={}", version.trim());
    }
    println!("cargo:rerun-if-env-changed=RUSTC");
    println!("cargo:rerun-if-changed=build.rs");
}
