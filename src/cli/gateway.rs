//! `appctl gateway` (hidden): the stack's gateway, run in its container from the same binary.

use std::process::ExitCode;

use clap::Args;

use crate::gateway::{self, GatewayConfig};

#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// Ask the gateway running in this container for its health (GET /health on $PORT) and exit
    /// 0 when it answers 200: the container's health check, which needs no curl in the image
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: GatewayArgs) -> anyhow::Result<ExitCode> {
    if args.check {
        return check();
    }
    let config = GatewayConfig::from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let rest = match &config.rest {
            Some(rest) => format!(", serving /rest/v1 (schema {})", rest.schema),
            None => String::new(),
        };
        eprintln!(
            "appctl gateway listening on {}, routing {:?}{rest}",
            config.listen,
            config.upstreams.keys().collect::<Vec<_>>()
        );
        gateway::serve(config, shutdown_signal()).await
    })?;
    Ok(ExitCode::SUCCESS)
}

fn check() -> anyhow::Result<ExitCode> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8000".to_string());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let healthy = runtime.block_on(async {
        let client = crate::tls::http_client()
            .timeout(std::time::Duration::from_secs(2))
            .build()?;
        let response = client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await?;
        anyhow::Ok(response.status().is_success())
    });
    Ok(match healthy {
        Ok(true) => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    })
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
