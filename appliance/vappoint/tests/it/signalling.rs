//! Two calls through one station: media crosses within a call and never between calls, and a
//! keyframe request crosses over.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use vappoint::server::ServeArgs;
use vappoint::station::{Running, start};
use vappoint_bridge::{Candidate, LegEvent};
use vappoint_domain::{AppointmentStatus, ReasonCategory};
use vappoint_store::{AppointmentId, NewAppointment, NewMail, NewOfficer, OfficerId, Sessions};
use vappoint_wire::signal::{self, ServerMsg};

use crate::client::{CHROME, Client, FIREFOX};
use crate::{DEADLINE, wait_until};

type Ws = tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<TcpStream>>;

fn sha(s: &str) -> Vec<u8> {
    Sha256::digest(s.as_bytes()).to_vec()
}

async fn station(dir: &std::path::Path) -> Running {
    station_on(dir, "42000-42049").await
}

/// A station whose bridge uses `udp_ports`, so tests running at once do not share ports.
async fn station_on(dir: &std::path::Path, udp_ports: &str) -> Running {
    let config = dir.join("vappoint.toml");
    std::fs::write(
        &config,
        format!(
            "[calls]\nbind_ips = [\"127.0.0.1\"]\nudp_ports = \"{udp_ports}\"\ngrace = \"2s\"\n"
        ),
    )
    .unwrap();
    start(ServeArgs {
        data: dir.join("data"),
        https_addr: "127.0.0.1:0".parse().unwrap(),
        http_addr: "127.0.0.1:0".parse().unwrap(),
        config: Some(config),
        setup_code_file: None,
    })
    .await
    .unwrap()
}

/// An officer with a logged-in session; returns (officer id, session cookie).
fn officer(st: &Running, n: u8) -> (OfficerId, String) {
    let id = st
        .app
        .store
        .add_officer(
            &NewOfficer {
                name: format!("Officer {n}"),
                rank: "Police Inspector".into(),
                email: format!("o{n}@station.example"),
                password_hash: "unused".into(),
                // An admin, so the station is past set-up and serves its pages.
                is_admin: true,
                hours: "Mon-Sun 00:00-24:00".parse().unwrap(),
                slot_minutes: 5,
            },
            Utc::now(),
        )
        .unwrap();
    let session = format!("session-{n}");
    st.app
        .store
        .create_session(&sha(&session), id.0, "csrf", Utc::now())
        .unwrap();
    (id, format!("__Host-vappoint={session}"))
}

/// A booked, checked-in citizen of `officer` today; returns (appointment id, join cookie).
fn citizen(st: &Running, officer: OfficerId, n: u8) -> (AppointmentId, String) {
    let start: DateTime<Utc> = Utc::now() + chrono::Duration::minutes(1);
    let (appointment, _) = st
        .app
        .store
        .book(
            &NewAppointment {
                reference: format!("T-{n:06}"),
                link_hash: sha(&format!("link-{n}")),
                officer_id: officer,
                start,
                end: start + chrono::Duration::minutes(5),
                local_day: Utc::now().with_timezone(&st.app.tz()).date_naive(),
                name: format!("Citizen {n}"),
                email: format!("c{n}@example.in"),
                email_key: format!("c{n}@example.in"),
                mobile: None,
                reason_category: ReasonCategory::Complaint,
                reason: String::new(),
                lang: "en".into(),
                token_mac: vec![0; 32],
                reminder: None,
                guard: Default::default(),
            },
            &[],
            &NewMail {
                message_id: format!("<t{n}@test>"),
                kind: "booked".into(),
                to_addr: format!("c{n}@example.in"),
                sealed: vec![0; 32],
            },
            None,
            Utc::now(),
        )
        .unwrap()
        .into_parts();
    let join = format!("join-{n}");
    st.app
        .store
        .create_join_session(&sha(&join), appointment.id, Utc::now())
        .unwrap();
    (appointment.id, format!("__Host-vappoint-join={join}"))
}

/// Opens a signalling socket with `cookie`, trusting the station's own certificate.
async fn socket(st: &Running, path: &str, cookie: &str) -> Ws {
    let pem = std::fs::read(st.app.data_dir.join("tls/cert.pem")).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = TcpStream::connect(st.https).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let stream = tokio_rustls::TlsConnector::from(Arc::new(tls))
        .connect(name, tcp)
        .await
        .unwrap();
    let mut req = format!("wss://127.0.0.1:{}{path}", st.https.port())
        .into_client_request()
        .unwrap();
    req.headers_mut().insert("cookie", cookie.parse().unwrap());
    req.headers_mut().insert(
        "origin",
        format!("https://127.0.0.1:{}", st.https.port())
            .parse()
            .unwrap(),
    );
    let (ws, _) = tokio_tungstenite::client_async(req, stream).await.unwrap();
    ws
}

