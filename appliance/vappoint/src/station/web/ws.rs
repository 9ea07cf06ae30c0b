//! The signalling WebSockets: `/ws/officer` (officer session) and `/ws/citizen` (the join
//! session a citizen gets for the right token). Messages are small JSON (see
//! `vappoint_wire::signal`); anything malformed or too large is refused without touching
//! any other call. An officer's socket lives only as long as its console session: it closes
//! (code 4001, the cause as its reason) when the session ends, whichever way.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use vappoint_bridge::Role;
use vappoint_domain::AppointmentStatus;
use vappoint_domain::call::EndedBy;
use vappoint_store::{AppointmentId, Officer, OfficerId};
use vappoint_wire::signal::{CitizenMsg, MAX_MESSAGE_BYTES, OfficerMsg, ServerMsg};

use super::auth::Me;
use crate::console::cookies::{self, CookieJar};
use crate::console::session::{self, Gone};
use crate::secrets::sha256;
use crate::station::app::App;
use crate::station::calls::{self, CallError, OUTBOX_DEPTH, SignedOut};

pub const JOIN_COOKIE: &str = "__Host-vappoint-join";

/// Opens a join session for a citizen who gave the right token; returns its cookie.
pub async fn open_join_session(
    app: &Arc<App>,
    appointment: AppointmentId,
) -> Result<CookieJar, super::Failure> {
    let id = crate::secrets::random_id();
    let hash = sha256(&id);
    app.db(move |s| s.create_join_session(&hash, appointment, Utc::now()))
        .await?;
    Ok(CookieJar::new().add(cookies::host(JOIN_COOKIE, id)))
}

/// The appointment of the join session this request carries, if any.
pub async fn join_session_of(app: &Arc<App>, headers: &HeaderMap) -> Option<AppointmentId> {
    let hash = cookies::session_id(headers, JOIN_COOKIE).map(sha256)?;
    app.db(move |s| s.join_session(&hash)).await.ok().flatten()
}
/// A page that keeps sending nonsense is disconnected after this many refusals.
const MAX_REFUSALS: u32 = 10;

/// How often an officer's socket reads its session again, whatever its expiry says: the
/// hooks close sockets at once on logout, a new password and removal in this process; this
/// catches the same done by another one (the CLI) within a few seconds.
const RECHECK: std::time::Duration = std::time::Duration::from_secs(3);

/// How long a running call keeps its officer's session from idling out: it is touched when
/// its last use is older than this.
const CALL_TOUCH: chrono::Duration = chrono::Duration::seconds(60);

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/ws/officer", get(officer_ws))
        .route("/ws/citizen", get(citizen_ws))
}

/// Browsers always send Origin on WebSockets; one from another site is refused (cookies are
/// SameSite=Strict as well, this is the second lock).
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match (
        headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()),
        host,
    ) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin.strip_prefix("https://") == Some(host),
        (Some(_), None) => false,
    }
}

fn error(e: &CallError) -> ServerMsg {
    ServerMsg::Error {
        code: e.code().into(),
        message: e.to_string(),
    }
}

fn refusal(code: &str, message: &str) -> ServerMsg {
    ServerMsg::Error {
        code: code.into(),
        message: message.into(),
    }
}

async fn officer_ws(
    State(app): State<Arc<App>>,
    me: Result<Me, Response>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    // A socket cannot follow the console's redirect to the login page.
    let Ok(me) = me else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| officer_loop(app, me.officer.id, me.id_hash, socket))
}

/// What an officer's socket is closed with once its session ended.
fn signed_out(why: SignedOut) -> Message {
    Message::Close(Some(CloseFrame {
        code: SignedOut::CLOSE_CODE,
        reason: why.as_str().into(),
    }))
}

