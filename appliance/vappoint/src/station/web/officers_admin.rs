//! The console's pages about officers themselves: one's own hours and password, and for
//! admins the list of officers, adding one, and any officer's hours, days off and password.
//!
//! Hours are edited with day check boxes and time fields, one row per range; the text form
//! of the CLI ("Mon-Sat 11:00-13:00") is still accepted in an "advanced" field. Forms that
//! fail come back with everything typed (but passwords) and the problem next to its field.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{Duration, NaiveDate, NaiveTime, Utc, Weekday};
use fluent_bundle::FluentValue;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use vappoint_domain::schedule::{DAYS, SLOT_MINUTES_RANGE};
use vappoint_domain::{Schedule, ScheduleError, WeeklyHours};
use vappoint_store::{NewOfficer, Officer, OfficerId, StoreError};

use super::auth::Me;
use super::officer::{page, with_status};
use crate::console::csrf::Empty;
use crate::console::password::{MIN_PASSWORD, check, hashed};
use crate::console::{AdminForm, ConsoleError, CsrfForm};
use crate::station::app::App;
use crate::station::calls::SignedOut;
use crate::station::web::officer::audit;
use crate::ui::fmt_date;
use vappoint_domain::clean_label;
use vappoint_store::{Action, Subject};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/officer/schedule",
            get(own_schedule).post(save_own_schedule),
        )
        .route(
            "/officer/password",
            get(password_form).post(change_password),
        )
        .route("/officer/officers", get(officers).post(add_officer))
        .route(
            "/officer/officers/{id}",
            get(officer_page).post(edit_officer),
        )
        .route(
            "/officer/officers/{id}/schedule",
            post(save_officer_schedule),
        )
        .route("/officer/officers/{id}/password", post(reset_password))
        .route("/officer/officers/{id}/remove", post(remove_officer))
}

/// Rows of day and time controls a form takes: as many ranges as weekly hours may have.
const MAX_ROWS: usize = 28;

/// Slot lengths the forms offer (the officer's own, if different, is added).
const SLOT_CHOICES: [u16; 7] = [5, 10, 15, 20, 30, 45, 60];

/// Problems with a form, by field name, each shown next to its field.
type Problems = BTreeMap<&'static str, String>;

// ---- hours as day and time controls ----

/// One range of the hours controls: the days it applies to and its times ("HH:MM").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct HoursRow {
    days: [bool; 7],
    from: String,
    to: String,
}

impl HoursRow {
    fn is_blank(&self) -> bool {
        !self.days.contains(&true) && self.from.is_empty() && self.to.is_empty()
    }
}

fn day_key(d: Weekday) -> String {
    d.to_string().to_ascii_lowercase()
}

/// The rows showing `hours`, and one blank row to add a range without script.
fn rows_of(hours: &WeeklyHours) -> Vec<HoursRow> {
    let rows = hours
        .ranges()
        .map(|(days, start, end)| HoursRow {
            days: DAYS.map(|d| days.contains(&d)),
            from: start.format("%H:%M").to_string(),
            // A time field cannot say 24:00; 00:00 as the end means midnight.
            to: end.map_or_else(|| "00:00".into(), |e| e.format("%H:%M").to_string()),
        })
        .collect();
    with_blank(rows)
}

fn with_blank(mut rows: Vec<HoursRow>) -> Vec<HoursRow> {
    rows.retain(|r| !r.is_blank());
    if rows.len() < MAX_ROWS {
        rows.push(HoursRow::default());
    }
    rows
}

/// Browsers send "11:00", or "11:00:00" when seconds are allowed.
fn short_time(s: &str) -> String {
    let s = s.trim();
    match s.len() {
        8 if s.ends_with(":00") => s[..5].to_string(),
        _ => s.to_string(),
    }
}

/// The rows sent as fields `r{i}_{mon..sun}`, `r{i}_from`, `r{i}_to`; blank rows dropped.
fn rows_from(fields: &BTreeMap<String, String>) -> Vec<HoursRow> {
    (0..MAX_ROWS)
        .map(|i| {
            let time = |k: &str| short_time(fields.get(&format!("r{i}_{k}")).map_or("", |v| v));
            HoursRow {
                days: DAYS.map(|d| fields.contains_key(&format!("r{i}_{}", day_key(d)))),
                from: time("from"),
                to: time("to"),
            }
        })
        .filter(|r| !r.is_blank())
        .collect()
}

