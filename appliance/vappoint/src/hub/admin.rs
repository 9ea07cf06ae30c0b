//! Managing a hub from its shell or console: its database, registering and revoking
//! stations (with their enrolment codes and search aliases), adding console admins.

use std::path::Path;

use anyhow::Context;
use chrono::Utc;
use vappoint_store::{Aliases, HubStore, StoreError};

use crate::config::Config;
use crate::federation::{enrol_key, new_enrol_code};

/// Opens the hub's database: the PostgreSQL database of `[hub.database] url`, or else the
/// SQLite file in its data dir (made on first use).
pub fn open_store(data: &Path, config: &Config) -> anyhow::Result<HubStore> {
    crate::secrets::private_dir(data)?;
    if let Some(url) = &config.hub.database.url {
        // The URL may hold a password: the error names the host only.
        let host = url.rsplit_once('@').map_or(url.as_str(), |(_, h)| h);
        return HubStore::open_postgres(url)
            .with_context(|| format!("opening the hub database at {host}"));
    }
    let path = data.join("hub.db");
    let store = HubStore::open(&path)
        .with_context(|| format!("opening the hub database {}", path.display()))?;
    crate::secrets::private_db_files(&path)?;
    Ok(store)
}

/// Copies the SQLite hub in `data` into the empty PostgreSQL database at `url` (the hub
/// stopped); returns the rows copied per table.
pub fn migrate_to_postgres(data: &Path, url: &str) -> anyhow::Result<Vec<(String, u64)>> {
    let path = data.join("hub.db");
    if !path.exists() {
        anyhow::bail!("no hub database at {}", path.display());
    }
    let from = HubStore::open(&path)
        .with_context(|| format!("opening the hub database {}", path.display()))?;
    // A hub that never started under this version keeps its identity only in files: into its
    // database first, so the hubs on PostgreSQL serve the certificate its stations pinned.
    super::identity::import(&from, data).context("importing the hub's certificates")?;
    let host = url.rsplit_once('@').map_or(url, |(_, h)| h);
    let to = HubStore::open_postgres(url)
        .with_context(|| format!("opening the PostgreSQL database at {host}"))?;
    from.copy_to_postgres(&to).map_err(|e| match e {
        StoreError::NotEmpty(table) => anyhow::anyhow!(
            "the PostgreSQL database at {host} already holds hub data (table {table}): \
             give an empty database"
        ),
        e => anyhow::Error::new(e).context("copying the hub into PostgreSQL"),
    })
}

/// Registers a station and returns its one-time enrolment code (CLI and console).
#[allow(clippy::too_many_arguments)]
pub fn add_station(
    data: &Path,
    code: &str,
    name: &str,
    zone: &str,
    url: &str,
    localities: &[String],
    aliases: &Aliases,
    config: &Config,
) -> anyhow::Result<String> {
    register_with(
        &open_store(data, config)?,
        code,
        name,
        zone,
        url,
        localities,
        aliases,
        config,
    )
}

/// Parses `LANG=NAME` (e.g. `mr=कर्वे रस्ता`), a name people use in that language.
pub fn parse_alias(s: &str) -> anyhow::Result<(String, String)> {
    let (lang, name) = s.split_once('=').ok_or_else(|| {
        anyhow::anyhow!("an alias looks like mr=कर्वे रस्ता (language=name), not {s:?}")
    })?;
    let lang = lang.trim();
    if lang == "en" || crate::ui::known_lang(lang).is_none() {
        anyhow::bail!("aliases are in mr or hi, not {lang:?}");
    }
    Ok((lang.to_string(), name.to_string()))
}

/// Only known languages and clean names, at most 100 per language.
fn clean_aliases(aliases: &Aliases) -> Aliases {
    aliases
        .iter()
        .filter(|(lang, _)| crate::ui::known_lang(lang).is_some())
        .map(|(lang, names)| {
            let names: Vec<String> = names
                .iter()
                .filter_map(|n| vappoint_domain::clean_label(n, "Alias").ok())
                .take(100)
                .collect();
            (lang.clone(), names)
        })
        .filter(|(_, names)| !names.is_empty())
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn register_with(
    store: &HubStore,
    code: &str,
    name: &str,
    zone: &str,
    url: &str,
    localities: &[String],
    aliases: &Aliases,
    config: &Config,
) -> anyhow::Result<String> {
    let code = code.trim().to_ascii_uppercase();
    crate::config::validate_code(&code)?;
    let name = vappoint_domain::clean_label(name, "Name").map_err(|m| anyhow::anyhow!(m))?;
    let zone = vappoint_domain::clean_label(zone, "Zone").map_err(|m| anyhow::anyhow!(m))?;
    let url = url.trim();
    if !url.starts_with("https://") || url.len() > 300 {
        anyhow::bail!("the booking URL must start with https://");
    }
    let localities: Vec<String> = localities
        .iter()
        .filter_map(|l| vappoint_domain::clean_label(l, "Locality").ok())
        .take(100)
        .collect();
    let code_text = new_enrol_code();
    let now = Utc::now();
    let expires = now + chrono::Duration::from_std(config.hub.code_valid)?;
    store
        .register_station(
            &code,
            &name,
            &zone,
            url,
            &localities,
            &clean_aliases(aliases),
            &enrol_key(&code_text),
            expires,
            now,
        )
        .map_err(|e| match e {
            StoreError::Conflict(_) => anyhow::anyhow!(
                "station {code} is already enrolled; revoke it first to enrol it again"
            ),
            e => anyhow::Error::new(e),
        })?;
    Ok(code_text)
}

pub fn revoke_station(data: &Path, config: &Config, code: &str) -> anyhow::Result<()> {
    open_store(data, config)?
        .revoke(&code.to_ascii_uppercase(), Utc::now())
        .map_err(|e| match e {
            StoreError::NotFound => anyhow::anyhow!("no station {code} to revoke"),
            e => anyhow::Error::new(e),
        })
}

pub fn add_admin(data: &Path, config: &Config, email: &str, password: &str) -> anyhow::Result<i64> {
    if !vappoint_domain::booking::valid_email(email) {
        anyhow::bail!("{email:?} is not an email address");
    }
    if password.chars().count() < crate::console::password::MIN_PASSWORD {
        anyhow::bail!(
            "the password needs at least {} characters",
            crate::console::password::MIN_PASSWORD
        );
    }
    let hash = crate::console::password::hash_password(password)?;
    open_store(data, config)?
        .add_admin(email, &hash, Utc::now())
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                anyhow::anyhow!("an admin with the email {email} already exists")
            }
            e => anyhow::Error::new(e),
        })
}
