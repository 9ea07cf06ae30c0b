//! Officers: their accounts, weekly hours, slot length and days off.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Row, params};
use vappoint_domain::{Schedule, WeeklyHours};

use crate::{OfficerId, Result, Store, StoreError, conflict_on, from_ts, ts};

#[derive(Debug, Clone)]
pub struct Officer {
    pub id: OfficerId,
    pub name: String,
    pub rank: String,
    pub email: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub schedule: Schedule,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewOfficer {
    pub name: String,
    pub rank: String,
    pub email: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub hours: WeeklyHours,
    pub slot_minutes: u16,
}

const COLS: &str =
    "id, name, rank, email, password_hash, is_admin, hours, slot_minutes, active, created_at";

fn officer_row(r: &Row, days_off: BTreeSet<NaiveDate>) -> rusqlite::Result<Officer> {
    let hours: String = r.get("hours")?;
    let slot_minutes: u16 = r.get("slot_minutes")?;
    // Hours were validated when written; a row that no longer parses offers no slots
    // rather than taking the station down.
    let hours = hours
        .parse()
        .unwrap_or_else(|_| "".parse().expect("empty hours parse"));
    let schedule = Schedule::new(hours, slot_minutes, days_off).unwrap_or_else(|_| Schedule {
        hours: "".parse().expect("empty hours parse"),
        slot_minutes: 5,
        days_off: BTreeSet::new(),
    });
    Ok(Officer {
        id: r.get("id")?,
        name: r.get("name")?,
        rank: r.get("rank")?,
        email: r.get("email")?,
        password_hash: r.get("password_hash")?,
        is_admin: r.get("is_admin")?,
        schedule,
        active: r.get("active")?,
        created_at: from_ts(r.get("created_at")?),
    })
}

fn days_off(c: &rusqlite::Connection, officer: i64) -> rusqlite::Result<BTreeSet<NaiveDate>> {
    let mut st = c.prepare_cached("SELECT day FROM days_off WHERE officer_id = ?1")?;
    let rows = st.query_map([officer], |r| r.get::<_, String>(0))?;
    let mut out = BTreeSet::new();
    for d in rows {
        if let Ok(d) = d?.parse() {
            out.insert(d);
        }
    }
    Ok(out)
}

fn load(
    c: &rusqlite::Connection,
    sql_where: &str,
    p: impl rusqlite::Params,
) -> Result<Vec<Officer>> {
    let sql = format!("SELECT {COLS} FROM officers WHERE {sql_where} ORDER BY id");
    let mut st = c.prepare_cached(&sql)?;
    let ids_rows: Vec<(i64, Officer)> = st
        .query_map(p, |r| {
            Ok((r.get::<_, i64>("id")?, officer_row(r, BTreeSet::new())?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(ids_rows.len());
    for (id, mut o) in ids_rows {
        o.schedule.days_off = days_off(c, id)?;
        out.push(o);
    }
    Ok(out)
}

impl Store {
    pub fn add_officer(&self, o: &NewOfficer, now: DateTime<Utc>) -> Result<OfficerId> {
        self.write(|tx| insert_officer(tx, o, now))
    }

    /// Whether the station has an active admin: until it does, the box is in set-up mode.
    pub fn has_admin(&self) -> Result<bool> {
        Ok(self.count_admins()? > 0)
    }

    /// Ends set-up in one transaction: the first admin and the station's settings together,
    /// or neither. Refused (`Conflict("already_set_up")`) once any admin exists, so two
    /// set-up forms sent at once cannot both win.
    pub fn finish_setup(
        &self,
        admin: &NewOfficer,
        settings: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<OfficerId> {
        self.write(|tx| {
            if admins(tx)? > 0 {
                return Err(StoreError::Conflict("already_set_up"));
            }
            for (k, v) in settings {
                tx.execute(
                    "INSERT INTO settings(key, value) VALUES (?1, ?2)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    [k, v],
                )?;
            }
            insert_officer(
                tx,
                &NewOfficer {
                    is_admin: true,
                    ..admin.clone()
                },
                now,
            )
        })
    }

    /// Active officers, in the order they were added.
    pub fn officers(&self) -> Result<Vec<Officer>> {
        self.read(|c| load(c, "active = 1", []))
    }

    /// An officer by id, removed ones included (old appointments still name them).
    pub fn officer(&self, id: OfficerId) -> Result<Officer> {
        self.read(|c| load(c, "id = ?1", [id])?.pop().ok_or(StoreError::NotFound))
    }

    pub fn officer_by_email(&self, email: &str) -> Result<Option<Officer>> {
        self.read(|c| Ok(load(c, "active = 1 AND email = ?1", [email])?.pop()))
    }

    pub fn count_admins(&self) -> Result<u32> {
        self.read(admins)
    }

    /// Changes name, rank and admin rights. Refuses to leave the station without an admin.
    pub fn update_officer(
        &self,
        id: OfficerId,
        name: &str,
        rank: &str,
        is_admin: bool,
    ) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE officers SET name = ?2, rank = ?3, is_admin = ?4 WHERE id = ?1 AND active = 1",
                params![id, name, rank, is_admin],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            ensure_admin_left(tx)
        })
    }

    /// Sets an active officer's password and ends their sessions, all but `keep` (the
    /// session the officer changed it from, so they stay logged in there).
    pub fn set_password(
        &self,
        id: OfficerId,
        password_hash: &str,
        keep: Option<&[u8]>,
    ) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE officers SET password_hash = ?2 WHERE id = ?1 AND active = 1",
                params![id, password_hash],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            // Whoever knew the old password is logged out everywhere else.
            tx.execute(
                "DELETE FROM sessions WHERE officer_id = ?1 AND id_hash IS NOT ?2",
                params![id, keep],
            )?;
            Ok(())
        })
    }

