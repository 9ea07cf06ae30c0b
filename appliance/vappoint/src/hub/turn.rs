//! TURN credentials for stations: an enrolled, non-revoked station asks over mutual TLS and
//! gets the city's TURN servers (`[turn]`) with a credential made for it and valid for a
//! call's length plus grace; the shared secret stays on the hub, so a revoked station (or a
//! copied box) cannot make new ones.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use chrono::Utc;
use vappoint_wire::federation::{TurnAnswer, TurnRequest};
use vappoint_wire::signal::IceServer;

use super::push::enrolled_station;
use super::{HubApp, error};
use crate::server::peer::PeerCert;

/// The longest credential a station gets (before the grace): a long call, not a day.
const MAX_MINUTES: u32 = 240;

pub(super) fn routes() -> Router<Arc<HubApp>> {
    Router::new().route("/federation/v1/turn", post(turn))
}

async fn turn(
    State(h): State<Arc<HubApp>>,
    Extension(PeerCert(cert)): Extension<PeerCert>,
    Json(req): Json<TurnRequest>,
) -> Response {
    let station = match enrolled_station(&h, cert).await {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let turn = &h.config.turn;
    let Some(secret) = turn.secret.as_deref().filter(|_| !turn.urls.is_empty()) else {
        return error(
            StatusCode::NOT_FOUND,
            "no_turn",
            "This hub offers no TURN servers.",
        );
    };
    let minutes = req.minutes.clamp(1, MAX_MINUTES);
    let expiry = Utc::now()
        + chrono::Duration::minutes(minutes.into())
        + chrono::Duration::from_std(turn.grace).unwrap_or_default();
    let (username, credential) = crate::ice::turn_credential(secret, expiry, &station.code);
    tracing::debug!(station = %station.code, minutes, "TURN credential made");
    Json(TurnAnswer {
        ice_servers: vec![IceServer {
            urls: turn.urls.clone(),
            username: Some(username),
            credential: Some(credential),
        }],
        expires: expiry.timestamp(),
    })
    .into_response()
}
