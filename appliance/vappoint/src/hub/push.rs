//! Enrolment and pushes: a station enrols once with a one-time code (the hub's CA signs its
//! client certificate), then pushes its durable queue over mutual TLS; the hub checks each
//! message and records what it asks for.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use vappoint_store::{DailyFigures, DayCounts, HubUpdate, PushItem, PushRefusal, StoreError};
use vappoint_wire::federation::{self as fed, Body, EnrollRequest, EnrollResponse, Push, PushAck};

use super::{HubApp, error, internal};
use crate::federation::{mac, mac_matches};
use crate::server::peer::{PeerCert, fingerprint};

pub(super) fn routes() -> Router<Arc<HubApp>> {
    Router::new()
        .route("/federation/v1/enroll", post(enroll))
        .route(
            "/federation/v1/push",
            post(push).layer(DefaultBodyLimit::max(fed::MAX_PUSH_BYTES)),
        )
}

async fn enroll(
    State(h): State<Arc<HubApp>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    let req = match read_code_request(&h, peer, &body) {
        Ok(req) => req,
        Err(refusal) => return refusal,
    };
    // The code first: nothing is signed for a request that does not hold a usable one.
    let holds_code = {
        let req = req.clone();
        h.db(move |s| s.pending_enrolments(Utc::now()))
            .await
            .map(|pending| {
                pending.iter().any(|(code, key)| {
                    *code == req.station
                        && mac_matches(key, &["station", &req.station, &req.csr], &req.mac)
                })
            })
    };
    match holds_code {
        Ok(true) => {}
        Ok(false) => return refused(&h, &req).await,
        Err(e) => return internal(e),
    }
    let (cert, cert_sha) = match sign_csr(&h, &req) {
        Ok(signed) => signed,
        Err(refusal) => return refusal,
    };
    let (station, csr, given) = (req.station.clone(), req.csr.clone(), req.mac.clone());
    let check = move |key: &[u8]| mac_matches(key, &["station", &station, &csr], &given);
    let code = req.station.clone();
    match h
        .db(move |s| s.enrol(&code, check, &cert_sha, Utc::now()))
        .await
    {
        Ok((station, key)) => {
            tracing::info!(station = %station.code, "station enrolled");
            enrolment_answer(&h, &key, "hub", &station.code, cert)
        }
        Err(StoreError::Conflict(_)) => refused(&h, &req).await,
        Err(e) => internal(e),
    }
}

/// The answer to an enrolment whose code is wrong, used or expired: which station the code
/// was issued for, when it is another station's usable code (the usual mistake).
/// An enrolment or replacement request, read and checked before its code is: each try is a
/// guess at a one-time code, so it is limited like password tries.
pub(super) fn read_code_request(
    h: &HubApp,
    peer: SocketAddr,
    body: &[u8],
) -> Result<EnrollRequest, Response> {
    if !h.limits.login_from(peer.ip()) {
        return Err(error(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_tries",
            "Too many tries from this address; wait a minute.",
        ));
    }
    let Ok(req) = serde_json::from_slice::<EnrollRequest>(body) else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The request could not be read.",
        ));
    };
    if req.version != fed::VERSION || crate::config::validate_code(&req.station).is_err() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Unknown protocol version or station code.",
        ));
    }
    Ok(req)
}

