//! The command line: `vappoint station` and `vappoint officer add`.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "vappoint",
    version,
    about = "V-Appointment: video appointments with a police station"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
pub struct StationArgs {
    /// Where the database, documents, keys and mail spool live.
    #[arg(long, default_value = "./vappoint-data")]
    pub data: PathBuf,
    /// HTTPS address for citizens and officers.
    #[arg(long, default_value = "0.0.0.0:8443")]
    pub https_addr: SocketAddr,
    /// Plain HTTP address; it only redirects to HTTPS.
    #[arg(long, default_value = "0.0.0.0:8080")]
    pub http_addr: SocketAddr,
    /// Optional TOML configuration file.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a station: the booking site, the officer console and the mail outbox.
    Station(StationArgs),
    /// Manage the station's officers.
    #[command(subcommand)]
    Officer(OfficerCommand),
}

#[derive(Subcommand)]
enum OfficerCommand {
    /// Add an officer (the password is read from standard input).
    Add {
        #[arg(long, default_value = "./vappoint-data")]
        data: PathBuf,
        #[arg(long)]
        name: String,
        #[arg(long)]
        rank: String,
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Let this officer manage officers and station settings.
        #[arg(long)]
        admin: bool,
        /// Weekly hours, e.g. "Mon-Sat 11:00-13:00".
        #[arg(long, default_value = "Mon-Sat 11:00-13:00")]
        hours: String,
        /// Minutes per appointment (5 to 60).
        #[arg(long, default_value_t = 5)]
        slot_minutes: u16,
    },
}

/// Parses the command line and runs it.
pub fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VAPPOINT_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Station(args) => crate::station::run(args),
        Command::Officer(OfficerCommand::Add {
            data,
            name,
            rank,
            email,
            password_stdin: _,
            admin,
            hours,
            slot_minutes,
        }) => officer_add(data, &name, &rank, &email, admin, &hours, slot_minutes),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vappoint: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn officer_add(
    data: PathBuf,
    name: &str,
    rank: &str,
    email: &str,
    admin: bool,
    hours: &str,
    slot: u16,
) -> anyhow::Result<()> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']);
    let new = crate::web::officer::new_officer(
        name,
        rank,
        email,
        password,
        hours,
        &slot.to_string(),
        admin,
    )
    .map_err(|m| anyhow::anyhow!(m))?;
    let store = crate::station::open_store(&data)?;
    let id = store
        .add_officer(&new, chrono::Utc::now())
        .map_err(|e| match e {
            vappoint_store::StoreError::Conflict(_) => {
                anyhow::anyhow!("an officer with the email {email} already exists")
            }
            e => anyhow::Error::new(e).context("adding the officer"),
        })?;
    println!("officer {id} added");
    Ok(())
}
