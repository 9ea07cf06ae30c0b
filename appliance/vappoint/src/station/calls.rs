//! Live calls: who is waiting, who is admitted, the countdown of each call, and the
//! signalling between the pages and the bridge. State lives in memory (a restart ends the
//! calls; the pages reconnect); every step is recorded in the database for follow-up and
//! reports. Only the officer of an appointment and its checked-in citizen can be connected.
//! An officer's sockets are tied to their console session: the end of the session (logout,
//! expiry, a new password, removal) closes them, so no citizen's name outlives it. A page
//! that reconnects during a call (a reload, a dropped socket) gets the call back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::{mpsc, oneshot};
use vappoint_bridge::{Bridge, LegEvent, Role};
use vappoint_domain::AppointmentStatus;
use vappoint_domain::call::{CallClock, EndedBy, after_call, estimate, presence};
use vappoint_store::{Appointment, AppointmentId, CallStep, OfficerId};
use vappoint_wire::signal::{Candidate, QueueDocument, QueueEntry, ServerMsg, Timer};

use crate::station::app::App;

/// A page's outgoing queue. Small: a page that stops reading is dropped, not waited for.
pub type Outbox = mpsc::Sender<ServerMsg>;
pub const OUTBOX_DEPTH: usize = 64;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CallError {
    #[error("this citizen is not waiting")]
    NotWaiting,
    #[error("the officer is in another call")]
    Busy,
    #[error("this appointment is with another officer")]
    NotYours,
    #[error("you have not been admitted yet")]
    NotAdmitted,
    #[error("no call is running for this appointment")]
    NoCall,
    #[error("the video connection could not be set up")]
    Bridge,
}

impl CallError {
    pub fn code(&self) -> &'static str {
        match self {
            CallError::NotWaiting => "not_waiting",
            CallError::Busy => "busy",
            CallError::NotYours => "not_yours",
            CallError::NotAdmitted => "not_admitted",
            CallError::NoCall => "no_call",
            CallError::Bridge => "bridge",
        }
    }
}

/// Why the station closed an officer's socket: the session it belonged to ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedOut {
    LoggedOut,
    Expired,
    PasswordChanged,
    Removed,
}

impl SignedOut {
    /// The WebSocket close code: the page stops reconnecting and shows it is signed out.
    pub const CLOSE_CODE: u16 = 4001;

    /// The close frame's reason, for the page and the log.
    pub fn as_str(self) -> &'static str {
        match self {
            SignedOut::LoggedOut => "logged_out",
            SignedOut::Expired => "expired",
            SignedOut::PasswordChanged => "password_changed",
            SignedOut::Removed => "removed",
        }
    }
}

/// One open officer socket: its console session (the hash of its id), its outgoing queue,
/// and the signal that closes it when the session ends.
struct OfficerConn {
    conn: u64,
    session: Vec<u8>,
    tx: Outbox,
    close: Option<oneshot::Sender<SignedOut>>,
}

struct Citizen {
    conn: u64,
    tx: Outbox,
    since: DateTime<Utc>,
}

struct Call {
    officer_id: OfficerId,
    /// The time the call gets when it connects: the slot's length, or what was left when
    /// the citizen was sent back to the waiting room.
    length: Duration,
    clock: Option<CallClock>,
    officer_connected: bool,
    citizen_connected: bool,
    /// The citizen stopped sending video (their choice or a weak link).
    citizen_audio_only: bool,
    /// Bumped whenever the end time changes, so an old timer knows it is stale.
    generation: u64,
}

#[derive(Default)]
struct State {
    next_conn: u64,
    officers: HashMap<OfficerId, Vec<OfficerConn>>,
    citizens: HashMap<AppointmentId, Citizen>,
    calls: HashMap<AppointmentId, Call>,
    /// Time left of calls whose citizen was sent back to the waiting room, by appointment.
    left: HashMap<AppointmentId, Duration>,
}

