//! `sanctuary-filesystem`: reads its settings, opens the allowed roots and hands the cluster to
//! fleet-core, which serves it.

use std::process::ExitCode;

fn main() -> ExitCode {
    fleet_core::run_main(|env, _core| {
        let config = sanctuary_filesystem::FsConfig::read(env);
        match sanctuary_filesystem::FsServer::open(config) {
            Ok(server) => Some(server),
            Err((var, problem)) => {
                env.problem(var, problem);
                None
            }
        }
    })
}