/// The rows in the text form ("Mon,Wed 11:00-13:00; Sat 10:00-12:00"), parsed.
fn hours_of_rows(me: &Me, rows: &[HoursRow]) -> Result<WeeklyHours, String> {
    let mut parts = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let row: FluentValue<'static> = (i + 1).into();
        if !r.days.contains(&true) {
            return Err(me.t_args("console-hours-no-day", &[("row", row)]));
        }
        if r.from.is_empty() || r.to.is_empty() {
            return Err(me.t_args("console-hours-no-time", &[("row", row)]));
        }
        let days: Vec<String> = DAYS
            .iter()
            .zip(r.days)
            .filter(|(_, on)| *on)
            .map(|(d, _)| d.to_string())
            .collect();
        let to = if r.to == "00:00" { "24:00" } else { &r.to };
        parts.push(format!("{} {}-{}", days.join(","), r.from, to));
    }
    parts.join("; ").parse().map_err(|e| hours_problem(me, e))
}

fn hours_problem(me: &Me, e: ScheduleError) -> String {
    match e {
        ScheduleError::Syntax(_) | ScheduleError::Day(_) => me.t("console-hours-syntax"),
        ScheduleError::EmptyRange(r) => {
            me.t_args("console-hours-empty-range", &[("range", r.into())])
        }
        ScheduleError::Overlap(day) => me.t_args(
            "console-hours-overlap",
            &[("day", me.t(&format!("console-day-{}", day_key(day))).into())],
        ),
        ScheduleError::SlotLength(_) => me.t("console-slot-range"),
        ScheduleError::TooMany => me.t("console-hours-too-many"),
    }
}

/// The hours a form asks for: the text field when filled in (the form `vappoint officer add
/// --hours` takes), else the controls. Also the rows to show again.
fn hours_asked(
    me: &Me,
    text: &str,
    controls: &BTreeMap<String, String>,
) -> (Vec<HoursRow>, Result<WeeklyHours, String>) {
    if text.trim().is_empty() {
        let rows = rows_from(controls);
        let hours = hours_of_rows(me, &rows);
        (with_blank(rows), hours)
    } else {
        match text.parse::<WeeklyHours>() {
            Ok(h) => (rows_of(&h), Ok(h)),
            Err(e) => (with_blank(rows_from(controls)), Err(hours_problem(me, e))),
        }
    }
}

fn slot_asked(me: &Me, s: &str) -> Result<u16, String> {
    s.trim()
        .parse::<u16>()
        .ok()
        .filter(|m| SLOT_MINUTES_RANGE.contains(m))
        .ok_or_else(|| me.t("console-slot-range"))
}

fn days_off_asked(me: &Me, s: &str) -> Result<BTreeSet<NaiveDate>, String> {
    let mut off = BTreeSet::new();
    for d in s
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        let day = d
            .parse::<NaiveDate>()
            .map_err(|_| me.t_args("console-days-off-bad", &[("day", d.to_string().into())]))?;
        off.insert(day);
    }
    if off.len() > 366 {
        return Err(me.t("console-days-off-many"));
    }
    Ok(off)
}

fn days_off_text(s: &Schedule) -> String {
    s.days_off
        .iter()
        .map(NaiveDate::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rows as the template shows them.
fn rows_json(me: &Me, rows: &[HoursRow]) -> Value {
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let days: Vec<Value> = DAYS
                .iter()
                .zip(r.days)
                .map(|(d, on)| {
                    let key = day_key(*d);
                    json!({"key": key, "label": me.t(&format!("console-day-{key}")), "on": on})
                })
                .collect();
            json!({"i": i, "n": i + 1, "days": days, "from": r.from, "to": r.to})
        })
        .collect()
}

fn slot_choices(current: u16) -> Vec<u16> {
    let mut c: BTreeSet<u16> = SLOT_CHOICES.into_iter().collect();
    c.insert(current);
    c.into_iter().collect()
}

/// Days with more slots than this show their spans only, not every start time.
const PREVIEW_TIMES_MAX: usize = 48;