pub struct CallHub {
    state: Mutex<State>,
    pub bridge: Bridge,
    grace: std::time::Duration,
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

impl CallHub {
    pub fn new(bridge: Bridge, grace: std::time::Duration) -> CallHub {
        CallHub {
            state: Mutex::new(State::default()),
            bridge,
            grace,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn send_officer(&self, officer_id: OfficerId, msg: ServerMsg) {
        if let Some(conns) = self.state().officers.get(&officer_id) {
            for c in conns {
                let _ = c.tx.try_send(msg.clone());
            }
        }
    }

    fn send_citizen(&self, appointment: AppointmentId, msg: ServerMsg) {
        if let Some(c) = self.state().citizens.get(&appointment) {
            let _ = c.tx.try_send(msg);
        }
    }

    /// An officer's socket opened in the console session `session` (the hash of its id).
    /// The receiver fires when that session ends; the socket is then already out of the
    /// list, so nothing more is queued for it.
    pub fn officer_joined(
        &self,
        officer_id: OfficerId,
        session: Vec<u8>,
        tx: Outbox,
    ) -> (u64, oneshot::Receiver<SignedOut>) {
        let (close, closed) = oneshot::channel();
        let mut s = self.state();
        s.next_conn += 1;
        let conn = s.next_conn;
        s.officers.entry(officer_id).or_default().push(OfficerConn {
            conn,
            session,
            tx,
            close: Some(close),
        });
        (conn, closed)
    }

    pub fn officer_left(&self, officer_id: OfficerId, conn: u64) {
        self.sign_out(None, |o, c| o == officer_id && c.conn == conn);
    }

    /// Closes the sockets for which `which(officer, socket)` holds, telling each `why`
    /// (`None`: the socket is gone already and needs no telling). Returns how many.
    fn sign_out(
        &self,
        why: Option<SignedOut>,
        which: impl Fn(OfficerId, &OfficerConn) -> bool,
    ) -> usize {
        let mut closed = Vec::new();
        {
            let mut s = self.state();
            for (officer, list) in s.officers.iter_mut() {
                let (gone, kept): (Vec<_>, Vec<_>) =
                    list.drain(..).partition(|c| which(*officer, c));
                *list = kept;
                closed.extend(gone);
            }
            s.officers.retain(|_, list| !list.is_empty());
        }
        if let Some(why) = why {
            for c in &mut closed {
                if let Some(close) = c.close.take() {
                    let _ = close.send(why);
                }
            }
        }
        closed.len()
    }

    /// The console session with id hash `session` ended (logout): its sockets close now.
    pub fn sign_out_session(&self, session: &[u8], why: SignedOut) -> usize {
        self.sign_out(Some(why), |_, c| c.session == session)
    }

    /// All console sessions of `officer_id` but `keep` ended (a new password, removal):
    /// their sockets close now.
    pub fn sign_out_officer(
        &self,
        officer_id: OfficerId,
        keep: Option<&[u8]>,
        why: SignedOut,
    ) -> usize {
        self.sign_out(Some(why), |o, c| {
            o == officer_id && Some(c.session.as_slice()) != keep
        })
    }

    /// The session of one socket was found ended (by its own check): that socket closes.
    pub fn sign_out_socket(&self, officer_id: OfficerId, conn: u64, why: SignedOut) {
        self.sign_out(Some(why), |o, c| o == officer_id && c.conn == conn);
    }

    /// The call `officer_id` is in (admitted or running), if any.
    pub fn call_of(&self, officer_id: OfficerId) -> Option<AppointmentId> {
        self.state()
            .calls
            .iter()
            .find(|(_, c)| c.officer_id == officer_id)
            .map(|(id, _)| *id)
    }

    /// A checked-in citizen opened the waiting room, or came back to it. A second tab
    /// replaces the first. Also says whether the appointment's call is live (admitted or
    /// running): then the citizen is not waiting but on their way back into the call.
    pub fn citizen_joined(
        &self,
        appointment: AppointmentId,
        tx: Outbox,
        now: DateTime<Utc>,
    ) -> (u64, bool) {
        let mut s = self.state();
        s.next_conn += 1;
        let conn = s.next_conn;
        let since = s.citizens.get(&appointment).map_or(now, |c| c.since);
        s.citizens.insert(appointment, Citizen { conn, tx, since });
        (conn, s.calls.contains_key(&appointment))
    }

    /// Returns whether this connection was the citizen's current one.
    pub fn citizen_left(&self, appointment: AppointmentId, conn: u64) -> bool {
        let mut s = self.state();
        if s.citizens.get(&appointment).is_some_and(|c| c.conn == conn) {
            s.citizens.remove(&appointment);
            true
        } else {
            false
        }
    }

    /// Tells the officer's console that someone started waiting (it plays a signal).
    pub fn announce_arrival(
        &self,
        officer_id: OfficerId,
        appointment: AppointmentId,
        name: String,
    ) {
        self.send_officer(
            officer_id,
            ServerMsg::Arrived {
                appointment: appointment.0,
                name,
            },
        );
    }

    /// Officers with the console open.
    pub fn officers_online(&self) -> Vec<OfficerId> {
        self.state().officers.keys().copied().collect()
    }

    fn end_time(&self, officer_id: OfficerId, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let s = self.state();
        s.calls
            .values()
            .find(|c| c.officer_id == officer_id)
            .map(|c| match c.clock {
                Some(clock) => clock.ends_at(),
                None => now + c.length,
            })
    }
}

/// Records a step of a call for follow-up and reports. The call itself lives in memory and
/// goes on when the database refuses; the gap in the record is logged, not dropped.
async fn record(
    app: &Arc<App>,
    appointment: AppointmentId,
    step: CallStep,
    by: &'static str,
    at: DateTime<Utc>,
) {
    if let Err(e) = app
        .db(move |s| s.record_call(appointment, &step, by, at))
        .await
    {
        tracing::warn!(appointment = appointment.0, by, error = %e, "could not record a step of a call");
    }
}

/// Sends each waiting citizen of `officer_id` their place and estimate, and the officer the
/// live list.
pub async fn refresh(app: &Arc<App>, officer_id: OfficerId) {
    let now = Utc::now();
    let tz = app.tz();
    let today = now.with_timezone(&tz).date_naive();
    let day = match app
        .db(move |s| s.day_appointments(today, Some(officer_id)))
        .await
    {
        Ok(day) => day,
        Err(e) => {
            // The pages keep their last list; the next change refreshes them again.
            tracing::warn!(officer_id = officer_id.0, error = %e, "could not refresh the waiting list");
            return;
        }
    };
    let hub = &app.calls;
    // Citizens who wait from an earlier day (the officer ran very late) are listed too.
    let mut appointments: Vec<Appointment> = day;
    let waiting_elsewhere: Vec<AppointmentId> = {
        let s = hub.state();
        s.citizens
            .keys()
            .copied()
            .filter(|id| !appointments.iter().any(|a| a.id == *id))
            .collect()
    };
    for id in waiting_elsewhere {
        if let Ok(a) = app.db(move |s| s.appointment(id)).await
            && a.officer_id == officer_id
        {
            appointments.push(a);
        }
    }
    appointments.sort_by_key(|a| a.start);

    let busy_until = hub.end_time(officer_id, now);
    let mut ahead: Vec<u16> = Vec::new();
    let mut entries = Vec::new();
    for a in &appointments {
        let id = a.id;
        let (waiting_since, in_call, audio_only) = {
            let s = hub.state();
            let call = s.calls.get(&id);
            (
                s.citizens.get(&id).map(|c| c.since),
                call.map(|c| c.clock.is_some()),
                call.is_some_and(|c| c.citizen_audio_only),
            )
        };
        // The same status as every other page (`status_at`), refined by live presence.
        let status = if let Some(started) = in_call {
            if started { "in_call" } else { "admitted" }.to_string()
        } else if a.status_at(now).is_final() {
            a.status_at(now).as_str().to_string()
        } else {
            let p = presence(
                now,
                a.start,
                a.end,
                a.checked_in_at.is_some(),
                waiting_since.is_some(),
            );
            serde_json::to_value(p)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        };
        if status == "waiting" {
            let minutes = ((a.end - a.start).num_minutes()).clamp(1, 60) as u16;
            let e = estimate(now, a.start, busy_until, &ahead);
            hub.send_citizen(
                id,
                ServerMsg::Queue {
                    position: e.position,
                    expected_at_ms: ms(e.expected_at),
                    // In the station's time, as every time shown to a person: the phone's
                    // clock and its AM/PM may differ from the station's.
                    expected_at: crate::ui::fmt_time(e.expected_at, tz),
                    late_minutes: e.late_minutes,
                },
            );
            ahead.push(minutes);
        }
        let docs = match app.db(move |s| s.documents(id)).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(appointment = id.0, error = %e, "could not list an appointment's documents");
                Vec::new()
            }
        };
        entries.push(QueueEntry {
            appointment: id.0,
            reference: a.reference.clone(),
            name: a.name.clone(),
            time: a.start.with_timezone(&tz).format("%H:%M").to_string(),
            reason_category: a.reason_category.as_str().to_string(),
            reason: a.reason.clone(),
            documents: docs
                .into_iter()
                .map(|d| QueueDocument {
                    id: d.id,
                    file_name: d.file_name,
                })
                .collect(),
            status,
            waiting_seconds: waiting_since.map(|t| (now - t).num_seconds()),
            audio_only,
        });
    }
    hub.send_officer(officer_id, ServerMsg::Waiting { entries });
}

/// The officer calls a waiting citizen in.
pub async fn admit(
    app: &Arc<App>,
    officer_id: OfficerId,
    appointment: AppointmentId,
) -> Result<(), CallError> {
    let a = app
        .db(move |s| s.appointment(appointment))
        .await
        .map_err(|_| CallError::NotWaiting)?;
    if a.officer_id != officer_id {
        return Err(CallError::NotYours);
    }
    // A finished appointment stays finished, even if a forgotten tab still waits.
    if a.status != AppointmentStatus::Booked {
        return Err(CallError::NotWaiting);
    }
    let slot = Duration::minutes((a.end - a.start).num_minutes().clamp(1, 60));
    let length = {
        let mut s = app.calls.state();
        if !s.citizens.contains_key(&appointment) {
            return Err(CallError::NotWaiting);
        }
        if s.calls
            .iter()
            .any(|(id, c)| c.officer_id == officer_id && *id != appointment)
        {
            return Err(CallError::Busy);
        }
        let length = s
            .left
            .remove(&appointment)
            .map_or(slot, vappoint_domain::call::resume_length);
        s.calls
            .entry(appointment)
            .or_insert(Call {
                officer_id,
                length,
                clock: None,
                officer_connected: false,
                citizen_connected: false,
                citizen_audio_only: false,
                generation: 0,
            })
            .length
    };
    let step = CallStep::Admitted {
        officer_id,
        planned_seconds: length.num_seconds(),
    };
    record(app, appointment, step, "officer", Utc::now()).await;
    tracing::info!(
        appointment = appointment.0,
        officer_id = officer_id.0,
        "citizen admitted"
    );
    app.calls.send_citizen(
        appointment,
        ServerMsg::Admitted {
            appointment: appointment.0,
        },
    );
    refresh(app, officer_id).await;
    Ok(())
}

/// A citizen whose call is live came back (a reload, a dropped socket): their page is
/// called in again and offers anew (the bridge replaces their leg), and the officer is told
/// that they reconnected, not that someone started waiting.
pub fn citizen_rejoined(app: &App, appointment: AppointmentId) {
    let (officer_id, was_audio_only) = {
        let mut s = app.calls.state();
        let Some(call) = s.calls.get_mut(&appointment) else {
            return;
        };
        call.citizen_connected = false;
        // A reloaded page sends video again until the citizen chooses otherwise.
        (
            call.officer_id,
            std::mem::take(&mut call.citizen_audio_only),
        )
    };
    tracing::info!(
        appointment = appointment.0,
        "citizen reconnected to their call"
    );
    app.calls.send_citizen(
        appointment,
        ServerMsg::Admitted {
            appointment: appointment.0,
        },
    );
    app.calls.send_officer(
        officer_id,
        ServerMsg::Reconnected {
            appointment: appointment.0,
        },
    );
    if was_audio_only {
        app.calls.send_officer(
            officer_id,
            ServerMsg::AudioOnly {
                appointment: appointment.0,
                on: false,
            },
        );
    }
}

/// A citizen's socket dropped (or their page closed) while their call is live: their leg is
/// closed, and the officer is told the call waits for them to come back.
pub async fn citizen_dropped(app: &App, appointment: AppointmentId) {
    // Told only while they are still away: a page back already is not.
    let officer_id = {
        let s = app.calls.state();
        s.calls
            .get(&appointment)
            .filter(|_| !s.citizens.contains_key(&appointment))
            .map(|c| c.officer_id)
    };
    if let Some(officer_id) = officer_id {
        app.calls.send_officer(
            officer_id,
            ServerMsg::CitizenAway {
                appointment: appointment.0,
            },
        );
    }
    app.calls
        .bridge
        .disconnect(appointment.0, Role::Citizen)
        .await;
}

/// Checks that `role` may send media for `appointment` now.
fn may_connect(
    app: &App,
    appointment: AppointmentId,
    role: Role,
    officer_id: Option<OfficerId>,
) -> Result<(), CallError> {
    let s = app.calls.state();
    let call = s.calls.get(&appointment).ok_or(match role {
        Role::Citizen => CallError::NotAdmitted,
        Role::Officer => CallError::NoCall,
    })?;
    if role == Role::Officer && Some(call.officer_id) != officer_id {
        return Err(CallError::NotYours);
    }
    Ok(())
}

/// An SDP offer from one side: the bridge answers, and its candidates and state changes
/// are passed on to that side's page.
pub async fn offer(
    app: &Arc<App>,
    appointment: AppointmentId,
    role: Role,
    officer_id: Option<OfficerId>,
    sdp: &str,
) -> Result<(), CallError> {
    may_connect(app, appointment, role, officer_id)?;
    let (answer, mut events) = app
        .calls
        .bridge
        .connect(
            appointment.0,
            role,
            sdp,
            &app.ice_servers(&format!("bridge-{}", appointment.0)),
        )
        .await
        .map_err(|e| {
            tracing::warn!(appointment = appointment.0, ?role, error = %e, "bridge refused an offer");
            CallError::Bridge
        })?;
    let send = move |app: &App, msg: ServerMsg| match role {
        Role::Officer => app
            .calls
            .send_officer(officer_id.unwrap_or(OfficerId(0)), msg),
        Role::Citizen => app.calls.send_citizen(appointment, msg),
    };
    send(
        app,
        ServerMsg::Answer {
            appointment: appointment.0,
            sdp: answer,
        },
    );
    let app2 = app.clone();
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            match ev {
                LegEvent::Candidate(c) => send(
                    &app2,
                    ServerMsg::Candidate {
                        appointment: appointment.0,
                        candidate: c,
                    },
                ),
                LegEvent::Connected => leg_connected(&app2, appointment, role).await,
                LegEvent::Failed => {
                    // A failed leg still holds its UDP port; free it. The page may offer again.
                    app2.calls.bridge.disconnect(appointment.0, role).await;
                    break;
                }
                LegEvent::Closed => break,
                LegEvent::GatheringComplete => {}
            }
        }
    });
    Ok(())
}