async fn officer_loop(app: Arc<App>, officer_id: OfficerId, session: Vec<u8>, socket: WebSocket) {
    let (tx, rx) = mpsc::channel(OUTBOX_DEPTH);
    let (conn, closed) = app
        .calls
        .officer_joined(officer_id, session.clone(), tx.clone());
    let watch = tokio::spawn(watch_session(
        app.clone(),
        officer_id,
        conn,
        session.clone(),
    ));
    calls::refresh(&app, officer_id).await;
    // A page opened (or reloaded) while the officer's call is live takes the call up again.
    if let Some(appointment) = app.calls.call_of(officer_id) {
        let _ = tx.try_send(ServerMsg::Admitted {
            appointment: appointment.0,
        });
    }
    // The socket ends with its session; a signal never sent (the socket left first) is no end.
    let closing = async move {
        match closed.await {
            Ok(why) => signed_out(why),
            Err(_) => std::future::pending().await,
        }
    };
    let app2 = app.clone();
    pump(socket, rx, tx.clone(), closing, move |msg: OfficerMsg| {
        let app = app2.clone();
        let tx = tx.clone();
        let session = session.clone();
        async move {
            // What the officer does here is use of the console, like a request; the page's
            // own pings and candidates are not.
            if !matches!(msg, OfficerMsg::Ping { .. } | OfficerMsg::Candidate { .. }) {
                session::touch::<Officer>(&app, &session, Utc::now()).await;
            }
            let result = match msg {
                OfficerMsg::Ping { n } => {
                    let _ = tx.try_send(ServerMsg::Pong { n });
                    Ok(())
                }
                OfficerMsg::Admit { appointment } => {
                    calls::admit(&app, officer_id, AppointmentId(appointment)).await
                }
                OfficerMsg::Offer { appointment, sdp } => {
                    calls::offer(
                        &app,
                        AppointmentId(appointment),
                        Role::Officer,
                        Some(officer_id),
                        &sdp,
                    )
                    .await
                }
                OfficerMsg::Candidate {
                    appointment,
                    candidate,
                } => {
                    calls::candidate(
                        &app,
                        AppointmentId(appointment),
                        Role::Officer,
                        Some(officer_id),
                        candidate,
                    )
                    .await
                }
                OfficerMsg::Adjust {
                    appointment,
                    minutes,
                } => calls::adjust(&app, officer_id, AppointmentId(appointment), minutes).await,
                OfficerMsg::SendBack { appointment } => {
                    calls::send_back(&app, officer_id, AppointmentId(appointment)).await
                }
                OfficerMsg::End {
                    appointment,
                    message,
                } => {
                    let message = message
                        .map(|m| m.chars().take(1000).collect::<String>())
                        .filter(|m| !m.trim().is_empty());
                    calls::officer_end(&app, officer_id, AppointmentId(appointment), message).await
                }
            };
            result.map_err(|e| error(&e))
        }
    })
    .await;
    watch.abort();
    app.calls.officer_left(officer_id, conn);
}

/// Reads the session of an officer's socket again at its expiry and every `RECHECK`, and
/// closes the socket once the session no longer lets the officer in. A running call is use
/// of the console: it keeps the session from idling out.
async fn watch_session(app: Arc<App>, officer_id: OfficerId, conn: u64, session: Vec<u8>) {
    let mut expires_at: Option<DateTime<Utc>> = None;
    loop {
        // Just past the expiry (an expiry already past means now), or the next recheck.
        let wait = expires_at.map_or(RECHECK, |t| {
            let left = (t - Utc::now()).to_std().unwrap_or_default();
            (left + std::time::Duration::from_millis(50)).min(RECHECK)
        });
        tokio::time::sleep(wait).await;
        let now = Utc::now();
        match session::check::<Officer>(&app, &session, now).await {
            Ok(live) => {
                expires_at = Some(live.expires_at);
                if app.calls.call_of(officer_id).is_some() && now - live.last_seen_at > CALL_TOUCH {
                    session::touch::<Officer>(&app, &session, now).await;
                }
            }
            Err(gone) => {
                let why = match gone {
                    Gone::Expired => SignedOut::Expired,
                    Gone::Account => SignedOut::Removed,
                    Gone::Ended | Gone::Unreadable => SignedOut::LoggedOut,
                };
                tracing::info!(
                    officer = officer_id.0,
                    why = why.as_str(),
                    "an officer's socket closes with its session"
                );
                app.calls.sign_out_socket(officer_id, conn, why);
                return;
            }
        }
    }
}

