//! The command line: `vappoint station`, `vappoint hub`, `vappoint officer add`,
//! `vappoint release` and `vappoint discover`.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::server::ServeArgs;

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

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
struct StationCmd {
    #[command(subcommand)]
    sub: Option<StationSub>,
    #[command(flatten)]
    run: ServeArgs,
}

#[derive(Subcommand)]
enum StationSub {
    /// Enrol this station with the commissionerate's hub, using the one-time code it gave.
    Enroll {
        #[arg(long, default_value = "./vappoint-data")]
        data: PathBuf,
        /// The hub's address, e.g. https://hub.punepolice.example
        #[arg(long)]
        hub: String,
        /// The one-time enrolment code from the hub.
        #[arg(long)]
        code: String,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// The station's audit log.
    #[command(subcommand)]
    Audit(AuditSub),
    /// Retention (`[retention]` in the config): what the box keeps of citizens, and how long.
    #[command(subcommand)]
    Retention(RetentionSub),
    /// Write an encrypted backup of the whole station (the station may be running).
    Backup {
        #[arg(long, default_value = "./vappoint-data")]
        data: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup into an empty data directory; the recovery key is read from
    /// standard input.
    Restore {
        #[arg(long, default_value = "./vappoint-data")]
        data: PathBuf,
        #[arg(long)]
        from: PathBuf,
    },
    /// Print the station's recovery key (made if there is none): keep it away from the box;
    /// without it no backup can be restored.
    RecoveryKey {
        #[arg(long, default_value = "./vappoint-data")]
        data: PathBuf,
    },
}

#[derive(Subcommand)]
enum RetentionSub {
    /// Remove now what the retention periods allow (the running station does this hourly).
    Run {
        #[arg(long, default_value = "./vappoint-data")]
        data: PathBuf,
        #[arg(long)]
        config: Option<PathBuf>,
        /// Act as of this time (RFC 3339) instead of now: to see what a later run removes.
        #[arg(long)]
        now: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditSub {
    /// Check that every entry of the audit log chains to the one before it (read-only; the
    /// station may be running). Exits 1 naming the first entry that does not.
    Verify {
        #[arg(long, default_value = "./vappoint-data")]
        data: PathBuf,
        /// A head the hub recorded (its console shows it): SEQ:SHA256HEX. The log must
        /// still hold that entry with that hash.
        #[arg(long)]
        hub_head: Option<String>,
    },
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
struct HubCmd {
    #[command(subcommand)]
    sub: Option<HubSub>,
    #[command(flatten)]
    run: ServeArgs,
}

#[derive(Subcommand)]
enum HubSub {
    /// Register a station; prints its one-time enrolment code.
    AddStation {
        #[arg(long, default_value = "./vappoint-data")]
        data: PathBuf,
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        zone: String,
        /// The station's public booking page.
        #[arg(long)]
        url: String,
        /// A locality the station covers (repeat for several).
        #[arg(long = "locality")]
        localities: Vec<String>,
        /// What people call the station or a locality in Marathi or Hindi, as LANG=NAME
        /// (e.g. --alias "mr=कर्वे रस्ता"), so a search in Devanagari finds it (repeat).
        #[arg(long = "alias")]
        aliases: Vec<String>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Refuse a station's certificate from now on.
    RevokeStation {
        #[arg(long, default_value = "./vappoint-data")]
        data: PathBuf,
        #[arg(long)]
        code: String,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Offer an update bundle to the stations (checked against `[update] public_key`);
    /// publishing it again changes its zone and share.
    PublishUpdate {
        #[arg(long, default_value = "./vappoint-data")]
        data: PathBuf,
        /// The bundle, from `vappoint release sign`.
        bundle: PathBuf,
        /// Offer it to this zone's stations only (default: every zone).
        #[arg(long)]
        zone: Option<String>,
        /// Offer it to this share of the stations (a staged roll-out; the same stations
        /// come first at every release).
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u8).range(0..=100))]
        percent: u8,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Make a one-time code (24 hours, single use) with which a brand-new box takes the place
    /// of station CODE: it restores the station's newest backup from this hub, and the old
    /// box's certificate is refused from then on.
    ReplacementCode {
        #[arg(long, default_value = "./vappoint-data")]
        data: PathBuf,
        #[arg(long)]
        station: String,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Add a commissionerate user of the hub console (the password is read from standard input).
    AddAdmin {
        #[arg(long, default_value = "./vappoint-data")]
        data: PathBuf,
        #[arg(long)]
        email: String,
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Copy a hub's SQLite database (in DATA, the hub stopped) into an empty PostgreSQL
    /// database; then set `[hub.database] url` and start the hub on it.
    MigrateToPostgres {
        #[arg(long, default_value = "./vappoint-data")]
        data: PathBuf,
        /// postgres://USER:PASSWORD@HOST:PORT/DATABASE
        #[arg(long)]
        url: String,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Run a station: the booking site, the officer console and the mail outbox
    /// (`vappoint station enroll` enrols it with a hub).
    Station(StationCmd),
    /// Run the commissionerate's hub (`vappoint hub add-station`, `revoke-station`, `add-admin`
    /// manage it).
    Hub(HubCmd),
    /// Manage the station's officers.
    #[command(subcommand)]
    Officer(OfficerCommand),
    /// Make update bundles: a signing key pair, and signed bundles of a binary.
    #[command(subcommand)]
    Release(ReleaseCommand),
    /// List the vappoint stations and hubs on this LAN (mDNS), with their addresses and
    /// certificate fingerprints.
    Discover {
        /// How long to listen for answers.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=600))]
        seconds: u64,
    },
}

#[derive(Subcommand)]
enum ReleaseCommand {
    /// Make a signing key pair: DIR/update.key (keep it off every box and out of git) and
    /// DIR/update.pub (for images and hubs: `[update] public_key`).
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign a binary into an update bundle.
    Sign {
        /// The private key from `vappoint release keygen`.
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        binary: PathBuf,
        /// The version boxes report once they run it (semantic version, e.g. 0.2.0); they
        /// install only versions newer than their own.
        #[arg(long = "version")]
        release_version: String,
        /// The CPU it is for (`aarch64`, `x86_64`); read from the binary when it says.
        #[arg(long)]
        arch: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
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
        Command::Station(StationCmd { sub: None, run }) => crate::station::run(run),
        Command::Station(StationCmd {
            sub:
                Some(StationSub::Enroll {
                    data,
                    hub,
                    code,
                    config,
                }),
            ..
        }) => station_enroll(&data, &hub, &code, config.as_deref()),
        Command::Station(StationCmd {
            sub: Some(StationSub::Audit(AuditSub::Verify { data, hub_head })),
            ..
        }) => audit_verify(&data, hub_head.as_deref()),
        Command::Station(StationCmd {
            sub: Some(StationSub::Retention(RetentionSub::Run { data, config, now })),
            ..
        }) => retention_run(&data, config.as_deref(), now.as_deref()),
        Command::Station(StationCmd {
            sub: Some(StationSub::Backup { data, out }),
            ..
        }) => backup(&data, &out),
        Command::Station(StationCmd {
            sub: Some(StationSub::Restore { data, from }),
            ..
        }) => restore(&data, &from),
        Command::Station(StationCmd {
            sub: Some(StationSub::RecoveryKey { data }),
            ..
        }) => print_recovery_key(&data),
        Command::Hub(HubCmd { sub: None, run }) => crate::hub::run(run),
        Command::Hub(HubCmd { sub: Some(sub), .. }) => hub_command(sub),
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
        Command::Discover { seconds } => crate::discovery::discover(seconds),
        Command::Release(c) => release_command(c),
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
    let new = crate::station::officers::new_officer(
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
    store
        .audit(
            vappoint_store::Actor::System,
            vappoint_store::Action::OfficerAdded,
            vappoint_store::Subject::Officer(id),
            chrono::Utc::now(),
        )
        .context("recording the new officer in the audit log")?;
    println!("officer {id} added");
    Ok(())
}

/// `vappoint station backup`: writes the file beside its final name, then renames it, so a
/// half-written backup never looks like a whole one.
fn backup(data: &std::path::Path, out: &std::path::Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let store = crate::station::open_store(data)?;
    let (summary, _) = crate::station::backup::write_file(data, &store, out)?;
    println!(
        "backup written to {}: {} files, {} bytes before encryption, {} bytes, in {:.1} s",
        out.display(),
        summary.files,
        summary.bytes,
        std::fs::metadata(out)?.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `vappoint station recovery-key`.
fn print_recovery_key(data: &std::path::Path) -> anyhow::Result<()> {
    use age::secrecy::ExposeSecret;
    let key = crate::station::backup::recovery_key(data)?;
    println!("{}", key.to_string().expose_secret());
    Ok(())
}

/// `vappoint station restore`: the recovery key on standard input.
fn restore(data: &std::path::Path, from: &std::path::Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut key = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut key)
        .context("reading the recovery key from standard input")?;
    let key = crate::station::backup::parse_recovery_key(&key)?;
    let file = std::fs::File::open(from).with_context(|| format!("opening {}", from.display()))?;
    let summary = crate::station::backup::restore(data, file, &key)?;
    // The restored station opens with its own keys, or the backup is of no use.
    crate::station::open_store(data).context("opening the restored database")?;
    println!(
        "restored {} files ({} bytes) into {} in {:.1} s",
        summary.files,
        summary.bytes,
        data.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `vappoint station retention run`: removes what is due and says what it removed.
fn retention_run(
    data: &std::path::Path,
    config: Option<&std::path::Path>,
    now: Option<&str>,
) -> anyhow::Result<()> {
    let config = crate::config::Config::load(config)?;
    let now = match now {
        Some(t) => chrono::DateTime::parse_from_rfc3339(t)
            .context("--now takes an RFC 3339 time, e.g. 2027-12-01T09:00:00+05:30")?
            .with_timezone(&chrono::Utc),
        None => chrono::Utc::now(),
    };
    let store = crate::station::open_store(data)?;
    let r = crate::station::retention::run(
        &store,
        &data.join("documents"),
        &config.retention.policy(),
        now,
    )?;
    println!(
        "removed {} documents ({} bytes) and the personal details of {} appointments",
        r.documents, r.document_bytes, r.appointments
    );
    Ok(())
}

/// `vappoint station audit verify`: "ok, N entries, head SEQ:HASH", or an error naming the
/// first bad entry (exit 1).
fn audit_verify(data: &std::path::Path, hub_head: Option<&str>) -> anyhow::Result<()> {
    use vappoint_store::audit::{self, Verdict};
    let db = data.join("vappoint.db");
    anyhow::ensure!(db.is_file(), "no station database at {}", db.display());
    let recorded = hub_head
        .map(|h| {
            let (seq, hash) = h
                .split_once(':')
                .context("--hub-head takes SEQ:HASH, e.g. 42:9f86d0…")?;
            let seq: i64 = seq.parse().context("the SEQ of --hub-head is a number")?;
            anyhow::Ok((seq, hash.to_ascii_lowercase()))
        })
        .transpose()?;
    let verdict = audit::verify_file(&db).with_context(|| format!("reading {}", db.display()))?;
    let (entries, head) = match verdict {
        Verdict::Broken { seq, why } => {
            anyhow::bail!("the audit log is broken at entry {seq} ({why})")
        }
        Verdict::Intact { entries, head } => (entries, head),
    };
    if let Some((seq, hash)) = recorded {
        match audit::hash_at(&db, seq)? {
            None => anyhow::bail!(
                "the audit log is broken at entry {seq}: the hub recorded it, but the log ends at {entries}"
            ),
            Some(h) if h != hash => anyhow::bail!(
                "the audit log is broken at entry {seq}: its hash is not the one the hub recorded (the log was rewritten)"
            ),
            Some(_) => {}
        }
    }
    match head {
        Some(h) => println!("ok, {entries} entries, head {}:{}", h.seq, h.hash),
        None => println!("ok, 0 entries, head none"),
    }
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("reading the password from standard input")?;
    Ok(password.trim_end_matches(['\r', '\n']).to_string())
}

fn station_enroll(
    data: &std::path::Path,
    hub: &str,
    code: &str,
    config: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let config = crate::config::Config::load(config)?;
    let store = crate::station::open_store(data)?;
    std::fs::create_dir_all(data.join("keys"))?;
    let secrets = crate::secrets::Secrets::load_or_create(&data.join("keys/secret.key"))?;
    let station = crate::station::app::Profile::load(&config, &store, &secrets, "")?.code;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let link = runtime.block_on(crate::station::hub_link::enroll(
        data, &store, hub, &station, code,
    ))?;
    println!(
        "vappoint: a running station starts reporting to the hub within seconds, without a restart"
    );
    println!("enrolled with {} as {}", link.url, link.station);
    Ok(())
}

fn hub_command(sub: HubSub) -> anyhow::Result<()> {
    match sub {
        HubSub::AddStation {
            data,
            code,
            name,
            zone,
            url,
            localities,
            aliases,
            config,
        } => {
            let config = crate::config::Config::load(config.as_deref())?;
            let mut by_lang = vappoint_store::Aliases::new();
            for a in &aliases {
                let (lang, alias) = crate::hub::admin::parse_alias(a)?;
                by_lang.entry(lang).or_default().push(alias);
            }
            let enrol = crate::hub::admin::add_station(
                &data,
                &code,
                &name,
                &zone,
                &url,
                &localities,
                &by_lang,
                &config,
            )?;
            println!(
                "station {} registered; give its admin this one-time code (valid {}):",
                code.to_ascii_uppercase(),
                humantime::format_duration(config.hub.code_valid)
            );
            println!("enrolment code: {enrol}");
        }
        HubSub::PublishUpdate {
            data,
            bundle,
            zone,
            percent,
            config,
        } => {
            let config = crate::config::Config::load(config.as_deref())?;
            let (m, id) =
                crate::hub::updates::publish(&data, &config, &bundle, zone.as_deref(), percent)?;
            println!(
                "update {} for {} published as {id}: offered to {percent}% of the stations in {}",
                m.version,
                m.arch,
                zone.as_deref().unwrap_or("every zone")
            );
        }
        HubSub::RevokeStation { data, code, config } => {
            let config = crate::config::Config::load(config.as_deref())?;
            crate::hub::admin::revoke_station(&data, &config, &code)?;
            println!("station {} revoked", code.to_ascii_uppercase());
        }
        HubSub::ReplacementCode {
            data,
            station,
            config,
        } => {
            let config = crate::config::Config::load(config.as_deref())?;
            let station = station.to_ascii_uppercase();
            let store = crate::hub::admin::open_store(&data, &config)?;
            let code = crate::hub::backups::new_replacement_code(&store, &station)?;
            println!(
                "give this one-time code to whoever sets up the new box for {station} (valid {} hours, once):",
                crate::hub::backups::REPLACEMENT_CODE_VALID.num_hours()
            );
            println!("replacement code: {code}");
        }
        HubSub::AddAdmin {
            data,
            email,
            password_stdin: _,
            config,
        } => {
            let config = crate::config::Config::load(config.as_deref())?;
            let id = crate::hub::admin::add_admin(&data, &config, &email, &read_password()?)?;
            println!("hub admin {id} added");
        }
        HubSub::MigrateToPostgres { data, url } => {
            let copied = crate::hub::admin::migrate_to_postgres(&data, &url)?;
            for (table, rows) in &copied {
                println!("{table}: {rows} rows");
            }
            println!(
                "copied the hub in {} to PostgreSQL; set [hub.database] url and start the hub",
                data.display()
            );
        }
    }
    Ok(())
}

fn release_command(c: ReleaseCommand) -> anyhow::Result<()> {
    match c {
        ReleaseCommand::Keygen { out } => {
            let (private, public) = crate::release::keygen(&out)?;
            println!(
                "private key {} (keep it off every box and out of git); public key {}",
                private.display(),
                public.display()
            );
        }
        ReleaseCommand::Sign {
            key,
            binary,
            release_version,
            arch,
            out,
        } => {
            let arch = match arch {
                Some(a) => a,
                None => elf_arch(&binary)?,
            };
            let m = crate::release::sign(&key, &binary, &release_version, &arch, &out)?;
            println!(
                "signed {} {} for {} ({} bytes, sha256 {}) into {}",
                binary.display(),
                m.version,
                m.arch,
                m.size,
                m.sha256,
                out.display()
            );
        }
    }
    Ok(())
}

/// The CPU an ELF binary is for, from its header's machine field.
fn elf_arch(binary: &std::path::Path) -> anyhow::Result<String> {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(binary)
        .and_then(|f| f.take(20).read_to_end(&mut head))
        .with_context(|| format!("reading {}", binary.display()))?;
    anyhow::ensure!(
        head.len() == 20 && head.starts_with(b"\x7fELF") && head[5] == 1,
        "{} is not a little-endian ELF binary: say which CPU it is for with --arch",
        binary.display()
    );
    Ok(match u16::from_le_bytes([head[18], head[19]]) {
        0x3e => "x86_64",
        0xb7 => "aarch64",
        0x28 => "arm",
        other => anyhow::bail!("unknown ELF machine {other:#x}: say --arch"),
    }
    .to_string())
}
