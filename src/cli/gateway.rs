//! `appctl gateway` (hidden): the stack's gateway, run in its container from the same binary.

use std::process::ExitCode;

use clap::Args;

use crate::gateway::{self, GatewayConfig};

#[derive(Debug, Args)]
pub struct GatewayArgs {}

pub fn run(_args: GatewayArgs) -> anyhow::Result<ExitCode> {
    let config = GatewayConfig::from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        eprintln!(
            "appctl gateway listening on {}, routing {:?}",
            config.listen,
            config.upstreams.keys().collect::<Vec<_>>()
        );
        gateway::serve(config, shutdown_signal()).await
    })?;
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM (docker stop) or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