pub async fn candidate(
    app: &Arc<App>,
    appointment: AppointmentId,
    role: Role,
    officer_id: Option<OfficerId>,
    c: Candidate,
) -> Result<(), CallError> {
    may_connect(app, appointment, role, officer_id)?;
    app.calls
        .bridge
        .add_candidate(appointment.0, role, c)
        .await
        .map_err(|_| CallError::Bridge)
}

/// The countdown as the pages get it.
fn timer(clock: CallClock, now: DateTime<Utc>) -> Timer {
    Timer {
        ends_at_ms: ms(clock.ends_at()),
        warning_at_ms: ms(clock.warning_at()),
        now_ms: ms(now),
    }
}

/// When both legs are connected the countdown starts. A leg that connects again while the
/// countdown runs (its page was reloaded or lost its socket) gets the call's state back.
async fn leg_connected(app: &Arc<App>, appointment: AppointmentId, role: Role) {
    let (started, running) = {
        let mut s = app.calls.state();
        let Some(call) = s.calls.get_mut(&appointment) else {
            return;
        };
        match role {
            Role::Officer => call.officer_connected = true,
            Role::Citizen => call.citizen_connected = true,
        }
        if call.officer_connected && call.citizen_connected && call.clock.is_none() {
            call.clock = Some(CallClock::resumed(Utc::now(), call.length));
            (Some(call.officer_id), None)
        } else {
            (None, call.clock.map(|clock| (call.officer_id, clock)))
        }
    };
    if let Some((officer_id, clock)) = running {
        tracing::info!(appointment = appointment.0, ?role, "call leg reconnected");
        let a = appointment.0;
        let msgs = [
            ServerMsg::Connected { appointment: a },
            ServerMsg::Timer {
                appointment: a,
                timer: timer(clock, Utc::now()),
            },
        ];
        for msg in msgs {
            match role {
                Role::Officer => app.calls.send_officer(officer_id, msg),
                Role::Citizen => app.calls.send_citizen(appointment, msg),
            }
        }
    }
    if let Some(officer_id) = started {
        tracing::info!(appointment = appointment.0, "call connected");
        record(app, appointment, CallStep::Started, "bridge", Utc::now()).await;
        app.calls.send_officer(
            officer_id,
            ServerMsg::Connected {
                appointment: appointment.0,
            },
        );
        app.calls.send_citizen(
            appointment,
            ServerMsg::Connected {
                appointment: appointment.0,
            },
        );
        arm_timer(app, appointment);
        refresh(app, officer_id).await;
    }
}

