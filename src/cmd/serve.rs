//! `newsdex serve`: opens the index like `search` does, binds the address, says where it
//! listens (on stdout, so scripts and tests can read the port) and serves until stopped.

use std::io::Write;
use std::time::Duration;

use crate::cli::ServeArgs;
use crate::cmd::Outcome;
use crate::cmd::search::open_or_build_default;
use crate::config::IndexLocation;
use crate::serve::{ServeOptions, Server};

pub fn run(args: &ServeArgs) -> anyhow::Result<Outcome> {
    let location = IndexLocation::from_args(&args.index);
    let searcher = open_or_build_default(&location)?;
    let options = ServeOptions {
        header_timeout: Duration::from_secs(args.header_timeout),
        request_timeout: Duration::from_secs(args.request_timeout),
        cache_mb: args.cache_mb,
        ..ServeOptions::default()
    };
    let server = Server::bind(args.addr, searcher, options)?;
    let addr = server.local_addr();
    if !addr.ip().is_loopback() {
        eprintln!(
            "warning: listening on {addr}, which is not a loopback address: anyone who can reach this machine can read the archive"
        );
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "newsdex: serving `{}` at http://{addr}/ (Ctrl-C to stop)",
        location.path().display()
    )?;
    stdout.flush()?;
    drop(stdout);
    server.run()?;
    Ok(Outcome::Success)
}
