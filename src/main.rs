//! The `graygate` command line: `serve` (the default), `check-config`, `hash-token`, and
//! `release …`, `explain`, `suspend`, `unsuspend` and `suspensions` (the operator CLI in
//! [`graygate::cli`]).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use graygate::config::{Config, DEFAULT_PATH};
use graygate::server::Server;

#[derive(Parser)]
#[command(
    name = "graygate",
    version,
    about = "Grayscale rollout gateway for super-app mini programs"
)]
struct Cli {
    /// Global, so `--json` and friends work before or after the subcommand.
    #[command(flatten)]
    api: graygate::cli::ApiOptions,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway: client listener (resolve) and admin listener (admin API).
    Serve {
        #[arg(long, default_value = DEFAULT_PATH, env = "GRAYGATE_CONFIG")]
        config: PathBuf,
    },
    /// Load and validate the config (file plus GRAYGATE_* overrides), then exit.
    CheckConfig {
        #[arg(long, default_value = DEFAULT_PATH, env = "GRAYGATE_CONFIG")]
        config: PathBuf,
    },
    /// Read a bearer token on stdin and print the token_sha256 to put in the config
    /// (with --name and --role: a whole [[auth.tokens]] entry).
    HashToken(graygate::cli::HashTokenArgs),
    /// Operate releases through the admin API (token in GRAYGATE_TOKEN).
    Release(graygate::cli::ReleaseArgs),
    /// Explain what a user of a route gets and why, with the client's attributes
    /// (token in GRAYGATE_TOKEN).
    Explain(graygate::cli::ExplainArgs),
    /// Suspend a mini program in every environment of a target app, with a reason
    /// (reviewer; token in GRAYGATE_TOKEN).
    Suspend(graygate::cli::SuspendArgs),
    /// Lift a mini program's suspension in a target app (reviewer; token in GRAYGATE_TOKEN).
    Unsuspend(graygate::cli::UnsuspendArgs),
    /// List the suspensions in force in a target app (token in GRAYGATE_TOKEN).
    Suspensions(graygate::cli::SuspensionsArgs),
}

fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("graygate: {e}");
            ExitCode::FAILURE
        }
    }
}

fn try_main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    // A bare `graygate` serves, and honours GRAYGATE_CONFIG as `graygate serve` does.
    let default_serve = || Command::Serve {
        config: std::env::var_os("GRAYGATE_CONFIG").map_or(DEFAULT_PATH.into(), PathBuf::from),
    };
    match cli.command.unwrap_or_else(default_serve) {
        Command::Serve { config } => serve(Config::load(&config)?),
        Command::CheckConfig { config } => check_config(&config),
        Command::HashToken(args) => {
            let mut token = String::new();
            std::io::stdin().read_line(&mut token)?;
            print!("{}", graygate::cli::hash_token(&args, &token)?);
            Ok(())
        }
        Command::Release(args) => Ok(graygate::cli::run(&cli.api, &args)?),
        Command::Explain(args) => Ok(graygate::cli::explain(&cli.api, &args)?),
        Command::Suspend(args) => Ok(graygate::cli::suspend(&cli.api, &args)?),
        Command::Unsuspend(args) => Ok(graygate::cli::unsuspend(&cli.api, &args)?),
        Command::Suspensions(args) => Ok(graygate::cli::suspensions(&cli.api, &args)?),
    }
}

fn check_config(path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let c = Config::load(path)?;
    // The same warnings `serve` logs, so a config is not first found lacking at start-up.
    for warning in c.warnings() {
        eprintln!("graygate: warning: {warning}");
    }
    println!(
        "{}: ok ({} store, {} tokens, {} apps)",
        path.display(),
        match c.store.kind {
            graygate::config::StoreKind::Embedded => "embedded",
            graygate::config::StoreKind::Redis => "redis",
        },
        c.auth.tokens.len(),
        c.apps.len()
    );
    Ok(())
}

fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GRAYGATE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let server = Server::start(&config).await?;
        let (client, admin) = (server.client_addr()?, server.admin_addr()?);
        // A stable line on stdout for scripts and tests that start the gateway on port 0;
        // the only start-up line, so it is not logged as well.
        println!("graygate listening client={client} admin={admin}");
        server.run(shutdown_signal()).await?;
        tracing::info!("graygate stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