/// Sends the countdown to both sides and starts a timer task for the current end time.
fn arm_timer(app: &Arc<App>, appointment: AppointmentId) {
    let (officer_id, clock, generation) = {
        let mut s = app.calls.state();
        let Some(call) = s.calls.get_mut(&appointment) else {
            return;
        };
        let Some(clock) = call.clock else { return };
        call.generation += 1;
        (call.officer_id, clock, call.generation)
    };
    let timer = timer(clock, Utc::now());
    app.calls.send_officer(
        officer_id,
        ServerMsg::Timer {
            appointment: appointment.0,
            timer: timer.clone(),
        },
    );
    app.calls.send_citizen(
        appointment,
        ServerMsg::Timer {
            appointment: appointment.0,
            timer,
        },
    );
    let app = app.clone();
    tokio::spawn(async move {
        let current = |app: &App| {
            app.calls
                .state()
                .calls
                .get(&appointment)
                .is_some_and(|c| c.generation == generation)
        };
        tokio::time::sleep(clock.remaining(Utc::now()).to_std().unwrap_or_default()).await;
        if !current(&app) {
            return;
        }
        let grace = app.calls.grace;
        let grace_seconds = grace.as_secs() as u32;
        app.calls.send_officer(
            officer_id,
            ServerMsg::Ending {
                appointment: appointment.0,
                grace_seconds,
            },
        );
        app.calls.send_citizen(
            appointment,
            ServerMsg::Ending {
                appointment: appointment.0,
                grace_seconds,
            },
        );
        tokio::time::sleep(grace).await;
        if current(&app) {
            end(&app, appointment, EndedBy::Timer, None).await;
        }
    });
}