/// The slots a schedule makes in the next seven days, as the preview shows them: per day
/// the count, the spans they cover ("11:00–13:00"), and the start times when few.
fn preview(app: &App, me: &Me, s: &Schedule) -> Value {
    let tz = app.tz();
    let today = Utc::now().with_timezone(&tz).date_naive();
    let hm = |t: chrono::DateTime<Utc>| t.with_timezone(&tz).format("%H:%M").to_string();
    (0..7)
        .map(|i| {
            let day = today + Duration::days(i);
            let noon = day
                .and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default())
                .and_utc();
            let slots = s.slots_on(day, tz);
            // Back-to-back slots make one span.
            let mut spans: Vec<(chrono::DateTime<Utc>, chrono::DateTime<Utc>)> = Vec::new();
            for x in &slots {
                match spans.last_mut() {
                    Some(last) if last.1 == x.start => last.1 = x.end,
                    _ => spans.push((x.start, x.end)),
                }
            }
            let spans: Vec<String> = spans
                .into_iter()
                .map(|(a, b)| format!("{}–{}", hm(a), hm(b)))
                .collect();
            let times: Vec<String> = if slots.len() <= PREVIEW_TIMES_MAX {
                slots.iter().map(|x| hm(x.start)).collect()
            } else {
                Vec::new()
            };
            json!({
                "date": fmt_date(noon, tz, me.lang), "off": s.days_off.contains(&day),
                "count": slots.len(), "spans": spans.join(", "), "times": times.join(" "),
            })
        })
        .collect()
}

// ---- hours and days off (one's own, or any officer's for an admin) ----

#[derive(Debug, Default, Deserialize)]
struct ScheduleForm {
    #[serde(default)]
    slot_minutes: String,
    #[serde(default)]
    days_off: String,
    /// The "advanced" text form of the hours; when filled in it replaces the controls.
    #[serde(default)]
    hours: String,
    /// Present when "Preview" was pressed: show the slots, save nothing.
    #[serde(default)]
    preview: Option<String>,
    /// The hours controls, `r{i}_{day}`, `r{i}_from`, `r{i}_to`.
    #[serde(flatten)]
    controls: BTreeMap<String, String>,
}

/// What the hours page shows: the form's values, their problems, and the preview.
struct ScheduleView {
    rows: Vec<HoursRow>,
    hours_text: String,
    slot: String,
    days_off: String,
    valid: Option<Schedule>,
    problems: Problems,
    notice: Option<String>,
    error: Option<String>,
}

impl ScheduleView {
    fn of(s: &Schedule) -> ScheduleView {
        ScheduleView {
            rows: rows_of(&s.hours),
            hours_text: String::new(),
            slot: s.slot_minutes.to_string(),
            days_off: days_off_text(s),
            valid: Some(s.clone()),
            problems: Problems::new(),
            notice: None,
            error: None,
        }
    }
}

fn schedule_page(app: &App, me: &Me, target: &Officer, v: ScheduleView) -> Response {
    let own = target.id == me.officer.id;
    let slot = v.slot.parse().unwrap_or(target.schedule.slot_minutes);
    let status = if v.problems.is_empty() && v.error.is_none() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let r = page(
        app,
        "officer/schedule.html",
        Some(me),
        json!({
            "target": {"id": target.id, "name": target.name, "rank": target.rank, "email": target.email, "own": own},
            "action": if own { "/officer/schedule".to_string() } else { format!("/officer/officers/{}/schedule", target.id) },
            "rows": rows_json(me, &v.rows),
            "hours_now": target.schedule.hours.to_string(),
            "hours_text": v.hours_text,
            "slot_minutes": slot, "slot_choices": slot_choices(slot),
            "days_off": v.days_off,
            "preview": v.valid.as_ref().map(|s| preview(app, me, s)),
            "errors": v.problems,
            "notice": v.notice, "error": v.error,
            "min_password": MIN_PASSWORD,
            "here": if own { "/officer/schedule".to_string() } else { format!("/officer/officers/{}", target.id) },
        }),
    );
    with_status(r, status)
}

async fn own_schedule(State(app): State<Arc<App>>, me: Me) -> Response {
    let target = me.officer.clone();
    schedule_page(&app, &me, &target, ScheduleView::of(&target.schedule))
}

