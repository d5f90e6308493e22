//! One node of a generated protocol (u64 values) as a real process over
//! authenticated TCP: Bracha's reliable broadcast by default, Reiter's
//! signed echo broadcast (Ed25519 signatures) with `--protocol signed-echo`.
//!
//! ```text
//! rio-node cluster --nodes 4 --base-port 7100 --dir cluster   # configs + keys for one machine
//! rio-node run cluster/node1.toml                             # start nodes 1, 2, 3 ...
//! rio-node run cluster/node0.toml --broadcast 42              # ... and the sender
//! ```
//!
//! Each delivery prints `delivered VALUE` on stdout; logs go to stderr
//! (`RUST_LOG=debug` for more). With `--exit-after MS` the node stops that
//! long after its delivery; on SIGTERM or Ctrl-C it stops at once. Either
//! way it shuts down gracefully and writes its trace (if the config names
//! one).

use clap::{Parser, Subcommand};
use rio_examples::generated::bracha;
use rio_examples::generated::echo::signed_echo;
use rio_net::{keypair, start, NetConfig, PeerConfig};
use rio_runtime::{Node, NodeId, Slotted};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "rio-node", about = "A Bracha node over authenticated TCP")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a fresh X25519 key pair.
    Keygen,
    /// Write the configs of an n-node cluster on this machine.
    Cluster {
        #[arg(long, default_value_t = 4)]
        nodes: u32,
        #[arg(long, default_value_t = 7100)]
        base_port: u16,
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        #[arg(long)]
        dir: PathBuf,
        /// Record each node's trace (memory grows with every message: for
        /// tests and debugging, off by default).
        #[arg(long)]
        trace: bool,
    },
    /// Run a node.
    Run {
        config: PathBuf,
        /// The sender's node id.
        #[arg(long, default_value_t = 0)]
        sender: u32,
        /// Broadcast this value (on the sender), once peers had time to connect.
        #[arg(long)]
        broadcast: Option<u64>,
        /// Stop this many milliseconds after delivering.
        #[arg(long)]
        exit_after: Option<u64>,
        /// The protocol the cluster runs (every node the same).
        #[arg(long, value_enum, default_value_t = Protocol::Bracha)]
        protocol: Protocol,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Protocol {
    /// Bracha's reliable broadcast (`spec/examples/bracha.rio`).
    Bracha,
    /// Reiter's signed echo broadcast (`spec/examples/signed_echo.rio`),
    /// with Ed25519 signatures.
    SignedEcho,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Keygen => match keypair() {
            Ok((private, public)) => {
                rio_examples::say!("private_key = \"{private}\"\npublic_key = \"{public}\"");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Cluster {
            nodes,
            base_port,
            host,
            dir,
            trace,
        } => cluster(nodes, base_port, &host, &dir, trace),
        Command::Run {
            config,
            sender,
            broadcast,
            exit_after,
            protocol,
        } => {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            rt.block_on(run(config, protocol, sender, broadcast, exit_after))
        }
    }
}

/// Creates `dir` readable by its owner only (it holds private keys).
fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)?;
    #[cfg(unix)]
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    Ok(())
}

/// Writes a file readable and writable by its owner only.
fn private_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)?.write_all(text.as_bytes())
}

fn cluster(nodes: u32, base_port: u16, host: &str, dir: &std::path::Path, trace: bool) -> ExitCode {
    let keys: Vec<(String, String)> = match (0..nodes).map(|_| keypair()).collect() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = private_dir(dir) {
        eprintln!("error: cannot create {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    let addr = |k: u32| format!("{host}:{}", u32::from(base_port) + k);
    for k in 0..nodes {
        let cfg = NetConfig {
            id: k,
            listen: addr(k),
            private_key: keys
                .get(k as usize)
                .map(|p| p.0.clone())
                .unwrap_or_default(),
            // Durable by default: a restarted node must not contradict
            // what it sent before.
            state: Some(dir.join(format!("node{k}.state")).display().to_string()),
            state_keep: None,
            trace: trace.then(|| {
                dir.join(format!("node{k}.trace.jsonl"))
                    .display()
                    .to_string()
            }),
            peers: (0..nodes)
                .filter(|j| *j != k)
                .map(|j| PeerConfig {
                    id: j,
                    addr: addr(j),
                    public_key: keys
                        .get(j as usize)
                        .map(|p| p.1.clone())
                        .unwrap_or_default(),
                    // Ed25519, derived from the peer's Noise key.
                    signing_key: keys
                        .get(j as usize)
                        .and_then(|p| rio_net::signing::signing_public_key(&p.0).ok()),
                })
                .collect(),
        };
        let path = dir.join(format!("node{k}.toml"));
        if let Err(e) = private_file(&path, &cfg.to_toml()) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        rio_examples::say!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}

async fn run(
    config: PathBuf,
    protocol: Protocol,
    sender: u32,
    broadcast: Option<u64>,
    exit_after: Option<u64>,
) -> ExitCode {
    let cfg = match std::fs::read_to_string(&config)
        .map_err(|e| e.to_string())
        .and_then(|t| NetConfig::from_toml(&t).map_err(|e| e.to_string()))
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {}: {e}", config.display());
            return ExitCode::FAILURE;
        }
    };
    let n = cfg.n();
    let (me, f, sender) = (NodeId(cfg.id), (n - 1) / 3, NodeId(sender));
    // Both protocols: a sender's `Bc` input and a `Dlvr` output of u64.
    macro_rules! serve_as {
        ($m:ident) => {
            match $m::Node::<u64>::new(me, $m::Params { n, f, sender }) {
                Ok(node) => {
                    let value = |o: &$m::Output<u64>| match o {
                        $m::Output::Dlvr(v) => *v,
                    };
                    serve(cfg, node, $m::Input::Bc, value, broadcast, exit_after).await
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        };
    }
    match protocol {
        Protocol::Bracha => serve_as!(bracha),
        Protocol::SignedEcho => serve_as!(signed_echo),
    }
}

/// Runs `node` until SIGTERM, Ctrl-C or `exit_after` past its delivery,
/// printing `delivered VALUE` for each output.
async fn serve<N>(
    cfg: NetConfig,
    node: N,
    input: fn(u64) -> N::Input,
    value: fn(&N::Output) -> u64,
    broadcast: Option<u64>,
    exit_after: Option<u64>,
) -> ExitCode
where
    N: Node + Send + 'static,
    N::Message: Slotted + Send + Sync + 'static,
    N::Input: Send + 'static,
    N::Output: Slotted + Send + 'static,
{
    let mut handle = match start(cfg, node).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    rio_examples::say!("listening on {}", handle.local_addr);
    if let Some(v) = broadcast {
        tokio::time::sleep(Duration::from_millis(300)).await;
        if handle.inputs.send(input(v)).await.is_err() {
            eprintln!("error: node stopped");
            return ExitCode::FAILURE;
        }
    }
    // SIGTERM (what `kill` and service managers send) stops as gracefully
    // as Ctrl-C: the trace is written and the process exits 0.
    #[cfg(unix)]
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot listen for SIGTERM: {e}");
            return ExitCode::FAILURE;
        }
    };
    loop {
        #[cfg(unix)]
        let terminated = term.recv();
        #[cfg(not(unix))]
        let terminated = std::future::pending::<Option<()>>();
        tokio::select! {
            _ = terminated => break,
            o = handle.outputs.recv() => match o {
                Some(o) => {
                    rio_examples::say!("delivered {}", value(&o));
                    if let Some(ms) = exit_after {
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                        break;
                    }
                }
                None => break,
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    handle.shutdown().await;
    ExitCode::SUCCESS
}