/// The officer adds or takes away minutes of a running call.
pub async fn adjust(
    app: &Arc<App>,
    officer_id: OfficerId,
    appointment: AppointmentId,
    minutes: i64,
) -> Result<(), CallError> {
    {
        let mut s = app.calls.state();
        let call = s.calls.get_mut(&appointment).ok_or(CallError::NoCall)?;
        if call.officer_id != officer_id {
            return Err(CallError::NotYours);
        }
        let clock = call.clock.as_mut().ok_or(CallError::NoCall)?;
        clock.adjust(Duration::minutes(minutes.clamp(-60, 60)), Utc::now());
    }
    let step = CallStep::Adjusted {
        seconds: minutes.clamp(-60, 60) * 60,
    };
    record(app, appointment, step, "officer", Utc::now()).await;
    arm_timer(app, appointment);
    Ok(())
}

/// Back to the waiting room: both legs close; the officer can admit again later, and the
/// call then resumes with the time that was left (not the whole slot again).
pub async fn send_back(
    app: &Arc<App>,
    officer_id: OfficerId,
    appointment: AppointmentId,
) -> Result<(), CallError> {
    {
        let mut s = app.calls.state();
        let left = match s.calls.get(&appointment) {
            Some(c) if c.officer_id == officer_id => c
                .clock
                .map_or(c.length, |clock| clock.remaining(Utc::now())),
            Some(_) => return Err(CallError::NotYours),
            None => return Err(CallError::NoCall),
        };
        s.calls.remove(&appointment);
        s.left.insert(appointment, left);
    }
    app.calls.bridge.end_call(appointment.0).await;
    record(app, appointment, CallStep::SentBack, "officer", Utc::now()).await;
    app.calls.send_citizen(
        appointment,
        ServerMsg::BackToWaiting {
            appointment: appointment.0,
        },
    );
    refresh(app, officer_id).await;
    Ok(())
}

