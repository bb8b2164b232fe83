//! A one-shot job beside the api: prints the greeting and exits.

fn main() {
    let name = std::env::args().nth(1).unwrap_or_default();
    println!("worker: {}", greeting::greeting(&name));
}