async fn save_own_schedule(
    State(app): State<Arc<App>>,
    me: Me,
    CsrfForm(f): CsrfForm<ScheduleForm>,
) -> Result<Response, ConsoleError> {
    let target = me.officer.clone();
    save_schedule(&app, &me, target, f).await
}

/// An admin's page for one officer: their hours and days off, and a new password.
async fn officer_page(
    State(app): State<Arc<App>>,
    me: Me,
    Path(id): Path<OfficerId>,
) -> Result<Response, ConsoleError> {
    me.require_admin()?;
    let target = active_officer(&app, id).await?;
    Ok(schedule_page(
        &app,
        &me,
        &target,
        ScheduleView::of(&target.schedule),
    ))
}

async fn save_officer_schedule(
    State(app): State<Arc<App>>,
    me: Me,
    Path(id): Path<OfficerId>,
    AdminForm(f): AdminForm<ScheduleForm>,
) -> Result<Response, ConsoleError> {
    let target = active_officer(&app, id).await?;
    save_schedule(&app, &me, target, f).await
}

async fn active_officer(app: &Arc<App>, id: OfficerId) -> Result<Officer, ConsoleError> {
    match app.db(move |s| s.officer(id)).await? {
        o if o.active => Ok(o),
        _ => Err(ConsoleError::not_found()),
    }
}

async fn save_schedule(
    app: &Arc<App>,
    me: &Me,
    mut target: Officer,
    f: ScheduleForm,
) -> Result<Response, ConsoleError> {
    let (rows, hours) = hours_asked(me, &f.hours, &f.controls);
    let mut problems = Problems::new();
    let hours = hours.map_err(|m| problems.insert("hours", m)).ok();
    let slot = slot_asked(me, &f.slot_minutes)
        .map_err(|m| problems.insert("slot_minutes", m))
        .ok();
    let off = days_off_asked(me, &f.days_off)
        .map_err(|m| problems.insert("days_off", m))
        .ok();
    let valid = match (hours, slot, off) {
        (Some(h), Some(s), Some(o)) => Schedule::new(h, s, o)
            .map_err(|e| problems.insert("slot_minutes", hours_problem(me, e)))
            .ok(),
        _ => None,
    };
    let mut view = ScheduleView {
        rows,
        hours_text: if problems.contains_key("hours") {
            f.hours.clone()
        } else {
            String::new()
        },
        slot: f.slot_minutes.trim().to_string(),
        days_off: f.days_off.clone(),
        valid: valid.clone(),
        problems,
        notice: None,
        error: None,
    };
    let Some(schedule) = valid.filter(|_| f.preview.is_none()) else {
        if !view.problems.is_empty() {
            view.error = Some(me.t("console-check-fields"));
        }
        return Ok(schedule_page(app, me, &target, view));
    };
    let (id, saved) = (target.id, schedule.clone());
    app.db(move |st| st.set_schedule(id, &saved)).await?;
    tracing::info!(by = me.officer.id.0, officer = id.0, "hours saved");
    audit::by(app, me, Action::OfficerChanged, Subject::Officer(id)).await?;
    target.schedule = schedule.clone();
    let mut view = ScheduleView::of(&schedule);
    view.notice = Some(me.t("console-schedule-saved"));
    Ok(schedule_page(app, me, &target, view))
}

// ---- passwords ----

#[derive(Debug, Default, Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
}

/// A new password typed twice: long enough, and the same both times.
fn new_password_problems(me: &Me, new: &str, again: &str, problems: &mut Problems) {
    if new.chars().count() < MIN_PASSWORD || new.len() > 1024 {
        problems.insert(
            "new_password",
            me.t_args("console-password-short", &[("min", MIN_PASSWORD.into())]),
        );
    } else if new != again {
        problems.insert("new_password_again", me.t("console-password-mismatch"));
    }
}

fn password_page(app: &App, me: &Me, problems: Problems, notice: Option<String>) -> Response {
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let error = (!problems.is_empty()).then(|| me.t("console-check-fields"));
    with_status(
        page(
            app,
            "officer/password.html",
            Some(me),
            json!({"errors": problems, "notice": notice, "error": error, "min_password": MIN_PASSWORD, "here": "/officer/password"}),
        ),
        status,
    )
}

