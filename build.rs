//! Links the `newsdex` binary as a position-dependent executable. Its code is position
//! independent, so the linker resolves every internal address itself: the dynamic loader then
//! has no relocations to apply at start (a PIE `newsdex` carried about 63,000), which is a
//! noticeable share of a one-shot `newsdex search` (README, Performance).
fn main() {
    println!("cargo:rustc-link-arg-bins=-no-pie");
}
