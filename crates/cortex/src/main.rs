//! `sanctuary-cortex`: reads its settings, opens its state and hands the cluster to fleet-core.

use std::process::ExitCode;

fn main() -> ExitCode {
    fleet_core::run_main(|env, core| {
        let config = sanctuary_cortex::CortexConfig::read(env, core.net_policy)?;
        match sanctuary_cortex::CortexServer::new(config) {
            Ok(server) => Some(server),
            Err(e) => {
                env.problem("CORTEX_STATE_DIR", e);
                None
            }
        }
    })
}