use rustls::pki_types::pem::PemObject;

/// One side of a call: its socket (split into a sender and a log of what arrived) and its
/// media peer.
struct Side {
    out: mpsc::UnboundedSender<String>,
    seen: Arc<Mutex<Vec<ServerMsg>>>,
    peer: Client,
    /// The bridge's candidates and state for the peer.
    events: Mutex<Option<mpsc::Sender<LegEvent>>>,
}

impl Side {
    async fn open(
        st: &Running,
        path: &str,
        cookie: &str,
        tag: u8,
        codecs: crate::client::Codecs,
    ) -> Arc<Side> {
        let ws = socket(st, path, cookie).await;
        let (mut sink, mut stream) = ws.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Some(text) = out_rx.recv().await {
                if sink.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
        });
        let side = Arc::new(Side {
            out,
            seen: Arc::default(),
            peer: Client::new(tag, codecs).await,
            events: Mutex::new(None),
        });
        let reader = side.clone();
        tokio::spawn(async move {
            while let Some(Ok(Message::Text(text))) = stream.next().await {
                let msg: ServerMsg = serde_json::from_str(&text).unwrap();
                if let ServerMsg::Candidate { candidate, .. } = &msg {
                    let c = Candidate {
                        candidate: candidate.candidate.clone(),
                        sdp_mid: candidate.sdp_mid.clone(),
                        sdp_mline_index: candidate.sdp_mline_index,
                    };
                    let tx = reader.events.lock().unwrap().clone();
                    if let Some(tx) = tx {
                        let _ = tx.send(LegEvent::Candidate(c)).await;
                    }
                }
                reader.seen.lock().unwrap().push(msg);
            }
        });
        side
    }

    fn send(&self, json: serde_json::Value) {
        self.out.send(json.to_string()).unwrap();
    }

    fn saw(&self, pred: impl Fn(&ServerMsg) -> bool) -> bool {
        self.seen.lock().unwrap().iter().any(pred)
    }

    /// Offers the peer's media over the socket (`appointment` is set for the officer), applies
    /// the answer, and carries candidates both ways.
    async fn connect_media(self: &Arc<Self>, appointment: Option<i64>) {
        let sdp = self.peer.offer().await;
        let mut offer = serde_json::json!({"type": "offer", "sdp": sdp});
        if let Some(a) = appointment {
            offer["appointment"] = a.into();
        }
        self.send(offer);
        assert!(
            wait_until(DEADLINE, || self
                .saw(|m| matches!(m, ServerMsg::Answer { .. })))
            .await,
            "no answer"
        );
        let answer = self
            .seen
            .lock()
            .unwrap()
            .iter()
            .find_map(|m| match m {
                ServerMsg::Answer { sdp, .. } => Some(sdp.clone()),
                _ => None,
            })
            .unwrap();
        let (tx, rx) = mpsc::channel(64);
        // Candidates that came before the answer are passed on first.
        for m in self.seen.lock().unwrap().iter() {
            if let ServerMsg::Candidate { candidate, .. } = m {
                let _ = tx.try_send(LegEvent::Candidate(Candidate {
                    candidate: candidate.candidate.clone(),
                    sdp_mid: candidate.sdp_mid.clone(),
                    sdp_mline_index: candidate.sdp_mline_index,
                }));
            }
        }
        *self.events.lock().unwrap() = Some(tx);
        self.peer.accept(answer, rx).await;
        let mut local = self.peer.take_local_candidates();
        let me = self.clone();
        tokio::spawn(async move {
            while let Some(c) = local.recv().await {
                let candidate = signal::Candidate {
                    candidate: c.candidate,
                    sdp_mid: c.sdp_mid,
                    sdp_mline_index: c.sdp_mline_index,
                };
                let mut msg = serde_json::json!({"type": "candidate", "candidate": candidate});
                if let Some(a) = appointment {
                    msg["appointment"] = a.into();
                }
                me.send(msg);
            }
        });
    }
}