/// Signs the request's CSR for its station: the certificate (PEM) and its SHA-256, or the
/// answer to give (a CSR that does not sign is the sender's fault).
pub(super) fn sign_csr(h: &HubApp, req: &EnrollRequest) -> Result<(String, String), Response> {
    let cert =
        h.ca.sign(&req.csr, &req.station)
            .map_err(|e| error(StatusCode::BAD_REQUEST, "bad_csr", &format!("{e:#}")))?;
    let der = rustls::pki_types::pem::PemObject::from_pem_slice(cert.as_bytes())
        .map(|c: rustls::pki_types::CertificateDer<'static>| fingerprint(&c));
    let sha = der.map_err(|_| internal("signed certificate does not parse"))?;
    Ok((cert, sha))
}

/// The certificate, the CA, the hub's TLS pin and the station's public host, with a MAC by
/// the enrolment (or replacement) code's key under `label`, so the station knows the answer
/// comes from the hub that issued its code.
pub(super) fn enrolment_answer(
    h: &HubApp,
    key: &[u8],
    label: &str,
    station: &str,
    cert: String,
) -> Response {
    let public_host = h.config.relay.station_host(station);
    let answer = mac(
        key,
        &[
            label,
            &cert,
            &h.ca.cert_pem,
            &h.tls_sha256,
            public_host.as_deref().unwrap_or(""),
        ],
    );
    Json(EnrollResponse {
        certificate: cert,
        ca: h.ca.cert_pem.clone(),
        hub_tls_sha256: h.tls_sha256.clone(),
        public_host,
        mac: answer,
        hubs: h.config.hub.urls.clone(),
    })
    .into_response()
}

async fn refused(h: &Arc<HubApp>, req: &EnrollRequest) -> Response {
    tracing::warn!(station = %req.station, "enrolment refused");
    // The usual mistake: the code is good, but the hub registered it for another
    // station code than the one this station goes by. Say so, with both codes.
    match issued_for(h, req).await {
        Some(registered) => {
            let message = format!(
                "This enrolment code was issued for station {registered}, but this station's code is {}. \
                 Set the station's code to {registered} (Station page, or [station] code in its config file) \
                 and enrol again, or ask the hub to register {} instead.",
                req.station, req.station
            );
            (
                StatusCode::FORBIDDEN,
                Json(json!({"error": {"code": "station_mismatch", "message": message, "registered": registered}})),
            )
                .into_response()
        }
        None => error(
            StatusCode::FORBIDDEN,
            "code_unusable",
            "This enrolment code is wrong, used or expired. Ask the hub for a new one.",
        ),
    }
}

/// The station code a refused enrolment's code was issued for, if it is another station's
/// usable code: the request's MAC is checked against each waiting code's key.
async fn issued_for(h: &Arc<HubApp>, req: &EnrollRequest) -> Option<String> {
    let pending = h.db(|s| s.pending_enrolments(Utc::now())).await.ok()?;
    pending
        .into_iter()
        .find(|(code, key)| {
            *code != req.station && mac_matches(key, &["station", &req.station, &req.csr], &req.mac)
        })
        .map(|(code, _)| code)
}

fn date(s: &str) -> Option<NaiveDate> {
    s.parse().ok()
}

fn time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// What a message asks the hub to record; `None` if its content is not plausible.
fn update_of(body: Body) -> Option<HubUpdate> {
    Some(match body {
        Body::Profile { name, officers, .. } => HubUpdate::Profile {
            name,
            officers: officers.into_iter().take(500).collect(),
        },
        Body::Availability { days, .. } => HubUpdate::Availability {
            days: days
                .into_iter()
                .take(50_000)
                .map(|d| {
                    Some(vappoint_store::AvailabilityRow {
                        officer_id: d.officer_id,
                        day: date(&d.date)?,
                        offered: d.offered,
                        free: d.free,
                        next_free: d.next_free.as_deref().and_then(time),
                    })
                })
                .collect::<Option<Vec<_>>>()?,
        },
        Body::Daily {
            date: d,
            officer_id,
            counts,
        } => HubUpdate::Daily(DailyFigures {
            day: date(&d)?,
            officer_id,
            counts: DayCounts {
                // Only the known categories: free text never reaches the hub's database.
                reasons: counts
                    .reasons
                    .into_iter()
                    .filter(|(k, _)| k.parse::<vappoint_domain::ReasonCategory>().is_ok())
                    .collect(),
                ..counts
            },
        }),
        Body::Heartbeat { .. } => HubUpdate::Heartbeat,
        // A number and a SHA-256 in hex, nothing else.
        Body::AuditHead { seq, hash } => {
            if seq < 1 || hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            HubUpdate::AuditHead {
                seq,
                hash: hash.to_ascii_lowercase(),
            }
        }
    })
}

/// The enrolled, non-revoked station a client certificate belongs to, or the refusal to send
/// (pushes, TURN credentials and tunnels all start here).
pub(super) async fn enrolled_station(
    h: &Arc<HubApp>,
    cert: Option<String>,
) -> Result<vappoint_store::HubStation, Response> {
    let Some(cert) = cert else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "certificate_required",
            "This needs the station's client certificate.",
        ));
    };
    let station = match h.db(move |s| s.station_by_cert(&cert)).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "unknown_certificate",
                "This hub did not issue that certificate.",
            ));
        }
        Err(e) => return Err(internal(e)),
    };
    if station.revoked {
        return Err(error(
            StatusCode::FORBIDDEN,
            "revoked",
            "This station's enrolment was revoked.",
        ));
    }
    Ok(station)
}