    pub fn set_schedule(&self, id: OfficerId, schedule: &Schedule) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE officers SET hours = ?2, slot_minutes = ?3 WHERE id = ?1 AND active = 1",
                params![id, schedule.hours.to_string(), schedule.slot_minutes],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            tx.execute("DELETE FROM days_off WHERE officer_id = ?1", [id])?;
            let mut st =
                tx.prepare_cached("INSERT INTO days_off(officer_id, day) VALUES (?1, ?2)")?;
            for d in &schedule.days_off {
                st.execute(params![id, d.to_string()])?;
            }
            Ok(())
        })
    }

    /// Removes an officer from the station. Refused while they still have booked
    /// appointments ahead (those citizens would be left waiting for nobody) and when they
    /// are the last admin.
    pub fn remove_officer(&self, id: OfficerId, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            let ahead: i64 = tx.query_row(
                "SELECT count(*) FROM appointments WHERE officer_id = ?1 AND status = 'booked' AND end_at > ?2",
                params![id, ts(now)],
                |r| r.get(0),
            )?;
            if ahead > 0 {
                return Err(StoreError::Conflict("officer_has_bookings"));
            }
            let n = tx.execute("UPDATE officers SET active = 0 WHERE id = ?1 AND active = 1", [id])?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            tx.execute("DELETE FROM sessions WHERE officer_id = ?1", [id])?;
            ensure_admin_left(tx)
        })
    }
}

/// The schedule of an officer, inside a transaction (for the figures of a day).
pub(crate) fn schedule_of(
    tx: &rusqlite::Connection,
    officer_id: OfficerId,
) -> Result<Option<Schedule>> {
    Ok(load(tx, "id = ?1", [officer_id])?.pop().map(|o| o.schedule))
}

fn ensure_admin_left(tx: &rusqlite::Connection) -> Result<()> {
    let admins: i64 = tx.query_row(
        "SELECT count(*) FROM officers WHERE active = 1 AND is_admin = 1",
        [],
        |r| r.get(0),
    )?;
    if admins == 0 {
        return Err(StoreError::Conflict("last_admin"));
    }
    Ok(())
}

fn insert_officer(
    tx: &rusqlite::Connection,
    o: &NewOfficer,
    now: DateTime<Utc>,
) -> Result<OfficerId> {
    tx.execute(
        "INSERT INTO officers(name, rank, email, password_hash, is_admin, hours, slot_minutes, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![o.name, o.rank, o.email, o.password_hash, o.is_admin, o.hours.to_string(), o.slot_minutes, ts(now)],
    )
    .map_err(|e| conflict_on(e, &[("officers.email", "email_taken")]))?;
    Ok(OfficerId(tx.last_insert_rowid()))
}

fn admins(c: &rusqlite::Connection) -> Result<u32> {
    Ok(c.query_row(
        "SELECT count(*) FROM officers WHERE active = 1 AND is_admin = 1",
        [],
        |r| r.get(0),
    )?)
}