async fn citizen_ws(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let Some(appointment) = join_session_of(&app, &headers).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let a = match app.db(move |s| s.appointment(appointment)).await {
        Ok(a) => a,
        Err(_) => return StatusCode::UNAUTHORIZED.into_response(),
    };
    // A page that reconnects after its call ended (or opened late) hears how it ended, once,
    // instead of waiting for ever for an officer who will not call.
    if matches!(
        a.status,
        AppointmentStatus::Done | AppointmentStatus::EndedEarly
    ) {
        let record = app.db(move |s| s.call(appointment)).await.ok().flatten();
        let ended = ServerMsg::Ended {
            appointment: appointment.0,
            by: record
                .as_ref()
                .and_then(|r| r.ended_by.clone())
                .unwrap_or_default(),
            message: record.and_then(|r| r.message),
        };
        return ws.on_upgrade(move |mut socket| async move {
            if let Ok(text) = serde_json::to_string(&ended) {
                let _ = socket.send(Message::Text(text.into())).await;
            }
            let _ = socket.send(Message::Close(None)).await;
        });
    }
    // The waiting room stays open until the end of the appointment's day (the officer may run
    // late). It opens with the token, 15 minutes before the slot: for a slot just after
    // midnight, that is still the day before.
    let today = Utc::now().with_timezone(&app.tz()).date_naive();
    if a.status != AppointmentStatus::Booked || a.local_day < today {
        return StatusCode::GONE.into_response();
    }
    let officer_id = a.officer_id;
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| citizen_loop(app, appointment, officer_id, socket))
}

async fn citizen_loop(
    app: Arc<App>,
    appointment: AppointmentId,
    officer_id: OfficerId,
    socket: WebSocket,
) {
    let (tx, rx) = mpsc::channel(OUTBOX_DEPTH);
    let (conn, in_call) = app
        .calls
        .citizen_joined(appointment, tx.clone(), Utc::now());
    if in_call {
        // Back from a reload or a dropped socket: into the call again, not the queue.
        calls::citizen_rejoined(&app, appointment);
    } else if let Some(name) = app
        .db(move |s| s.appointment(appointment))
        .await
        .ok()
        .map(|a| a.name)
    {
        app.calls.announce_arrival(officer_id, appointment, name);
    }
    calls::refresh(&app, officer_id).await;
    let app2 = app.clone();
    let closing = std::future::pending();
    pump(socket, rx, tx.clone(), closing, move |msg: CitizenMsg| {
        let app = app2.clone();
        let tx = tx.clone();
        async move {
            let result = match msg {
                CitizenMsg::Ping { n } => {
                    let _ = tx.try_send(ServerMsg::Pong { n });
                    Ok(())
                }
                CitizenMsg::Offer { sdp } => {
                    calls::offer(&app, appointment, Role::Citizen, None, &sdp).await
                }
                CitizenMsg::Candidate { candidate } => {
                    calls::candidate(&app, appointment, Role::Citizen, None, candidate).await
                }
                CitizenMsg::Leave => {
                    calls::end(&app, appointment, EndedBy::Citizen, None).await;
                    Ok(())
                }
                CitizenMsg::AudioOnly { on } => calls::citizen_audio_only(&app, appointment, on),
            };
            result.map_err(|e| error(&e))
        }
    })
    .await;
    if app.calls.citizen_left(appointment, conn) {
        // A citizen who drops out of a running call leaves its media leg; the officer sees it.
        calls::citizen_dropped(&app, appointment).await;
        calls::refresh(&app, officer_id).await;
    }
}

/// Runs one socket: sends what the hub queues for it, hands each message it can read to
/// `handle`, and answers refusals. Returns when either side closes, or when `closing` gives
/// the frame to close with (checked before anything else is sent).
async fn pump<M, F, Fut>(
    mut socket: WebSocket,
    mut rx: mpsc::Receiver<ServerMsg>,
    tx: mpsc::Sender<ServerMsg>,
    closing: impl std::future::Future<Output = Message>,
    handle: F,
) where
    M: serde::de::DeserializeOwned,
    F: Fn(M) -> Fut,
    Fut: std::future::Future<Output = Result<(), ServerMsg>>,
{
    let mut refusals = 0;
    tokio::pin!(closing);
    loop {
        tokio::select! {
            biased;
            close = &mut closing => {
                let _ = socket.send(close).await;
                break;
            }
            out = rx.recv() => {
                let Some(msg) = out else { break };
                let Ok(text) = serde_json::to_string(&msg) else { continue };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(Message::Text(t))) => t.to_string(),
                    Some(Ok(Message::Binary(_))) => {
                        let _ = tx.try_send(refusal("bad_message", "Only text messages are accepted."));
                        refusals += 1;
                        continue;
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    // Closed, or a protocol error such as a message over the size limit.
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                };
                // Anything that is not one of this side's messages is refused here, for both sides.
                let result = match serde_json::from_str::<M>(&text) {
                    Ok(msg) => handle(msg).await,
                    Err(_) => Err(refusal("bad_message", "That message could not be read.")),
                };
                if let Err(refused) = result {
                    refusals += 1;
                    let _ = tx.try_send(refused);
                }
                if refusals >= MAX_REFUSALS {
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
            }
        }
    }
}