async fn push(
    State(h): State<Arc<HubApp>>,
    Extension(PeerCert(cert)): Extension<PeerCert>,
    body: Bytes,
) -> Response {
    let station = match enrolled_station(&h, cert).await {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let push: Push = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "The push could not be read.",
            );
        }
    };
    if push.version != fed::VERSION {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_version",
            "Unknown protocol version.",
        );
    }
    if push.station != station.code {
        tracing::warn!(certificate_of = %station.code, claims = %push.station, "push for another station refused");
        return error(
            StatusCode::FORBIDDEN,
            "wrong_station",
            "This certificate belongs to another station.",
        );
    }
    if push.messages.len() > fed::MAX_MESSAGES {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many",
            "Too many messages in one push.",
        );
    }
    // The box's health is kept whatever becomes of the messages: a stuck queue is itself
    // something the city must see.
    if let Some(health) = push.health {
        let now = Utc::now();
        let offset = super::health::clock_offset(&health.sent_at, now);
        let code = station.code.clone();
        if let Err(e) = h
            .db(move |s| s.record_health(&code, &health, offset, now))
            .await
        {
            return internal(e);
        }
    }
    let mut items = Vec::with_capacity(push.messages.len());
    for m in push.messages {
        let raw = m.body.get();
        if data_encoding::HEXLOWER.encode(&Sha256::digest(raw.as_bytes())) != m.digest {
            return error(
                StatusCode::BAD_REQUEST,
                "tampered",
                "A message does not match its digest.",
            );
        }
        let Some(update) = serde_json::from_str::<Body>(raw).ok().and_then(update_of) else {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_body",
                "A message could not be read.",
            );
        };
        items.push(PushItem {
            seq: m.seq,
            digest: m.digest,
            update,
        });
    }
    let code = station.code.clone();
    match h.db(move |s| s.apply_push(&code, &items, Utc::now())).await {
        Ok(Ok(acked)) => {
            // The answer carries the updates this station is in the roll-out of.
            let (code, zone) = (station.code.clone(), station.zone.clone());
            let updates = h
                .db(move |s| super::updates::offers_for(s, &code, &zone))
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, "listing the updates to offer");
                    Vec::new()
                });
            Json(PushAck {
                acked,
                updates,
                hubs: h.config.hub.urls.clone(),
            })
            .into_response()
        }
        Ok(Err(PushRefusal::Replayed { seq })) => {
            tracing::warn!(station = %station.code, seq, "replayed message refused");
            error(StatusCode::CONFLICT, "replayed", "A different message was already received under that number.")
        }
        Ok(Err(PushRefusal::Gap { expected })) => (
            StatusCode::CONFLICT,
            Json(json!({"error": {"code": "gap", "message": "Messages are missing before these.", "expected": expected}})),
        )
            .into_response(),
        Err(e) => internal(e),
    }
}