async fn password_form(State(app): State<Arc<App>>, me: Me) -> Response {
    password_page(&app, &me, Problems::new(), None)
}

/// An officer changes their own password: the current one first, so a console left open
/// cannot be taken over. Their other sessions end; this one stays.
async fn change_password(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    me: Me,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> Result<Response, ConsoleError> {
    if !app.limits.login_from(peer.ip()) {
        return Err(ConsoleError::too_many_tries());
    }
    let mut problems = Problems::new();
    let (current, hash) = (f.current_password.clone(), me.officer.password_hash.clone());
    let right = check(current, hash).await;
    if !right {
        tracing::info!(officer = me.officer.id.0, ip = %peer.ip(), "password change: wrong current password");
        problems.insert("current_password", me.t("console-password-wrong"));
    }
    new_password_problems(&me, &f.new_password, &f.new_password_again, &mut problems);
    if !problems.is_empty() {
        return Ok(password_page(&app, &me, problems, None));
    }
    store_password(
        &app,
        me.officer.id,
        f.new_password,
        Some(me.id_hash.clone()),
    )
    .await?;
    tracing::info!(officer = me.officer.id.0, "password changed");
    let own = Subject::Officer(me.officer.id);
    audit::by(&app, &me, Action::PasswordChanged, own).await?;
    Ok(password_page(
        &app,
        &me,
        Problems::new(),
        Some(me.t("console-password-changed")),
    ))
}

#[derive(Debug, Default, Deserialize)]
struct ResetForm {
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
}

/// An admin gives an officer a new password (a forgotten one); all of that officer's
/// sessions end.
async fn reset_password(
    State(app): State<Arc<App>>,
    me: Me,
    Path(id): Path<OfficerId>,
    AdminForm(f): AdminForm<ResetForm>,
) -> Result<Response, ConsoleError> {
    let target = active_officer(&app, id).await?;
    let mut problems = Problems::new();
    new_password_problems(&me, &f.new_password, &f.new_password_again, &mut problems);
    let mut view = ScheduleView::of(&target.schedule);
    if !problems.is_empty() {
        view.problems = problems;
        view.error = Some(me.t("console-check-fields"));
        return Ok(schedule_page(&app, &me, &target, view));
    }
    // Resetting one's own password here keeps this session, like changing it.
    let keep = (id == me.officer.id).then(|| me.id_hash.clone());
    store_password(&app, id, f.new_password, keep).await?;
    tracing::info!(by = me.officer.id.0, officer = id.0, "password reset");
    audit::by(&app, &me, Action::PasswordChanged, Subject::Officer(id)).await?;
    view.notice = Some(me.t_args(
        "console-password-reset",
        &[("name", target.name.clone().into())],
    ));
    Ok(schedule_page(&app, &me, &target, view))
}

async fn store_password(
    app: &Arc<App>,
    id: OfficerId,
    password: String,
    keep: Option<Vec<u8>>,
) -> Result<(), ConsoleError> {
    let hash = hashed(password).await?;
    let kept = keep.clone();
    app.db(move |s| s.set_password(id, &hash, kept.as_deref()))
        .await?;
    // The sessions that ended close their sockets too.
    app.calls
        .sign_out_officer(id, keep.as_deref(), SignedOut::PasswordChanged);
    Ok(())
}

// ---- officers (admin) ----

#[derive(Debug, Default, Deserialize)]
struct AddOfficerForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    rank: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    /// The text form of the hours; when filled in it replaces the controls.
    #[serde(default)]
    hours: String,
    #[serde(default)]
    slot_minutes: String,
    #[serde(default)]
    is_admin: Option<String>,
    #[serde(flatten)]
    controls: BTreeMap<String, String>,
}

/// The add-officer form as it is shown: blank, or as sent with its problems.
#[derive(Serialize)]
struct AddView {
    name: String,
    rank: String,
    email: String,
    hours: String,
    slot_minutes: u16,
    is_admin: bool,
    #[serde(skip)]
    rows: Vec<HoursRow>,
}

impl Default for AddView {
    fn default() -> AddView {
        AddView {
            name: String::new(),
            rank: String::new(),
            email: String::new(),
            hours: String::new(),
            slot_minutes: 5,
            is_admin: false,
            rows: rows_of(&WeeklyHours::default()),
        }
    }
}