/// Sets up one call: officer and citizen sockets, admission, media both ways.
async fn call(st: &Running, n: u8) -> (AppointmentId, Arc<Side>, Arc<Side>) {
    let (officer_id, officer_cookie) = officer(st, n);
    let (appointment, join_cookie) = citizen(st, officer_id, n);
    let citizen = Side::open(st, "/ws/citizen", &join_cookie, 10 + n, FIREFOX).await;
    let desk = Side::open(st, "/ws/officer", &officer_cookie, 20 + n, CHROME).await;
    assert!(
        wait_until(DEADLINE, || citizen
            .saw(|m| matches!(m, ServerMsg::Queue { position: 1, .. })))
        .await,
        "the citizen gets a place in the queue"
    );
    assert!(
        wait_until(DEADLINE, || desk.saw(|m| matches!(m, ServerMsg::Waiting { entries } if entries.iter().any(|e| e.appointment == appointment.0 && e.status == "waiting")))).await,
        "the officer sees the citizen waiting"
    );
    desk.send(serde_json::json!({"type": "admit", "appointment": appointment}));
    assert!(
        wait_until(DEADLINE, || citizen
            .saw(|m| matches!(m, ServerMsg::Admitted { .. })))
        .await,
        "admitted"
    );
    desk.connect_media(Some(appointment.0)).await;
    citizen.connect_media(None).await;
    (appointment, desk, citizen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn media_crosses_within_a_call_only_and_keyframe_requests_cross_over() {
    let dir = tempfile::tempdir().unwrap();
    let st = station(dir.path()).await;
    let (first, desk1, citizen1) = call(&st, 1).await;
    let (_second, desk2, citizen2) = call(&st, 2).await;
    for side in [&desk1, &citizen1, &desk2, &citizen2] {
        assert!(
            wait_until(DEADLINE, || side.peer.connected()).await,
            "peer {} connected",
            side.peer.tag
        );
    }
    // Both sides of each call are told the call is connected, and get the countdown.
    for side in [&desk1, &citizen1] {
        assert!(
            wait_until(DEADLINE, || side.saw(
                |m| matches!(m, ServerMsg::Timer { appointment, .. } if *appointment == first.0)
            ))
            .await
        );
    }
    for side in [&desk1, &citizen1, &desk2, &citizen2] {
        side.peer.start_sending(1000, Duration::from_secs(20)).await;
    }
    let got = |side: &Side, tag: u8| side.peer.received.from(tag);
    assert!(
        wait_until(DEADLINE, || {
            let (a1, v1) = got(&desk1, citizen1.peer.tag);
            let (a2, v2) = got(&citizen1, desk1.peer.tag);
            let (a3, v3) = got(&desk2, citizen2.peer.tag);
            let (a4, v4) = got(&citizen2, desk2.peer.tag);
            [a1, v1, a2, v2, a3, v3, a4, v4].iter().all(|n| *n >= 30)
        })
        .await,
        "each side receives the other side's audio and video"
    );
    // Nothing of call 2 reached call 1, and nothing of call 1 reached call 2.
    assert_eq!(
        desk1
            .peer
            .received
            .tags()
            .into_iter()
            .filter(|t| *t != citizen1.peer.tag)
            .count(),
        0
    );
    assert_eq!(
        citizen1
            .peer
            .received
            .tags()
            .into_iter()
            .filter(|t| *t != desk1.peer.tag)
            .count(),
        0
    );
    assert_eq!(
        desk2
            .peer
            .received
            .tags()
            .into_iter()
            .filter(|t| *t != citizen2.peer.tag)
            .count(),
        0
    );
    assert_eq!(
        citizen2
            .peer
            .received
            .tags()
            .into_iter()
            .filter(|t| *t != desk2.peer.tag)
            .count(),
        0
    );
    let stats = st.app.calls.bridge.stats(first.0).unwrap();
    assert!(
        stats.officer_to_citizen > 0 && stats.citizen_to_officer > 0,
        "{stats:?}"
    );

    // The citizen's keyframe request reaches the officer's sender.
    let before = desk1.peer.received.keyframe_requests.load(Ordering::SeqCst);
    citizen1.peer.send_pli().await;
    assert!(
        wait_until(DEADLINE, || desk1
            .peer
            .received
            .keyframe_requests
            .load(Ordering::SeqCst)
            > before)
        .await,
        "the PLI crossed over"
    );

    // The officer ends call 1: both sides are told; call 2 goes on.
    desk1.send(serde_json::json!({"type": "end", "appointment": first, "message": "Please visit with your ID."}));
    assert!(
        wait_until(DEADLINE, || citizen1.saw(
            |m| matches!(m, ServerMsg::Ended { message: Some(t), .. } if t.contains("ID"))
        ))
        .await,
        "the citizen sees the end and the message"
    );
    let (_, before) = got(&citizen2, desk2.peer.tag);
    assert!(
        wait_until(DEADLINE, || got(&citizen2, desk2.peer.tag).1 > before + 10).await,
        "call 2 goes on"
    );
    let record = st.app.store.call(first).unwrap().unwrap();
    assert_eq!(record.ended_by.as_deref(), Some("officer"));
    assert!(record.started_at.is_some());

    for side in [&desk1, &citizen1, &desk2, &citizen2] {
        side.peer.close().await;
    }
    st.stop().await.unwrap();
}

/// A citizen who leaves before the time is up ends the appointment early, on the record and on
/// the officer's list; a page that opens the waiting room again afterwards is told how the call
/// ended instead of waiting for an officer who will not call, and cannot be admitted again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_citizen_who_leaves_ends_the_appointment_early_and_does_not_wait_again() {
    let dir = tempfile::tempdir().unwrap();
    let st = station_on(dir.path(), "42050-42099").await;
    let (officer_id, officer_cookie) = officer(&st, 7);
    let (appointment, join_cookie) = citizen(&st, officer_id, 7);
    let citizen = Side::open(&st, "/ws/citizen", &join_cookie, 17, FIREFOX).await;
    let desk = Side::open(&st, "/ws/officer", &officer_cookie, 27, CHROME).await;
    let listed = |desk: &Side, status: &'static str| {
        desk.saw(|m| matches!(m, ServerMsg::Waiting { entries } if entries.iter().any(|e| e.appointment == appointment.0 && e.status == status)))
    };
    assert!(wait_until(DEADLINE, || listed(&desk, "waiting")).await);
    // The estimate comes as the station says its times, not only as a number for the phone.
    assert!(
        wait_until(DEADLINE, || citizen.saw(
            |m| matches!(m, ServerMsg::Queue { expected_at, .. } if expected_at.ends_with("IST"))
        ))
        .await,
        "the estimate in station time"
    );
    desk.send(serde_json::json!({"type": "admit", "appointment": appointment}));
    assert!(
        wait_until(DEADLINE, || citizen
            .saw(|m| matches!(m, ServerMsg::Admitted { .. })))
        .await
    );

    // Audio only reaches the officer, both ways.
    citizen.send(serde_json::json!({"type": "audio_only", "on": true}));
    assert!(
        wait_until(DEADLINE, || desk
            .saw(|m| matches!(m, ServerMsg::AudioOnly { on: true, .. })))
        .await
    );
    citizen.send(serde_json::json!({"type": "audio_only", "on": false}));
    assert!(
        wait_until(DEADLINE, || desk
            .saw(|m| matches!(m, ServerMsg::AudioOnly { on: false, .. })))
        .await
    );

    citizen.send(serde_json::json!({"type": "leave"}));
    assert!(
        wait_until(DEADLINE, || desk.saw(
            |m| matches!(m, ServerMsg::Ended { by, .. } if by == "citizen")
        ))
        .await
    );
    assert_eq!(
        st.app.store.appointment(appointment).unwrap().status,
        AppointmentStatus::EndedEarly
    );
    assert!(
        wait_until(DEADLINE, || listed(&desk, "ended_early")).await,
        "the officer's list says ended early"
    );

    let again = Side::open(&st, "/ws/citizen", &join_cookie, 37, FIREFOX).await;
    assert!(
        wait_until(DEADLINE, || again.saw(
            |m| matches!(m, ServerMsg::Ended { by, .. } if by == "citizen")
        ))
        .await,
        "a reopened page hears the end"
    );
    assert!(!again.saw(|m| matches!(m, ServerMsg::Queue { .. })));
    desk.send(serde_json::json!({"type": "admit", "appointment": appointment}));
    assert!(
        wait_until(DEADLINE, || desk.saw(
            |m| matches!(m, ServerMsg::Error { code, .. } if code == "not_waiting")
        ))
        .await,
        "a finished appointment cannot be admitted again"
    );
    assert_eq!(
        st.app.store.appointment(appointment).unwrap().status,
        AppointmentStatus::EndedEarly
    );
    st.stop().await.unwrap();
}
