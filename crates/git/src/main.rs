//! `sanctuary-git`: reads its settings and hands the cluster to fleet-core, which serves it.

use std::process::ExitCode;

fn main() -> ExitCode {
    fleet_core::run_main(|env, _core| {
        sanctuary_git::GitConfig::read(env).map(sanctuary_git::GitServer::new)
    })
}
