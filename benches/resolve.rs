//! Resolve benches (written by the benchmark helper).
fn main() {}
