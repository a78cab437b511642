//! agora-loadtest: drives an agora server over WebSockets and reports latency,
//! throughput, memory and delivery correctness. (Scenarios come next.)
#![allow(dead_code)]

mod check;
mod cli;
mod report;
mod stats;
mod util;

fn main() {
    let _ = <cli::Cli as clap::Parser>::parse();
}