async fn officers_page(
    app: &Arc<App>,
    me: &Me,
    form: AddView,
    problems: Problems,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ConsoleError> {
    let list = app.db(|s| s.officers()).await?;
    let rows: Vec<Value> = list
        .iter()
        .map(|o| json!({"id": o.id, "name": o.name, "rank": o.rank, "email": o.email, "is_admin": o.is_admin, "hours": o.schedule.hours.to_string(), "slot_minutes": o.schedule.slot_minutes}))
        .collect();
    let status = if problems.is_empty() && error.is_none() {
        StatusCode::OK
    } else if problems.contains_key("email") && problems.len() == 1 {
        StatusCode::CONFLICT
    } else {
        StatusCode::BAD_REQUEST
    };
    let error = error.or_else(|| (!problems.is_empty()).then(|| me.t("console-check-fields")));
    let r = page(
        app,
        "officer/officers.html",
        Some(me),
        json!({
            "officers": rows, "form": form, "rows": rows_json(me, &form.rows),
            "slot_choices": slot_choices(form.slot_minutes), "errors": problems,
            "notice": notice, "error": error, "min_password": MIN_PASSWORD,
            "here": "/officer/officers",
        }),
    );
    Ok(with_status(r, status))
}

async fn officers(State(app): State<Arc<App>>, me: Me) -> Result<Response, ConsoleError> {
    me.require_admin()?;
    officers_page(&app, &me, AddView::default(), Problems::new(), None, None).await
}

async fn add_officer(
    State(app): State<Arc<App>>,
    me: Me,
    AdminForm(f): AdminForm<AddOfficerForm>,
) -> Result<Response, ConsoleError> {
    let mut problems = Problems::new();
    let name = clean_label(&f.name, "")
        .map_err(|_| problems.insert("name", me.t("console-label-bad")))
        .ok();
    let rank = clean_label(&f.rank, "")
        .map_err(|_| problems.insert("rank", me.t("console-label-bad")))
        .ok();
    let email = f.email.trim().to_string();
    if !vappoint_domain::booking::valid_email(&email) {
        problems.insert("email", me.t("console-email-bad"));
    }
    if f.password.chars().count() < MIN_PASSWORD || f.password.len() > 1024 {
        problems.insert(
            "password",
            me.t_args("console-password-short", &[("min", MIN_PASSWORD.into())]),
        );
    }
    let (rows, hours) = hours_asked(&me, &f.hours, &f.controls);
    let hours = hours.map_err(|m| problems.insert("hours", m)).ok();
    let slot = slot_asked(&me, &f.slot_minutes)
        .map_err(|m| problems.insert("slot_minutes", m))
        .ok();
    let form = AddView {
        name: f.name.clone(),
        rank: f.rank.clone(),
        email: f.email.clone(),
        hours: if problems.contains_key("hours") {
            f.hours.clone()
        } else {
            String::new()
        },
        slot_minutes: slot.unwrap_or(5),
        is_admin: f.is_admin.is_some(),
        rows,
    };
    let (Some(name), Some(rank), Some(hours), Some(slot_minutes), true) =
        (name, rank, hours, slot, problems.is_empty())
    else {
        return officers_page(&app, &me, form, problems, None, None).await;
    };
    let password_hash = hashed(f.password).await?;
    let new = NewOfficer {
        name,
        rank,
        email,
        password_hash,
        is_admin: form.is_admin,
        hours,
        slot_minutes,
    };
    match app.db(move |s| s.add_officer(&new, Utc::now())).await {
        Ok(id) => {
            tracing::info!(by = me.officer.id.0, officer = id.0, "officer added");
            audit::by(&app, &me, Action::OfficerAdded, Subject::Officer(id)).await?;
            let notice = me.t_args(
                "console-officer-added",
                &[("name", form.name.trim().to_string().into())],
            );
            officers_page(
                &app,
                &me,
                AddView::default(),
                Problems::new(),
                Some(notice),
                None,
            )
            .await
        }
        Err(StoreError::Conflict(_)) => {
            problems.insert("email", me.t("console-email-taken"));
            officers_page(&app, &me, form, problems, None, None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
struct EditOfficerForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    rank: String,
    #[serde(default)]
    is_admin: Option<String>,
}

async fn edit_officer(
    State(app): State<Arc<App>>,
    me: Me,
    Path(id): Path<OfficerId>,
    AdminForm(f): AdminForm<EditOfficerForm>,
) -> Result<Response, ConsoleError> {
    let saved = match (clean_label(&f.name, ""), clean_label(&f.rank, "")) {
        (Ok(name), Ok(rank)) => {
            let is_admin = f.is_admin.is_some();
            match app
                .db(move |s| s.update_officer(id, &name, &rank, is_admin))
                .await
            {
                Ok(()) => Ok(me.t("console-saved")),
                Err(StoreError::Conflict("last_admin")) => {
                    Err((StatusCode::CONFLICT, me.t("console-last-admin")))
                }
                Err(e) => return Err(e.into()),
            }
        }
        _ => Err((StatusCode::BAD_REQUEST, me.t("console-label-bad"))),
    };
    match saved {
        Ok(notice) => {
            audit::by(&app, &me, Action::OfficerChanged, Subject::Officer(id)).await?;
            officers_page(
                &app,
                &me,
                AddView::default(),
                Problems::new(),
                Some(notice),
                None,
            )
            .await
        }
        Err((status, msg)) => Ok(with_status(
            officers_page(
                &app,
                &me,
                AddView::default(),
                Problems::new(),
                None,
                Some(msg),
            )
            .await?,
            status,
        )),
    }
}

async fn remove_officer(
    State(app): State<Arc<App>>,
    me: Me,
    Path(id): Path<OfficerId>,
    AdminForm(Empty {}): AdminForm<Empty>,
) -> Result<Response, ConsoleError> {
    let msg = match app.db(move |s| s.remove_officer(id, Utc::now())).await {
        Ok(()) => {
            app.calls.sign_out_officer(id, None, SignedOut::Removed);
            tracing::info!(by = me.officer.id.0, officer = id.0, "officer removed");
            audit::by(&app, &me, Action::OfficerRemoved, Subject::Officer(id)).await?;
            let notice = me.t("console-officer-removed");
            return officers_page(
                &app,
                &me,
                AddView::default(),
                Problems::new(),
                Some(notice),
                None,
            )
            .await;
        }
        Err(StoreError::Conflict("officer_has_bookings")) => me.t("console-officer-has-bookings"),
        Err(StoreError::Conflict("last_admin")) => me.t("console-last-admin"),
        Err(e) => return Err(e.into()),
    };
    Ok(with_status(
        officers_page(
            &app,
            &me,
            AddView::default(),
            Problems::new(),
            None,
            Some(msg),
        )
        .await?,
        StatusCode::CONFLICT,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn controls_round_trip_through_the_text_form() {
        let hours: WeeklyHours = "Mon-Fri 11:00-13:00 16:00-17:00; Sat 10:00-24:00"
            .parse()
            .unwrap();
        let rows = rows_of(&hours);
        assert_eq!(rows.len(), 4, "three ranges and a blank row");
        assert!(rows[3].is_blank());
        assert_eq!(rows[2].to, "00:00");
        let mut sent = BTreeMap::new();
        for (i, r) in rows.iter().enumerate().filter(|(_, r)| !r.is_blank()) {
            for (d, on) in DAYS.iter().zip(r.days) {
                if on {
                    sent.insert(format!("r{i}_{}", day_key(*d)), "on".to_string());
                }
            }
            sent.insert(format!("r{i}_from"), format!("{}:00", r.from));
            sent.insert(format!("r{i}_to"), r.to.clone());
        }
        let back = rows_from(&sent);
        assert_eq!(back.len(), 3);
        assert_eq!(back[0].from, "11:00", "seconds are dropped");
        assert_eq!(back, rows[..3]);
    }

    #[test]
    fn blank_rows_are_ignored_and_half_rows_kept() {
        let rows = rows_from(&fields(&[
            ("r0_mon", "on"),
            ("r0_wed", "on"),
            ("r0_from", "09:00"),
            ("r0_to", "10:00"),
            ("r1_from", ""),
            ("r1_to", ""),
            ("r2_from", "12:00"),
        ]));
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].days,
            [true, false, true, false, false, false, false]
        );
        assert_eq!(rows[1].from, "12:00");
        assert!(!rows[1].days.contains(&true));
    }
}