/// Ends a call (by the officer, the timer or the citizen) on both sides, and with it the
/// appointment (done, or ended early).
pub async fn end(
    app: &Arc<App>,
    appointment: AppointmentId,
    ended_by: EndedBy,
    message: Option<String>,
) {
    let Some(call) = app.calls.state().calls.remove(&appointment) else {
        return;
    };
    app.calls.state().left.remove(&appointment);
    app.calls.bridge.end_call(appointment.0).await;
    let now = Utc::now();
    let status = after_call(ended_by, call.clock.map(|c| c.remaining(now)));
    let by = ended_by.as_str();
    let step = CallStep::Ended {
        by,
        message: message.clone(),
        status,
    };
    record(app, appointment, step, by, now).await;
    tracing::info!(appointment = appointment.0, by, "call ended");
    let ended = ServerMsg::Ended {
        appointment: appointment.0,
        by: by.to_string(),
        message,
    };
    app.calls.send_officer(call.officer_id, ended.clone());
    app.calls.send_citizen(appointment, ended);
    refresh(app, call.officer_id).await;
}

/// The officer ends a call of theirs.
pub async fn officer_end(
    app: &Arc<App>,
    officer_id: OfficerId,
    appointment: AppointmentId,
    message: Option<String>,
) -> Result<(), CallError> {
    match app.calls.state().calls.get(&appointment) {
        Some(c) if c.officer_id == officer_id => {}
        Some(_) => return Err(CallError::NotYours),
        None => return Err(CallError::NoCall),
    }
    end(app, appointment, EndedBy::Officer, message).await;
    Ok(())
}

/// The citizen stopped (or started again) sending video; their officer is told.
pub fn citizen_audio_only(
    app: &App,
    appointment: AppointmentId,
    on: bool,
) -> Result<(), CallError> {
    let officer_id = {
        let mut s = app.calls.state();
        let call = s
            .calls
            .get_mut(&appointment)
            .ok_or(CallError::NotAdmitted)?;
        call.citizen_audio_only = on;
        call.officer_id
    };
    app.calls.send_officer(
        officer_id,
        ServerMsg::AudioOnly {
            appointment: appointment.0,
            on,
        },
    );
    Ok(())
}
